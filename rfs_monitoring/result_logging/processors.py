"""The structlog side of the pipeline: processors, and the logger that queues the events.

Processors follow structlog's form, ``(logger, method_name, event_dict) -> event_dict``, so
they can be used in an application's own ``structlog.configure(processors=[...])`` too.
``configure_logging`` chains them so that a structlog event has the fields of a Result
entry, spelled the same: ``timestamp`` (RFC 3339 UTC with ``Z`` and microseconds,
``entry.format_timestamp``), ``level`` (``"INFO"``, ``"WARNING"``: the stdlib names, as
stdlib records have them), ``service_name``, ``environment``, ``correlation_id`` and, with
an OpenTelemetry span current, ``trace_id`` / ``span_id``.

A processor never raises into the ``log.info(...)`` call: a field it cannot compute is
left out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

from rfs_monitoring import tracing as _tracing
from rfs_monitoring.context import get_log_context, get_request_id, peek_correlation_id
from rfs_monitoring.masking import mask_value
from rfs_monitoring.result_logging.entry import format_timestamp
from rfs_monitoring.result_logging.state import STATE
from rfs_monitoring.result_logging.writer import ITEM_EVENT

__all__ = [
    "LEADING_KEYS",
    "QueueLogger",
    "Timestamper",
    "add_context",
    "add_level",
    "add_service",
    "add_timestamp",
    "add_trace_ids",
    "lead_keys",
    "level_of_method",
    "mask_event",
    "trace_ids",
]

EventDict = MutableMapping[str, Any]

_METHOD_LEVELS = {"warn": "WARNING", "exception": "ERROR", "fatal": "CRITICAL"}

LEADING_KEYS = ("timestamp", "level", "logger", "event")
"""The keys ``lead_keys`` puts first (as stdlib records have them)."""


def level_of_method(method_name: str) -> str:
    """The level name of a structlog method: ``"info"`` -> ``"INFO"``, ``"warn"`` ->
    ``"WARNING"``, ``"exception"`` -> ``"ERROR"``, ``"fatal"`` -> ``"CRITICAL"``."""
    return _METHOD_LEVELS.get(method_name) or method_name.upper()


def add_level(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """Set ``level`` to the upper-case stdlib name of the method (``level_of_method``)."""
    event_dict["level"] = level_of_method(method_name)
    return event_dict


class Timestamper:
    """Sets ``timestamp`` to the clock's now in the Result entries' form:
    RFC 3339, UTC, ``Z``, always six fractional digits (``2026-11-30T08:00:00.000000Z``).

    Args:
        clock: epoch seconds (``time.time`` unless a test brings its own).
    """

    __slots__ = ("clock",)

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock

    def __call__(self, logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
        event_dict["timestamp"] = format_timestamp(self.clock())
        return event_dict


add_timestamp = Timestamper()
"""The ``Timestamper`` on the wall clock."""


def add_service(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """Add the pipeline's ``service_name`` and ``environment`` (never overwrites)."""
    event_dict.setdefault("service_name", STATE.service_name)
    event_dict.setdefault("environment", STATE.environment)
    return event_dict


def trace_ids() -> tuple[str, str] | None:
    """``(trace_id, span_id)`` of the current OpenTelemetry span in hex; None when there is
    none (or OpenTelemetry is not loaded); never raises."""
    try:
        return _tracing.current_ids()
    except Exception:  # noqa: BLE001 - observability never raises into the caller
        return None


def add_trace_ids(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """Add ``trace_id`` / ``span_id`` of the current span, when there is one (never
    overwrites)."""
    ids = trace_ids()
    if ids is not None:
        event_dict.setdefault("trace_id", ids[0])
        event_dict.setdefault("span_id", ids[1])
    return event_dict


def add_context(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """Add the correlation id, the request id and the bound log context (never overwrites)."""
    correlation_id = peek_correlation_id()
    if correlation_id is not None:
        event_dict.setdefault("correlation_id", correlation_id)
    request_id = get_request_id()
    if request_id is not None:
        event_dict.setdefault("request_id", request_id)
    for key, value in get_log_context().items():
        event_dict.setdefault(key, value)
    return event_dict


def lead_keys(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """The same event with ``LEADING_KEYS`` (those it has) first, the rest in order."""
    lead = {key: event_dict[key] for key in LEADING_KEYS if key in event_dict}
    return {**lead, **event_dict}


def mask_event(logger: Any, method_name: str, event_dict: EventDict) -> Mapping[str, Any]:
    """Mask sensitive keys and secrets inside values (never raises)."""
    masked = mask_value(event_dict)
    return masked if isinstance(masked, dict) else {"event": masked}


class QueueLogger:
    """The structlog logger of the pipeline: hands the processed event dict to the writer
    (dropped when no writer is configured)."""

    def _submit(self, **event_dict: Any) -> None:
        writer = STATE.writer
        if writer is not None:
            writer.submit((ITEM_EVENT, event_dict))

    msg = debug = info = warning = warn = error = critical = exception = fatal = log = _submit
