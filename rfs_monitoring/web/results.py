"""Result-returning endpoints under FastAPI: ``handle_result``, ``FastAPIResult``, ``ResultRoute``.

Served by FastAPI, a ``Success(value)`` becomes the JSON of ``value`` (through the route's
``response_model`` and ``status_code``), a ``Failure(APIError)`` the APIError body with its
HTTP status, a timeout 504 and any other error 500 with a generic message. Called directly,
a decorated endpoint returns its Result.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar

from rfs_monitoring.callables import is_async_callable
from rfs_monitoring.errors import APIError, ConfigurationError, ErrorCode, MissingExtraError
from rfs_monitoring.mono import MonoResult
from rfs_monitoring.result import Failure, Result, Success, to_result
from rfs_monitoring.served import client_error, error_body

try:
    import anyio.from_thread
    from fastapi import FastAPI
    from fastapi.encoders import jsonable_encoder
    from fastapi.exceptions import RequestValidationError
    from fastapi.routing import APIRoute, APIRouter
    from starlette.exceptions import HTTPException
    from starlette.responses import JSONResponse, Response

    from rfs_monitoring.web.responses import SafeJSONResponse
except ImportError as exc:
    raise MissingExtraError("rfs_monitoring.web", "fastapi", exc.name or "fastapi") from exc

from rfs_monitoring.web.signature import fastapi_signature, returns_result

__all__ = [
    "DEFAULT_ERROR_STATUSES",
    "FastAPIResult",
    "ResultRoute",
    "api_error_responses",
    "handle_result",
    "install_result_routes",
    "is_result_handled",
]

T = TypeVar("T")
C = TypeVar("C", bound=Callable[..., Any])

FastAPIResult: typing.TypeAlias = Result[T, APIError]
"""``FastAPIResult[T]`` is ``Result[T, APIError]``: what a result-aware endpoint returns."""

_HANDLED_MARK = "__rfs_handle_result__"

# Exceptions FastAPI turns into responses itself; everything else becomes a 500 APIError.
_PASSTHROUGH: tuple[type[BaseException], ...] = (HTTPException, RequestValidationError)

# 422 is left out: FastAPI documents its own request-validation body under that status.
DEFAULT_ERROR_STATUSES: tuple[int, ...] = tuple(
    sorted({code.http_status for code in ErrorCode} - {422})
)


def api_error_responses(
    statuses: typing.Iterable[int] = DEFAULT_ERROR_STATUSES,
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting the APIError body for each of ``statuses``.

    Pass it as ``responses=`` to a route that is not a ResultRoute; ResultRoute adds it itself.
    """
    return {status: {"model": APIError} for status in statuses}


def is_result_handled(endpoint: object) -> bool:
    """True when ``endpoint`` (or a function it wraps) was decorated with handle_result."""
    current: object = endpoint
    for _ in range(100):  # a __wrapped__ cycle must not hang route creation
        if getattr(current, _HANDLED_MARK, False):
            return True
        current = getattr(current, "__wrapped__", None)
        if current is None:
            return False
    return False


# --------------------------------------------------------------------------- responses


def _error_response(error: APIError) -> JSONResponse:
    body = error_body(error, jsonable_encoder)
    return SafeJSONResponse(body, status_code=error.http_status)  # never a 500 on odd text


def _respond(outcome: object, endpoint: str) -> object:
    """What the FastAPI handler receives: the success value or an error JSONResponse."""
    if isinstance(outcome, Response):
        return outcome
    try:
        result = to_result(outcome)
    except Exception as exc:  # noqa: BLE001 - no Result (or a broken adapter): a 500
        return _error_response(client_error(exc, endpoint))
    if isinstance(result, Success):
        return result.value
    return _error_response(client_error(result.unwrap_error(), endpoint))


# --------------------------------------------------------------------------- handle_result

_TakeRequest = Callable[[dict[str, Any]], object]


async def _await(awaitable: Awaitable[object]) -> object:
    return await awaitable


def _async_wrapper(func: Callable[..., Any], take_request: _TakeRequest) -> Callable[..., Any]:
    name = getattr(func, "__qualname__", None) or repr(func)

    @functools.wraps(func)
    async def async_endpoint(*args: Any, **kwargs: Any) -> Any:
        request = take_request(kwargs)
        if request is None:
            outcome = await func(*args, **kwargs)
            if isinstance(outcome, MonoResult):
                return await outcome
            return outcome
        try:
            outcome = await func(*args, **kwargs)
            if inspect.isawaitable(outcome):
                outcome = await outcome
        except _PASSTHROUGH:
            raise
        except Exception as exc:  # noqa: BLE001 - served as a 500 APIError
            outcome = Failure(exc)
        return _respond(outcome, name)

    return async_endpoint


