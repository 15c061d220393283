"""Setting the pipeline up and down: ``configure_logging``, ``flush_logs``, ``reset_logging``.

One pipeline for Result entries, structlog events and stdlib records: a ``Writer`` on a
sink, structlog configured with the pipeline's processors, and (optionally) the root
handler. What is queued is written at interpreter exit; a forked child starts a writer
thread of its own.
"""

from __future__ import annotations

import atexit
import io
import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import IO, Any, cast

import structlog

from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.resources import resource_snapshot
from rfs_monitoring.result_logging.identity import service_identity
from rfs_monitoring.result_logging.levels import LEVELS, env_level, parse_level
from rfs_monitoring.result_logging.processors import (
    QueueLogger,
    add_context,
    add_level,
    add_service,
    add_timestamp,
    add_trace_ids,
    lead_keys,
    mask_event,
)
from rfs_monitoring.result_logging.render import DEFAULT_BOUNDS, Bounds
from rfs_monitoring.result_logging.state import STATE
from rfs_monitoring.result_logging.stdlib import (
    install_root_handler,
    stdlib_formatter,
    uninstall_root_handler,
)
from rfs_monitoring.result_logging.writer import Writer

__all__ = [
    "after_fork_in_child",
    "configure_logging",
    "current_writer",
    "flush_logs",
    "installed_handler",
    "reset_logging",
]

Sink = tuple[Callable[[bytes], object], Callable[[], object], "Callable[[], object] | None"]
_BinaryTypes = (io.BufferedIOBase, io.RawIOBase)


def _open_sink(sink: object) -> Sink:
    """``(write, flush, close)`` of a path (opened here, closed by the writer) or a stream."""
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


def _check_arguments(
    level: str | int | None, queue_size: int, service_name: str | None, environment: str | None
) -> int:
    """The threshold to use; raises on a bad argument (or a bad ``RFS_LOG_LEVEL``)."""
    if level is None:
        if LEVELS.env_error is not None and os.environ.get("RFS_LOG_LEVEL"):
            raise ConfigurationError(LEVELS.env_error)
        threshold = env_level()[0]
    else:
        threshold = parse_level(level)
    if isinstance(queue_size, bool) or not isinstance(queue_size, int) or queue_size < 1:
        msg = f"configure_logging(queue_size=...) expects an int >= 1, got {queue_size!r}"
        raise ConfigurationError(msg)
    for label, value in (("service_name", service_name), ("environment", environment)):
        if value is not None and (not isinstance(value, str) or not value):
            msg = f"configure_logging({label}=...) expects a non-empty str, got {value!r}"
            raise ConfigurationError(msg)
    return threshold


_BOUND_MINIMA = {"max_key_chars": 16, "max_value_chars": 64, "max_line_bytes": 1024}


def _check_bounds(max_key_chars: int, max_value_chars: int, max_line_bytes: int) -> Bounds:
    """The bounds of the lines; raises on a value that is no int at or above its minimum."""
    given = {
        "max_key_chars": max_key_chars,
        "max_value_chars": max_value_chars,
        "max_line_bytes": max_line_bytes,
    }
    for label, value in given.items():
        minimum = _BOUND_MINIMA[label]
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            msg = f"configure_logging({label}=...) expects an int >= {minimum}, got {value!r}"
            raise ConfigurationError(msg)
    return Bounds(max_key_chars, max_value_chars, max_line_bytes)


def _set_identity(service_name: str | None, environment: str | None) -> str | None:
    """Set the lines' service name and environment: the arguments, else what the environment
    says now; returns why ``OTEL_RESOURCE_ATTRIBUTES`` was ignored (None: it was not)."""
    identity = service_identity()
    STATE.service_name = service_name or identity.service_name
    STATE.environment = environment or identity.environment
    return identity.problem


