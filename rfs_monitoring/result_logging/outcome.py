"""What happens when a logged call returns: the metric, the entry, the span; never raises.

A call's value is settled here: a Result (or a foreign Result, or a plain value counting as
a success) is recorded at once; a ``MonoResult`` or awaitable is wrapped so that it is
recorded when it completes (``lazy_outcome``). A call ended by a cancel is recorded by
``cancelled`` (also when the cancel reaches a lazily finished chain or awaitable).
"""

from __future__ import annotations

import inspect
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, cast

from rfs_monitoring import tracing as _tracing
from rfs_monitoring.errors import ErrorCode, is_cancelled
from rfs_monitoring.metrics import ResultMetricsCollector
from rfs_monitoring.mono import MonoResult
from rfs_monitoring.result import Failure, Result, Success, to_result
from rfs_monitoring.result_logging.emit import (
    Described,
    describe_error,
    emit_entry,
    fresh_correlation_id,
)
from rfs_monitoring.result_logging.operation import Call, Operation
from rfs_monitoring.result_logging.state import STATE

__all__ = [
    "CANCELLED_CODE",
    "LAZY_ANY",
    "LAZY_MONO",
    "LAZY_NONE",
    "NOT_LAZY",
    "as_result",
    "cancelled",
    "finish",
    "lazy_outcome",
    "measure",
    "set_clock",
]

_Collector = ResultMetricsCollector
_collector = ResultMetricsCollector.instance
_perf_counter = time.perf_counter
NOT_LAZY = object()
"""What ``lazy_outcome`` returns for a value it does not wrap."""
LAZY_NONE = 0
"""The value is the outcome as it is (an awaited value)."""
LAZY_MONO = 1
"""A ``MonoResult`` value is wrapped: the call finishes when the chain completes."""
LAZY_ANY = 2
"""Like ``LAZY_MONO``, and an awaitable returned by a sync function is wrapped too."""
Args = tuple[Any, ...]
CANCELLED_CODE = ErrorCode.CANCELLED.value
"""The error code of a cancelled call, in its entry and its metric."""
RESULT_CANCELLED = "cancelled"
"""The ``result_type`` of a cancelled call's entry."""


def set_clock(clock: Callable[[], float] | None) -> Callable[[], float]:
    """Time calls with ``clock`` (seconds; None: ``time.perf_counter``); returns the
    previous clock. Use ``decorator.set_duration_clock``, which sets the wrapper's too."""
    global _perf_counter
    previous = _perf_counter
    _perf_counter = time.perf_counter if clock is None else clock
    return previous


def as_result(value: object) -> Result[Any, Any]:
    """``value`` as a Result: Results as they are, foreign ones adapted, others a Success."""
    kind = type(value)
    if kind is Success or kind is Failure:
        return cast("Result[Any, Any]", value)
    try:
        return to_result(value)
    except TypeError:
        return Success(value)


def _record_metrics(
    op: Operation, ok: bool, elapsed_ms: float, described: Described | None
) -> None:
    try:
        collector = _Collector.current or _collector()
        if described is None:
            collector.record(op.name, success=ok, duration_ms=elapsed_ms)
        else:
            collector.record(
                op.name,
                success=ok,
                duration_ms=elapsed_ms,
                error_code=described[1],
                error_type=described[0],
                error_message=described[2],
            )
    except Exception:  # noqa: BLE001 - observability never raises into the caller
        STATE.metrics_errors += 1


def measure(
    op: Operation, value: object, start: float, args: Args, kwargs: Mapping[str, Any], lazy: int
) -> object:
    """The fast path (no entry can be written): record the metric; returns what the
    wrapper returns (the value, or the lazy wrapper of it: see ``LAZY_MONO``)."""
    kind = type(value)
    if kind is not Success and kind is not Failure:
        wrapped = lazy_outcome(op, value, args, kwargs, None, lazy == LAZY_ANY)
        if wrapped is not NOT_LAZY:
            return wrapped
    elapsed_ms = (_perf_counter() - start) * 1000.0
    try:
        result = as_result(value)
        ok = type(result) is Success
        _record_metrics(op, ok, elapsed_ms, None if ok else describe_error(result.unwrap_error()))
    except Exception:  # noqa: BLE001 - observability never raises into the caller
        STATE.entry_errors += 1
    return value