def _sync_wrapper(func: Callable[..., Any], take_request: _TakeRequest) -> Callable[..., Any]:
    name = getattr(func, "__qualname__", None) or repr(func)

    @functools.wraps(func)
    def sync_endpoint(*args: Any, **kwargs: Any) -> Any:
        request = take_request(kwargs)
        if request is None:
            return func(*args, **kwargs)
        try:
            outcome = func(*args, **kwargs)
            if inspect.isawaitable(outcome):
                # FastAPI runs sync endpoints in a worker thread of its event loop.
                outcome = anyio.from_thread.run(_await, outcome)
        except _PASSTHROUGH:
            raise
        except Exception as exc:  # noqa: BLE001 - served as a 500 APIError
            outcome = Failure(exc)
        return _respond(outcome, name)

    return sync_endpoint


def handle_result(func: C) -> C:
    """Serve a Result-returning endpoint with FastAPI; a direct call still returns the Result.

    Under FastAPI the wrapper returns the success value (serialised through the route's
    ``response_model`` and ``status_code``; the model defaults to ``T`` of a
    ``Result[T, APIError]`` / ``FastAPIResult[T]`` / ``MonoResult[T, E]`` return annotation)
    or a JSONResponse with the APIError body ``{"code", "message", "details"}`` and its
    status (secrets in the message and details are masked like log output, see
    ``rfs_monitoring.masking``). A Failure that is no APIError is served as 504 for
    timeouts (``rfs_monitoring.errors.is_timeout``) and 500 otherwise, with a generic
    message (the error is logged on ``rfs_monitoring.web``); so is an exception raised by
    the endpoint, except ``HTTPException`` and ``RequestValidationError`` which FastAPI
    handles as usual. Foreign Results (``returns``, ``result``, rfs-framework) are adapted;
    a returned ``Response`` is served unchanged.

    Works on async and sync endpoints returning a Result or a MonoResult. Called directly
    (e.g. in tests), the async wrapper awaits a returned MonoResult and returns the Result;
    exceptions propagate unchanged.

    The wrapper's ``__signature__`` has one extra keyword-only parameter annotated
    ``starlette.requests.Request``: FastAPI fills it (and leaves it out of OpenAPI), which
    is how the wrapper knows it is serving a request. An endpoint with a ``Request``
    parameter of its own gets none: a call with a request in that parameter is served as
    a request.
    """
    candidate: object = func
    if not callable(candidate):
        kind = type(candidate).__name__
        msg = f"handle_result expects a callable endpoint, got {kind}: {candidate!r}"
        raise TypeError(msg)
    if is_result_handled(func):
        return func
    signature, request_param, hidden = fastapi_signature(func)

    def take_request(kwargs: dict[str, Any]) -> object:
        return kwargs.pop(request_param, None) if hidden else kwargs.get(request_param)

    build = _async_wrapper if is_async_callable(func) else _sync_wrapper
    wrapper = build(func, take_request)
    wrapper.__signature__ = signature  # type: ignore[attr-defined]
    setattr(wrapper, _HANDLED_MARK, True)
    return typing.cast("C", wrapper)


# --------------------------------------------------------------------------- routes


class ResultRoute(APIRoute):
    """An APIRoute for Result-returning endpoints.

    An endpoint annotated ``-> FastAPIResult[T]`` (any ``Result``/``MonoResult`` return
    annotation) is wrapped with ``handle_result``; one already decorated is not wrapped
    again. For every result-aware endpoint the APIError body is documented in OpenAPI for
    the statuses in ``error_statuses`` (responses given to the route take precedence).
    Other endpoints are served exactly as by APIRoute.
    """

    error_statuses: ClassVar[tuple[int, ...]] = DEFAULT_ERROR_STATUSES

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not is_result_handled(endpoint) and returns_result(endpoint):
            endpoint = handle_result(endpoint)
        if is_result_handled(endpoint):
            given = kwargs.get("responses") or {}
            kwargs["responses"] = {**api_error_responses(self.error_statuses), **given}
        super().__init__(path, endpoint, **kwargs)


def install_result_routes(app_or_router: FastAPI | APIRouter) -> FastAPI | APIRouter:
    """Make every route added from now on to ``app_or_router`` a ResultRoute; returns it.

    Call it right after creating the app or router, before its routes are defined (an
    ``APIRouter(route_class=ResultRoute)`` does the same for one router). Routers included
    into the app keep their own route class.

    Raises:
        ConfigurationError: ``app_or_router`` is neither a FastAPI app nor an APIRouter.
    """
    target: object = app_or_router
    if isinstance(target, FastAPI):
        target.router.route_class = ResultRoute
    elif isinstance(target, APIRouter):
        target.route_class = ResultRoute
    else:
        msg = (
            "install_result_routes() expects a FastAPI app or an APIRouter, "
            f"got {type(target).__name__}: {target!r}"
        )
        raise ConfigurationError(msg)
    return app_or_router
