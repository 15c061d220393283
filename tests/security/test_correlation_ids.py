"""Attacks on correlation ids: ids leaking between requests through pooled threads.

Issue 14, "Never stall or break the host": ``get_correlation_id()`` never binds an id
implicitly; an id never sticks to a pooled thread; it follows work into
``run_in_threadpool`` / ``asyncio.to_thread``; ``run_in_executor`` does not copy the context
(docs/fastapi.md shows ``contextvars.copy_context().run``). Served through the real
``CorrelationIdMiddleware`` and FastAPI (httpx's ASGITransport).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
from collections.abc import Iterator
from pathlib import Path

import anyio.to_thread
import httpx
import pytest
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from rfs_monitoring import Result, Success, get_correlation_id
from rfs_monitoring.context import correlation_context, peek_correlation_id
from rfs_monitoring.result_logging import (
    ResultLogEntry,
    add_entry_listener,
    log_result_operation,
    reset_logging,
)
from rfs_monitoring.web import CorrelationIdMiddleware

DOCS = Path(__file__).resolve().parents[2] / "docs" / "fastapi.md"


@pytest.fixture(autouse=True)
def _clean_logging() -> Iterator[None]:
    reset_logging()
    yield
    reset_logging()


@pytest.fixture
def entries() -> Iterator[list[ResultLogEntry]]:
    got: list[ResultLogEntry] = []
    remove = add_entry_listener(got.append)
    yield got
    remove()


@log_result_operation("blocking_work")
def blocking_work() -> Result[str | None, str]:
    return Success(get_correlation_id())


def plain_work() -> str | None:
    return get_correlation_id()


async def serve(app: FastAPI, ids: list[str], path: str) -> list[dict[str, object]]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        answers = []
        for cid in ids:
            response = await client.get(path, headers={"X-Correlation-ID": cid})
            assert response.status_code == 200
            assert response.headers["x-correlation-id"] == cid
            answers.append(response.json())
        return answers


class TestNothingBoundImplicitly:
    def test_get_correlation_id_returns_none_and_binds_nothing(self) -> None:
        def body() -> tuple[str | None, str | None]:
            return get_correlation_id(), peek_correlation_id()

        assert contextvars.Context().run(body) == (None, None)

    def test_a_pooled_thread_keeps_no_id_after_a_job_asked_for_one(self) -> None:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            assert pool.submit(get_correlation_id).result() is None
            assert pool.submit(peek_correlation_id).result() is None

    def test_logged_jobs_on_one_pooled_thread_get_an_id_each(
        self, entries: list[ResultLogEntry]
    ) -> None:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            seen = [pool.submit(blocking_work).result().unwrap() for _ in range(4)]
            left_behind = pool.submit(peek_correlation_id).result()
        assert len(set(seen)) == 4  # each call bound (and unbound) a fresh id of its own
        assert [e.correlation_id for e in entries] == seen
        assert left_behind is None


class TestPooledThreadsAcrossRequests:
    def test_four_requests_on_one_executor_thread_never_share_an_id(self) -> None:
        pool = concurrent.futures.ThreadPoolExecutor(1)
        app = FastAPI()
        app.add_middleware(CorrelationIdMiddleware)

        @app.get("/work")
        async def work() -> dict[str, str | None]:
            loop = asyncio.get_running_loop()
            copied = functools.partial(contextvars.copy_context().run, plain_work)
            return {
                "plain": await loop.run_in_executor(pool, plain_work),
                "copied": await loop.run_in_executor(pool, copied),
            }

        try:
            pool.submit(get_correlation_id).result()  # a job outside any request first
            ids = ["req-1", "req-2", "req-3", "req-4"]
            answers = asyncio.run(serve(app, ids, "/work"))
        finally:
            pool.shutdown()
        assert [a["plain"] for a in answers] == [None] * 4  # no stale id from the pool
        assert [a["copied"] for a in answers] == ids


class TestTheIdFollowsTheWork:
    def test_into_run_in_threadpool_to_thread_and_anyio(
        self, entries: list[ResultLogEntry]
    ) -> None:
        app = FastAPI()
        app.add_middleware(CorrelationIdMiddleware)

        @app.get("/work")
        async def work() -> dict[str, str | None]:
            return {
                "threadpool": (await run_in_threadpool(blocking_work)).unwrap(),
                "to_thread": (await asyncio.to_thread(blocking_work)).unwrap(),
                "anyio": (await anyio.to_thread.run_sync(blocking_work)).unwrap(),
            }

        answers = asyncio.run(serve(app, ["req-a", "req-b"], "/work"))
        assert answers == [
            {"threadpool": "req-a", "to_thread": "req-a", "anyio": "req-a"},
            {"threadpool": "req-b", "to_thread": "req-b", "anyio": "req-b"},
        ]
        assert [e.correlation_id for e in entries] == ["req-a"] * 3 + ["req-b"] * 3

    def test_into_a_sync_endpoint(self) -> None:
        app = FastAPI()
        app.add_middleware(CorrelationIdMiddleware)

        @app.get("/sync")
        def sync_endpoint() -> dict[str, str | None]:  # FastAPI runs it in its threadpool
            return {"id": get_correlation_id()}

        answers = asyncio.run(serve(app, ["s-1", "s-2", "s-3"], "/sync"))
        assert answers == [{"id": "s-1"}, {"id": "s-2"}, {"id": "s-3"}]

    def test_into_asyncio_tasks_but_not_back(self) -> None:
        async def main() -> tuple[str | None, str | None]:
            with correlation_context("outer"):
                inner = await asyncio.create_task(asyncio.to_thread(plain_work))
            return inner, get_correlation_id()

        assert asyncio.run(main()) == ("outer", None)


def test_the_docs_show_how_to_carry_the_id_into_run_in_executor() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert "run_in_executor" in text
    assert "contextvars.copy_context().run" in text