def finish(
    op: Operation,
    value: object,
    start: float,
    correlation_id: str,
    args: Args,
    kwargs: Mapping[str, Any],
    handle: _tracing.SpanHandle | None,
    exception: BaseException | None = None,
    lazy: int = LAZY_NONE,
) -> object:
    """Record the metric, write the operation's entry and end its span; never raises.

    Returns what the wrapper returns: the value, or (see ``LAZY_MONO``) the lazy wrapper
    of it, which finishes the call when it completes.
    """
    kind = type(value)
    if lazy and kind is not Success and kind is not Failure:
        wrapped = lazy_outcome(op, value, args, kwargs, handle, lazy == LAZY_ANY)
        if wrapped is not NOT_LAZY:
            return wrapped
    elapsed_ms = (_perf_counter() - start) * 1000.0
    ok = exception is None
    described: Described | None = None
    try:
        if kind is Success:  # the common case: no adaptation, no description
            result: Result[Any, Any] = value  # type: ignore[assignment]
        else:
            result = value if kind is Failure else as_result(value)  # type: ignore[assignment]
            ok = type(result) is Success
            if not ok:
                described = describe_error(result.unwrap_error())
        if op.record_metrics:
            if described is None:
                try:  # the default collector read without a call (see ``_record_metrics``)
                    (_Collector.current or _collector()).record(
                        op.name, success=ok, duration_ms=elapsed_ms
                    )
                except Exception:  # noqa: BLE001 - observability never raises into the caller
                    STATE.metrics_errors += 1
            else:
                _record_metrics(op, ok, elapsed_ms, described)
        level = op.level if ok else op.error_level
        if level >= op.threshold:
            if ok and op.sample_rate < 1.0 and random.random() >= op.sample_rate:
                STATE.sampled_out += 1
            else:
                user_id = extra = None
                if op.arg_getters or op.metadata:
                    at = op.user_at  # the common context_args=["user_id"], read without a call
                    if at is not None and at < len(args) and not kwargs:
                        user_id = args[at]
                    else:
                        user_id, extra = op.call_context(args, kwargs)
                emit_entry(
                    level,
                    op.name,
                    None,
                    result,
                    elapsed_ms,
                    correlation_id,
                    described,
                    extra,
                    handle,
                    user_id,
                    None if ok else _failure_type(exception, described),
                )
    except Exception:  # noqa: BLE001 - observability never raises into the caller
        STATE.entry_errors += 1
    finally:
        if handle is not None:
            _end_span(handle, ok, described, exception)
    return value


def _failure_type(exception: BaseException | None, described: Described | None) -> str | None:
    """The result type of a failure's entry: "cancelled" for a raised cancel (e.g.
    ``concurrent.futures.CancelledError``, an Exception), else None (``"error"``)."""
    if exception is not None and described is not None and described[1] == CANCELLED_CODE:
        return RESULT_CANCELLED
    return None


