"""FastAPI glue: Result-returning endpoints, ``FastAPIResult``, ``ResultRoute``, correlation ids.

Needs the ``fastapi`` extra; ``import rfs_monitoring`` does not import this module (its
names are served lazily), so a missing FastAPI only matters when these names are used::

    app = FastAPI()
    install_result_routes(app)          # APIError responses in OpenAPI, undecorated Result routes
    app.add_middleware(CorrelationIdMiddleware)

    @app.get("/users/{user_id}")
    @handle_result
    async def get_user(user_id: str) -> Result[UserResponse, APIError]: ...

    @app.get("/metrics")
    async def metrics() -> FastAPIResult[PerformanceMetrics]: ...   # works through ResultRoute

Served by FastAPI, a ``Success(value)`` becomes the JSON of ``value`` (through the route's
``response_model`` and ``status_code``), a ``Failure(APIError)`` the APIError body with its
HTTP status, a timeout 504 and any other error 500 with a generic message. Called directly,
a decorated endpoint returns its Result.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import typing
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar

from rfs_monitoring.context import (
    is_valid_correlation_id,
    new_correlation_id,
    reset_correlation_id,
    reset_request_id,
    set_correlation_id,
    set_request_id,
)
from rfs_monitoring.errors import APIError, ConfigurationError, ErrorCode, MissingExtraError
from rfs_monitoring.masking import mask_text, mask_value
from rfs_monitoring.mono import MonoResult
from rfs_monitoring.result import Failure, Result, Success, to_result

try:
    import anyio.from_thread
    from fastapi import FastAPI
    from fastapi.encoders import jsonable_encoder
    from fastapi.exceptions import RequestValidationError
    from fastapi.routing import APIRoute, APIRouter
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.types import ASGIApp, Message, Receive, Scope, Send
except ImportError as exc:
    raise MissingExtraError("rfs_monitoring.web", "fastapi", exc.name or "fastapi") from exc

__all__ = [
    "DEFAULT_ERROR_STATUSES",
    "CorrelationIdMiddleware",
    "FastAPIResult",
    "ResultRoute",
    "api_error_responses",
    "handle_result",
    "install_result_routes",
    "is_result_handled",
    "returns_result",
]

T = TypeVar("T")
C = TypeVar("C", bound=Callable[..., Any])

FastAPIResult: typing.TypeAlias = Result[T, APIError]
"""``FastAPIResult[T]`` is ``Result[T, APIError]``: what a result-aware endpoint returns."""

_logger = logging.getLogger(__name__)

_HANDLED_MARK = "__rfs_handle_result__"
_REQUEST_PARAM = "_rfs_request"
_EMPTY = inspect.Signature.empty

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


# --------------------------------------------------------------------------- handle_result


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


def _resolve(annotation: object, globalns: dict[str, Any]) -> object:
    # Per annotation, so that one unresolvable name does not lose the others. Twice: under
    # ``from __future__ import annotations`` a quoted annotation is a string of a string.
    for _ in range(2):
        if not isinstance(annotation, str):
            break
        try:
            annotation = eval(annotation, globalns)  # what typing.get_type_hints does
        except Exception:  # noqa: BLE001 - an unresolvable annotation stays a string
            break
    return annotation


def _success_type(annotation: object) -> object:
    """The success type ``T`` of a ``Result[T, E]``-like annotation, for ``response_model``."""
    if annotation is _EMPTY or isinstance(annotation, str):
        return _EMPTY
    origin = typing.get_origin(annotation)
    if isinstance(origin, type) and issubclass(origin, (Result, MonoResult)):
        args = typing.get_args(annotation)
        if origin is Failure or not args or args[0] is Any or isinstance(args[0], TypeVar):
            return _EMPTY
        return args[0]
    if isinstance(annotation, type) and issubclass(annotation, (Result, MonoResult)):
        return _EMPTY
    return annotation


def returns_result(endpoint: Callable[..., Any]) -> bool:
    """True when ``endpoint`` is annotated to return a Result or MonoResult."""
    try:
        annotation = inspect.signature(endpoint).return_annotation
    except (TypeError, ValueError):
        return False
    unwrapped = inspect.unwrap(endpoint)
    annotation = _resolve(annotation, getattr(unwrapped, "__globals__", {}))
    origin = typing.get_origin(annotation) or annotation
    return isinstance(origin, type) and issubclass(origin, (Result, MonoResult))


def _fastapi_signature(func: Callable[..., Any]) -> tuple[inspect.Signature, str, bool]:
    """``func``'s signature as FastAPI should see it, and how the request reaches the wrapper.

    Annotations are resolved in ``func``'s module, the return annotation is the success
    type, and a hidden keyword-only ``Request`` parameter is added unless ``func`` has a
    ``Request`` parameter of its own (FastAPI fills only one). Returns the signature, the
    name of the parameter that carries the request and whether it is the hidden one.
    """
    signature = inspect.signature(func)
    globalns = getattr(inspect.unwrap(func), "__globals__", {})
    params = [
        p.replace(annotation=_resolve(p.annotation, globalns))
        for p in signature.parameters.values()
    ]
    success = _success_type(_resolve(signature.return_annotation, globalns))
    for param in params:
        if isinstance(param.annotation, type) and issubclass(param.annotation, Request):
            return (
                signature.replace(parameters=params, return_annotation=success),
                param.name,
                False,
            )
    name = _REQUEST_PARAM
    while name in signature.parameters:
        name += "_"
    hidden = inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=Request)
    if params and params[-1].kind is inspect.Parameter.VAR_KEYWORD:
        params.insert(len(params) - 1, hidden)
    else:
        params.append(hidden)
    return signature.replace(parameters=params, return_annotation=success), name, True


def _is_async(func: Callable[..., Any]) -> bool:
    if inspect.iscoroutinefunction(func):
        return True
    call = getattr(func, "__call__", None)  # noqa: B004 - an object with async __call__
    return inspect.iscoroutinefunction(call)


def _client_error(error: object, endpoint: str) -> APIError:
    """The APIError served for a Failure's ``error``: never internal text."""
    if isinstance(error, APIError):
        return error
    if isinstance(error, (TimeoutError, asyncio.TimeoutError)):
        return APIError.timeout(seconds=getattr(error, "seconds", None))
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


