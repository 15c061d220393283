"""rfs_monitoring.web through a real FastAPI app served by httpx.ASGITransport."""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
import result as rustedpy
import returns.result as dry
from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import PlainTextResponse

from rfs_monitoring import (
    APIError,
    ConfigurationError,
    ErrorCode,
    Failure,
    MonoResult,
    Result,
    ResultTimeoutError,
    Success,
)
from rfs_monitoring.context import get_correlation_id, get_request_id, peek_correlation_id
from rfs_monitoring.web import (
    DEFAULT_ERROR_STATUSES,
    CorrelationIdMiddleware,
    FastAPIResult,
    ResultRoute,
    api_error_responses,
    handle_result,
    install_result_routes,
    is_result_handled,
    returns_result,
)

# --------------------------------------------------------------------------- the app


class UserResponse(BaseModel):
    user_id: str
    name: str


class NewUser(BaseModel):
    name: str


class PublicUser(BaseModel):
    name: str


class StoredUser(BaseModel):
    name: str
    password_hash: str


class PerformanceMetrics(BaseModel):
    operation: str
    total: int


USERS = {"123": UserResponse(user_id="123", name="Ada")}
CALLS: dict[str, int] = {}
SECRET = "db-password=hunter2 at /srv/internal/db.py:42"


async def fetch_user(user_id: str) -> Result[UserResponse, APIError]:
    await asyncio.sleep(0)
    user = USERS.get(user_id)
    return Success(user) if user is not None else Failure(APIError.not_found("User", user_id))


def current_token(x_token: str | None = Header(default=None)) -> str | None:
    return x_token


app = FastAPI()
install_result_routes(app)
app.add_middleware(CorrelationIdMiddleware)


@app.get("/users/{user_id}")
@handle_result
async def get_user(user_id: str) -> Result[UserResponse, APIError]:
    """Read one user."""
    CALLS["get_user"] = CALLS.get("get_user", 0) + 1
    return await fetch_user(user_id)


@app.post("/users", status_code=201)
@handle_result
async def create_user(
    body: NewUser, token: str | None = Depends(current_token)
) -> FastAPIResult[UserResponse]:
    if token is None:
        return Failure(APIError.unauthorized())
    if any(u.name == body.name for u in USERS.values()):
        return Failure(APIError.conflict(f"user {body.name} exists", {"name": body.name}))
    return Success(UserResponse(user_id="new", name=body.name))


@app.get("/ages")
@handle_result
async def check_age(age: int, unit: str = "years") -> FastAPIResult[dict[str, Any]]:
    if age < 0:
        return Failure(APIError.validation_error("age must be >= 0", field="age"))
    return Success({"age": age, "unit": unit})


@app.get("/slow")
@handle_result
async def slow() -> FastAPIResult[str]:
    async def forever() -> Result[str, Any]:
        await asyncio.sleep(3600)
        return Success("never")

    return await MonoResult.from_async_result(forever).timeout(0.01)


@app.get("/timeout-error")
@handle_result
async def timeout_error() -> FastAPIResult[str]:
    return Failure(TimeoutError("upstream socket timed out at 10.0.0.7"))


@app.get("/boom")
@handle_result
async def boom() -> FastAPIResult[str]:
    raise RuntimeError(SECRET)


@app.get("/internal-failure")
@handle_result
async def internal_failure() -> FastAPIResult[str]:
    return Failure(KeyError(SECRET))


@app.get("/string-failure")
@handle_result
async def string_failure() -> FastAPIResult[str]:
    return Failure(SECRET)


@app.get("/mono")
@handle_result
async def mono_endpoint() -> MonoResult[UserResponse, APIError]:
    return MonoResult.from_async_result(lambda: fetch_user("123")).map(
        lambda u: UserResponse(user_id=u.user_id, name=u.name.upper())
    )


@app.get("/sync/{user_id}")
@handle_result
def sync_endpoint(user_id: str) -> Result[PublicUser, APIError]:
    if user_id == "123":
        return Success(PublicUser(name="Ada"))
    return Failure(APIError.not_found("User", user_id))


@app.get("/sync-mono")
@handle_result
def sync_mono_endpoint() -> MonoResult[PublicUser, APIError]:
    return MonoResult.from_value(PublicUser(name="from a thread"))


@app.get("/sync-http-exception")
@handle_result
def sync_http_exception() -> Result[str, APIError]:
    raise HTTPException(status_code=403, detail="nope")


