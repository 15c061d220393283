"""The plan's get_user endpoint, copied as written: entries, correlation ids, concurrency.

``@app.get`` over ``@handle_result`` over ``@log_result_operation`` over a MonoResult chain
with ``log_step`` / ``log_error``, served through CorrelationIdMiddleware and httpx's
ASGITransport.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import pytest_asyncio
from fastapi import Depends, FastAPI
from pydantic import BaseModel

from rfs_monitoring import (
    APIError,
    Failure,
    MonoResult,
    Result,
    Success,
    configure_logging,
    flush_logs,
    get_correlation_id,
    log_result_operation,
)
from rfs_monitoring.result_logging import ResultLogEntry, add_entry_listener, reset_logging
from rfs_monitoring.web import CorrelationIdMiddleware, handle_result

app = FastAPI()
app.add_middleware(CorrelationIdMiddleware)


class UserResponse(BaseModel):
    user_id: str
    name: str


class UserService:
    """A stand-in user service: ids starting with "missing" do not exist."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    async def get_user_async(self, user_id: str) -> Result[dict[str, str], APIError]:
        await asyncio.sleep(0)  # let concurrent requests interleave
        self.seen.append((user_id, get_correlation_id()))
        logging.getLogger("user_service.db").info("looked up %s", user_id)
        if user_id.startswith("missing"):
            return Failure(APIError.not_found("사용자", user_id))
        return Success({"user_id": user_id, "name": f"user {user_id}"})


user_service = UserService()


def validate_user_response(user: dict[str, str]) -> Result[UserResponse, APIError]:
    if not user.get("name"):
        return Failure(APIError.validation_error("user has no name", field="name"))
    return Success(UserResponse(**user))


# --- the plan's target pattern, as written -------------------------------------------
@app.get("/users/{user_id}")
@handle_result
@log_result_operation("user_retrieval")  # 자동 로깅 데코레이터
async def get_user(user_id: str) -> Result[UserResponse, APIError]:
    return await (
        MonoResult.from_async_result(lambda: user_service.get_user_async(user_id))
        .log_step("user_service_call")  # 중간 단계 로깅
        .bind_result(lambda user: validate_user_response(user))
        .log_step("user_validation")
        .map_error(lambda e: APIError.from_service_error(e))
        .log_error("user_retrieval_error")  # 에러 전용 로깅
        .timeout(5.0)
        .to_result()
    )


# ---------------------------------------------------------------------------------------


def settings_dependency() -> str:
    return "eu-west"


@app.get("/regions/{n}")
@handle_result
@log_result_operation("region_lookup", context_args=("n", "region"))
async def get_region(
    n: int, region: str = Depends(settings_dependency)
) -> Result[dict[str, object], APIError]:
    return Success({"n": n, "region": region})


@app.get("/sync/{n}")
@handle_result
@log_result_operation("sync_lookup")
def get_sync(n: int) -> Result[dict[str, int], APIError]:
    return Success({"n": n, "cid_len": len(get_correlation_id())})


@pytest.fixture
def entries() -> Iterator[list[ResultLogEntry]]:
    reset_logging()
    got: list[ResultLogEntry] = []
    remove = add_entry_listener(got.append)
    yield got
    remove()
    reset_logging()


@pytest_asyncio.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


def _by_step(entries: list[ResultLogEntry]) -> dict[str | None, ResultLogEntry]:
    return {e.step_name: e for e in entries}