def _error_response(error: APIError) -> JSONResponse:
    # An error body is output like a log line: secrets in the message or the details (a
    # token, a password field, a card number) are masked the same way.
    message = mask_text(error.message)
    try:
        details = mask_value(jsonable_encoder(error.details))
        if not isinstance(details, dict):  # masking failed: its placeholder is no mapping
            details = {}
    except Exception:
        _logger.exception("APIError details of %s are not JSON-serialisable", error.code.value)
        details = {}
    body = {"code": error.code.value, "message": message, "details": details}
    return JSONResponse(body, status_code=error.http_status)


def _respond(outcome: object, endpoint: str) -> object:
    """What the FastAPI handler receives: the success value or an error JSONResponse."""
    if isinstance(outcome, Response):
        return outcome
    try:
        result = to_result(outcome)
    except Exception as exc:  # noqa: BLE001 - no Result (or a broken adapter): a 500
        return _error_response(_client_error(exc, endpoint))
    if isinstance(result, Success):
        return result.value
    return _error_response(_client_error(result.unwrap_error(), endpoint))


async def _await(awaitable: Awaitable[object]) -> object:
    return await awaitable


def handle_result(func: C) -> C:
    """Serve a Result-returning endpoint with FastAPI; a direct call still returns the Result.

    Under FastAPI the wrapper returns the success value (serialised through the route's
    ``response_model`` and ``status_code``; the model defaults to ``T`` of a
    ``Result[T, APIError]`` / ``FastAPIResult[T]`` / ``MonoResult[T, E]`` return annotation)
    or a JSONResponse with the APIError body ``{"code", "message", "details"}`` and its
    status (secrets in the message and details are masked like log output, see
    ``rfs_monitoring.masking``). A Failure that is no APIError is served as 504 for
    timeouts and 500 otherwise, with a generic message (the error is logged on
    ``rfs_monitoring.web``); so is an exception raised by the endpoint, except
    ``HTTPException`` and ``RequestValidationError`` which FastAPI handles as usual.
    Foreign Results (``returns``, ``result``, rfs-framework) are adapted; a returned
    ``Response`` is served unchanged.

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
    signature, request_param, hidden = _fastapi_signature(func)

    def take_request(kwargs: dict[str, Any]) -> object:
        return kwargs.pop(request_param, None) if hidden else kwargs.get(request_param)

    name = getattr(func, "__qualname__", None) or repr(func)

    if _is_async(func):

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

        wrapper: Callable[..., Any] = async_endpoint
    else:

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

        wrapper = sync_endpoint

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


# --------------------------------------------------------------------------- middleware

_HEADER_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz")


def _header_name(value: object, what: str) -> bytes:
    if not isinstance(value, str) or not value or not set(value.lower()) <= _HEADER_TOKEN:
        msg = f"CorrelationIdMiddleware {what} must be an HTTP header name, got {value!r}"
        raise ConfigurationError(msg)
    return value.lower().encode("ascii")


class CorrelationIdMiddleware:
    """Pure ASGI middleware giving every request a correlation id.

    The id is the request's ``X-Correlation-ID`` header, else its ``X-Request-ID``, when it
    is 1..128 characters of ``[A-Za-z0-9._-]``; otherwise (missing, too long, CR/LF or any
    other character) a new one is generated. For the request's duration it is bound as the
    correlation id of ``rfs_monitoring.context`` (the request id is a valid ``X-Request-ID``,
    else the same id), stored as ``request.state.correlation_id`` and echoed in the
    ``X-Correlation-ID`` response header.

    Args:
        app: the ASGI app to wrap.
        header_name: the header read first and echoed.
        fallback_header: the header read when ``header_name`` gives no valid id.
    """

    __slots__ = ("_fallback", "_header", "app")

    def __init__(
        self,
        app: ASGIApp,
        *,
        header_name: str = "X-Correlation-ID",
        fallback_header: str = "X-Request-ID",
    ) -> None:
        self.app = app
        self._header = _header_name(header_name, "header_name")
        self._fallback = _header_name(fallback_header, "fallback_header")

    def _incoming(self, scope: Scope) -> tuple[str | None, str | None]:
        primary: str | None = None
        fallback: str | None = None
        for raw_name, raw_value in scope.get("headers") or ():
            name = raw_name.lower()
            if name == self._header and primary is None:
                primary = raw_value.decode("latin-1")
            elif name == self._fallback and fallback is None:
                fallback = raw_value.decode("latin-1")
        return (
            primary if is_valid_correlation_id(primary) else None,
            fallback if is_valid_correlation_id(fallback) else None,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        primary, fallback = self._incoming(scope)
        correlation_id = primary or fallback or new_correlation_id()
        state = scope.setdefault("state", {})
        if isinstance(state, dict):
            state["correlation_id"] = correlation_id
        header = (self._header, correlation_id.encode("latin-1"))

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", ()) if h[0].lower() != header[0]]
                headers.append(header)
                message = {**message, "headers": headers}
            await send(message)

        cid_token = set_correlation_id(correlation_id)
        rid_token = set_request_id(fallback or correlation_id)
        try:
            await self.app(scope, receive, send_with_header)
        finally:
            reset_request_id(rid_token)
            reset_correlation_id(cid_token)
