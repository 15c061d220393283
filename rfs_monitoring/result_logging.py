"""Structured logging of Result operations: one JSON entry per operation and per chain step.

``@log_result_operation("name")`` on a sync function, an async function or a function
returning a ``MonoResult`` writes one ``ResultLogEntry`` per call (for a MonoResult: when the
chain completes) and records the outcome in ``ResultMetricsCollector.instance()``.
``MonoResult.log_step(name)`` / ``.log_error(name)`` inside the operation write step entries
carrying the operation's name. Every entry carries the correlation id, the request id and
the fields bound with ``bind_log_context`` (``user_id`` has its own field, the others go to
``metadata``), masked with ``rfs_monitoring.masking``.

Output: ``configure_logging()`` sets up one pipeline for Result entries, structlog events and
stdlib ``logging`` records (JSON lines with the same correlation id); rendering and writing
happen on a background thread behind a bounded queue, so the caller only builds a small
tuple. Without ``configure_logging`` entries go to structlog when the application configured
it, else to the stdlib logger ``rfs_monitoring.result``. ``add_entry_listener`` sees every
entry either way.

Levels: success entries at the decorator's ``level`` (INFO), failures at ``error_level``
(ERROR); ``set_log_level(level, operation=None)`` changes the threshold at run time,
globally or per operation; ``RFS_LOG_LEVEL`` sets it at start. A call below the threshold
builds no entry.

Observability never changes the caller's Result nor raises into it: every fault (a sink
that raises, a full queue, an unserialisable value, a masking rule that raises, a listener
that raises) is counted in ``logging_stats()``.
"""

from __future__ import annotations

import atexit
import collections
import contextvars
import copy
import dataclasses
import datetime
import functools
import inspect
import io
import itertools
import json as _json
import logging
import os
import random
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from importlib import resources as _resources
from typing import IO, Any, Literal, TypeVar, cast, overload

import structlog

from rfs_monitoring import context as _context
from rfs_monitoring import tracing as _tracing
from rfs_monitoring.context import (
    get_log_context,
    get_request_id,
    peek_correlation_id,
)
from rfs_monitoring.errors import APIError, ConfigurationError, error_code_of
from rfs_monitoring.flux import FluxResult
from rfs_monitoring.masking import MASK, is_sensitive_key, mask_text, mask_value, masking_stats
from rfs_monitoring.metrics import ResultMetricsCollector
from rfs_monitoring.mono import MonoResult, observer_failures, set_chain_observer
from rfs_monitoring.resources import resource_snapshot
from rfs_monitoring.result import Failure, Result, Success, to_result

_orjson: Any
try:  # orjson renders 5-10x faster; it is optional.
    import orjson as _orjson
except ImportError:  # pragma: no cover - exercised in environments without orjson
    _orjson = None

__all__ = [
    "CorrelationIdFilter",
    "ResultLogEntry",
    "add_entry_listener",
    "configure_logging",
    "flush_logs",
    "get_log_level",
    "log_flux_result",
    "log_result_operation",
    "logging_stats",
    "reset_logging",
    "result_log_entry_schema",
    "set_log_level",
]

F = TypeVar("F", bound=Callable[..., Any])


@dataclasses.dataclass
class ResultLogEntry:
    """One structured log entry about a Result operation or a step of its chain.

    The fields are those of the plan's schema; ``trace_id``/``span_id`` are set when
    OpenTelemetry tracing is on. ``to_dict()`` gives the JSON object written per line (it
    validates against ``rfs_monitoring/schemas/result_log_entry.schema.json``).
    """

    timestamp: datetime.datetime
    correlation_id: str
    operation_name: str
    step_name: str | None

    result_type: Literal["success", "error"]
    processing_time_ms: float

    success_type: str | None = None

    error_type: str | None = None
    error_code: str | None = None
    error_message: str | None = None

    user_id: str | None = None
    request_id: str | None = None
    service_name: str = "rfs-framework"
    environment: str = "production"

    memory_usage_mb: float | None = None
    cpu_usage_percent: float | None = None

    metadata: dict[str, Any] = dataclasses.field(default_factory=dict)

    trace_id: str | None = None
    span_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of this entry (timestamp as ISO-8601 UTC; no trace keys when off)."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["timestamp"] = _iso(self.timestamp)
        if self.trace_id is None:
            del data["trace_id"]
        if self.span_id is None:
            del data["span_id"]
        return data