@app.get("/unserialisable-details")
@handle_result
async def unserialisable_details() -> FastAPIResult[int]:
    return Failure(APIError.conflict("taken", {"obj": object()}))


class BadRepr(Exception):
    def __repr__(self) -> str:
        raise RuntimeError("repr broke")


@app.get("/bad-repr")
@handle_result
async def bad_repr() -> FastAPIResult[int]:
    return Failure(BadRepr())


@app.get("/sync-boom")
@handle_result
def sync_boom() -> Result[str, APIError]:
    raise ValueError(SECRET)


@app.get("/filtered", response_model=PublicUser)
@handle_result
async def filtered() -> Result[StoredUser, APIError]:
    return Success(StoredUser(name="Ada", password_hash="$2b$secret"))


@app.get("/foreign/{kind}")
@handle_result
async def foreign(kind: str) -> FastAPIResult[int]:
    values: dict[str, Any] = {
        "returns-ok": dry.Success(1),
        "returns-err": dry.Failure(APIError.forbidden()),
        "result-ok": rustedpy.Ok(2),
        "result-err": rustedpy.Err(APIError.rate_limited()),
    }
    return values[kind]  # type: ignore[no-any-return]


@app.get("/not-a-result")
@handle_result
async def not_a_result() -> FastAPIResult[int]:
    return 42  # type: ignore[return-value]


@app.get("/http-exception")
@handle_result
async def http_exception() -> FastAPIResult[int]:
    raise HTTPException(status_code=418, detail="teapot")


@app.get("/plain-response")
@handle_result
async def plain_response() -> FastAPIResult[int]:
    return PlainTextResponse("raw", status_code=202)  # type: ignore[return-value]


@app.get("/correlation")
@handle_result
async def correlation(request: Request) -> FastAPIResult[dict[str, Any]]:
    return Success(
        {
            "correlation_id": get_correlation_id(),
            "request_id": get_request_id(),
            "state": request.state.correlation_id,
        }
    )


@app.get("/sync-correlation")
@handle_result
def sync_correlation() -> FastAPIResult[str]:
    return Success(get_correlation_id())


@app.get("/analytics/performance")
async def get_performance_metrics() -> FastAPIResult[PerformanceMetrics]:
    """The plan's pattern: no @handle_result, a FastAPIResult return annotation."""
    CALLS["metrics"] = CALLS.get("metrics", 0) + 1
    return await MonoResult.from_value({"op": "user_retrieval", "n": 3}).bind_result(
        lambda raw: Success(PerformanceMetrics(operation=raw["op"], total=raw["n"]))
    )


@app.get("/analytics/missing")
async def missing_metrics() -> FastAPIResult[PerformanceMetrics]:
    return Failure(APIError.not_found("Operation", "nope"))


@app.get("/plain-model")
async def plain_model() -> PublicUser:
    return PublicUser(name="not a result")


router = APIRouter(prefix="/r")
install_result_routes(router)


@router.get("/items/{item_id}")
async def router_item(item_id: int) -> FastAPIResult[PublicUser]:
    if item_id == 1:
        return Success(PublicUser(name="one"))
    return Failure(APIError.not_found("Item", item_id))


app.include_router(router)


@pytest_asyncio.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


# --------------------------------------------------------------------------- responses


