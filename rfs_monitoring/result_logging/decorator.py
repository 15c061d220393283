"""``@log_result_operation``: one entry and one metric per call of the decorated function.

The wrapper is the hot path: it reads the operation's threshold (one attribute, kept
current by ``LEVELS``) and, below it with tracing off, only records the metric
(``outcome.measure``); else it binds the call's context, calls, and hands the value to
``outcome.finish``. The sync and async wrappers differ only in ``await`` and in what is
finished lazily (``LAZY_ANY``: a sync function may return an awaitable); the binding of
the call's context is ``operation.bind``, inlined here because it runs on every call.

A call ended by a cancel (``asyncio.CancelledError``, see ``errors.is_cancelled``) is
finished by ``outcome.cancelled`` (entry "cancelled", code CANCELLED, the duration until
the cancel) and the cancel re-raised unchanged; other ``BaseException`` s pass through
untouched. ``set_duration_clock`` is the seam for tests asserting exact durations.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar, overload

from rfs_monitoring import tracing as _tracing
from rfs_monitoring.callables import is_async_callable
from rfs_monitoring.errors import ConfigurationError, is_cancelled
from rfs_monitoring.result import Failure, Success
from rfs_monitoring.result_logging.levels import LEVELS, parse_level
from rfs_monitoring.result_logging.operation import (
    Operation,
    arg_getters,
    bind_own,
    call_var,
    correlation_var,
)
from rfs_monitoring.result_logging.outcome import (
    LAZY_ANY,
    LAZY_MONO,
    NOT_LAZY,
    cancelled,
    finish,
    lazy_outcome,
    measure,
    set_clock,
)

__all__ = ["log_result_operation", "set_duration_clock"]

F = TypeVar("F", bound=Callable[..., Any])

_perf_counter = time.perf_counter
_real_clock = True  # the duration clock is time.perf_counter: its start reading gates tracing
_gate_clock = time.perf_counter  # the clock of ``TracerState.next_check``
_modules = sys.modules
_OTEL_TRACE = "opentelemetry.trace"
_tracer = _tracing.tracer_state
_start_span = _tracing.start_span
_correlation_get = correlation_var.get
_call_set = call_var.set
_call_reset = call_var.reset
_bind_own = bind_own

# Both wrappers inline the binding of the call's context (``operation.bind``) where a
# correlation id is bound, and the tracing check, instead of sharing a helper: a call less
# on every logged call (measured in benchmarks/bench_logging.py); where none is bound,
# ``operation.bind_own`` binds the call with an id. A span is started when a tracer is in
# use, or when OpenTelemetry is loaded and the provider lookup is due
# (``TracerState.next_check``, on ``time.perf_counter``'s scale): that check's reading is
# the duration's start with the real duration clock (no clock read of its own); the start
# is read again after a span started (a duration never includes the span's start) and from
# a test's clock when one is set.


def _async_wrapper(fn: Callable[..., Awaitable[Any]], op: Operation) -> Callable[..., Any]:
    name, error_level, tracer = op.name, op.error_level, _tracer

    async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
        # below the threshold with tracing off: no entry, no span, no context binding
        if error_level < op.threshold and (tracer.tracer is None or not tracer.enabled):
            if not op.record_metrics:
                return await fn(*args, **kwargs)
            start = _perf_counter()
            try:
                value = await fn(*args, **kwargs)
            except Exception as exc:
                measure(op, Failure(exc), start, args, kwargs, LAZY_MONO)
                raise
            except BaseException as exc:
                if is_cancelled(exc):
                    cancelled(op, exc, start, None, args, kwargs, None)
                raise
            return measure(op, value, start, args, kwargs, LAZY_MONO)
        correlation_id = _correlation_get()
        if correlation_id is not None:
            token = _call_set(op)
        else:
            correlation_id, token = _bind_own(op)
        start = _gate_clock()
        handle = None
        if tracer.tracer is not None or (_OTEL_TRACE in _modules and start >= tracer.next_check):
            handle = _start_span(name)
            start = _perf_counter()
        elif not _real_clock:
            start = _perf_counter()
        try:
            value = await fn(*args, **kwargs)
        except Exception as exc:
            finish(op, Failure(exc), start, correlation_id, args, kwargs, handle, exc)
            raise
        except BaseException as exc:
            if is_cancelled(exc):
                cancelled(op, exc, start, correlation_id, args, kwargs, handle)
            raise
        finally:
            _call_reset(token)
        return finish(op, value, start, correlation_id, args, kwargs, handle, None, LAZY_MONO)

    return async_wrapper


def _sync_wrapper(fn: Callable[..., Any], op: Operation) -> Callable[..., Any]:
    name, error_level, tracer = op.name, op.error_level, _tracer

    def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
        if error_level < op.threshold and (tracer.tracer is None or not tracer.enabled):
            if not op.record_metrics:
                value = fn(*args, **kwargs)
                kind = type(value)
                if kind is Success or kind is Failure:
                    return value
                wrapped = lazy_outcome(op, value, args, kwargs, None)
                return value if wrapped is NOT_LAZY else wrapped
            start = _perf_counter()
            try:
                value = fn(*args, **kwargs)
            except Exception as exc:
                measure(op, Failure(exc), start, args, kwargs, LAZY_ANY)
                raise
            except BaseException as exc:
                if is_cancelled(exc):
                    cancelled(op, exc, start, None, args, kwargs, None)
                raise
            return measure(op, value, start, args, kwargs, LAZY_ANY)
        correlation_id = _correlation_get()
        if correlation_id is not None:
            token = _call_set(op)
        else:
            correlation_id, token = _bind_own(op)
        start = _gate_clock()
        handle = None
        if tracer.tracer is not None or (_OTEL_TRACE in _modules and start >= tracer.next_check):
            handle = _start_span(name)
            start = _perf_counter()
        elif not _real_clock:
            start = _perf_counter()
        try:
            value = fn(*args, **kwargs)
        except Exception as exc:
            finish(op, Failure(exc), start, correlation_id, args, kwargs, handle, exc)
            raise
        except BaseException as exc:
            if is_cancelled(exc):
                cancelled(op, exc, start, correlation_id, args, kwargs, handle)
            raise
        finally:
            _call_reset(token)
        return finish(op, value, start, correlation_id, args, kwargs, handle, None, LAZY_ANY)

    return sync_wrapper


def set_duration_clock(clock: Callable[[], float] | None) -> Callable[[], float]:
    """Measure the durations of logged calls with ``clock`` (a function returning seconds,
    e.g. a test's fake clock; None: ``time.perf_counter`` again); returns the previous one.

    A seam for tests that assert exact durations; the clock is read twice per call.

    Raises:
        TypeError: ``clock`` is neither callable nor None.
    """
    global _perf_counter, _real_clock
    given: object = clock
    if given is not None and not callable(given):
        msg = f"set_duration_clock() expects a callable returning seconds or None, got {clock!r}"
        raise TypeError(msg)
    previous = _perf_counter
    _perf_counter = time.perf_counter if clock is None else clock
    _real_clock = _perf_counter is time.perf_counter  # also when restored by a test
    set_clock(clock)
    return previous


def _check_options(
    name: object, level: object, error_level: object, rate: object, metadata: object
) -> tuple[int, int]:
    """The decorator's success and failure levels; raises on a bad option."""
    if name is not None and (not isinstance(name, str) or not name):
        msg = f"log_result_operation() expects a non-empty operation name or None, got {name!r}"
        raise ConfigurationError(msg)
    levels = parse_level(level, "level"), parse_level(error_level, "error_level")
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.0 <= rate <= 1.0:
        msg = f"success_sample_rate must be a number in 0.0..1.0, got {rate!r}"
        raise ConfigurationError(msg)
    if metadata is not None and not isinstance(metadata, Mapping):
        msg = f"metadata must be a mapping, got {type(metadata).__name__}: {metadata!r}"
        raise ConfigurationError(msg)
    return levels


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
    success_level, failure_level = _check_options(
        name, level, error_level, success_sample_rate, metadata
    )

    def decorate(fn: F) -> F:
        target: object = fn
        if not callable(target):
            msg = f"log_result_operation() decorates a callable, got {type(fn).__name__}: {fn!r}"
            raise TypeError(msg)
        op = Operation(
            name or getattr(fn, "__qualname__", None) or repr(fn),
            success_level,
            failure_level,
            float(success_sample_rate),
            arg_getters(fn, context_args),
            metadata,
            bool(record_metrics),
        )
        LEVELS.watch(op)
        wrapper = _async_wrapper(fn, op) if is_async_callable(fn) else _sync_wrapper(fn, op)
        functools.update_wrapper(wrapper, fn)
        setattr(wrapper, "__rfs_operation__", op.name)  # noqa: B010 - a dunder on a function
        return wrapper  # type: ignore[return-value]

    return decorate
