"""The monitoring router's defences: read-only without auth, body caps, response headers.

- ``read_only_refusal``: the guard of every change when no ``auth`` is configured (403 with
  an APIError body saying how to enable changes).
- ``viewer(auth)``: a dependency answering "did this request pass ``auth``?" without
  refusing it (the health endpoint shows its details only then).
- ``alert_capacity_error``: the 409 of ``POST /alerts/configure`` once the cap is reached.
- ``limit_body``: wraps an ASGI ``receive`` so a body over the cap ends in 413.
- ``secure_headers``: the headers every monitoring response carries (CSP on HTML).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from rfs_monitoring.alerts import AlertManager
from rfs_monitoring.callables import is_async_callable
from rfs_monitoring.dashboard.auth import APIKeyAuth
from rfs_monitoring.errors import APIError, ErrorCode, MissingExtraError

try:
    from fastapi.exceptions import HTTPException
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import Response
    from starlette.types import Message, Receive
except ImportError as exc:  # pragma: no cover - only without the extra
    raise MissingExtraError("rfs_monitoring.dashboard", "fastapi", exc.name or "fastapi") from exc

__all__ = [
    "DEFAULT_MAX_ALERT_RULES",
    "DEFAULT_MAX_BODY_BYTES",
    "HTML_POLICY",
    "READ_ONLY_MESSAGE",
    "alert_capacity_error",
    "body_too_large",
    "limit_body",
    "read_only_refusal",
    "secure_headers",
    "viewer",
]

DEFAULT_MAX_BODY_BYTES = 64 * 1024
"""The largest request body the router reads (an alert rule is under 3 KB)."""
DEFAULT_MAX_ALERT_RULES = 100
"""The most alert rules ``POST /alerts/configure`` lets exist."""
HTML_POLICY = (
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
    "object-src 'none'"
)
"""The Content-Security-Policy of the router's HTML pages (no inline script or style)."""
_OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'"
READ_ONLY_MESSAGE = (
    "the monitoring API is read-only: no auth is configured, so changes (alerts, log levels) "
    "are refused; pass auth=api_key_auth(...) to monitoring_router to enable them"
)


def read_only_refusal() -> None:
    """The guard of every change without ``auth``: always 403 (APIError body)."""
    error = APIError.forbidden(READ_ONLY_MESSAGE)
    raise HTTPException(status_code=403, detail=error.to_dict())


def _never() -> bool:
    return False


def viewer(auth: Callable[..., Any] | None) -> Callable[..., Any]:
    """A dependency returning whether the request passes ``auth`` (False without auth).

    ``auth`` runs with its own parameters (the wrapper takes ``auth``'s signature, so FastAPI
    resolves them as for ``Depends(auth)``); an ``HTTPException`` it raises means False. A
    ``yield`` dependency, or one whose signature cannot be read, always gives False.
    """
    if auth is None:
        return _never
    if isinstance(auth, APIKeyAuth):  # ask directly, no exception raised
        return auth.authenticated
    if inspect.isgeneratorfunction(auth) or inspect.isasyncgenfunction(auth):
        return _never
    try:
        signature = inspect.signature(auth, eval_str=True)
    except (NameError, TypeError, ValueError):
        return _never
    run_async = is_async_callable(auth)

    async def checked(*args: Any, **kwargs: Any) -> bool:
        try:
            if run_async:
                await auth(*args, **kwargs)
            else:
                await run_in_threadpool(auth, *args, **kwargs)
        except HTTPException:
            return False
        return True

    checked.__signature__ = signature.replace(return_annotation=bool)  # type: ignore[attr-defined]
    return checked


def alert_capacity_error(manager: AlertManager, limit: int) -> APIError | None:
    """The refusal of one more alert rule once ``limit`` exist (None while there is room)."""
    count = len(manager.alerts())
    if count < limit:
        return None
    return APIError.conflict(
        f"{count} alert rules exist and max_alert_rules is {limit}: delete a rule "
        "(DELETE /alerts/{alert_id}) before adding another",
        {"max_alert_rules": limit, "alert_rules": count},
    )


def body_too_large(limit: int) -> HTTPException:
    """The 413 refusal of a body over ``limit`` bytes (an APIError body)."""
    error = APIError(
        ErrorCode.PAYLOAD_TOO_LARGE,
        f"the request body is larger than {limit} bytes, the most this API accepts",
        {"max_bytes": limit},
    )
    return HTTPException(status_code=413, detail=error.to_dict())


def limit_body(receive: Receive, limit: int) -> Callable[[], Awaitable[Message]]:
    """``receive`` raising ``body_too_large(limit)`` once more than ``limit`` bytes arrived."""
    seen = 0

    async def limited() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise body_too_large(limit)
        return message

    return limited


def secure_headers(response: Response) -> Response:
    """``response`` with nosniff, no-referrer, no-store (unless set) and a CSP."""
    headers = response.headers
    html = headers.get("content-type", "").startswith("text/html")
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers.setdefault("Cache-Control", "no-store")
    headers["Content-Security-Policy"] = HTML_POLICY if html else _OTHER_POLICY
    if html:
        headers["X-Frame-Options"] = "DENY"
    return response
