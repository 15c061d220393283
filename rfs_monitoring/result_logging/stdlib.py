"""The stdlib ``logging`` side of the pipeline: the correlation filter and the root handler.

With ``configure_logging(stdlib=True)`` the root logger gets a ``QueueHandler``: records of
third-party libraries are masked in the caller and rendered (JSON or text) on the writer
thread, with the correlation id, the trace ids and the bound log context. A JSON record
has the common fields of a Result entry, spelled the same (``timestamp`` RFC 3339 UTC
with ``Z``, ``level`` ``"INFO"``, ``service_name``, ``environment``, ``correlation_id``,
``trace_id`` / ``span_id``), then ``logger`` and ``event``.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from rfs_monitoring.context import get_log_context, get_request_id, peek_correlation_id
from rfs_monitoring.masking import MASK, is_sensitive_key, mask_record, mask_value
from rfs_monitoring.result_logging.entry import format_timestamp
from rfs_monitoring.result_logging.processors import trace_ids
from rfs_monitoring.result_logging.render import one_line
from rfs_monitoring.result_logging.state import STATE
from rfs_monitoring.result_logging.writer import ITEM_RECORD

__all__ = [
    "CorrelationIdFilter",
    "QueueHandler",
    "TextFormatter",
    "install_root_handler",
    "stdlib_formatter",
    "uninstall_root_handler",
]


class CorrelationIdFilter(logging.Filter):
    """Adds ``correlation_id``, ``request_id``, the current span's ``trace_id`` /
    ``span_id`` and the bound log context to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = peek_correlation_id()
        request_id = get_request_id()
        if request_id is not None:
            record.request_id = request_id
        ids = trace_ids()
        if ids is not None and not hasattr(record, "trace_id"):
            record.trace_id, record.span_id = ids
        bound = get_log_context()
        if bound:
            # masked like the entries' metadata: sensitive keys, and secrets inside values
            masked = mask_value(dict(bound))
            for key, value in (masked if isinstance(masked, dict) else {}).items():
                if not hasattr(record, key):
                    setattr(record, key, MASK if is_sensitive_key(key) else value)
        return True


def _masked_copy(record: logging.LogRecord, json: bool) -> logging.LogRecord:
    """A copy of ``record`` with its message, extras, traceback and stack masked and
    resolved (``rfs_monitoring.masking.mask_record``)."""
    # A copy: other handlers of the same record must see it unchanged.
    record = copy.copy(record)
    message = mask_record(record)
    if not json:
        # one record, one text line: line breaks and escapes in the message, the
        # traceback or the stack cannot start a forged line or drive the terminal
        parts = [message, record.exc_text, record.stack_info]
        record.msg = "\\n".join(one_line(part) for part in parts if part)
        record.exc_text = record.stack_info = None
    return record


class QueueHandler(logging.Handler):
    """The root handler: resolves and masks the record in the caller, queues it for the
    writer thread (which renders it with this handler's formatter)."""

    def emit(self, record: logging.LogRecord) -> None:
        writer = STATE.writer
        if writer is None:
            return
        try:
            writer.submit((ITEM_RECORD, _masked_copy(record, writer.json)))
        except Exception:  # noqa: BLE001 - observability never raises into the caller
            STATE.serialization_errors += 1


class TextFormatter(logging.Formatter):
    """One text line per record, its time spelled as in the Result entries."""

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s correlation_id=%(correlation_id)s %(message)s"
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """``record.created`` as ``2026-11-30T08:00:00.123456Z``."""
        return format_timestamp(record.created)


def stdlib_formatter(json: bool) -> logging.Formatter:
    """The formatter of stdlib records: JSON (python-json-logger) or one text line."""
    if not json:
        return TextFormatter()
    from pythonjsonlogger.json import JsonFormatter

    class RecordJsonFormatter(JsonFormatter):
        """JSON with the Result entries' spelling of ``timestamp``, and the pipeline's
        ``service_name`` / ``environment`` (a record's own extras win)."""

        def add_fields(
            self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
        ) -> None:
            super().add_fields(log_data, record, message_dict)
            log_data["timestamp"] = format_timestamp(record.created)
            log_data.setdefault("service_name", STATE.service_name)
            log_data.setdefault("environment", STATE.environment)

    return RecordJsonFormatter(
        "%(timestamp)s %(levelname)s %(name)s %(message)s",
        rename_fields={"levelname": "level", "name": "logger", "message": "event"},
    )


def uninstall_root_handler() -> None:
    """Remove the pipeline's root handler (if installed)."""
    if STATE.handler is not None:
        logging.getLogger().removeHandler(STATE.handler)
        STATE.handler = None


def install_root_handler(formatter: logging.Formatter, level: int | None) -> None:
    """Replace the pipeline's root handler; None: leave the root logger alone."""
    uninstall_root_handler()
    if level is None:
        return
    root = logging.getLogger()
    handler = QueueHandler()
    handler.setFormatter(formatter)
    handler.addFilter(CorrelationIdFilter())
    root.addHandler(handler)
    if STATE.root_level is None:
        STATE.root_level = root.level
    root.setLevel(level)
    STATE.handler = handler
