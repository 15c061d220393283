"""Building an entry's record in the caller (masked, cheap) and handing it on.

``emit_entry`` makes the ``Record`` of one entry and gives it to the entry listeners
(``add_entry_listener``) and to the output: the writer when ``configure_logging`` ran, else
structlog when the application configured it, else the stdlib logger
``rfs_monitoring.result``. One function does both: it runs once per logged call, and a
call less is measurable there (``benchmarks/bench_logging.py``).
"""

from __future__ import annotations

import contextvars
import itertools
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from rfs_monitoring import context as _context
from rfs_monitoring import resources as _resources
from rfs_monitoring import tracing as _tracing
from rfs_monitoring.errors import APIError, error_code_of
from rfs_monitoring.masking import mask_label, mask_text, mask_value
from rfs_monitoring.masking.text import mask_user_id, user_id_masks
from rfs_monitoring.resources import resource_snapshot
from rfs_monitoring.result import Result, Success
from rfs_monitoring.result_logging.entry import (
    RECORD_FIELDS,
    Record,
    ResultLogEntry,
    entry_from_record,
    entry_to_dict,
)
from rfs_monitoring.result_logging.levels import level_name
from rfs_monitoring.result_logging.state import STATE

__all__ = [
    "SKIPPED",
    "Described",
    "EntryListener",
    "add_entry_listener",
    "describe_error",
    "emit_entry",
    "fresh_correlation_id",
    "pooled_correlation_id",
]

Described = tuple[str, "str | None", str]
"""``(error_type, error_code, masked message)`` of an error."""

EntryListener = Callable[[ResultLogEntry], None]

_ERROR_MESSAGE_CHARS = 2_000
_LOW_DIGITS = tuple(f"{low:02x}" for low in range(255, -1, -1))  # a block, descending
_BLOCK_MASK = (1 << 56) - 1
_id_prefix = os.urandom(8).hex()
_id_blocks = itertools.count(1)
_ids: list[str] = []  # formatted ahead, a block at a time; the hot path pops one

# Read directly on the hot path (a function call less each).
_request_get = _context._request_id.get
_log_context_get = _context._log_context.get
# the variable's default (empty, read-only), read in an empty context
_NO_LOG_CONTEXT = contextvars.Context().run(_context._log_context.get)
_wall = time.time
_tracer = _tracing.tracer_state
_sampler_slot = _resources._default  # [the default sampler or None]: read without a call

pooled_correlation_id = _ids.pop
"""The next pre-formatted fresh correlation id; raises IndexError when the pool is empty
(then ``fresh_correlation_id`` refills it). The decorator's hot path calls it inline."""


def fresh_correlation_id() -> str:
    """A new 32-hex-digit id: a random process prefix + a 64-bit counter (no syscall per
    call), formatted 256 at a time ahead of use (the counter's last two digits vary
    within a block)."""
    while True:
        try:
            return _ids.pop()
        except IndexError:
            head = f"{_id_prefix}{next(_id_blocks) & _BLOCK_MASK:014x}"
            # descending, so that pop() hands them out in ascending order
            _ids.extend([head + low for low in _LOW_DIGITS])


def _ids_after_fork() -> None:  # pragma: no cover - runs in a forked child (tested there)
    """In a forked child: a prefix of its own and no ids formatted by the parent."""
    global _id_prefix
    _id_prefix = os.urandom(8).hex()
    _ids.clear()


if hasattr(os, "register_at_fork"):  # pragma: no branch - not on Windows
    os.register_at_fork(after_in_child=_ids_after_fork)


_listeners: tuple[EntryListener, ...] = ()
_listeners_lock = threading.Lock()


def add_entry_listener(fn: EntryListener) -> Callable[[], None]:
    """Call ``fn(entry)`` with every entry as it is emitted; returns a function removing it.

    The listener runs synchronously in the caller's thread with the entry already masked,
    whatever structlog / logging configuration is in place (also when
    ``configure_logging`` was never called). A listener that raises is counted in
    ``logging_stats()["listener_errors"]`` and never affects the operation.

    Raises:
        TypeError: ``fn`` is not callable.
    """
    global _listeners
    given: object = fn
    if not callable(given):
        msg = f"add_entry_listener() expects a callable taking a ResultLogEntry, got {fn!r}"
        raise TypeError(msg)
    with _listeners_lock:
        _listeners = (*_listeners, fn)
    removed = [False]

    def remove() -> None:
        global _listeners
        with _listeners_lock:
            if removed[0]:
                return
            removed[0] = True
            items = list(_listeners)
            items.remove(fn)
            _listeners = tuple(items)

    return remove


def describe_error(error: object) -> Described:
    """``(error_type, error_code, masked message)`` of an error value or exception."""
    if isinstance(error, APIError):
        # type(error): a ResultTimeoutError (an APIError too) keeps its own name
        kind = type(error).__name__
        return kind, error.code.value, mask_text(error.message)[:_ERROR_MESSAGE_CHARS]
    error_type = type(error).__name__
    code: str | None = None
    try:
        code = error_code_of(error)
    except Exception:  # noqa: BLE001 - observability never raises into the caller
        STATE.entry_errors += 1
    if code is not None:  # an exception's ``.code`` may hold anything: masked (cached)
        code = mask_label(code)
    message = mask_text(error if isinstance(error, str) else _str_of(error))
    return error_type, code, message[:_ERROR_MESSAGE_CHARS]


def _str_of(error: object) -> str:
    try:
        text = str(error)
    except Exception:  # noqa: BLE001 - observability never raises into the caller
        STATE.masking_errors += 1
        return f"<unprintable {type(error).__name__}>"
    return text or type(error).__name__