def _iso(moment: datetime.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    utc = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds") + "Z"


EntryListener = Callable[[ResultLogEntry], None]

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


def result_log_entry_schema() -> dict[str, Any]:
    """The JSON schema (draft 2020-12) every rendered entry validates against."""
    text = (
        _resources.files("rfs_monitoring")
        .joinpath("schemas/result_log_entry.schema.json")
        .read_text(encoding="utf-8")
    )
    return cast("dict[str, Any]", _json.loads(text))


# --------------------------------------------------------------------------- levels

OFF = 100
"""A threshold above every level: nothing is logged."""

_LEVEL_NAMES = {
    "NOTSET": 0,
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARNING": logging.WARNING,
    "WARN": logging.WARNING,
    "ERROR": logging.ERROR,
    "CRITICAL": logging.CRITICAL,
    "FATAL": logging.CRITICAL,
    "OFF": OFF,
}


def _parse_level(level: object, what: str = "log level") -> int:
    if isinstance(level, int) and not isinstance(level, bool) and level >= 0:
        return level
    if isinstance(level, str) and level.strip().upper() in _LEVEL_NAMES:
        return _LEVEL_NAMES[level.strip().upper()]
    msg = (
        f"{what} {level!r} is not accepted: use DEBUG, INFO, WARNING, ERROR, CRITICAL, OFF "
        "(any case) or an int >= 0"
    )
    raise ConfigurationError(msg)


def _level_name(level: int) -> str:
    for name, value in _LEVEL_NAMES.items():
        if value == level and name not in ("WARN", "FATAL"):
            return name
    return str(level)


def _env_level() -> tuple[int, str | None]:
    raw = os.environ.get("RFS_LOG_LEVEL")
    if raw is None or not raw.strip():
        return logging.INFO, None
    try:
        return _parse_level(raw, "RFS_LOG_LEVEL"), None
    except ConfigurationError as exc:
        return logging.INFO, str(exc)


# --------------------------------------------------------------------------- state


class _State:
    """Process-wide logging state; counters are plain ints (GIL-atomic enough for stats)."""

    def __init__(self) -> None:
        level, env_error = _env_level()
        self.level = level
        self.env_error = env_error
        self.op_levels: dict[str, int] = {}
        self.service_name = os.environ.get("RFS_SERVICE_NAME") or "rfs-framework"
        self.environment = os.environ.get("RFS_ENVIRONMENT") or "production"
        self.writer: _Writer | None = None
        self.json = True
        self.handler: logging.Handler | None = None
        self.root_level: int | None = None
        self.atexit_registered = False
        self.lock = threading.RLock()
        self.emitted = 0
        self.dropped = 0
        self.sink_errors = 0
        self.serialization_errors = 0
        self.masking_errors = 0
        self.listener_errors = 0
        self.metrics_errors = 0
        self.entry_errors = 0
        self.sampled_out = 0
        self.written = 0


_state = _State()


def set_log_level(level: str | int | None, operation: str | None = None) -> None:
    """Set the threshold for Result entries, globally or for one ``operation``.

    Args:
        level: a level name (DEBUG..CRITICAL, OFF) or int; with ``operation``, None
            removes that operation's override.
        operation: the operation name (as given to ``log_result_operation``).

    Raises:
        ConfigurationError: ``level`` is not a level, or is None without ``operation``.
    """
    if operation is None:
        if level is None:
            msg = "set_log_level(None) needs an operation: None only removes a per-operation level"
            raise ConfigurationError(msg)
        _state.level = _parse_level(level)
        return
    levels = dict(_state.op_levels)
    if level is None:
        levels.pop(operation, None)
    else:
        levels[operation] = _parse_level(level)
    _state.op_levels = levels


def get_log_level(operation: str | None = None) -> str:
    """The threshold in force (for ``operation`` when given) as a level name."""
    if operation is None:
        return _level_name(_state.level)
    return _level_name(_state.op_levels.get(operation, _state.level))


def _threshold(operation: str) -> int:
    levels = _state.op_levels
    return levels.get(operation, _state.level) if levels else _state.level


def logging_stats() -> dict[str, int]:
    """Counters of the logging pipeline.

    ``emitted`` entries built, ``written`` lines written by the sink, ``dropped`` lost to a
    full queue, ``queued`` waiting now, ``sink_errors`` failed writes, ``serialization_errors``
    values that could not be rendered as JSON, ``masking_errors`` values replaced because
    masking failed, ``listener_errors``, ``metrics_errors``, ``entry_errors`` (an entry
    that could not be built), ``observer_errors`` (chain observer faults), ``sampled_out``
    successes skipped by sampling.
    """
    writer = _state.writer
    return {
        "emitted": _state.emitted,
        "written": _state.written,
        "dropped": _state.dropped,
        "queued": writer.queued() if writer is not None else 0,
        "sink_errors": _state.sink_errors,
        "serialization_errors": _state.serialization_errors,
        "masking_errors": _state.masking_errors + masking_stats()["faults"],
        "listener_errors": _state.listener_errors,
        "metrics_errors": _state.metrics_errors,
        "entry_errors": _state.entry_errors,
        "observer_errors": observer_failures(),
        "sampled_out": _state.sampled_out,
    }


# --------------------------------------------------------------------------- entries

_UTC = datetime.timezone.utc
_ID_PREFIX = os.urandom(8).hex()
_id_counter = itertools.count(1)
_ERROR_MESSAGE_CHARS = 2_000

# The context variables are read directly on the hot path (a function call less each).
_correlation_var = _context._correlation_id
_correlation_get = _correlation_var.get
_request_get = _context._request_id.get
_log_context_get = _context._log_context.get
_collector = ResultMetricsCollector.instance
_perf_counter = time.perf_counter
_wall = time.time
_modules = sys.modules
_OTEL_TRACE = "opentelemetry.trace"


def _fresh_correlation_id() -> str:
    """A new 32-hex-digit id: random process prefix + counter (no syscall per call)."""
    return f"{_ID_PREFIX}{next(_id_counter) & 0xFFFFFFFFFFFFFFFF:016x}"


# An entry travels from the caller to the writer thread as a tuple (cheaper to build than a
# dict); the writer turns it into the JSON object. Positions:
Record = tuple[
    float,  # 0 timestamp (epoch seconds)
    str,  # 1 correlation_id
    str,  # 2 operation_name
    "str | None",  # 3 step_name
    "str | None",  # 4 success_type (None: an error entry)
    "str | None",  # 5 error_type
    "str | None",  # 6 error_code
    "str | None",  # 7 error_message
    float,  # 8 processing_time_ms
    "str | None",  # 9 user_id
    "str | None",  # 10 request_id
    str,  # 11 service_name
    str,  # 12 environment
    "float | None",  # 13 memory_usage_mb
    "float | None",  # 14 cpu_usage_percent
    "dict[str, Any] | None",  # 15 metadata (None: empty)
    "tuple[str, str] | None",  # 16 (trace_id, span_id)
]

_iso_cache: list[tuple[int, str]] = [(-1, "")]


def _iso_epoch(ts: float) -> str:
    """ISO-8601 UTC with microseconds (rounded like ``datetime.fromtimestamp``); the
    date-time prefix is cached per second."""
    second = int(ts)
    micro = round((ts - second) * 1e6)
    if micro >= 1_000_000:
        second += 1
        micro -= 1_000_000
    cached = _iso_cache[0]
    if cached[0] != second:
        cached = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
        _iso_cache[0] = cached
    return f"{cached[1]}.{micro:06d}Z"


def _entry_dict(rec: Record) -> dict[str, Any]:
    """The JSON object of a record (what ``ResultLogEntry.to_dict`` gives too)."""
    data = {
        "timestamp": _iso_epoch(rec[0]),
        "correlation_id": rec[1],
        "operation_name": rec[2],
        "step_name": rec[3],
        "result_type": "success" if rec[4] is not None else "error",
        "processing_time_ms": rec[8],
        "success_type": rec[4],
        "error_type": rec[5],
        "error_code": rec[6],
        "error_message": rec[7],
        "user_id": rec[9],
        "request_id": rec[10],
        "service_name": rec[11],
        "environment": rec[12],
        "memory_usage_mb": rec[13],
        "cpu_usage_percent": rec[14],
        "metadata": rec[15] if rec[15] is not None else {},
    }
    if rec[16] is not None:
        data["trace_id"], data["span_id"] = rec[16]
    return data


def _entry_from_record(rec: Record) -> ResultLogEntry:
    return ResultLogEntry(
        timestamp=datetime.datetime.fromtimestamp(rec[0], _UTC),
        correlation_id=rec[1],
        operation_name=rec[2],
        step_name=rec[3],
        result_type="success" if rec[4] is not None else "error",
        processing_time_ms=rec[8],
        success_type=rec[4],
        error_type=rec[5],
        error_code=rec[6],
        error_message=rec[7],
        user_id=rec[9],
        request_id=rec[10],
        service_name=rec[11],
        environment=rec[12],
        memory_usage_mb=rec[13],
        cpu_usage_percent=rec[14],
        metadata=dict(rec[15]) if rec[15] is not None else {},
        trace_id=rec[16][0] if rec[16] is not None else None,
        span_id=rec[16][1] if rec[16] is not None else None,
    )


Described = tuple[str, "str | None", str]


def _describe_error(error: object) -> Described:
    """``(error_type, error_code, masked message)`` of an error value or exception."""
    if isinstance(error, APIError):
        return "APIError", error.code.value, mask_text(error.message)[:_ERROR_MESSAGE_CHARS]
    error_type = type(error).__name__
    code: str | None = None
    try:
        code = error_code_of(error)
    except Exception:  # noqa: BLE001 - observability never raises into the caller
        _state.entry_errors += 1
    message = mask_text(error if isinstance(error, str) else _str_of(error))
    return error_type, code, message[:_ERROR_MESSAGE_CHARS]


def _str_of(error: object) -> str:
    try:
        text = str(error)
    except Exception:  # noqa: BLE001 - observability never raises into the caller
        _state.masking_errors += 1
        return f"<unprintable {type(error).__name__}>"
    return text or type(error).__name__


def _record(
    operation: str,
    step: str | None,
    result: Result[Any, Any],
    elapsed_ms: float,
    correlation_id: str,
    described: Described | None,
    extra: Mapping[str, Any] | None,
    handle: _tracing.SpanHandle | None,
    user_id: object = None,
) -> Record:
    """The record of one entry, masked, built cheaply in the caller's thread."""
    ctx = _log_context_get()
    metadata: dict[str, Any] | None = None
    if ctx:
        metadata = dict(ctx)
        bound_user = metadata.pop("user_id", None)
        if user_id is None:
            user_id = bound_user
    if extra:
        metadata = {**metadata, **extra} if metadata else dict(extra)
    if metadata:
        masked = mask_value(metadata)
        metadata = masked if isinstance(masked, dict) else {"_masked": masked}
    else:
        metadata = None
    if type(result) is Success:
        success_type: str | None = type(result.value).__name__
        error_type = error_code = error_message = None
    else:
        success_type = None
        error_type, error_code, error_message = (
            described if described is not None else _describe_error(result.unwrap_error())
        )
    rss, cpu = resource_snapshot()
    trace = (
        _tracing.current_ids(handle) if handle is not None or _tracing.tracing_active() else None
    )
    return (
        _wall(),
        correlation_id,
        operation,
        step,
        success_type,
        error_type,
        error_code,
        error_message,
        elapsed_ms if elapsed_ms > 0.0 else 0.0,
        None if user_id is None else mask_text(str(user_id)),
        _request_get(),
        _state.service_name,
        _state.environment,
        rss,
        cpu,
        metadata,
        trace,
    )


_STRUCTLOG_EVENTS = {True: "result_step", False: "result_operation"}
_fallback_logger = logging.getLogger("rfs_monitoring.result")


def _emit(level: int, rec: Record) -> None:
    """Hand one entry to the listeners and to the output (writer or fallback)."""
    _state.emitted += 1
    listeners = _listeners
    if listeners:
        entry = _entry_from_record(rec)
        for listener in listeners:
            try:
                listener(entry)
            except Exception:  # noqa: BLE001 - observability never raises into the caller
                _state.listener_errors += 1
    writer = _state.writer
    if writer is not None:
        writer.submit((_KIND_ENTRY, rec))
    else:
        _emit_unconfigured(level, rec)


def _emit_unconfigured(level: int, rec: Record) -> None:
    event = _STRUCTLOG_EVENTS[rec[3] is not None]
    if structlog.is_configured():
        structlog.get_logger("rfs_monitoring.result").log(level, event, **_entry_dict(rec))
        return
    if _fallback_logger.isEnabledFor(level):
        data = _entry_dict(rec)
        _fallback_logger.log(
            level,
            "%s %s %s %.3fms",
            event,
            rec[2] + (f".{rec[3]}" if rec[3] else ""),
            data["result_type"],
            rec[8],
            extra=data,
        )


# --------------------------------------------------------------------------- decorator


class _Operation:
    """What the decorator knows about one operation (fixed at decoration time)."""

    __slots__ = (
        "arg_getters",
        "error_level",
        "level",
        "metadata",
        "name",
        "record_metrics",
        "sample_rate",
    )

    def __init__(
        self,
        name: str,
        level: int,
        error_level: int,
        sample_rate: float,
        arg_getters: tuple[tuple[str, int | None, object], ...],
        metadata: Mapping[str, Any] | None,
        record_metrics: bool,
    ) -> None:
        self.name = name
        self.level = level
        self.error_level = error_level
        self.sample_rate = sample_rate
        self.arg_getters = arg_getters
        self.metadata = dict(metadata) if metadata else None
        self.record_metrics = record_metrics

    def call_context(
        self, args: tuple[Any, ...], kwargs: Mapping[str, Any]
    ) -> tuple[object, dict[str, Any] | None]:
        """``(user_id, metadata)`` taken from the call's arguments named in context_args."""
        user_id: object = None
        extra = dict(self.metadata) if self.metadata else None
        for name, index, default in self.arg_getters:
            if name in kwargs:
                value = kwargs[name]
            elif index is not None and index < len(args):
                value = args[index]
            else:
                value = default
            if name == "user_id":
                user_id = value
            else:
                if extra is None:
                    extra = {}
                extra[name] = value
        return user_id, extra


_current_operation: contextvars.ContextVar[_Operation | None] = contextvars.ContextVar(
    "rfs_current_operation", default=None
)
_operation_get = _current_operation.get
_operation_set = _current_operation.set
_operation_reset = _current_operation.reset


def _as_result(value: object) -> Result[Any, Any]:
    kind = type(value)
    if kind is Success or kind is Failure:
        return cast("Result[Any, Any]", value)
    try:
        return to_result(value)
    except TypeError:
        return Success(value)


def _record_metrics(
    op: _Operation, ok: bool, elapsed_ms: float, described: Described | None
) -> None:
    try:
        if described is None:
            _collector().record(op.name, success=ok, duration_ms=elapsed_ms)
        else:
            _collector().record(
                op.name,
                success=ok,
                duration_ms=elapsed_ms,
                error_code=described[1],
                error_type=described[0],
                error_message=described[2],
            )
    except Exception:  # noqa: BLE001 - observability never raises into the caller
        _state.metrics_errors += 1


def _measure_only(op: _Operation, value: object, start: float) -> None:
    """Fast path: no entry can be written; only the metric is recorded."""
    elapsed_ms = (_perf_counter() - start) * 1000.0
    try:
        result = _as_result(value)
        ok = type(result) is Success
        _record_metrics(op, ok, elapsed_ms, None if ok else _describe_error(result.unwrap_error()))
    except Exception:  # noqa: BLE001 - observability never raises into the caller
        _state.entry_errors += 1


def _finish(
    op: _Operation,
    value: object,
    start: float,
    correlation_id: str,
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
    handle: _tracing.SpanHandle | None,
    exception: BaseException | None = None,
) -> None:
    """Record the metric, write the operation's entry and end its span; never raises."""
    elapsed_ms = (_perf_counter() - start) * 1000.0
    ok = exception is None
    described: Described | None = None
    try:
        kind = type(value)
        result = (
            cast("Result[Any, Any]", value)
            if kind is Success or kind is Failure
            else _as_result(value)
        )
        ok = type(result) is Success
        if not ok:
            described = _describe_error(result.unwrap_error())
        if op.record_metrics:
            _record_metrics(op, ok, elapsed_ms, described)
        level = op.level if ok else op.error_level
        levels = _state.op_levels
        if level >= (levels.get(op.name, _state.level) if levels else _state.level):
            if ok and op.sample_rate < 1.0 and random.random() >= op.sample_rate:
                _state.sampled_out += 1
            else:
                user_id, extra = (
                    op.call_context(args, kwargs) if op.arg_getters or op.metadata else (None, None)
                )
                _emit(
                    level,
                    _record(
                        op.name,
                        None,
                        result,
                        elapsed_ms,
                        correlation_id,
                        described,
                        extra,
                        handle,
                        user_id,
                    ),
                )
    except Exception:  # noqa: BLE001 - observability never raises into the caller
        _state.entry_errors += 1
    finally:
        if handle is not None:
            _end_span(handle, ok, described, exception)


def _end_span(
    handle: _tracing.SpanHandle,
    ok: bool,
    described: Described | None,
    exception: BaseException | None,
) -> None:
    try:
        _tracing.end_span(
            handle,
            success=ok,
            error_code=None if described is None else described[1],
            error_message=None if described is None else described[2],
            exception=exception,
        )
    except Exception:  # noqa: BLE001 - observability never raises into the caller
        _state.entry_errors += 1


def _lazy_outcome(
    op: _Operation,
    value: object,
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
    handle: _tracing.SpanHandle | None,
) -> object:
    """For a MonoResult or awaitable returned by the function: the logged wrapper of it.

    The span started for the call is suspended and resumed when the chain runs (a chain
    that is never awaited never ran: its span is never exported). For other values
    ``_NOT_LAZY`` is returned.
    """
    if isinstance(value, MonoResult):
        wrapped: object = _wrap_mono(op, value, args, kwargs, handle)
    elif inspect.isawaitable(value):
        wrapped = _wrap_awaitable(op, value, args, kwargs, handle)
    else:
        return _NOT_LAZY
    if handle is not None:
        _suspend(handle)
    return wrapped


_NOT_LAZY = object()


def _suspend(handle: _tracing.SpanHandle) -> None:
    try:
        _tracing.suspend_span(handle)
    except Exception:  # noqa: BLE001 - observability never raises into the caller
        _state.entry_errors += 1


def _resume_or_start(
    op: _Operation, pending: list[_tracing.SpanHandle | None]
) -> _tracing.SpanHandle | None:
    handle = pending.pop() if pending else None
    if handle is None:
        return _tracing.start_span(op.name)
    try:
        _tracing.resume_span(handle)
    except Exception:  # noqa: BLE001 - observability never raises into the caller
        _state.entry_errors += 1
    return handle


class _Call:
    """The context bound around one call: correlation id (a fresh one when none is bound)
    and the current operation (for the entries of ``log_step``)."""

    __slots__ = ("corr_token", "correlation_id", "op_token")

    def __init__(self, op: _Operation) -> None:
        correlation_id = _correlation_get()
        self.corr_token: contextvars.Token[str | None] | None = None
        if correlation_id is None:
            correlation_id = _fresh_correlation_id()
            self.corr_token = _correlation_var.set(correlation_id)
        self.correlation_id: str = correlation_id
        self.op_token = _operation_set(op)

    def close(self) -> None:
        _operation_reset(self.op_token)
        if self.corr_token is not None:
            _correlation_var.reset(self.corr_token)


def _wrap_awaitable(
    op: _Operation,
    awaitable: Awaitable[Any],
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
    handle: _tracing.SpanHandle | None,
) -> Awaitable[Any]:
    pending = [handle]

    async def run() -> Any:
        call = _Call(op)
        span = _resume_or_start(op, pending)
        start = _perf_counter()
        try:
            value = await awaitable
        except Exception as exc:
            _finish(op, Failure(exc), start, call.correlation_id, args, kwargs, span, exc)
            raise
        finally:
            call.close()
        _finish(op, value, start, call.correlation_id, args, kwargs, span)
        return value

    return run()


def _wrap_mono(
    op: _Operation,
    mono: MonoResult[Any, Any],
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
    handle: _tracing.SpanHandle | None,
) -> MonoResult[Any, Any]:
    """A Mono that runs ``mono`` as the operation and logs it each time the chain completes."""
    pending = [handle]

    async def run() -> Result[Any, Any]:
        call = _Call(op)
        span = _resume_or_start(op, pending)
        start = _perf_counter()
        try:
            result = await mono.to_result()
            _finish(op, result, start, call.correlation_id, args, kwargs, span)
        finally:
            call.close()
        return result

    return MonoResult.from_async_result(run)


def _arg_getters(
    fn: Callable[..., Any], context_args: Iterable[str]
) -> tuple[tuple[str, int | None, object], ...]:
    names = (context_args,) if isinstance(context_args, str) else tuple(context_args)
    if not names:
        return ()
    try:
        params = dict(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        params = {}
    positional = [
        p.name for p in params.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    getters = []
    for name in names:
        if not isinstance(name, str) or name not in params:
            accepted = ", ".join(params) or "(none)"
            msg = (
                f"log_result_operation(context_args=...) names {name!r}, which is not a "
                f"parameter of {getattr(fn, '__qualname__', fn)!r}; its parameters: {accepted}"
            )
            raise ConfigurationError(msg)
        default = params[name].default
        getters.append(
            (
                name,
                positional.index(name) if name in positional else None,
                None if default is inspect.Parameter.empty else default,
            )
        )
    return tuple(getters)


def _async_wrapper(fn: Callable[..., Awaitable[Any]], op: _Operation) -> Callable[..., Any]:
    name, error_level, tracer_state = op.name, op.error_level, _tracing._state

    async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
        # Fast path (inlined: it is the whole cost below the level): no entry can pass
        # the threshold and no span is made.
        levels = _state.op_levels
        if error_level < (levels.get(name, _state.level) if levels else _state.level) and (
            tracer_state.tracer is None or not tracer_state.enabled
        ):
            if not op.record_metrics:
                return await fn(*args, **kwargs)
            start = _perf_counter()
            try:
                value = await fn(*args, **kwargs)
            except Exception as exc:
                _measure_only(op, Failure(exc), start)
                raise
            if isinstance(value, MonoResult):
                return _lazy_outcome(op, value, args, kwargs, None)
            _measure_only(op, value, start)
            return value
        # _Call inlined: this is the hot path.
        correlation_id = _correlation_get()
        corr_token = None
        if correlation_id is None:
            correlation_id = _fresh_correlation_id()
            corr_token = _correlation_var.set(correlation_id)
        op_token = _operation_set(op)
        handle = (
            _tracing.start_span(name)
            if tracer_state.tracer is not None or _OTEL_TRACE in _modules
            else None
        )
        start = _perf_counter()
        try:
            value = await fn(*args, **kwargs)
        except Exception as exc:
            _finish(op, Failure(exc), start, correlation_id, args, kwargs, handle, exc)
            raise
        finally:
            _operation_reset(op_token)
            if corr_token is not None:
                _correlation_var.reset(corr_token)
        if isinstance(value, MonoResult):
            return _lazy_outcome(op, value, args, kwargs, handle)
        _finish(op, value, start, correlation_id, args, kwargs, handle)
        return value

    return async_wrapper


def _sync_wrapper(fn: Callable[..., Any], op: _Operation) -> Callable[..., Any]:
    name, error_level, tracer_state = op.name, op.error_level, _tracing._state

    def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
        levels = _state.op_levels
        if error_level < (levels.get(name, _state.level) if levels else _state.level) and (
            tracer_state.tracer is None or not tracer_state.enabled
        ):
            if not op.record_metrics:
                value = fn(*args, **kwargs)
                if isinstance(value, MonoResult) or inspect.isawaitable(value):
                    return _lazy_outcome(op, value, args, kwargs, None)
                return value
            start = _perf_counter()
            try:
                value = fn(*args, **kwargs)
            except Exception as exc:
                _measure_only(op, Failure(exc), start)
                raise
            kind = type(value)
            if kind is not Success and kind is not Failure:
                lazy = _lazy_outcome(op, value, args, kwargs, None)
                if lazy is not _NOT_LAZY:
                    return lazy
            _measure_only(op, value, start)
            return value
        # _Call inlined: this is the hot path.
        correlation_id = _correlation_get()
        corr_token = None
        if correlation_id is None:
            correlation_id = _fresh_correlation_id()
            corr_token = _correlation_var.set(correlation_id)
        op_token = _operation_set(op)
        handle = (
            _tracing.start_span(name)
            if tracer_state.tracer is not None or _OTEL_TRACE in _modules
            else None
        )
        start = _perf_counter()
        try:
            value = fn(*args, **kwargs)
        except Exception as exc:
            _finish(op, Failure(exc), start, correlation_id, args, kwargs, handle, exc)
            raise
        finally:
            _operation_reset(op_token)
            if corr_token is not None:
                _correlation_var.reset(corr_token)
        kind = type(value)
        if kind is not Success and kind is not Failure:
            lazy = _lazy_outcome(op, value, args, kwargs, handle)
            if lazy is not _NOT_LAZY:
                return lazy
        _finish(op, value, start, correlation_id, args, kwargs, handle)
        return value

    return sync_wrapper


@overload
def log_result_operation(name: F, /) -> F: ...


@overload
def log_result_operation(
    name: str | None = None,
    *,
    level: str | int = "INFO",
    error_level: str | int = "ERROR",
    success_sample_rate: float = 1.0,
    context_args: Iterable[str] = (),
    metadata: Mapping[str, Any] | None = None,
    record_metrics: bool = True,
) -> Callable[[F], F]: ...


def log_result_operation(
    name: Any = None,
    *,
    level: str | int = "INFO",
    error_level: str | int = "ERROR",
    success_sample_rate: float = 1.0,
    context_args: Iterable[str] = (),
    metadata: Mapping[str, Any] | None = None,
    record_metrics: bool = True,
) -> Any:
    """Log each call of the decorated function as one Result operation.

    Works on sync functions, async functions and functions returning a ``MonoResult``
    (the entry is written when the returned chain completes, each time it runs). The
    wrapper keeps the function's signature (``functools.wraps``), so FastAPI dependency
    injection and ``@handle_result`` above it work. The return value is passed through
    unchanged: Results of other libraries (``returns``, ``result``, rfs-framework) are
    understood through ``to_result``; a value that is no Result counts as a success. An
    exception is logged as an error entry and re-raised unchanged.

    When the operation's threshold is above ``error_level`` (and tracing is off) the call
    takes a fast path: no entry, no context binding; only the metric is recorded, and
    ``log_step`` entries inside follow the global level.

    Args:
        name: the operation name (default: the function's qualified name). The decorator
            can also be used bare: ``@log_result_operation``.
        level: level of success entries.
        error_level: level of failure entries.
        success_sample_rate: share of success entries written, in 0.0..1.0 (failures are
            always written; metrics always count every call).
        context_args: names of the function's parameters copied into the entry
            (``user_id`` into its field, the others into ``metadata``; masked).
        metadata: fixed fields added to the metadata of every entry.
        record_metrics: record each call in ``ResultMetricsCollector.instance()``.

    Raises:
        ConfigurationError: a bad level, sample rate, name or ``context_args`` entry.
        TypeError: what is decorated is not callable.
    """
    if callable(name) and not isinstance(name, str):
        return log_result_operation()(name)
    if name is not None and (not isinstance(name, str) or not name):
        msg = f"log_result_operation() expects a non-empty operation name or None, got {name!r}"
        raise ConfigurationError(msg)
    success_level = _parse_level(level, "level")
    failure_level = _parse_level(error_level, "error_level")
    rate: object = success_sample_rate
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.0 <= rate <= 1.0:
        msg = f"success_sample_rate must be a number in 0.0..1.0, got {success_sample_rate!r}"
        raise ConfigurationError(msg)
    fixed: object = metadata
    if fixed is not None and not isinstance(fixed, Mapping):
        msg = f"metadata must be a mapping, got {type(metadata).__name__}: {metadata!r}"
        raise ConfigurationError(msg)

    def decorate(fn: F) -> F:
        target: object = fn
        if not callable(target):
            msg = f"log_result_operation() decorates a callable, got {type(fn).__name__}: {fn!r}"
            raise TypeError(msg)
        op = _Operation(
            name or getattr(fn, "__qualname__", None) or repr(fn),
            success_level,
            failure_level,
            float(success_sample_rate),
            _arg_getters(fn, context_args),
            metadata,
            bool(record_metrics),
        )
        if inspect.iscoroutinefunction(fn):
            wrapper = _async_wrapper(fn, op)
        else:
            wrapper = _sync_wrapper(fn, op)
        functools.update_wrapper(wrapper, fn)
        setattr(wrapper, "__rfs_operation__", op.name)  # noqa: B010 - a dunder on a function
        return cast("F", wrapper)

    return decorate


# --------------------------------------------------------------------------- chain steps


def _observe_chain(kind: str, name: str, result: Result[Any, Any], elapsed_ms: float) -> None:
    """The MonoResult chain observer: ``log_step`` / ``log_error`` entries and span events."""
    ok = type(result) is Success
    if kind == "error" and ok:
        return
    op = _operation_get()
    if _tracing.tracing_active():
        _tracing.span_event(
            name, {"rfs.step": name, "rfs.result_type": "success" if ok else "error"}
        )
    if op is None:
        operation = name
        level = logging.INFO if ok else logging.ERROR
    else:
        operation = op.name
        level = op.level if ok else op.error_level
    if level < _threshold(operation):
        return
    correlation_id = _correlation_get() or _fresh_correlation_id()
    _emit(level, _record(operation, name, result, elapsed_ms, correlation_id, None, None, None))


set_chain_observer(_observe_chain)


def log_flux_result(
    flux: FluxResult[Any, Any],
    operation: str,
    *,
    per_item_errors: bool = False,
    processing_time_ms: float = 0.0,
    level: str | int = "INFO",
    error_level: str | int = "ERROR",
    metadata: Mapping[str, Any] | None = None,
) -> FluxResult[Any, Any]:
    """Write a summary entry for a batch (counts, success rate) and, on request, one entry per
    failed item; returns ``flux`` unchanged and never raises.

    The summary has ``step_name="flux_summary"`` and ``metadata`` with ``total``,
    ``succeeded``, ``failed`` and ``success_rate``; it is an error entry (describing the
    first error) when any item failed. Item entries have ``step_name="flux_item"`` and
    ``metadata.index``.

    Raises:
        ConfigurationError: a bad level or an empty operation name (checked first).
    """
    if not isinstance(operation, str) or not operation:
        msg = f"log_flux_result() expects a non-empty operation name, got {operation!r}"
        raise ConfigurationError(msg)
    ok_level = _parse_level(level, "level")
    bad_level = _parse_level(error_level, "error_level")
    try:
        results = list(flux)
        failures = [(i, r) for i, r in enumerate(results) if type(r) is not Success]
        total = len(results)
        summary: dict[str, Any] = {
            "total": total,
            "succeeded": total - len(failures),
            "failed": len(failures),
            "success_rate": (total - len(failures)) / total if total else 0.0,
        }
        if metadata:
            summary = {**metadata, **summary}
        threshold = _threshold(operation)
        correlation_id = _correlation_get() or _fresh_correlation_id()
        first: Result[Any, Any] = failures[0][1] if failures else Success(flux)
        summary_level = bad_level if failures else ok_level
        if summary_level >= threshold:
            _emit(
                summary_level,
                _record(
                    operation,
                    "flux_summary",
                    first,
                    processing_time_ms,
                    correlation_id,
                    None,
                    summary,
                    None,
                ),
            )
        if per_item_errors and bad_level >= threshold:
            for index, item in failures:
                _emit(
                    bad_level,
                    _record(
                        operation,
                        "flux_item",
                        item,
                        0.0,
                        correlation_id,
                        None,
                        {"index": index},
                        None,
                    ),
                )
    except Exception:  # noqa: BLE001 - observability never raises into the caller
        _state.entry_errors += 1
    return flux


# --------------------------------------------------------------------------- output

_KIND_ENTRY = 0
_KIND_EVENT = 1
_KIND_RECORD = 2

Item = tuple[int, Any]


def _json_default(value: object) -> Any:
    """orjson/json fallback for values without a native JSON form."""
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def _dumps(data: dict[str, Any]) -> bytes:
    """One JSON object as bytes; unserialisable values are stringified, counted when needed."""
    if _orjson is not None:
        try:
            rendered: bytes = _orjson.dumps(
                data, default=_json_default, option=_orjson.OPT_NON_STR_KEYS
            )
            return rendered
        except Exception:  # noqa: BLE001 - observability never raises into the caller
            pass  # e.g. ints beyond 64 bits: the stdlib handles them
    try:
        return _json.dumps(
            data, default=_json_default, ensure_ascii=False, separators=(",", ":")
        ).encode("utf-8")
    except Exception:  # noqa: BLE001 - observability never raises into the caller
        _state.serialization_errors += 1
    safe = {str(k): _safe_json(v) for k, v in data.items()}
    return _json.dumps(safe, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _safe_json(value: object) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    try:
        return _json.loads(_json.dumps(value, default=_json_default))
    except Exception:  # noqa: BLE001 - observability never raises into the caller
        return f"<unserialisable {type(value).__name__}>"


# Control characters (and Unicode line breaks) as escapes, e.g. "\n" -> "\\n".
_CONTROL_ESCAPES = {code: repr(chr(code))[1:-1] for code in (*range(32), 127, 0x85, 0x2028, 0x2029)}


def _one_line(text: str) -> str:
    """``text`` with control characters and line breaks escaped (printable text as is)."""
    return text if text.isprintable() else text.translate(_CONTROL_ESCAPES)


def _text_line(data: Mapping[str, Any]) -> bytes:
    parts = []
    for key, value in data.items():
        if value is None or value == {}:
            continue
        text = (
            value
            if isinstance(value, str) and " " not in value and value.isprintable()
            else _one_line(_dumps({"v": value})[5:-1].decode())
        )
        parts.append(f"{key}={text}")
    return " ".join(parts).encode("utf-8")


class _Writer:
    """Renders queued items and writes them to the sink, on a daemon thread or inline."""

    def __init__(
        self,
        write: Callable[[bytes], object],
        flush: Callable[[], object],
        close: Callable[[], object] | None,
        *,
        json: bool,
        background: bool,
        queue_size: int,
        formatter: logging.Formatter,
    ) -> None:
        self._write = write
        self._flush = flush
        self._close = close
        self.json = json
        self.background = background
        self.maxsize = queue_size
        self._wake_at = max(1, queue_size // 4)
        self.formatter = formatter
        self._queue: collections.deque[Item] = collections.deque()
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._stopping = False
        self.submitted = 0
        self.processed = 0
        self._thread: threading.Thread | None = None
        if background:
            self._thread = threading.Thread(target=self._run, name="rfs-log-writer", daemon=True)
            self._thread.start()

    def queued(self) -> int:
        return len(self._queue)

    def restart_after_fork(self) -> None:
        """In a forked child: drop the parent's queue and start a writer thread of its own."""
        self._queue.clear()
        self._event = threading.Event()
        self._lock = threading.Lock()
        self.submitted = self.processed = 0
        if self.background and not self._stopping:
            self._thread = threading.Thread(target=self._run, name="rfs-log-writer", daemon=True)
            self._thread.start()

    def submit(self, item: Item) -> None:
        """Queue (or, inline, write) one item; a full queue drops it, counted."""
        if not self.background:
            with self._lock:
                self._write_batch([item])
            return
        queue = self._queue
        if len(queue) >= self.maxsize or self._stopping:
            _state.dropped += 1
            return
        queue.append(item)
        self.submitted += 1
        if len(queue) >= self._wake_at:
            self._event.set()

    def _run(self) -> None:
        queue = self._queue
        while True:
            if not queue:
                if self._stopping:
                    return
                self._event.wait(0.05)
                self._event.clear()
                continue
            batch: list[Item] = []
            while queue and len(batch) < 512:
                batch.append(queue.popleft())
            self._write_batch(batch)

    def _render(self, item: Item) -> bytes | None:
        kind, payload = item
        try:
            if kind == _KIND_ENTRY:
                data = _entry_dict(payload)
                return _dumps(data) if self.json else _text_line(data)
            if kind == _KIND_EVENT:
                return _dumps(payload) if self.json else _text_line(payload)
            return self.formatter.format(payload).encode("utf-8")
        except Exception:  # noqa: BLE001 - observability never raises into the caller
            _state.serialization_errors += 1
            return None

    def _write_batch(self, batch: list[Item]) -> None:
        # One growing buffer: each rendered line is freed at once (keeping hundreds of
        # small bytes objects alive makes every allocation several times slower).
        buffer = bytearray()
        count = 0
        for item in batch:
            line = self._render(item)
            if line is not None:
                buffer += line
                buffer += b"\n"
                count += 1
        try:
            if count:
                self._write(bytes(buffer))
                self._flush()
                _state.written += count
        except Exception:  # noqa: BLE001 - observability never raises into the caller
            _state.sink_errors += 1
        finally:
            self.processed += len(batch)

    def flush(self, timeout: float) -> bool:
        """Wait until everything submitted so far is written (or ``timeout`` passed)."""
        if not self.background:
            return True
        target = self.submitted
        deadline = time.monotonic() + timeout
        self._event.set()
        while self.processed < target:
            thread = self._thread
            if thread is None or not thread.is_alive() or time.monotonic() >= deadline:
                return False
            self._event.set()
            time.sleep(0.001)
        return True

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued, stop the thread, close a sink this writer opened."""
        self._stopping = True
        self._event.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        if self._queue and (thread is None or not thread.is_alive()):
            with self._lock:
                self._write_batch(list(self._queue))
                self._queue.clear()
        if self._close is not None:
            try:
                self._close()
            except Exception:  # noqa: BLE001 - observability never raises into the caller
                _state.sink_errors += 1


class CorrelationIdFilter(logging.Filter):
    """Adds ``correlation_id``, ``request_id`` and the bound log context to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = peek_correlation_id()
        request_id = get_request_id()
        if request_id is not None:
            record.request_id = request_id
        bound = get_log_context()
        if bound:
            # masked like the entries' metadata: sensitive keys, and secrets inside values
            masked = mask_value(dict(bound))
            for key, value in (masked if isinstance(masked, dict) else {}).items():
                if not hasattr(record, key):
                    setattr(record, key, MASK if is_sensitive_key(key) else value)
        return True


# What every LogRecord has; anything else was added by ``extra=`` or a filter.
_PLAIN_RECORD = logging.LogRecord("", logging.INFO, "", 0, "", None, None)
_RECORD_ATTRIBUTES = frozenset(vars(_PLAIN_RECORD)) | {"message", "asctime", "taskName"}


class _QueueHandler(logging.Handler):
    """Root handler: resolves the message in the caller, renders on the writer thread."""

    def emit(self, record: logging.LogRecord) -> None:
        writer = _state.writer
        if writer is None:
            return
        try:
            message = mask_text(record.getMessage())
            # A copy: other handlers of the same record must see it unchanged.
            record = copy.copy(record)
            record.msg = message
            record.args = None
            extras = {k: v for k, v in vars(record).items() if k not in _RECORD_ATTRIBUTES}
            if extras:  # fields given with extra=...: masked like metadata
                masked = mask_value(extras)
                if isinstance(masked, dict):
                    vars(record).update(masked)
            if record.exc_info:
                traceback = logging.Formatter().formatException(record.exc_info)
                record.exc_text = mask_text(traceback)
                record.exc_info = None
            elif record.exc_text:
                record.exc_text = mask_text(record.exc_text)
            if not writer.json:
                # one record, one text line: line breaks and escapes in the message, the
                # traceback or the stack cannot start a forged line or drive the terminal
                parts = [message, record.exc_text, record.stack_info]
                record.msg = "\\n".join(_one_line(part) for part in parts if part)
                record.exc_text = record.stack_info = None
            writer.submit((_KIND_RECORD, record))
        except Exception:  # noqa: BLE001 - observability never raises into the caller
            _state.serialization_errors += 1


def _add_context(
    logger: Any, method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: correlation id, request id and the bound log context."""
    correlation_id = peek_correlation_id()
    if correlation_id is not None:
        event_dict.setdefault("correlation_id", correlation_id)
    request_id = get_request_id()
    if request_id is not None:
        event_dict.setdefault("request_id", request_id)
    for key, value in get_log_context().items():
        event_dict.setdefault(key, value)
    return event_dict


def _mask_event(
    logger: Any, method: str, event_dict: MutableMapping[str, Any]
) -> Mapping[str, Any]:
    """structlog processor: mask sensitive keys and values (never raises)."""
    masked = mask_value(event_dict)
    return masked if isinstance(masked, dict) else {"event": masked}


class _QueueLogger:
    """The structlog logger: hands the processed event dict to the writer."""

    def _submit(self, **event_dict: Any) -> None:
        writer = _state.writer
        if writer is not None:
            writer.submit((_KIND_EVENT, event_dict))

    msg = debug = info = warning = warn = error = critical = exception = fatal = log = _submit


def _open_sink(
    sink: object,
) -> tuple[Callable[[bytes], object], Callable[[], object], Callable[[], object] | None]:
    if sink is None:
        sink = sys.stdout
    if isinstance(sink, (str, os.PathLike)):
        try:
            fh = open(sink, "ab")  # noqa: SIM115 - closed by the writer
        except OSError as exc:
            msg = f"configure_logging(sink={sink!r}): cannot open the file for appending: {exc}"
            raise ConfigurationError(msg) from None
        return fh.write, fh.flush, fh.close
    write = getattr(sink, "write", None)
    if not callable(write):
        msg = (
            f"configure_logging(sink=...) expects a path or a stream with write(), "
            f"got {type(sink).__name__}: {sink!r}"
        )
        raise ConfigurationError(msg)
    flush = getattr(sink, "flush", None)
    flush_fn: Callable[[], object] = flush if callable(flush) else (lambda: None)
    stream = cast("IO[Any]", sink)
    if "b" in getattr(stream, "mode", "") or isinstance(stream, _BinaryTypes):
        return write, flush_fn, None

    def write_text(data: bytes) -> object:
        return write(data.decode("utf-8"))

    return write_text, flush_fn, None


_BinaryTypes = (io.BufferedIOBase, io.RawIOBase)


def configure_logging(
    *,
    json: bool = True,
    level: str | int | None = None,
    sink: object = None,
    service_name: str | None = None,
    environment: str | None = None,
    background: bool = True,
    queue_size: int = 10_000,
    stdlib: bool = True,
) -> None:
    """Set up the output pipeline for Result entries, structlog events and stdlib records.

    Idempotent: calling it again replaces the previous configuration (what was queued is
    written first); no handler is added twice.

    Args:
        json: JSON lines (True) or ``key=value`` text lines.
        level: threshold for everything (a level name or int); None: ``RFS_LOG_LEVEL`` or INFO.
        sink: a path (appended to), a text or binary stream; None: ``sys.stdout``.
        service_name: the entries' ``service_name`` (None: keep; default ``RFS_SERVICE_NAME``
            or "rfs-framework").
        environment: the entries' ``environment`` (None: keep; default ``RFS_ENVIRONMENT``
            or "production").
        background: render and write on a daemon thread behind a bounded queue (True) or
            inline in the caller (False).
        queue_size: capacity of the queue; items arriving when it is full are dropped and
            counted in ``logging_stats()["dropped"]``.
        stdlib: also route the stdlib root logger (third-party libraries) through the
            pipeline, as JSON lines with the correlation id. Loggers with handlers of their
            own and ``propagate=False`` keep them: run uvicorn with ``log_config=None`` so
            that its loggers propagate to the root.

    Raises:
        ConfigurationError: a bad level (also a bad ``RFS_LOG_LEVEL``), sink or queue size.
    """
    if level is None:
        if _state.env_error is not None and os.environ.get("RFS_LOG_LEVEL"):
            raise ConfigurationError(_state.env_error)
        threshold = _env_level()[0]
    else:
        threshold = _parse_level(level)
    if isinstance(queue_size, bool) or not isinstance(queue_size, int) or queue_size < 1:
        msg = f"configure_logging(queue_size=...) expects an int >= 1, got {queue_size!r}"
        raise ConfigurationError(msg)
    for label, value in (("service_name", service_name), ("environment", environment)):
        if value is not None and (not isinstance(value, str) or not value):
            msg = f"configure_logging({label}=...) expects a non-empty str, got {value!r}"
            raise ConfigurationError(msg)
    write, flush, close = _open_sink(sink)
    formatter = _stdlib_formatter(json)
    with _state.lock:
        _shutdown_writer()
        _state.writer = _Writer(
            write,
            flush,
            close,
            json=json,
            background=background,
            queue_size=queue_size,
            formatter=formatter,
        )
        _state.json = json
        _state.level = threshold
        if service_name is not None:
            _state.service_name = service_name
        if environment is not None:
            _state.environment = environment
        structlog.configure(
            processors=[
                structlog.contextvars.merge_contextvars,
                _add_context,
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
                structlog.processors.StackInfoRenderer(),
                structlog.processors.format_exc_info,
                _mask_event,
            ],
            wrapper_class=structlog.make_filtering_bound_logger(threshold),
            logger_factory=lambda *args: _QueueLogger(),
            cache_logger_on_first_use=False,
        )
        _install_root_handler(formatter, threshold if stdlib else None)
        resource_snapshot()  # start the sampler now, not inside the first logged request
        if not _state.atexit_registered:
            atexit.register(_at_exit)
            _state.atexit_registered = True


def _stdlib_formatter(json: bool) -> logging.Formatter:
    if not json:
        return logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s correlation_id=%(correlation_id)s %(message)s"
        )
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(
        "%(levelname)s %(name)s %(message)s",
        rename_fields={"levelname": "level", "name": "logger", "message": "event"},
        timestamp=True,
    )


def _install_root_handler(formatter: logging.Formatter, level: int | None) -> None:
    root = logging.getLogger()
    if _state.handler is not None:
        root.removeHandler(_state.handler)
        _state.handler = None
    if level is None:
        return
    handler = _QueueHandler()
    handler.setFormatter(formatter)
    handler.addFilter(CorrelationIdFilter())
    root.addHandler(handler)
    if _state.root_level is None:
        _state.root_level = root.level
    root.setLevel(level)
    _state.handler = handler


def _shutdown_writer(timeout: float = 5.0) -> None:
    writer = _state.writer
    _state.writer = None
    if writer is not None:
        writer.close(timeout)


def flush_logs(timeout: float = 5.0) -> bool:
    """Wait until every entry queued so far is written; False if ``timeout`` passed first."""
    writer = _state.writer
    return True if writer is None else writer.flush(timeout)


def reset_logging() -> None:
    """Undo ``configure_logging``: write what is queued, remove the root handler, reset
    structlog to its defaults, restore the root logger's level; entries go to the
    unconfigured outputs again. Levels go back to ``RFS_LOG_LEVEL`` (or INFO) and
    per-operation levels are removed."""
    with _state.lock:
        _shutdown_writer()
        root = logging.getLogger()
        if _state.handler is not None:
            root.removeHandler(_state.handler)
            _state.handler = None
        if _state.root_level is not None:
            root.setLevel(_state.root_level)
            _state.root_level = None
        structlog.reset_defaults()
        _state.level = _env_level()[0]
        _state.op_levels = {}


def _at_exit() -> None:
    _shutdown_writer()


def _after_fork_in_child() -> None:
    # The writer thread does not survive fork(); the parent writes what it had queued.
    _state.lock = threading.RLock()
    writer = _state.writer
    if writer is not None:
        writer.restart_after_fork()


if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=_after_fork_in_child)
