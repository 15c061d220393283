"""Result-annotated endpoints on a plain ``FastAPI()``: no ``handle_result``, no route class.

The return annotation ``-> FastAPIResult[T]`` (``Result[T, E]``) becomes FastAPI's response
field through ``Result.__get_pydantic_core_schema__``: a Success is served as ``T`` (200, the
OpenAPI schema of ``T``), a Failure as its HTTP error through FastAPI's HTTPException handling
(``{"detail": <APIError body>}``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from returns.result import Success as ReturnsSuccess

from rfs_monitoring import APIError, Failure, MonoResult, Result, ResultTimeoutError, Success
from rfs_monitoring.web import FailureResponse, FastAPIResult


class Report(BaseModel):
    name: str
    total: int


app = FastAPI()
SECRET = "hunter2-secret-value"


@app.get("/report")
async def report() -> FastAPIResult[Report]:
    return Success(Report(name="r", total=3))


@app.get("/report-sync")
def report_sync() -> FastAPIResult[Report]:
    return Success(Report(name="sync", total=1))


@app.get("/missing")
async def missing() -> FastAPIResult[Report]:
    return Failure(APIError.not_found("report", 7))


@app.get("/secret")
def secret() -> FastAPIResult[Report]:
    return Failure(APIError.validation_error(f"bad password={SECRET}", field="password"))


@app.get("/slow")
async def slow() -> FastAPIResult[Report]:
    return await MonoResult.from_async_result(_hang).timeout(0.01)


@app.get("/crash")
async def crash() -> Result[Report, RuntimeError]:
    return Failure(RuntimeError(f"db password {SECRET}"))


@app.get("/foreign")
async def foreign() -> FastAPIResult[int]:
    return ReturnsSuccess(5)  # type: ignore[return-value]


@app.get("/no-result")
async def no_result() -> FastAPIResult[int]:
    return 5  # type: ignore[return-value]


async def _hang() -> Result[Report, APIError]:
    await asyncio.sleep(10)
    return Success(Report(name="never", total=0))  # pragma: no cover - cancelled


@pytest_asyncio.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


class TestSuccess:
    @pytest.mark.asyncio
    @pytest.mark.parametrize(
        ("path", "body"),
        [("/report", {"name": "r", "total": 3}), ("/report-sync", {"name": "sync", "total": 1})],
    )
    async def test_is_200_with_the_value(
        self, client: httpx.AsyncClient, path: str, body: dict[str, object]
    ) -> None:
        response = await client.get(path)
        assert (response.status_code, response.json()) == (200, body)

    def test_openapi_200_is_the_schema_of_the_value_type(self) -> None:
        spec = app.openapi()
        ok = spec["paths"]["/report"]["get"]["responses"]["200"]
        assert ok["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Report"
        }
        assert spec["components"]["schemas"]["Report"]["required"] == ["name", "total"]

    @pytest.mark.asyncio
    async def test_a_foreign_result_is_adapted(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/foreign")
        assert (response.status_code, response.json()) == (200, 5)


class TestFailure:
    @pytest.mark.asyncio
    async def test_is_the_errors_status_with_the_apierror_as_detail(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/missing")
        assert response.status_code == 404
        assert response.json() == {
            "detail": {
                "code": "NOT_FOUND",
                "message": "report 7 not found",
                "details": {"resource": "report", "id": "7"},
            }
        }

    @pytest.mark.asyncio
    async def test_secrets_in_the_message_are_masked(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/secret")
        assert response.status_code == 422
        assert SECRET not in response.text
        assert response.json()["detail"]["details"] == {"field": "password"}

    @pytest.mark.asyncio
    async def test_a_timeout_is_504(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/slow")
        assert response.status_code == 504
        assert response.json() == {
            "detail": {
                "code": "TIMEOUT",
                "message": "Operation timed out",
                "details": {"timeout_seconds": 0.01},
            }
        }

    @pytest.mark.asyncio
    async def test_any_other_error_is_a_generic_500_logged_on_the_server(
        self, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.ERROR, logger="rfs_monitoring.web"):
            response = await client.get("/crash")
        assert response.status_code == 500
        assert response.json() == {
            "detail": {"code": "INTERNAL_ERROR", "message": "Internal server error", "details": {}}
        }
        assert SECRET not in response.text
        (record,) = [r for r in caplog.records if r.name == "rfs_monitoring.web"]
        assert record.getMessage().startswith(
            "endpoint <a Result response> failed with RuntimeError("
        )

    @pytest.mark.asyncio
    async def test_a_value_that_is_no_result_is_a_500(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/no-result")
        assert response.status_code == 500


class TestFailureResponse:
    def test_carries_the_failure_the_error_and_the_body(self) -> None:
        from pydantic import TypeAdapter

        failure: Failure[APIError] = Failure(APIError.conflict("taken"))
        with pytest.raises(FailureResponse) as info:
            TypeAdapter(FastAPIResult[int]).validate_python(failure)
        assert info.value.result is failure
        assert info.value.error == APIError.conflict("taken")
        assert info.value.status_code == 409
        assert info.value.detail == {"code": "CONFLICT", "message": "taken", "details": {}}

    def test_a_timeout_error_is_served_as_the_generic_timeout(self) -> None:
        from pydantic import TypeAdapter

        with pytest.raises(FailureResponse) as info:
            TypeAdapter(FastAPIResult[int]).validate_python(Failure(ResultTimeoutError(2, "op")))
        assert info.value.error == APIError.timeout(seconds=2)

    @pytest.mark.asyncio
    async def test_a_handler_registered_for_it_shapes_the_answer(self) -> None:
        own = FastAPI()

        async def flat(request: Request, exc: Exception) -> JSONResponse:
            assert isinstance(exc, FailureResponse)
            return JSONResponse(exc.detail, status_code=exc.status_code)

        own.add_exception_handler(FailureResponse, flat)

        @own.get("/gone")
        async def gone() -> FastAPIResult[int]:
            return Failure(APIError.not_found("thing", 1))

        transport = httpx.ASGITransport(app=own)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            response = await c.get("/gone")
        assert response.status_code == 404
        assert response.json()["code"] == "NOT_FOUND"
