"""OpenTelemetry spans for Result operations (optional: ``pip install 'rfs-monitoring[otel]'``).

Tracing is on when OpenTelemetry is installed and a tracer provider is set: either the
global one (``opentelemetry.trace.set_tracer_provider``) or one given to
``configure_tracing``. Then each ``@log_result_operation`` call is a span named after the
operation, with the attributes ``rfs.operation``, ``rfs.result_type`` and
``rfs.error_code`` and status ERROR on failure; ``MonoResult.log_step`` adds span events;
log entries carry ``trace_id`` / ``span_id``.

This module never imports OpenTelemetry by itself: as long as nobody has imported
``opentelemetry.trace`` (which setting a provider does), tracing is off at the cost of one
dict lookup per operation.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from typing import Any

from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.masking import mask_text

__all__ = [
    "SpanHandle",
    "TracerState",
    "configure_tracing",
    "current_ids",
    "end_span",
    "masked_exception",
    "resume_span",
    "span_event",
    "start_span",
    "suspend_span",
    "tracer_state",
    "tracing_active",
    "tracing_enabled",
]

_RECHECK_SECONDS = 1.0
_INSTRUMENTATION_NAME = "rfs_monitoring"


class TracerState:
    """Whether operations may be traced, read by the decorator's hot path without a call.

    Attributes:
        tracer: the tracer in use (None until one is configured or found).
        enabled: False when ``configure_tracing(enabled=False)`` turned spans off.
        next_check: ``time.perf_counter()`` at which the global provider is looked up
            again while no tracer is found (at most once a second); the decorator compares
            it with the start of its duration measurement (no clock read of its own).
    """

    __slots__ = ("enabled", "lock", "next_check", "provider", "tracer")

    def __init__(self) -> None:
        self.tracer: Any = None
        self.provider: Any = None
        self.enabled = True
        self.next_check = float("-inf")
        self.lock = threading.Lock()


_state = TracerState()
tracer_state = _state
"""The process-wide ``TracerState``."""


class SpanHandle:
    """An operation span made current, and the token that detaches it again."""

    __slots__ = ("span", "token")

    def __init__(self, span: Any, token: object) -> None:
        self.span = span
        self.token = token


def configure_tracing(tracer_provider: Any = None, *, enabled: bool = True) -> None:
    """Choose the tracer provider for operation spans, or turn tracing off.

    Args:
        tracer_provider: an OpenTelemetry ``TracerProvider``; None uses the global one
            (when one is set).
        enabled: False turns spans off whatever provider is set.

    With no provider given, the global one is looked up at the next operation (and then
    at most once a second while none is set): call this again right after
    ``set_tracer_provider`` to have spans at once.

    Raises:
        ConfigurationError: ``tracer_provider`` has no ``get_tracer`` method.
    """
    if tracer_provider is not None and not callable(getattr(tracer_provider, "get_tracer", None)):
        msg = (
            f"configure_tracing() expects an OpenTelemetry TracerProvider (with get_tracer), "
            f"got {type(tracer_provider).__name__}: {tracer_provider!r}"
        )
        raise ConfigurationError(msg)
    with _state.lock:
        _state.enabled = bool(enabled)
        _state.provider = tracer_provider
        _state.tracer = (
            tracer_provider.get_tracer(_INSTRUMENTATION_NAME)
            if tracer_provider is not None
            else None
        )
        _state.next_check = float("-inf")


def _tracer() -> Any:
    tracer = _state.tracer
    if tracer is not None:
        return tracer if _state.enabled else None
    if not _state.enabled:
        return None
    trace = sys.modules.get("opentelemetry.trace")
    if trace is None:
        return None
    now = time.perf_counter()  # the clock of ``next_check``
    if now < _state.next_check:
        return None
    _state.next_check = now + _RECHECK_SECONDS
    try:
        provider = trace.get_tracer_provider()
        if isinstance(provider, (trace.ProxyTracerProvider, trace.NoOpTracerProvider)):
            return None
        tracer = provider.get_tracer(_INSTRUMENTATION_NAME)
    except Exception:  # noqa: BLE001 - observability never raises into the caller
        return None
    _state.tracer = tracer
    return tracer


def tracing_active() -> bool:
    """True when a tracer is already in use (cheap: no provider lookup)."""
    return _state.tracer is not None and _state.enabled


def tracing_enabled() -> bool:
    """True when operations are traced (OpenTelemetry present and a provider set)."""
    return _tracer() is not None


def start_span(name: str) -> SpanHandle | None:
    """Start the span of operation ``name`` and make it current; None when tracing is off."""
    tracer = _tracer()
    if tracer is None:
        return None
    try:
        from opentelemetry import context, trace

        span = tracer.start_span(name, attributes={"rfs.operation": name})
        token = context.attach(trace.set_span_in_context(span))
    except Exception:  # noqa: BLE001 - observability never raises into the caller
        return None
    return SpanHandle(span, token)


def suspend_span(handle: SpanHandle) -> None:
    """Detach the span from the current context, keeping it open (see ``resume_span``)."""
    from opentelemetry import context

    context.detach(handle.token)  # type: ignore[arg-type]
    handle.token = None


def resume_span(handle: SpanHandle) -> None:
    """Make a suspended span current again, in the current context."""
    from opentelemetry import context, trace

    handle.token = context.attach(trace.set_span_in_context(handle.span))


def end_span(
    handle: SpanHandle,
    *,
    success: bool,
    error_code: str | None = None,
    error_message: str | None = None,
    exception: BaseException | None = None,
) -> None:
    """Set the outcome attributes and status on the span, detach it and end it."""
    from opentelemetry import context
    from opentelemetry.trace import Status, StatusCode

    span = handle.span
    try:
        span.set_attribute("rfs.result_type", "success" if success else "error")
        if error_code is not None:
            span.set_attribute("rfs.error_code", error_code)
        if exception is not None:
            span.record_exception(exception, attributes=masked_exception(exception))
        if not success:
            span.set_status(Status(StatusCode.ERROR, error_message))
    finally:
        try:
            if handle.token is not None:
                context.detach(handle.token)  # type: ignore[arg-type]
        finally:
            span.end()


def masked_exception(exception: BaseException) -> dict[str, str]:
    """The ``exception.message`` / ``exception.stacktrace`` span attributes, masked (they
    replace the raw ones ``record_exception`` would export)."""
    stack = "".join(traceback.format_exception(type(exception), exception, exception.__traceback__))
    return {
        "exception.message": mask_text(str(exception)),
        "exception.stacktrace": mask_text(stack),
    }


def current_ids(handle: SpanHandle | None = None) -> tuple[str, str] | None:
    """``(trace_id, span_id)`` in hex of ``handle``'s span or the current one; None if none."""
    if handle is None:
        trace = sys.modules.get("opentelemetry.trace")
        if trace is None:
            return None
        span = trace.get_current_span()
    else:
        span = handle.span
    ctx = span.get_span_context()
    if not ctx.is_valid:
        return None
    return format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")


def span_event(name: str, attributes: dict[str, Any]) -> None:
    """Add an event to the current span, when there is a recording one."""
    trace = sys.modules.get("opentelemetry.trace")
    if trace is None:
        return
    span = trace.get_current_span()
    if span.is_recording():
        span.add_event(name, attributes)