def cancelled(
    op: Operation,
    exc: BaseException,
    start: float,
    correlation_id: str | None,
    args: Args,
    kwargs: Mapping[str, Any],
    handle: _tracing.SpanHandle | None,
) -> None:
    """A call ended by a cancel (``errors.is_cancelled``: asyncio's ``CancelledError``):
    its metric (error code CANCELLED), its entry (result type "cancelled", at the
    operation's error level, never sampled out) and its span ended; never raises. The
    duration runs until the cancel reached the call.

    The caller re-raises ``exc`` unchanged.
    """
    elapsed_ms = (_perf_counter() - start) * 1000.0
    described: Described | None = None
    try:
        error_type, _code, message = describe_error(exc)
        described = (error_type, CANCELLED_CODE, message)
        if op.record_metrics:
            _record_metrics(op, False, elapsed_ms, described)
        if op.error_level >= op.threshold:
            user_id, extra = (
                op.call_context(args, kwargs) if op.arg_getters or op.metadata else (None, None)
            )
            emit_entry(
                op.error_level,
                op.name,
                None,
                Failure(exc),
                elapsed_ms,
                correlation_id if correlation_id is not None else fresh_correlation_id(),
                described,
                extra,
                handle,
                user_id,
                RESULT_CANCELLED,
            )
    except Exception:  # noqa: BLE001 - observability never raises into the caller
        STATE.entry_errors += 1
    finally:
        if handle is not None:
            _end_span(handle, False, described, None)


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
        STATE.entry_errors += 1


def lazy_outcome(
    op: Operation,
    value: object,
    args: Args,
    kwargs: Mapping[str, Any],
    handle: _tracing.SpanHandle | None,
    awaitables: bool = True,
) -> object:
    """For a MonoResult (or, with ``awaitables``, an awaitable) returned by the function:
    the logged wrapper of it; else a marker object that is no wrapper.

    The span started for the call is suspended and resumed when the chain runs (a chain
    that is never awaited never ran: its span is never exported).
    """
    if isinstance(value, MonoResult):
        wrapped: object = _wrap_mono(op, value, args, kwargs, handle)
    elif awaitables and inspect.isawaitable(value):
        wrapped = _wrap_awaitable(op, value, args, kwargs, handle)
    else:
        return NOT_LAZY
    if handle is not None:
        _suspend(handle)
    return wrapped


def _suspend(handle: _tracing.SpanHandle) -> None:
    try:
        _tracing.suspend_span(handle)
    except Exception:  # noqa: BLE001 - observability never raises into the caller
        STATE.entry_errors += 1


def _resume_or_start(
    op: Operation, pending: list[_tracing.SpanHandle | None]
) -> _tracing.SpanHandle | None:
    handle = pending.pop() if pending else None
    if handle is None:
        return _tracing.start_span(op.name)
    try:
        _tracing.resume_span(handle)
    except Exception:  # noqa: BLE001 - observability never raises into the caller
        STATE.entry_errors += 1
    return handle


def _wrap_awaitable(
    op: Operation,
    awaitable: Awaitable[Any],
    args: Args,
    kwargs: Mapping[str, Any],
    handle: _tracing.SpanHandle | None,
) -> Awaitable[Any]:
    pending = [handle]

    async def run() -> Any:
        call = Call(op)
        span = _resume_or_start(op, pending)
        start = _perf_counter()
        try:
            value = await awaitable
        except Exception as exc:
            finish(op, Failure(exc), start, call.correlation_id, args, kwargs, span, exc)
            raise
        except BaseException as exc:
            if is_cancelled(exc):
                cancelled(op, exc, start, call.correlation_id, args, kwargs, span)
            raise
        finally:
            call.close()
        finish(op, value, start, call.correlation_id, args, kwargs, span)
        return value

    return run()


def _wrap_mono(
    op: Operation,
    mono: MonoResult[Any, Any],
    args: Args,
    kwargs: Mapping[str, Any],
    handle: _tracing.SpanHandle | None,
) -> MonoResult[Any, Any]:
    """A Mono that runs ``mono`` as the operation and logs it each time the chain completes."""
    pending = [handle]

    async def run() -> Result[Any, Any]:
        call = Call(op)
        span = _resume_or_start(op, pending)
        start = _perf_counter()
        try:
            result = await mono.to_result()
            finish(op, result, start, call.correlation_id, args, kwargs, span)
        except BaseException as exc:  # finish never raises: a cancel of the chain
            if is_cancelled(exc):
                cancelled(op, exc, start, call.correlation_id, args, kwargs, span)
            raise
        finally:
            call.close()
        return result

    return MonoResult.from_async_result(run)
