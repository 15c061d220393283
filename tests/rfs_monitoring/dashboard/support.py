"""Helpers of the dashboard tests: a fake clock, the test app, recording traffic."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from rfs_monitoring.alerts import AlertManager
from rfs_monitoring.dashboard import (
    DashboardView,
    HealthThresholds,
    api_key_auth,
    build_view,
    monitoring_router,
)
from rfs_monitoring.metrics import ResultMetricsCollector

ACCEPTED_RANGES = '"1m", "5m", "15m", "1h", "6h", "1d", "1w"'


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# The key of these tests' apps (without auth the router is read-only and health terse) and
# the headers of a client carrying it.
KEY = "dashboard-test-key"
OPERATOR = {"X-API-Key": KEY}

# The charts of these tests: 30 steps of 10 s.
CHARTS: dict[str, Any] = {"chart_range": "5m", "chart_points": 30}


def make_app(collector: ResultMetricsCollector, manager: AlertManager, **kwargs: Any) -> FastAPI:
    """The router on ``collector`` and ``manager``, guarded by ``KEY`` unless ``auth`` is given."""
    app = FastAPI()
    settings = {**CHARTS, "auth": api_key_auth(KEY), **kwargs}
    app.include_router(
        monitoring_router(collector, manager, start_alerts=False, cache_seconds=0, **settings)
    )
    return app


async def view_of(
    collector: ResultMetricsCollector, manager: AlertManager, **kwargs: Any
) -> DashboardView:
    """The view-model the router's dashboard shows for these query arguments."""
    settings = {"chart_points": CHARTS["chart_points"], **kwargs}
    return await build_view(collector, manager, HealthThresholds(), **settings)


def record(
    collector: ResultMetricsCollector,
    operation: str,
    *,
    ok: int = 0,
    failed: int = 0,
    duration_ms: float = 10.0,
    message: str = "user 42 not found",
    code: str = "NOT_FOUND",
) -> None:
    for _ in range(ok):
        collector.record(operation, success=True, duration_ms=duration_ms)
    for _ in range(failed):
        collector.record(
            operation,
            success=False,
            duration_ms=duration_ms,
            error_code=code,
            error_type="APIError",
            error_message=message,
        )


def range_error(value: str) -> dict[str, Any]:
    """The start of the 422 body for a bad time_range (the rest lists more accepted forms)."""
    return {"code": "VALIDATION_ERROR", "field": "time_range", "starts": f"time_range {value!r}"}


def assert_range_error(response: httpx.Response, value: str) -> None:
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert body["details"]["field"] == "time_range"
    assert body["message"].startswith(f"time_range {value!r} is not accepted; use ")
    assert ACCEPTED_RANGES in body["message"]
