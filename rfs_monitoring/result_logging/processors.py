"""The structlog side of the pipeline: processors, and the logger that queues the events.

Processors follow structlog's form, ``(logger, method_name, event_dict) -> event_dict``, so
they can be used in an application's own ``structlog.configure(processors=[...])`` too.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

from rfs_monitoring.context import get_log_context, get_request_id, peek_correlation_id
from rfs_monitoring.masking import mask_value
from rfs_monitoring.result_logging.state import STATE
from rfs_monitoring.result_logging.writer import ITEM_EVENT

__all__ = ["QueueLogger", "add_context", "mask_event"]


def add_context(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
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


def mask_event(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> Mapping[str, Any]:
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
