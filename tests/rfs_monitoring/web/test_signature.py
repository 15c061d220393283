"""What FastAPI sees of a result-aware endpoint: the hidden request parameter, the success type."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from starlette.requests import Request

from rfs_monitoring import (
    APIError,
    Failure,
    MonoResult,
    Result,
    Success,
)
from rfs_monitoring.web import (
    DEFAULT_ERROR_STATUSES,
    FastAPIResult,
    api_error_responses,
    handle_result,
    is_result_handled,
    returns_result,
    success_type,
)

from .app import UserResponse, get_performance_metrics, get_user, plain_model


class TestSignature:
    def test_a_hidden_request_parameter_is_added(self) -> None:
        sig = inspect.signature(get_user)
        assert list(sig.parameters) == ["user_id", "_rfs_request"]
        hidden = sig.parameters["_rfs_request"]
        assert hidden.kind is inspect.Parameter.KEYWORD_ONLY
        assert hidden.annotation is Request
        assert sig.return_annotation is UserResponse

    def test_the_hidden_name_avoids_a_clash(self) -> None:
        @handle_result
        async def endpoint(_rfs_request: int, **extra: Any) -> Result[int, APIError]:
            return Success(_rfs_request)

        params = list(inspect.signature(endpoint).parameters)
        assert params == ["_rfs_request", "_rfs_request_", "extra"]

    def test_string_annotations_are_resolved_in_the_function_module(self) -> None:
        @handle_result
        async def endpoint(user_id: "str") -> "FastAPIResult[UserResponse]":  # noqa: UP037
            return Success(UserResponse(user_id=user_id, name="x"))

        sig = inspect.signature(endpoint)
        assert sig.parameters["user_id"].annotation is str
        assert sig.return_annotation is UserResponse

    def test_an_unresolvable_annotation_stays_a_string(self) -> None:
        @handle_result
        async def endpoint(user_id: "Missing") -> "Result[Missing, APIError]":  # noqa: F821, UP037
            return Success(user_id)

        sig = inspect.signature(endpoint)
        assert sig.parameters["user_id"].annotation == "Missing"
        assert sig.return_annotation is inspect.Signature.empty

    @pytest.mark.parametrize(
        ("annotation", "expected"),
        [
            (Result[int, APIError], int),
            (FastAPIResult[UserResponse], UserResponse),
            (MonoResult[str, APIError], str),
            (Success[int], int),
            (Failure[APIError], "empty"),
            (Result, "empty"),
            (Result[Any, APIError], "empty"),
            (FastAPIResult, "empty"),
            (UserResponse, UserResponse),
        ],
    )
    def test_success_type_of_annotations(self, annotation: object, expected: object) -> None:
        want = inspect.Signature.empty if expected == "empty" else expected
        assert success_type(annotation) is want

    def test_generic_aliases_in_parameters_and_the_return_pass_through(self) -> None:
        # Python 3.10 counts list[int] as an instance of type, and issubclass raises on it
        @handle_result
        async def endpoint(body: dict[str, str], tags: list[int]) -> dict[str, str]:
            return body

        sig = inspect.signature(endpoint)
        assert sig.parameters["body"].annotation == dict[str, str]
        assert sig.parameters["tags"].annotation == list[int]
        assert sig.return_annotation == dict[str, str]
        assert sig.parameters["_rfs_request"].annotation is Request

    def test_returns_result(self) -> None:
        assert returns_result(get_performance_metrics)
        assert not returns_result(plain_model)
        assert not returns_result(dict)  # no signature at all

    def test_a_wrapped_cycle_does_not_hang(self) -> None:
        def a() -> None: ...

        def b() -> None: ...

        a.__wrapped__ = b  # type: ignore[attr-defined]
        b.__wrapped__ = a  # type: ignore[attr-defined]
        assert not is_result_handled(a)

    def test_handle_result_rejects_non_callables(self) -> None:
        with pytest.raises(TypeError) as info:
            handle_result(42)  # type: ignore[type-var]
        assert str(info.value) == "handle_result expects a callable endpoint, got int: 42"

    @pytest.mark.asyncio
    async def test_async_callable_objects_get_an_async_wrapper(self) -> None:
        class Endpoint:
            async def __call__(self) -> Result[int, APIError]:
                return Success(7)

        wrapped = handle_result(Endpoint())
        assert inspect.iscoroutinefunction(wrapped)
        assert await wrapped() == Success(7)

    def test_api_error_responses(self) -> None:
        assert api_error_responses((404, 409)) == {
            404: {"model": APIError},
            409: {"model": APIError},
        }
        assert DEFAULT_ERROR_STATUSES == (400, 401, 403, 404, 409, 413, 429, 499, 500, 503, 504)
