"""Result-returning endpoints served by FastAPI: bodies, statuses, masking, routes, direct calls."""

from __future__ import annotations

import inspect
import logging

import httpx
import pytest
from fastapi import FastAPI
from starlette.requests import Request

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
from rfs_monitoring.web import (
    FastAPIResult,
    ResultRoute,
    handle_result,
    install_result_routes,
    is_result_handled,
)

from .app import (
    CALLS,
    PerformanceMetrics,
    PublicUser,
    UserResponse,
    app,
    boom,
    correlation,
    fetch_user,
    get_performance_metrics,
    get_user,
    mono_endpoint,
    slow,
    sync_endpoint,
    sync_mono_endpoint,
)


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

    @pytest.mark.asyncio
    async def test_an_error_coded_timeout_is_504(self, client: httpx.AsyncClient) -> None:
        """The timeout rule is ``rfs_monitoring.errors.is_timeout``: a TIMEOUT code counts."""
        response = await client.get("/coded-timeout")
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
        # ... but the server log keeps what happened, with the secret masked (issue 14)
        logged = [(r.exc_text or "") + repr(r.__dict__) for r in caplog.records]
        assert any("db-password=*** at /srv/internal/db.py:42" in text for text in logged)
        assert not any("hunter2" in text for text in logged)

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


class TestOwnRequestParameter:
    def test_no_hidden_parameter_is_added(self) -> None:
        assert list(inspect.signature(correlation).parameters) == ["request"]

    @pytest.mark.asyncio
    async def test_a_direct_call_without_a_request_returns_the_result(self) -> None:
        @handle_result
        async def endpoint(request: Request) -> FastAPIResult[bool]:
            return Failure(APIError.forbidden()) if request is None else Success(True)

        assert await endpoint(None) == Failure(APIError.forbidden())  # type: ignore[arg-type]
