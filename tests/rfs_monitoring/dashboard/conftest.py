"""Fixtures of the dashboard tests: a collector and alert manager on a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from rfs_monitoring.alerts import AlertManager
from rfs_monitoring.metrics import ResultMetricsCollector
from rfs_monitoring.result_logging import get_log_level, set_log_level

from .support import OPERATOR, FakeClock, make_app


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def collector(clock: FakeClock) -> ResultMetricsCollector:
    return ResultMetricsCollector(clock=clock)


@pytest.fixture
def manager(collector: ResultMetricsCollector, clock: FakeClock) -> AlertManager:
    return AlertManager(collector, clock=clock, log_notifications=False, discover_plugins=False)


@pytest.fixture
def app(collector: ResultMetricsCollector, manager: AlertManager) -> FastAPI:
    return make_app(collector, manager)


@pytest_asyncio.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers=OPERATOR
    ) as http:
        yield http


@pytest.fixture
def restore_log_level() -> Iterator[None]:
    before = get_log_level()
    try:
        yield
    finally:
        set_log_level(before)
        set_log_level(None, operation="user_retrieval")