class TestGetUserPattern:
    @pytest.mark.asyncio
    async def test_success_logs_two_steps_and_one_operation(
        self, client: httpx.AsyncClient, entries: list[ResultLogEntry]
    ) -> None:
        response = await client.get("/users/123")
        assert response.status_code == 200
        assert response.json() == {"user_id": "123", "name": "user 123"}
        correlation_id = response.headers["X-Correlation-ID"]
        assert [e.step_name for e in entries] == ["user_service_call", "user_validation", None]
        assert {e.operation_name for e in entries} == {"user_retrieval"}
        assert {e.correlation_id for e in entries} == {correlation_id}
        assert {e.request_id for e in entries} == {correlation_id}
        assert {e.result_type for e in entries} == {"success"}
        steps = _by_step(entries)
        assert steps["user_service_call"].success_type == "dict"
        assert steps["user_validation"].success_type == "UserResponse"
        assert steps[None].success_type == "UserResponse"

    @pytest.mark.asyncio
    async def test_failure_adds_the_error_entry(
        self, client: httpx.AsyncClient, entries: list[ResultLogEntry]
    ) -> None:
        response = await client.get("/users/missing-9", headers={"X-Correlation-ID": "trace-abc"})
        assert response.status_code == 404
        assert response.json()["code"] == "NOT_FOUND"
        assert response.headers["X-Correlation-ID"] == "trace-abc"
        # user_validation never ran (the service had failed): skipped, at DEBUG
        assert [e.step_name for e in entries] == [
            "user_service_call",
            "user_retrieval_error",
            None,
        ]
        assert {e.correlation_id for e in entries} == {"trace-abc"}
        operation = _by_step(entries)[None]
        assert (operation.result_type, operation.error_type, operation.error_code) == (
            "error",
            "APIError",
            "NOT_FOUND",
        )
        assert operation.error_message == "사용자 missing-9 not found"

    @pytest.mark.asyncio
    async def test_called_directly_it_returns_the_result(
        self, entries: list[ResultLogEntry]
    ) -> None:
        result = await get_user("5")
        assert result == Success(UserResponse(user_id="5", name="user 5"))
        assert len({e.correlation_id for e in entries}) == 1

    @pytest.mark.asyncio
    async def test_dependency_injection_through_the_decorators(
        self, client: httpx.AsyncClient, entries: list[ResultLogEntry]
    ) -> None:
        response = await client.get("/regions/7")
        assert response.json() == {"n": 7, "region": "eu-west"}
        [entry] = entries
        assert entry.metadata == {"n": 7, "region": "eu-west"}

    @pytest.mark.asyncio
    async def test_sync_endpoints_run_in_a_thread_keep_the_request_id(
        self, client: httpx.AsyncClient, entries: list[ResultLogEntry]
    ) -> None:
        response = await client.get("/sync/3", headers={"X-Correlation-ID": "sync-1"})
        assert response.json() == {"n": 3, "cid_len": 6}
        assert [e.correlation_id for e in entries] == ["sync-1"]


class TestThirdPartyLogs:
    @pytest.mark.asyncio
    async def test_library_logs_carry_the_request_correlation_id(
        self, client: httpx.AsyncClient, entries: list[ResultLogEntry]
    ) -> None:
        sink = io.StringIO()
        configure_logging(sink=sink, background=False, service_name="users-api")
        response = await client.get("/users/42", headers={"X-Correlation-ID": "lib-7"})
        assert response.status_code == 200
        flush_logs()
        lines = [json.loads(line) for line in sink.getvalue().splitlines()]
        library = [line for line in lines if line.get("logger") == "user_service.db"]
        assert [line["event"] for line in library] == ["looked up 42"]
        assert library[0]["correlation_id"] == "lib-7"
        ours = [line for line in lines if "operation_name" in line]
        assert len(ours) == 3
        assert {line["correlation_id"] for line in ours} == {"lib-7"}
        assert {line["service_name"] for line in ours} == {"users-api"}


class TestConcurrency:
    @pytest.mark.asyncio
    async def test_1000_concurrent_requests_do_not_cross_talk(
        self, client: httpx.AsyncClient, entries: list[ResultLogEntry]
    ) -> None:
        user_service.seen.clear()
        count = 1000

        async def call(i: int) -> httpx.Response:
            user = f"missing-{i}" if i % 10 == 0 else str(i)
            return await client.get(f"/users/{user}", headers={"X-Correlation-ID": f"req-{i}"})

        responses = await asyncio.gather(*(call(i) for i in range(count)))
        assert [r.headers["X-Correlation-ID"] for r in responses] == [
            f"req-{i}" for i in range(count)
        ]
        assert [r.status_code for r in responses] == [
            404 if i % 10 == 0 else 200 for i in range(count)
        ]
        # Inside the service, each request saw its own id.
        assert sorted(user_service.seen) == sorted(
            (f"missing-{i}" if i % 10 == 0 else str(i), f"req-{i}") for i in range(count)
        )
        # Every entry carries the id of the request that produced it: per request exactly
        # its own steps, in order.
        by_id: dict[str, list[str | None]] = defaultdict(list)
        for entry in entries:
            by_id[entry.correlation_id].append(entry.step_name)
        assert set(by_id) == {f"req-{i}" for i in range(count)}
        for i in range(count):
            expected: list[str | None] = ["user_service_call"]
            # a failed call: user_validation never ran (skipped, at DEBUG)
            expected.append("user_retrieval_error" if i % 10 == 0 else "user_validation")
            expected.append(None)
            assert by_id[f"req-{i}"] == expected, i
        failed = {
            e.correlation_id for e in entries if e.step_name is None and e.result_type == "error"
        }
        assert failed == {f"req-{i}" for i in range(0, count, 10)}
