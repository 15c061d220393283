"""``MonitoringRoute``: the monitoring router's route class; every 4xx body is an APIError."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from rfs_monitoring.errors import APIError, ErrorCode, MissingExtraError

try:
    from fastapi import Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from fastapi.routing import APIRoute
    from starlette.exceptions import HTTPException as StarletteHTTPException
    from starlette.responses import Response
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
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


class MonitoringRoute(APIRoute):
    """The router's route class: every 4xx body is an APIError ``{code, message, details}``.

    Request-validation errors (FastAPI's own 422) and HTTPExceptions raised before the
    endpoint runs (the auth dependency's 401/403) are served as APIError bodies, for the
    monitoring routes only; the app's other routes keep their handlers.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        kwargs["responses"] = {422: {"model": APIError}, **(kwargs.get("responses") or {})}
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                error = _validation_error(exc)
                return JSONResponse(error.to_dict(), status_code=error.http_status)
            except StarletteHTTPException as exc:
                return _refusal_response(exc)

        return route_handler