def _configure_structlog(threshold: int) -> None:
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            add_context,
            add_service,
            add_trace_ids,
            add_level,
            add_timestamp,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            lead_keys,
            mask_event,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(threshold),
        logger_factory=lambda *args: QueueLogger(),
        cache_logger_on_first_use=False,
    )


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
    max_key_chars: int = DEFAULT_BOUNDS.max_key_chars,
    max_value_chars: int = DEFAULT_BOUNDS.max_value_chars,
    max_line_bytes: int = DEFAULT_BOUNDS.max_line_bytes,
) -> None:
    """Set up the output pipeline for Result entries, structlog events and stdlib records.

    The three spell their common fields alike: ``timestamp`` (``2026-11-30T08:00:00.123456Z``),
    ``level`` (``"INFO"``), ``service_name``, ``environment``, ``correlation_id``, trace ids.

    Idempotent: calling it again replaces the previous configuration (what was queued is
    written first); no handler is added twice. A malformed ``OTEL_RESOURCE_ATTRIBUTES``
    is ignored, and said so in one WARNING line of the configured output.

    Args:
        json: JSON lines (True) or ``key=value`` text lines.
        level: threshold for everything (a level name or int); None: ``RFS_LOG_LEVEL`` or INFO.
        sink: a path (appended to), a text or binary stream; None: ``sys.stdout``.
        service_name: the ``service_name`` of every line (None: from the environment, read
            now: ``OTEL_SERVICE_NAME``, ``service.name`` in ``OTEL_RESOURCE_ATTRIBUTES``,
            ``RFS_SERVICE_NAME``, else "rfs-framework"; see ``identity``).
        environment: the ``environment`` of every line (None: ``deployment.environment.name``
            or ``deployment.environment`` in ``OTEL_RESOURCE_ATTRIBUTES``,
            ``RFS_ENVIRONMENT``, else "production").
        background: render and write on a daemon thread behind a bounded queue (True) or
            inline in the caller (False).
        queue_size: capacity of the queue; items arriving when it is full are dropped and
            counted in ``logging_stats()["dropped"]``.
        stdlib: also route the stdlib root logger (third-party libraries) through the
            pipeline, as JSON lines with the correlation id. Loggers with handlers of their
            own and ``propagate=False`` keep them: run uvicorn with ``log_config=None`` so
            that its loggers propagate to the root.
        max_key_chars: keys longer than this (256 by default) are cut, with a marker
            ``…[truncated N chars]``.
        max_value_chars: string values longer than this (8192 by default) are cut, with
            the same marker.
        max_line_bytes: a line longer than this (65536 by default) has its largest fields
            replaced by a ``_truncated`` marker (a text line is cut); counted in
            ``logging_stats()["reduced"]`` / ``["truncated"]``, never dropped.

    Raises:
        ConfigurationError: a bad level (also a bad ``RFS_LOG_LEVEL``), sink, queue size or
            bound.
    """
    threshold = _check_arguments(level, queue_size, service_name, environment)
    bounds = _check_bounds(max_key_chars, max_value_chars, max_line_bytes)
    write, flush, close = _open_sink(sink)
    formatter = stdlib_formatter(json)
    with STATE.lock:
        _shutdown_writer()
        STATE.writer = Writer(
            write,
            flush,
            close,
            json=json,
            background=background,
            queue_size=queue_size,
            formatter=formatter,
            bounds=bounds,
        )
        LEVELS.set_global(threshold)
        problem = _set_identity(service_name, environment)
        _configure_structlog(threshold)
        install_root_handler(formatter, threshold if stdlib else None)
        resource_snapshot()  # start the sampler now, not inside the first logged request
        if not STATE.atexit_registered:
            atexit.register(_shutdown_writer)
            STATE.atexit_registered = True
    if problem is not None:  # said once, in the configured output itself
        structlog.get_logger("rfs_monitoring.logging").warning(
            "ignored a malformed environment variable", problem=problem
        )


def current_writer() -> Writer | None:
    """The writer ``configure_logging`` set up (None when unconfigured)."""
    return STATE.writer


def installed_handler() -> logging.Handler | None:
    """The root handler ``configure_logging`` installed (None: none installed)."""
    return STATE.handler


def _shutdown_writer(timeout: float = 5.0) -> None:
    writer = STATE.writer
    STATE.writer = None
    if writer is not None:
        writer.close(timeout)


def flush_logs(timeout: float = 5.0) -> bool:
    """Wait until every entry queued so far is written; False if ``timeout`` passed first."""
    writer = STATE.writer
    return True if writer is None else writer.flush(timeout)


def reset_logging() -> None:
    """Undo ``configure_logging``: write what is queued, remove the root handler, reset
    structlog to its defaults, restore the root logger's level; entries go to the
    unconfigured outputs again. Levels go back to ``RFS_LOG_LEVEL`` (or INFO),
    per-operation levels are removed, ``service_name`` / ``environment`` are read from the
    environment again."""
    with STATE.lock:
        _shutdown_writer()
        uninstall_root_handler()
        if STATE.root_level is not None:
            logging.getLogger().setLevel(STATE.root_level)
            STATE.root_level = None
        structlog.reset_defaults()
        _set_identity(None, None)
        LEVELS.clear_operations()
        LEVELS.set_global(env_level()[0])


def after_fork_in_child() -> None:
    """What a forked child runs: fresh locks, and a writer thread of its own (the writer
    thread does not survive ``fork()``; the parent writes what it had queued)."""
    STATE.lock = threading.RLock()
    LEVELS.after_fork()
    writer = STATE.writer
    if writer is not None:
        writer.restart_after_fork()


if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=after_fork_in_child)