class TestServedResults:
    @pytest.mark.asyncio
    async def test_success_is_200_with_the_value(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/users/123")
        assert response.status_code == 200
        assert response.json() == {"user_id": "123", "name": "Ada"}

    @pytest.mark.asyncio
    async def test_not_found_is_404_with_the_apierror_body(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/users/999")
        assert response.status_code == 404
        assert response.json() == {
            "code": "NOT_FOUND",
            "message": "User 999 not found",
            "details": {"resource": "User", "id": "999"},
        }

    @pytest.mark.asyncio
    async def test_route_status_code_dependency_and_body_work(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post("/users", json={"name": "Grace"}, headers={"x-token": "t"})
        assert response.status_code == 201
        assert response.json() == {"user_id": "new", "name": "Grace"}

    @pytest.mark.asyncio
    async def test_unauthorized_is_401(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/users", json={"name": "Grace"})
        assert response.status_code == 401
        assert response.json() == {
            "code": "UNAUTHORIZED",
            "message": "Authentication required",
            "details": {},
        }

    @pytest.mark.asyncio
    async def test_conflict_is_409(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/users", json={"name": "Ada"}, headers={"x-token": "t"})
        assert response.status_code == 409
        assert response.json() == {
            "code": "CONFLICT",
            "message": "user Ada exists",
            "details": {"name": "Ada"},
        }

    @pytest.mark.asyncio
    async def test_validation_apierror_is_422_and_query_params_work(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/ages", params={"age": -1})
        assert response.status_code == 422
        assert response.json() == {
            "code": "VALIDATION_ERROR",
            "message": "age must be >= 0",
            "details": {"field": "age"},
        }
        ok = await client.get("/ages", params={"age": 3, "unit": "days"})
        assert ok.json() == {"age": 3, "unit": "days"}

    @pytest.mark.asyncio
    async def test_fastapi_request_validation_keeps_its_own_422(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/ages", params={"age": "old"})
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["query", "age"]

    @pytest.mark.asyncio
    async def test_mono_timeout_is_504_without_internal_text(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/slow")
        assert response.status_code == 504
        assert response.json() == {
            "code": "TIMEOUT",
            "message": "Operation timed out",
            "details": {"timeout_seconds": 0.01},
        }

    @pytest.mark.asyncio
    async def test_builtin_timeout_error_is_504(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/timeout-error")
        assert response.status_code == 504
        assert response.json() == {
            "code": "TIMEOUT",
            "message": "Operation timed out",
            "details": {},
        }
        assert "10.0.0.7" not in response.text

    @pytest.mark.parametrize("path", ["/boom", "/internal-failure", "/sync-boom"])
    @pytest.mark.asyncio
    async def test_other_errors_are_500_with_a_generic_message(
        self, client: httpx.AsyncClient, path: str, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.ERROR, logger="rfs_monitoring.web"):
            response = await client.get(path)
        assert response.status_code == 500
        assert response.json() == {
            "code": "INTERNAL_ERROR",
            "message": "Internal server error",
            "details": {},
        }
        assert "hunter2" not in response.text
        # ... but the server log keeps what happened.
        assert any("hunter2" in (r.exc_text or "") + repr(r.__dict__) for r in caplog.records)

    @pytest.mark.asyncio
    async def test_an_error_with_a_broken_repr_is_still_served(
        self, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.ERROR, logger="rfs_monitoring.web"):
            response = await client.get("/bad-repr")
        assert response.status_code == 500
        assert "<BadRepr with a failing __repr__>" in caplog.text

    @pytest.mark.asyncio
    async def test_a_string_failure_is_500_generic(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/string-failure")
        assert response.status_code == 500
        assert "hunter2" not in response.text

    @pytest.mark.asyncio
    async def test_a_non_result_return_is_500(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/not-a-result")
        assert response.status_code == 500
        assert response.json()["code"] == "INTERNAL_ERROR"
        assert "42" not in response.text

    @pytest.mark.asyncio
    async def test_http_exception_is_left_to_fastapi(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/http-exception")
        assert response.status_code == 418
        assert response.json() == {"detail": "teapot"}

    @pytest.mark.asyncio
    async def test_http_exception_in_a_sync_endpoint_is_left_to_fastapi(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/sync-http-exception")
        assert response.status_code == 403
        assert response.json() == {"detail": "nope"}

    @pytest.mark.asyncio
    async def test_unserialisable_details_are_dropped(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/unserialisable-details")
        assert response.status_code == 409
        assert response.json() == {"code": "CONFLICT", "message": "taken", "details": {}}

    @pytest.mark.asyncio
    async def test_a_returned_response_is_served_unchanged(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/plain-response")
        assert response.status_code == 202
        assert response.text == "raw"

    @pytest.mark.asyncio
    async def test_an_endpoint_returning_a_mono_is_awaited(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/mono")
        assert response.status_code == 200
        assert response.json() == {"user_id": "123", "name": "ADA"}

    @pytest.mark.asyncio
    async def test_sync_endpoints_are_served(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/sync/123")).json() == {"name": "Ada"}
        missing = await client.get("/sync/9")
        assert missing.status_code == 404
        assert missing.json()["code"] == "NOT_FOUND"
        mono = await client.get("/sync-mono")
        assert mono.status_code == 200
        assert mono.json() == {"name": "from a thread"}

    @pytest.mark.asyncio
    async def test_an_explicit_response_model_filters_the_value(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/filtered")
        assert response.status_code == 200
        assert response.json() == {"name": "Ada"}

    @pytest.mark.parametrize(
        ("kind", "status", "body"),
        [
            ("returns-ok", 200, 1),
            (
                "returns-err",
                403,
                {"code": "FORBIDDEN", "message": "Permission denied", "details": {}},
            ),
            ("result-ok", 200, 2),
            (
                "result-err",
                429,
                {"code": "RATE_LIMITED", "message": "Too many requests", "details": {}},
            ),
        ],
    )
    @pytest.mark.asyncio
    async def test_foreign_results_are_adapted(
        self, client: httpx.AsyncClient, kind: str, status: int, body: object
    ) -> None:
        response = await client.get(f"/foreign/{kind}")
        assert response.status_code == status
        assert response.json() == body

    @pytest.mark.asyncio
    async def test_the_endpoint_runs_once_per_request(self, client: httpx.AsyncClient) -> None:
        before = CALLS.get("get_user", 0)
        await client.get("/users/123")
        assert CALLS["get_user"] == before + 1


class TestResultRoutes:
    @pytest.mark.asyncio
    async def test_fastapiresult_endpoint_without_handle_result_is_served(
        self, client: httpx.AsyncClient
    ) -> None:
        before = CALLS.get("metrics", 0)
        response = await client.get("/analytics/performance")
        assert response.status_code == 200
        assert response.json() == {"operation": "user_retrieval", "total": 3}
        assert CALLS["metrics"] == before + 1

    @pytest.mark.asyncio
    async def test_its_failure_is_served_as_apierror(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/analytics/missing")
        assert response.status_code == 404
        assert response.json()["message"] == "Operation nope not found"

    @pytest.mark.asyncio
    async def test_a_router_with_result_routes_keeps_them_when_included(
        self, client: httpx.AsyncClient
    ) -> None:
        assert (await client.get("/r/items/1")).json() == {"name": "one"}
        missing = await client.get("/r/items/2")
        assert missing.status_code == 404
        assert missing.json()["details"] == {"resource": "Item", "id": "2"}

    @pytest.mark.asyncio
    async def test_other_endpoints_are_untouched(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/plain-model")).json() == {"name": "not a result"}
        route = next(r for r in app.routes if getattr(r, "path", "") == "/plain-model")
        assert isinstance(route, ResultRoute)
        assert not is_result_handled(route.endpoint)

    def test_decorated_endpoints_are_not_wrapped_twice(self) -> None:
        route = next(r for r in app.routes if getattr(r, "path", "") == "/users/{user_id}")
        assert isinstance(route, ResultRoute)
        assert route.endpoint is get_user
        assert handle_result(get_user) is get_user

    def test_undecorated_endpoints_are_wrapped_by_the_route(self) -> None:
        route = next(r for r in app.routes if getattr(r, "path", "") == "/analytics/performance")
        assert route.endpoint is not get_performance_metrics
        assert is_result_handled(route.endpoint)
        assert route.endpoint.__wrapped__ is get_performance_metrics

    def test_install_rejects_other_objects(self) -> None:
        with pytest.raises(ConfigurationError) as info:
            install_result_routes("app")  # type: ignore[arg-type]
        assert str(info.value) == (
            "install_result_routes() expects a FastAPI app or an APIRouter, got str: 'app'"
        )

    def test_install_returns_its_argument(self) -> None:
        fresh = FastAPI()
        assert install_result_routes(fresh) is fresh
        assert fresh.router.route_class is ResultRoute

    def test_a_result_endpoint_on_a_plain_router_fails_loudly(self) -> None:
        plain = APIRouter()
        with pytest.raises(Exception, match="response field"):

            @plain.get("/x")
            async def x() -> FastAPIResult[int]:
                return Success(1)

    @pytest.mark.asyncio
    async def test_handle_result_on_a_plain_app(self) -> None:
        plain = FastAPI()

        @plain.get("/u/{user_id}")
        @handle_result
        async def read(user_id: str) -> Result[UserResponse, APIError]:
            return await fetch_user(user_id)

        transport = httpx.ASGITransport(app=plain)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            assert (await c.get("/u/123")).json() == {"user_id": "123", "name": "Ada"}
            assert (await c.get("/u/1")).status_code == 404
        schema = plain.openapi()["paths"]["/u/{user_id}"]["get"]["responses"]
        assert schema["200"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/UserResponse"
        }


# --------------------------------------------------------------------------- direct calls


class TestDirectCalls:
    @pytest.mark.asyncio
    async def test_a_decorated_endpoint_returns_the_result(self) -> None:
        assert await get_user("123") == Success(UserResponse(user_id="123", name="Ada"))
        missing = await get_user("999")
        assert isinstance(missing, Failure)
        assert missing.unwrap_error().code is ErrorCode.NOT_FOUND

    @pytest.mark.asyncio
    async def test_a_mono_endpoint_returns_the_awaited_result(self) -> None:
        assert await mono_endpoint() == Success(UserResponse(user_id="123", name="ADA"))

    @pytest.mark.asyncio
    async def test_a_timeout_is_returned_as_a_failure(self) -> None:
        result = await slow()
        assert result == Failure(ResultTimeoutError(0.01))

    @pytest.mark.asyncio
    async def test_exceptions_propagate_on_a_direct_call(self) -> None:
        with pytest.raises(RuntimeError, match="hunter2"):
            await boom()

    def test_a_sync_endpoint_returns_the_result(self) -> None:
        assert sync_endpoint("123") == Success(PublicUser(name="Ada"))
        assert isinstance(sync_mono_endpoint(), MonoResult)

    @pytest.mark.asyncio
    async def test_an_undecorated_result_route_endpoint_returns_the_result(self) -> None:
        result = await get_performance_metrics()
        assert result == Success(PerformanceMetrics(operation="user_retrieval", total=3))

    def test_the_wrapper_keeps_name_and_doc(self) -> None:
        assert get_user.__name__ == "get_user"
        assert get_user.__doc__ == "Read one user."
        assert is_result_handled(get_user)


# --------------------------------------------------------------------------- signatures


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
        from rfs_monitoring.web import _success_type

        want = inspect.Signature.empty if expected == "empty" else expected
        assert _success_type(annotation) is want

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
        assert DEFAULT_ERROR_STATUSES == (400, 401, 403, 404, 409, 429, 500, 503, 504)


# --------------------------------------------------------------------------- OpenAPI


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return app.openapi()


class TestOpenAPI:
    def test_the_success_type_is_the_200_schema(self, schema: dict[str, Any]) -> None:
        responses = schema["paths"]["/users/{user_id}"]["get"]["responses"]
        assert responses["200"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/UserResponse"
        }

    def test_an_undecorated_fastapiresult_route_documents_its_model(
        self, schema: dict[str, Any]
    ) -> None:
        responses = schema["paths"]["/analytics/performance"]["get"]["responses"]
        assert responses["200"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/PerformanceMetrics"
        }
        assert responses["404"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/APIError"
        }

    def test_error_statuses_reference_apierror(self, schema: dict[str, Any]) -> None:
        responses = schema["paths"]["/users/{user_id}"]["get"]["responses"]
        for status in ("400", "401", "403", "404", "409", "429", "500", "503", "504"):
            assert responses[status]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/APIError"
            }
        # FastAPI keeps documenting its own request-validation body under 422.
        assert responses["422"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/HTTPValidationError"
        }

    def test_apierror_component(self, schema: dict[str, Any]) -> None:
        component = schema["components"]["schemas"]["APIError"]
        assert set(component["properties"]) == {"code", "message", "details"}
        assert set(component["required"]) == {"code", "message"}
        codes = schema["components"]["schemas"]["ErrorCode"]["enum"]
        assert {"NOT_FOUND", "TIMEOUT", "INTERNAL_ERROR"} <= set(codes)

    def test_the_hidden_request_parameter_is_not_documented(self, schema: dict[str, Any]) -> None:
        operation = schema["paths"]["/users/{user_id}"]["get"]
        assert [p["name"] for p in operation["parameters"]] == ["user_id"]
        ages = schema["paths"]["/ages"]["get"]
        assert [p["name"] for p in ages["parameters"]] == ["age", "unit"]
        assert "_rfs_request" not in str(schema)

    def test_an_explicit_response_model_wins(self, schema: dict[str, Any]) -> None:
        responses = schema["paths"]["/filtered"]["get"]["responses"]
        assert responses["200"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/PublicUser"
        }

    def test_the_route_status_code_is_documented(self, schema: dict[str, Any]) -> None:
        responses = schema["paths"]["/users"]["post"]["responses"]
        assert responses["201"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/UserResponse"
        }

    def test_non_result_routes_get_no_apierror_responses(self, schema: dict[str, Any]) -> None:
        assert set(schema["paths"]["/plain-model"]["get"]["responses"]) == {"200"}

    def test_responses_given_to_the_route_win(self) -> None:
        local = FastAPI()
        install_result_routes(local)

        @local.get("/x", responses={404: {"description": "Nothing here"}})
        async def x() -> FastAPIResult[int]:
            return Success(1)

        responses = local.openapi()["paths"]["/x"]["get"]["responses"]
        assert responses["404"] == {"description": "Nothing here"}
        assert responses["500"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/APIError"
        }


# --------------------------------------------------------------------------- correlation ids

HEX32 = re.compile(r"[0-9a-f]{32}")


class TestCorrelationIdMiddleware:
    @pytest.mark.asyncio
    async def test_a_given_id_is_bound_and_echoed(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/correlation", headers={"X-Correlation-ID": "abc-123.x_y"})
        assert response.headers["x-correlation-id"] == "abc-123.x_y"
        assert response.json() == {
            "correlation_id": "abc-123.x_y",
            "request_id": "abc-123.x_y",
            "state": "abc-123.x_y",
        }

    def test_it_is_pure_asgi(self) -> None:
        from starlette.middleware.base import BaseHTTPMiddleware

        assert not issubclass(CorrelationIdMiddleware, BaseHTTPMiddleware)

    @pytest.mark.asyncio
    async def test_sync_endpoints_see_the_id(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/sync-correlation", headers={"X-Correlation-ID": "sync-1"})
        assert response.json() == "sync-1"

    @pytest.mark.asyncio
    async def test_request_id_is_the_fallback(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/correlation", headers={"X-Request-ID": "req-1"})
        assert response.headers["x-correlation-id"] == "req-1"
        assert response.json()["request_id"] == "req-1"

    @pytest.mark.asyncio
    async def test_both_headers(self, client: httpx.AsyncClient) -> None:
        response = await client.get(
            "/correlation", headers={"X-Correlation-ID": "corr", "X-Request-ID": "req"}
        )
        assert response.headers["x-correlation-id"] == "corr"
        assert response.json()["correlation_id"] == "corr"
        assert response.json()["request_id"] == "req"

    @pytest.mark.asyncio
    async def test_an_id_is_generated_when_none_is_given(self, client: httpx.AsyncClient) -> None:
        first = await client.get("/correlation")
        second = await client.get("/correlation")
        assert HEX32.fullmatch(first.headers["x-correlation-id"])
        assert first.json()["correlation_id"] == first.headers["x-correlation-id"]
        assert first.headers["x-correlation-id"] != second.headers["x-correlation-id"]

    @pytest.mark.parametrize(
        "bad",
        ["x" * 129, "has space", "semi;colon", "ünïcode", "", "abc\r\nSet-Cookie: stolen=1"],
    )
    @pytest.mark.asyncio
    async def test_invalid_ids_are_replaced(self, client: httpx.AsyncClient, bad: str) -> None:
        response = await client.get(
            "/correlation", headers={"X-Correlation-ID": bad.encode("utf-8")}
        )
        assert HEX32.fullmatch(response.headers["x-correlation-id"])
        assert response.json()["correlation_id"] == response.headers["x-correlation-id"]
        assert "set-cookie" not in response.headers

    @pytest.mark.asyncio
    async def test_error_responses_carry_the_header(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/users/999", headers={"X-Correlation-ID": "trace-404"})
        assert response.status_code == 404
        assert response.headers["x-correlation-id"] == "trace-404"

    @pytest.mark.asyncio
    async def test_crlf_injection_is_replaced_by_a_generated_id(self) -> None:
        seen: dict[str, Any] = {}

        async def inner(scope: Any, receive: Any, send: Any) -> None:
            seen["cid"] = get_correlation_id()
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"x-correlation-id", b"app-set"),
                        (b"content-type", b"text/plain"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b"ok"})

        sent: list[dict[str, Any]] = []

        async def send(message: Any) -> None:
            sent.append(message)

        async def receive() -> Any:
            return {"type": "http.request", "body": b""}

        malicious = b"abc\r\nSet-Cookie: session=stolen"
        scope = {"type": "http", "headers": [(b"x-correlation-id", malicious)]}
        await CorrelationIdMiddleware(inner)(scope, receive, send)
        headers = sent[0]["headers"]
        echoed = [v for k, v in headers if k == b"x-correlation-id"]
        assert len(echoed) == 1
        assert HEX32.fullmatch(echoed[0].decode())
        assert seen["cid"] == echoed[0].decode()
        assert b"stolen" not in b"".join(v for _, v in headers)
        assert (b"content-type", b"text/plain") in headers
        assert sent[1] == {"type": "http.response.body", "body": b"ok"}
        assert peek_correlation_id() is None  # reset after the request

    @pytest.mark.asyncio
    async def test_lifespan_scopes_pass_through(self) -> None:
        calls: list[str] = []

        async def inner(scope: Any, receive: Any, send: Any) -> None:
            calls.append(scope["type"])
            assert peek_correlation_id() is None

        async def noop(*_: Any) -> Any:
            return None

        await CorrelationIdMiddleware(inner)({"type": "lifespan"}, noop, noop)
        assert calls == ["lifespan"]

    @pytest.mark.asyncio
    async def test_websocket_scopes_get_an_id(self) -> None:
        seen: list[str] = []

        async def inner(scope: Any, receive: Any, send: Any) -> None:
            seen.append(get_correlation_id())
            await send({"type": "websocket.accept"})

        sent: list[Any] = []

        async def send(message: Any) -> None:
            sent.append(message)

        async def receive() -> Any:
            return {}

        scope = {"type": "websocket", "headers": [(b"x-request-id", b"ws-1")]}
        await CorrelationIdMiddleware(inner)(scope, receive, send)
        assert seen == ["ws-1"]
        assert sent == [{"type": "websocket.accept"}]

    @pytest.mark.asyncio
    async def test_custom_header_names(self) -> None:
        sent: list[Any] = []

        async def inner(scope: Any, receive: Any, send: Any) -> None:
            await send({"type": "http.response.start", "status": 204})

        async def send(message: Any) -> None:
            sent.append(message)

        async def receive() -> Any:
            return {}

        middleware = CorrelationIdMiddleware(
            inner, header_name="X-Trace", fallback_header="X-Amzn-Trace-Id"
        )
        scope = {"type": "http", "headers": [(b"x-amzn-trace-id", b"t-9")], "state": None}
        await middleware(scope, receive, send)
        assert sent[0]["headers"] == [(b"x-trace", b"t-9")]

    @pytest.mark.parametrize("bad", ["", "bad header", "x\r\ny", 3])
    def test_header_names_are_validated(self, bad: object) -> None:
        async def inner(scope: Any, receive: Any, send: Any) -> None:
            return None

        with pytest.raises(ConfigurationError) as info:
            CorrelationIdMiddleware(inner, header_name=bad)  # type: ignore[arg-type]
        assert str(info.value) == (
            f"CorrelationIdMiddleware header_name must be an HTTP header name, got {bad!r}"
        )


class TestOwnRequestParameter:
    def test_no_hidden_parameter_is_added(self) -> None:
        assert list(inspect.signature(correlation).parameters) == ["request"]

    @pytest.mark.asyncio
    async def test_a_direct_call_without_a_request_returns_the_result(self) -> None:
        @handle_result
        async def endpoint(request: Request) -> FastAPIResult[bool]:
            return Failure(APIError.forbidden()) if request is None else Success(True)

        assert await endpoint(None) == Failure(APIError.forbidden())  # type: ignore[arg-type]


class TestReadme:
    @pytest.mark.asyncio
    async def test_the_readme_example_runs(self) -> None:
        from pathlib import Path

        readme = (Path(__file__).parents[2] / "docs" / "fastapi.md").read_text(encoding="utf-8")
        match = re.search(
            r"## Result-returning FastAPI endpoints\n\n```python\n(.*?)```", readme, re.S
        )
        assert match is not None
        namespace: dict[str, Any] = {"__name__": "readme_example"}
        exec(compile(match.group(1), "README.md", "exec"), namespace)
        example_app = namespace["app"]
        assert await namespace["get_user"]("123") == Success(namespace["User"](user_id="123"))
        transport = httpx.ASGITransport(app=example_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            ok = await c.get("/users/123")
            assert (ok.status_code, ok.json()) == (200, {"user_id": "123"})
            assert HEX32.fullmatch(ok.headers["x-correlation-id"])
            missing = await c.get("/users/9")
            assert (missing.status_code, missing.json()["code"]) == (404, "NOT_FOUND")
            assert (await c.get("/health")).json() == "ok"
