"""Shared fixtures of the reliability suite: a private default collector, a clean logging
pipeline, a fake clock and the monitoring app served in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from rfs_monitoring.alerts import AlertManager
from rfs_monitoring.dashboard_api import api_key_auth, monitoring_router
from rfs_monitoring.metrics import ResultMetricsCollector
from rfs_monitoring.result_logging import configure_logging, flush_logs, reset_logging


class FakeClock:
    """Epoch seconds that only move when a test moves them."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def _clean_logging() -> Iterator[None]:
    """Every test starts with logging unconfigured and leaves it so."""
    reset_logging()
    yield
    reset_logging()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def collector() -> Iterator[ResultMetricsCollector]:
    """A fresh collector installed as the process-wide default for the test."""
    fresh = ResultMetricsCollector()
    previous = ResultMetricsCollector.set_instance(fresh)
    yield fresh
    ResultMetricsCollector.set_instance(previous)


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    """Logging configured with a JSON-lines file sink; yields the file's path."""
    path = tmp_path / "rfs.log"
    configure_logging(sink=path, level="INFO", stdlib=False)
    yield path
    flush_logs()


def read_log_lines(path: Path) -> list[str]:
    """The lines written so far (after ``flush_logs()``)."""
    assert flush_logs(timeout=30.0)
    if not path.exists():
        return []
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.fixture
def log_lines() -> Callable[[Path], list[str]]:
    """``log_lines(path)``: flushes the pipeline and returns the non-empty lines of ``path``."""
    return read_log_lines


@pytest.fixture
def app_factory() -> Callable[..., FastAPI]:
    """``app_factory(collector, manager=None, **router_kwargs)``: see ``make_app``."""
    return make_app


def make_app(
    collector: ResultMetricsCollector, manager: AlertManager | None = None, **kwargs: object
) -> FastAPI:
    """An app serving only the monitoring router (no background alert task)."""
    app = FastAPI()
    app.include_router(
        monitoring_router(
            collector,
            manager or AlertManager(collector, log_notifications=False, discover_plugins=False),
            start_alerts=False,
            cache_seconds=0,
            **kwargs,  # type: ignore[arg-type]
        )
    )
    return app


OPERATOR_KEY = "reliability-operator-key"
"""The key of ``client``'s app: without auth the router is read-only and health terse."""


@pytest_asyncio.fixture
async def client(collector: ResultMetricsCollector) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the monitoring app on ``collector``, carrying the operator's key."""
    transport = httpx.ASGITransport(app=make_app(collector, auth=api_key_auth(OPERATOR_KEY)))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers={"X-API-Key": OPERATOR_KEY}
    ) as http:
        yield http