def _metadata(
    ctx: Mapping[str, Any], extra: Mapping[str, Any] | None, user_id: object
) -> tuple[dict[str, Any] | None, object]:
    """``(masked metadata or None, user id)``: the bound context (its ``user_id`` taken out,
    used when none is given), then ``extra``."""
    metadata: dict[str, Any] | None = None
    if ctx:
        metadata = dict(ctx)
        bound_user = metadata.pop("user_id", None)
        if user_id is None:
            user_id = bound_user
    if extra:
        metadata = {**metadata, **extra} if metadata else dict(extra)
    if not metadata:
        return None, user_id
    masked = mask_value(metadata)
    return (masked if isinstance(masked, dict) else {"_masked": masked}), user_id


def emit_entry(
    level: int,
    operation: str,
    step: str | None,
    result: Result[Any, Any],
    elapsed_ms: float,
    correlation_id: str,
    described: Described | None = None,
    extra: Mapping[str, Any] | None = None,
    handle: _tracing.SpanHandle | None = None,
    user_id: object = None,
    result_type: str | None = None,
) -> Record:
    """Emit one entry about ``result`` at ``level``: its masked record (values in
    ``RECORD_FIELDS`` order) to the listeners and the output; returns the record.

    Args:
        level: the level it is emitted at (its name is the entry's ``level``).
        operation: the operation name.
        step: the chain step (None: the operation's own entry).
        result: the outcome.
        elapsed_ms: the duration (negative values become 0.0).
        correlation_id: the entry's correlation id.
        described: the error's description when already known (else made from ``result``).
        extra: metadata added after the bound log context.
        handle: the operation's span (its ids are the entry's trace ids).
        user_id: the user id (None: the bound one).
        result_type: the entry's result type (None: "success" or "error" from ``result``;
            ``SKIPPED``: no error fields, ``result`` is not described).
    """
    ctx = _log_context_get()
    metadata: dict[str, Any] | None = None
    if (ctx is not _NO_LOG_CONTEXT and ctx) or extra:  # the common call has neither
        metadata, user_id = _metadata(ctx, extra, user_id)
    if type(result) is Success:
        success_type: str | None = type(result.value).__name__
        error_type = error_code = error_message = None
    elif result_type == SKIPPED:  # a step that never ran describes no error
        success_type = error_type = error_code = error_message = None
    else:
        success_type = None
        error_type, error_code, error_message = (
            described if described is not None else describe_error(result.unwrap_error())
        )
    sampler = _sampler_slot[0]  # resource_snapshot() inlined: a call less per entry
    rss, cpu = sampler.snapshot if sampler is not None else resource_snapshot()
    if handle is None and _tracer.tracer is None:  # tracing off: no call
        trace_id = span_id = None
    else:
        trace_id, span_id = (
            _tracing.current_ids(handle) if handle is not None or _tracer.enabled else None
        ) or _NO_TRACE
    state = STATE
    record = (  # in RECORD_FIELDS order: timestamp, duration, correlation_id, ...
        _wall(),
        elapsed_ms if elapsed_ms > 0.0 else 0.0,
        correlation_id,
        operation,
        None
        if user_id is None
        else user_id_masks[user_id]  # mask_user_id's common case, without a call
        if type(user_id) is str
        else mask_user_id(user_id),
        _request_get(),
        step,
        result_type or ("success" if success_type is not None else "error"),
        success_type,
        error_type,
        error_code,
        error_message,
        state.service_name,
        state.environment,
        rss,
        cpu,
        metadata,
        trace_id,
        span_id,
        _level_names_get(level) or level_name(level),
    )
    state.emitted += 1
    listeners = _listeners
    if listeners:
        entry = entry_from_record(record)
        for listener in listeners:
            try:
                listener(entry)
            except Exception:  # noqa: BLE001 - observability never raises into the caller
                state.listener_errors += 1
    writer = state.writer
    if writer is None:
        _emit_unconfigured(level, record)
        return record
    # ``Writer.submit``'s common case inlined (a call less per entry): queued as it is
    queue = writer.queue
    size = len(queue)
    if size < writer.room:
        queue.append(record)
        writer.submitted += 1
        if size + 1 == writer.wake_at:
            writer.wake()
        return record
    writer.submit(record)  # full (dropped, counted), inline or stopping: the writer's path
    return record


SKIPPED = "skipped"
"""The ``result_type`` of a log point that never ran (see ``chain.observe_chain``)."""
_NO_TRACE = (None, None)
_LEVEL_NAMES = {value: level_name(value) for value in range(logging.DEBUG, logging.CRITICAL + 1)}
_level_names_get = _LEVEL_NAMES.get
_EVENTS = {True: "result_step", False: "result_operation"}
_fallback_logger = logging.getLogger("rfs_monitoring.result")
_modules = sys.modules
_STEP = RECORD_FIELDS.index("step_name")


def _emit_unconfigured(level: int, record: Record) -> None:
    step = record[_STEP]
    event = _EVENTS[step is not None]
    # structlog can only be configured when the application imported it: no import here
    structlog: Any = _modules.get("structlog")
    if structlog is not None and structlog.is_configured():
        fields = entry_to_dict(record)
        fields.pop("level", None)  # the app's own processors name the level (log(level, ...))
        structlog.get_logger("rfs_monitoring.result").log(level, event, **fields)
        return
    if _fallback_logger.isEnabledFor(level):
        data = entry_to_dict(record)
        _fallback_logger.log(
            level,
            "%s %s %s %.3fms",
            event,
            data["operation_name"] + (f".{step}" if step else ""),
            data["result_type"],
            data["processing_time_ms"],
            extra=data,
        )
