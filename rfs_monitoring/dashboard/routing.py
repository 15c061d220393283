"""``MonitoringRoute``: the monitoring router's route class.

Every 4xx body is an APIError, every response carries the security headers
(``security.secure_headers``) and no request body over the router's cap is read (413).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from rfs_monitoring.dashboard.security import (
    DEFAULT_MAX_BODY_BYTES,
    body_too_large,
    limit_body,
    secure_headers,
)
from rfs_monitoring.errors import APIError, ErrorCode, MissingExtraError

try:
    from fastapi import Request
    from fastapi.datastructures import Default, DefaultPlaceholder
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import HTMLResponse, RedirectResponse
    from fastapi.routing import APIRoute
    from starlette.exceptions import HTTPException as StarletteHTTPException
    from starlette.responses import Response

    from rfs_monitoring.web.responses import SafeJSONResponse
except ImportError as exc:  # pragma: no cover - only without the extra
    raise MissingExtraError("rfs_monitoring.dashboard", "fastapi", exc.name or "fastapi") from exc

__all__ = ["MonitoringRoute"]

_STATUS_CODES = {code.http_status: code for code in ErrorCode}


def _validation_error(exc: RequestValidationError) -> APIError:
    """FastAPI's request-validation error as an APIError; the rejected input is not echoed."""
    errors: list[dict[str, Any]] = []
    places: list[str] = []
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ())]
        msg = str(error.get("msg", ""))
        errors.append({"loc": loc, "msg": msg, "type": str(error.get("type", ""))})
        places.append(f"{'.'.join(loc)}: {msg}")
    where = ", ".join(places[:3])
    return APIError.validation_error(
        f"invalid request: {where or 'rejected'}", details={"errors": errors}
    )


def _refusal_response(exc: StarletteHTTPException) -> Response:
    """An HTTPException (e.g. raised by the auth dependency) as an APIError body."""
    detail: object = exc.detail  # typed str by starlette; our auth raises with a dict
    if isinstance(detail, dict) and {"code", "message", "details"} <= detail.keys():
        body: dict[str, Any] = dict(detail)
    else:
        code = _STATUS_CODES.get(exc.status_code, ErrorCode.BAD_REQUEST)
        body = {"code": code.value, "message": str(detail), "details": {}}
    return SafeJSONResponse(body, status_code=exc.status_code, headers=exc.headers)


def _declared_length(request: Request) -> int:
    """The Content-Length a request declares (0 when absent or not a plain number)."""
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        return 0
    return int(length) if len(length) < 19 else 1 << 63


class MonitoringRoute(APIRoute):
    """The router's route class: APIError 4xx bodies, security headers, a body cap.

    Request-validation errors (FastAPI's own 422) and HTTPExceptions raised before the
    endpoint runs (the auth dependency's 401/403, the 413 of an oversize body) are served as
    APIError bodies, for the monitoring routes only; the app's other routes keep their
    handlers. ``configured(...)`` makes the subclass a router uses (its body cap, and whether a
    browser refused by the HTML page is sent to the login form).
    """

    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    login_redirect: bool = False

    @classmethod
    def configured(cls, *, max_body_bytes: int, login_redirect: bool) -> type[MonitoringRoute]:
        """A subclass with this body cap and login redirect (one per router)."""
        attributes = {"max_body_bytes": max_body_bytes, "login_redirect": login_redirect}
        return type(cls.__name__, (cls,), attributes)

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        kwargs["responses"] = {422: {"model": APIError}, **(kwargs.get("responses") or {})}
        if isinstance(kwargs.get("response_class"), DefaultPlaceholder):
            # JSON answers never fail on odd text (a lone surrogate in an operation name)
            kwargs["response_class"] = Default(SafeJSONResponse)
        super().__init__(path, endpoint, **kwargs)

    def _sends_to_login(self, request: Request, exc: StarletteHTTPException) -> bool:
        response_class: object = self.response_class
        return (
            exc.status_code == 401
            and self.login_redirect
            and request.method == "GET"
            and isinstance(response_class, type)
            and issubclass(response_class, HTMLResponse)
            and "text/html" in request.headers.get("accept", "")
        )

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        limit = self.max_body_bytes

        async def route_handler(request: Request) -> Response:
            try:
                if _declared_length(request) > limit:
                    raise body_too_large(limit)
                limited = Request(request.scope, limit_body(request.receive, limit))
                response = await handler(limited)
            except RequestValidationError as exc:
                error = _validation_error(exc)
                response = SafeJSONResponse(error.to_dict(), status_code=error.http_status)
            except StarletteHTTPException as exc:
                if self._sends_to_login(request, exc):
                    # Relative: resolves to <prefix>/login whatever the mount point.
                    response = RedirectResponse("login", status_code=303)
                else:
                    response = _refusal_response(exc)
            return secure_headers(response)

        return route_handler
