"""The pydantic schema of ``Result``: how FastAPI serves an endpoint annotated with one.

Pydantic calls ``Result.__get_pydantic_core_schema__`` (which delegates here) when a
``Result[T, E]`` / ``FastAPIResult[T]`` / ``Success[T]`` annotation is used as a field type,
e.g. the return annotation FastAPI turns into an endpoint's response field. So the plan's
undecorated endpoint works on a plain ``app = FastAPI()``::

    @app.get("/analytics/performance")
    async def get_performance_metrics() -> FastAPIResult[PerformanceMetrics]: ...

- **Success**: ``Success(value)`` validates as ``Success(<value validated as T>)`` and
  serialises as ``T`` does; the JSON schema (OpenAPI's 200 response) is ``T``'s.
- **Failure**: validating ``Failure(error)`` raises ``FailureResponse``, a FastAPI
  ``HTTPException`` with the served error's status (``served.client_error``: an APIError's
  own, 504 for a timeout, else 500) and the masked APIError body as its ``detail``; FastAPI's
  default handler answers it with that status and ``{"detail": {"code", "message",
  "details"}}``. Response validation is the last point at which FastAPI still turns an
  exception into a response (serialisation errors become 500s), and an HTTPException is what
  every FastAPI app handles without set-up. ``@handle_result`` / ``install_result_routes``
  serve the body without the ``detail`` wrapper and document the error statuses in OpenAPI.
  Without FastAPI installed a Failure is a plain validation error ("result_failure").
- Foreign Results (``returns``, ``result``, rfs-framework) are adapted; a value that is no
  Result is a validation error ("result_type").
"""

from __future__ import annotations

import typing
from typing import TYPE_CHECKING, Any

from rfs_monitoring.errors import APIError, ResultAdapterError
from rfs_monitoring.result import Failure, Success, to_result
from rfs_monitoring.served import client_error, error_body

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema, core_schema

__all__ = ["FailureResponse", "result_core_schema"]

try:  # FastAPI's HTTPException: its detail may be any JSON value
    from fastapi.exceptions import HTTPException as _HTTPBase

    _HAS_FASTAPI = True
except ImportError:  # pragma: no cover - only without the fastapi extra
    _HTTPBase = Exception  # type: ignore[assignment,misc]
    _HAS_FASTAPI = False


class FailureResponse(_HTTPBase):
    """A ``Failure`` met where FastAPI validates a response: served as its HTTP error.

    FastAPI's ``HTTPException`` (when FastAPI is installed), so FastAPI's default handler answers it
    with ``status_code`` and ``{"detail": detail}``; register a handler for this class to
    shape the answer yourself.

    Attributes:
        error: the APIError served (``served.client_error`` of the Failure's error).
        result: the Failure itself.
        status_code: the error's HTTP status.
        detail: the masked body ``{"code", "message", "details"}``.
    """

    def __init__(self, result: Failure[object], error: APIError, body: dict[str, Any]) -> None:
        super().__init__(status_code=error.http_status, detail=body)
        self.error = error
        self.result = result


def _encode(value: object) -> object:
    from pydantic_core import to_jsonable_python

    return to_jsonable_python(value, fallback=str)


def _success_type(source: object) -> object:
    origin = typing.get_origin(source) or source
    args = typing.get_args(source)
    if origin is Failure or not args:
        return Any
    return args[0]


def _failed(result: Failure[object]) -> Exception:
    from pydantic_core import PydanticCustomError

    error = client_error(result.error, "<a Result response>")
    body = error_body(error, _encode)
    if not _HAS_FASTAPI:  # pragma: no cover - only without the fastapi extra
        msg = "the Result is a Failure: {code}: {message}"
        return PydanticCustomError("result_failure", msg, {**body})
    return FailureResponse(result, error, body)


def _validate(value: object, inner: core_schema.ValidatorFunctionWrapHandler) -> object:
    from pydantic_core import PydanticCustomError

    try:
        result = to_result(value)
    except ResultAdapterError:
        kind = type(value).__name__
        msg = "expected a Result (Success or Failure), got {kind}"
        raise PydanticCustomError("result_type", msg, {"kind": kind}) from None
    if isinstance(result, Success):
        return Success(inner(result.value))
    raise _failed(typing.cast("Failure[object]", result))


def _serialize(value: object, inner: core_schema.SerializerFunctionWrapHandler) -> object:
    if isinstance(value, Success):
        return inner(value.value)
    kind = type(value).__name__
    msg = f"only a Success can be serialised as its value, got {kind}: {value!r}"
    raise ValueError(msg)


def result_core_schema(source: object, handler: GetCoreSchemaHandler) -> CoreSchema:
    """The core schema of the ``Result`` annotation ``source`` (see the module docstring)."""
    from pydantic_core import core_schema

    value_schema = handler.generate_schema(_success_type(source))
    return core_schema.no_info_wrap_validator_function(
        _validate,
        value_schema,
        serialization=core_schema.wrap_serializer_function_ser_schema(
            _serialize, schema=value_schema
        ),
    )
