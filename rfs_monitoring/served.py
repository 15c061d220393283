"""What an API client is shown of a Failure: the one rule for served errors.

``client_error`` picks the APIError served for any error value (an APIError as it is, a
timeout 504, anything else a generic 500 whose details stay in the server log);
``error_body`` renders it as the JSON body ``{"code", "message", "details"}`` with secrets
masked like log output. ``handle_result`` and the pydantic schema of ``Result`` (a
``Failure`` returned by an undecorated FastAPI endpoint) both serve errors through them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rfs_monitoring.errors import APIError, ResultTimeoutError, is_timeout
from rfs_monitoring.masking import mask_text, mask_value, masked_logger

__all__ = ["client_error", "error_body"]

# The documented logger of served failures (handle_result's docstring names it).
_logger = masked_logger("rfs_monitoring.web")


def client_error(error: object, endpoint: str) -> APIError:
    """The APIError served for a Failure's ``error``: never internal text.

    An APIError is served as it is; a timeout (``is_timeout``; a ``ResultTimeoutError``
    too, although it is an APIError: its text names the operation) as
    ``APIError.timeout``; anything else is logged on ``rfs_monitoring.web`` (masked) and
    served as ``APIError.internal()``.
    """
    if isinstance(error, ResultTimeoutError) or (
        is_timeout(error) and not isinstance(error, APIError)
    ):
        return APIError.timeout(seconds=getattr(error, "seconds", None))
    if isinstance(error, APIError):
        return error
    try:
        shown = repr(error)
    except Exception:  # noqa: BLE001 - a broken __repr__ must not break the response
        shown = f"<{type(error).__name__} with a failing __repr__>"
    _logger.error(
        "endpoint %s failed with %s; served as 500",
        endpoint,
        shown,
        exc_info=error if isinstance(error, BaseException) else None,
    )
    return APIError.internal()


def error_body(error: APIError, encode: Callable[[Any], Any]) -> dict[str, Any]:
    """The JSON body served for ``error``: ``{"code", "message", "details"}``, masked.

    An error body is output like a log line: secrets in the message or the details (a
    token, a password field, a card number) are masked the same way. ``encode`` turns the
    details into JSON values (FastAPI's ``jsonable_encoder``); details it cannot encode
    are logged and served as ``{}``.
    """
    message = mask_text(error.message)
    try:
        details = mask_value(encode(error.details))
        if not isinstance(details, dict):  # masking failed: its placeholder is no mapping
            details = {}
    except Exception:
        _logger.exception("APIError details of %s are not JSON-serialisable", error.code.value)
        details = {}
    return {"code": error.code.value, "message": message, "details": details}
