"""Masking stdlib log records before any handler sees them: ``MaskingFilter``.

A filter on a *logger* runs before that logger's handlers and before the record propagates,
so every handler (the application's, uvicorn's, the last-resort one, ours) sees the masked
record, also when ``configure_logging`` was never called. ``masked_logger(name)`` is
``logging.getLogger(name)`` with the filter attached (the library's own loggers use it);
``mask_access_log()`` attaches it to uvicorn's access logger, whose lines carry the request
URL (``?api_key=...``)::

    from rfs_monitoring.masking import mask_access_log

    mask_access_log()            # before or after uvicorn configured its logging
    uvicorn.run(app)
"""

from __future__ import annotations

import logging

from rfs_monitoring.masking.text import REDACTED_ON_ERROR, count_fault, mask_text
from rfs_monitoring.masking.values import mask_value

__all__ = ["ACCESS_LOGGERS", "MaskingFilter", "mask_access_log", "mask_record", "masked_logger"]

ACCESS_LOGGERS = ("uvicorn.access", "uvicorn.error", "gunicorn.access", "hypercorn.access")
"""Loggers of ASGI servers whose records show request URLs (``mask_access_log``'s default)."""

# What every LogRecord has; anything else was added by ``extra=`` or a filter.
_PLAIN = logging.LogRecord("", logging.INFO, "", 0, "", None, None)
_STANDARD = frozenset(vars(_PLAIN)) | {"message", "asctime", "taskName"}


def mask_record(record: logging.LogRecord) -> str:
    """Mask ``record`` in place and return its masked message.

    The message is resolved (``msg % args``) and masked; fields added with ``extra=`` are
    masked like metadata; a traceback is formatted into ``exc_text`` and masked
    (``exc_info`` is cleared); ``stack_info`` is masked.

    Raises:
        Exception: what resolving the message raises (bad ``%`` arguments).
    """
    message = mask_text(record.getMessage())
    record.msg = message
    record.args = None
    extras = {k: v for k, v in vars(record).items() if k not in _STANDARD}
    if extras:
        masked = mask_value(extras)
        vars(record).update(masked if isinstance(masked, dict) else dict.fromkeys(extras, masked))
    if record.exc_info:
        traceback = logging.Formatter().formatException(record.exc_info)
        record.exc_text = mask_text(traceback)
        record.exc_info = None
    elif record.exc_text:
        record.exc_text = mask_text(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_text(record.stack_info)
    return message


class MaskingFilter(logging.Filter):
    """Masks every record in place (``mask_record``); never drops one, never raises."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            mask_record(record)
        except Exception:  # noqa: BLE001 - logging never breaks the caller
            count_fault()
            record.msg = REDACTED_ON_ERROR
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def _attach(logger: logging.Logger) -> logging.Logger:
    if not any(isinstance(f, MaskingFilter) for f in logger.filters):
        logger.addFilter(MaskingFilter())
    return logger


def masked_logger(name: str) -> logging.Logger:
    """``logging.getLogger(name)`` with a ``MaskingFilter`` attached (once)."""
    return _attach(logging.getLogger(name))


def mask_access_log(*names: str) -> list[logging.Logger]:
    """Attach a ``MaskingFilter`` to the access loggers ``names`` (default:
    ``ACCESS_LOGGERS``), so a URL's ``api_key=`` / ``token=`` parameter is never logged.

    Logger filters survive ``logging.config.dictConfig`` (uvicorn's ``log_config``), so
    this can run before or after the server configures logging. Returns the loggers.
    """
    return [masked_logger(name) for name in names or ACCESS_LOGGERS]
