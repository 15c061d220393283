"""The monitoring router through httpx's ASGITransport: every endpoint, status and message."""

from __future__ import annotations

import datetime as dt
import logging
import re
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI, HTTPException, Request

from rfs_monitoring.alerts import AlertManager
from rfs_monitoring.dashboard_api import (
    HealthThresholds,
    MetricsHistory,
    SeriesPoint,
    api_key_auth,
    monitoring_router,
    render_chart,
)
from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.metrics import MetricSample, ResultMetricsCollector
from rfs_monitoring.result_logging import get_log_level, logging_stats, set_log_level

ACCEPTED_RANGES = '"1m", "5m", "15m", "1h", "6h", "1d", "1w"'


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def collector(clock: FakeClock) -> ResultMetricsCollector:
    return ResultMetricsCollector(clock=clock)


@pytest.fixture
def history(clock: FakeClock) -> MetricsHistory:
    return MetricsHistory(clock=clock, bucket_seconds=10, buckets=30)


@pytest.fixture
def manager(collector: ResultMetricsCollector, clock: FakeClock) -> AlertManager:
    return AlertManager(collector, clock=clock, log_notifications=False, discover_plugins=False)


def make_app(
    collector: ResultMetricsCollector,
    manager: AlertManager,
    history: MetricsHistory,
    **kwargs: Any,
) -> FastAPI:
    app = FastAPI()
    app.include_router(
        monitoring_router(
            collector, manager, history=history, start_alerts=False, cache_seconds=0, **kwargs
        )
    )
    return app


@pytest.fixture
def app(
    collector: ResultMetricsCollector, manager: AlertManager, history: MetricsHistory
) -> FastAPI:
    return make_app(collector, manager, history)


@pytest_asyncio.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
def restore_log_level() -> Iterator[None]:
    before = get_log_level()
    try:
        yield
    finally:
        set_log_level(before)
        set_log_level(None, operation="user_retrieval")


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


class TestOperations:
    @pytest.mark.asyncio
    async def test_lists_operations_with_headline_figures(
        self, client: httpx.AsyncClient, collector: ResultMetricsCollector
    ) -> None:
        record(collector, "user_retrieval", ok=99, failed=1, duration_ms=20)
        record(collector, "orders", ok=10, duration_ms=5)
        response = await client.get("/monitoring/operations")
        assert response.status_code == 200
        rows = {row["operation_name"]: row for row in response.json()}
        assert set(rows) == {"user_retrieval", "orders"}
        users = rows["user_retrieval"]
        assert users["total_requests"] == 100
        assert users["failed_requests"] == 1
        assert users["success_rate"] == pytest.approx(0.99)
        assert users["p50_response_time_ms"] == pytest.approx(20, rel=0.05)
        assert users["requests_per_second"] == pytest.approx(100 / 3600, rel=0.05)
        assert users["status"] == "healthy"
        assert rows["orders"]["status"] == "healthy"

    @pytest.mark.asyncio
    async def test_empty(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/monitoring/operations")
        assert (response.status_code, response.json()) == (200, [])

    @pytest.mark.asyncio
    async def test_bad_time_range_is_422(self, client: httpx.AsyncClient) -> None:
        assert_range_error(await client.get("/monitoring/operations?time_range=ages"), "ages")

    @pytest.mark.asyncio
    async def test_a_number_of_seconds_is_a_time_range(
        self, client: httpx.AsyncClient, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        record(collector, "op", ok=1)
        clock.advance(100)
        record(collector, "op", ok=1)
        response = await client.get("/monitoring/operations?time_range=50")
        assert response.json()[0]["total_requests"] == 1


class TestOperationMetrics:
    @pytest.mark.asyncio
    async def test_metrics_of_one_operation(
        self, client: httpx.AsyncClient, collector: ResultMetricsCollector
    ) -> None:
        record(collector, "user_retrieval", ok=3, failed=1, duration_ms=12)
        response = await client.get(
            "/monitoring/operations/user_retrieval/metrics", params={"time_range": "5m"}
        )
        assert response.status_code == 200
        body = response.json()
        assert body["operation_name"] == "user_retrieval"
        assert body["time_window"] == "5m"
        assert (body["total_requests"], body["successful_requests"]) == (4, 3)
        assert body["failed_requests"] == 1
        assert body["success_rate"] == 0.75
        assert body["error_breakdown"] == {"NOT_FOUND": 1}
        assert body["max_response_time_ms"] == pytest.approx(12, rel=0.05)
        for key in (
            "avg_response_time_ms",
            "p90_response_time_ms",
            "p99_response_time_ms",
            "top_errors",
            "avg_memory_usage_mb",
            "avg_cpu_usage_percent",
            "hourly_distribution",
            "requests_per_second",
            "window_start",
            "window_end",
        ):
            assert key in body

    @pytest.mark.asyncio
    async def test_unknown_operation_is_404(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/monitoring/operations/nope/metrics")
        assert response.status_code == 404
        assert response.json() == {
            "code": "NOT_FOUND",
            "message": "operation nope not found",
            "details": {"resource": "operation", "id": "nope"},
        }

    @pytest.mark.asyncio
    async def test_bad_time_range_is_422(
        self, client: httpx.AsyncClient, collector: ResultMetricsCollector
    ) -> None:
        record(collector, "op", ok=1)
        response = await client.get("/monitoring/operations/op/metrics?time_range=2x")
        assert_range_error(response, "2x")


class TestHealth:
    @pytest.mark.asyncio
    async def test_no_traffic_is_healthy(
        self, client: httpx.AsyncClient, collector: ResultMetricsCollector
    ) -> None:
        response = await client.get("/monitoring/health/result-patterns")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "healthy"
        assert body["overall_success_rate"] == 1.0
        assert body["total_requests"] == 0
        assert body["operations"] == []
        assert body["firing_alerts"] == []
        assert body["time_range"] == "5m"
        assert body["logging"].keys() == logging_stats().keys()
        assert body["logging_dropped"] == logging_stats()["dropped"]
        assert body["collector_memory_bytes"] == collector.stats()["memory_bytes"]
        dt.datetime.fromisoformat(body["checked_at"].replace("Z", "+00:00"))

    @pytest.mark.asyncio
    async def test_each_operation_is_judged_by_the_thresholds(
        self,
        collector: ResultMetricsCollector,
        manager: AlertManager,
        history: MetricsHistory,
    ) -> None:
        thresholds = HealthThresholds(
            degraded_success_rate=0.9,
            unhealthy_success_rate=0.5,
            degraded_p99_ms=100,
            unhealthy_p99_ms=1000,
            min_requests=2,
        )
        record(collector, "fine", ok=10)
        record(collector, "flaky", ok=8, failed=2)
        record(collector, "broken", ok=1, failed=9)
        record(collector, "slow", ok=10, duration_ms=500)
        record(collector, "stuck", ok=10, duration_ms=2000)
        record(collector, "quiet", failed=1)
        app = make_app(collector, manager, history, thresholds=thresholds)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as http:
            body = (await http.get("/monitoring/health/result-patterns")).json()
        judged = {op["operation_name"]: (op["status"], op["reasons"]) for op in body["operations"]}
        assert judged["fine"] == ("healthy", [])
        assert judged["quiet"] == ("healthy", [])
        assert judged["flaky"] == ("degraded", ["success rate 80.0% < 90.0%"])
        assert judged["broken"] == ("unhealthy", ["success rate 10.0% < 50.0%"])
        assert judged["slow"][0] == "degraded"
        assert judged["slow"][1][0].startswith("p99 ")
        assert judged["slow"][1][0].endswith(" ms > 100 ms")
        assert judged["stuck"][0] == "unhealthy"
        assert judged["stuck"][1][0].endswith(" ms > 1000 ms")
        assert body["status"] == "unhealthy"
        assert body["total_requests"] == 51
        assert body["overall_success_rate"] == pytest.approx(39 / 51)

    @pytest.mark.asyncio
    async def test_firing_alerts_are_listed_and_degrade_the_status(
        self, client: httpx.AsyncClient, collector: ResultMetricsCollector, manager: AlertManager
    ) -> None:
        record(collector, "op", ok=100)
        alert_id = manager.add({"metric": "rps", "comparison": ">", "threshold": 0})
        await manager.evaluate()
        body = (await client.get("/monitoring/health/result-patterns")).json()
        assert body["status"] == "degraded"
        assert [a["alert_id"] for a in body["firing_alerts"]] == [alert_id]
        assert body["firing_alerts"][0]["state"] == "firing"
        assert body["firing_alerts"][0]["config"]["metric"] == "rps"

        manager.add({"metric": "rps", "threshold": 0, "severity": "critical"})
        await manager.evaluate()
        body = (await client.get("/monitoring/health/result-patterns")).json()
        assert body["status"] == "unhealthy"

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            (
                {"degraded_success_rate": 1.5},
                "HealthThresholds.degraded_success_rate must be a fraction in 0..1, got 1.5",
            ),
            (
                {"unhealthy_p99_ms": 0},
                "HealthThresholds.unhealthy_p99_ms must be a number of milliseconds > 0, got 0",
            ),
            (
                {"degraded_success_rate": 0.5, "unhealthy_success_rate": 0.9},
                "HealthThresholds.unhealthy_success_rate (0.9) must not exceed "
                "degraded_success_rate (0.5)",
            ),
            (
                {"degraded_p99_ms": 500, "unhealthy_p99_ms": 100},
                "HealthThresholds.unhealthy_p99_ms (100) must not be below degraded_p99_ms (500)",
            ),
            ({"min_requests": 0}, "HealthThresholds.min_requests must be an int >= 1, got 0"),
            ({"min_requests": 1.5}, "HealthThresholds.min_requests must be an int >= 1, got 1.5"),
        ],
    )
    def test_bad_thresholds(self, kwargs: dict[str, Any], message: str) -> None:
        with pytest.raises(ConfigurationError) as info:
            HealthThresholds(**kwargs)
        assert str(info.value) == message

    def test_bad_threshold_window(self) -> None:
        with pytest.raises(ConfigurationError, match=r"^HealthThresholds\.time_range 'x' is not"):
            HealthThresholds(time_range="x")


class TestTopErrors:
    @pytest.mark.asyncio
    async def test_groups_with_code_count_last_seen_and_operations(
        self, client: httpx.AsyncClient, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        record(collector, "users", failed=3, message="user 1 not found")
        record(collector, "orders", failed=1, message="user 2 not found")
        record(collector, "orders", failed=1, message="db down", code="SERVICE_UNAVAILABLE")
        response = await client.get("/monitoring/errors/top")
        assert response.status_code == 200
        groups = response.json()
        assert groups[0]["count"] == 4
        assert groups[0]["error_code"] == "NOT_FOUND"
        assert sorted(groups[0]["operations"]) == ["orders", "users"]
        last_seen = dt.datetime.fromisoformat(groups[0]["last_seen"].replace("Z", "+00:00"))
        assert last_seen.timestamp() == clock.now
        assert groups[1]["count"] == 1
        assert groups[1]["error_code"] == "SERVICE_UNAVAILABLE"

    @pytest.mark.asyncio
    async def test_limit_and_operation_filter(
        self, client: httpx.AsyncClient, collector: ResultMetricsCollector
    ) -> None:
        record(collector, "a", failed=2, message="first")
        record(collector, "b", failed=1, message="other", code="CONFLICT")
        one = (await client.get("/monitoring/errors/top?limit=1")).json()
        assert [g["count"] for g in one] == [2]
        only_b = (await client.get("/monitoring/errors/top?operation=b")).json()
        assert [g["operations"] for g in only_b] == [["b"]]

    @pytest.mark.parametrize("limit", [0, 101, -5])
    @pytest.mark.asyncio
    async def test_limit_outside_1_to_100_is_422(
        self, client: httpx.AsyncClient, limit: int
    ) -> None:
        response = await client.get(f"/monitoring/errors/top?limit={limit}")
        assert response.status_code == 422
        assert response.json() == {
            "code": "VALIDATION_ERROR",
            "message": f"limit {limit} is out of range; accepted: an integer from 1 to 100",
            "details": {"field": "limit"},
        }

    @pytest.mark.asyncio
    async def test_limit_must_be_an_integer(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/monitoring/errors/top?limit=many")
        assert response.status_code == 422
        assert response.json()["details"]["errors"][0]["loc"] == ["query", "limit"]

    @pytest.mark.asyncio
    async def test_bad_time_range_is_422(self, client: httpx.AsyncClient) -> None:
        assert_range_error(await client.get("/monitoring/errors/top?time_range=0"), "0")


class TestAlertsApi:
    @pytest.mark.asyncio
    async def test_configure_returns_the_alert_id(
        self, client: httpx.AsyncClient, manager: AlertManager
    ) -> None:
        response = await client.post(
            "/monitoring/alerts/configure",
            json={"operation": "user_retrieval", "metric": "p99_latency", "threshold": 250},
        )
        assert response.status_code == 201
        alert_id = response.json()
        assert isinstance(alert_id, str)
        assert alert_id.startswith("alert-")
        status = manager.get(alert_id)
        assert status is not None
        assert status.config.threshold == 250

    @pytest.mark.parametrize(
        ("body", "loc", "message"),
        [
            (
                {"metric": "p95", "threshold": 1},
                ["body", "metric"],
                "Input should be 'success_rate', 'error_rate', 'p50_latency', 'p90_latency', "
                "'p99_latency', 'avg_latency', 'max_latency', 'rps' or 'error_count'",
            ),
            ({"metric": "rps"}, ["body", "threshold"], "Field required"),
            (
                {"metric": "rps", "threshold": 1, "window": "soon"},
                ["body", "window"],
                "Value error, time_range 'soon' is not accepted; use \"1m\"",
            ),
            (
                {"metric": "rps", "threshold": 1, "for_seconds": -1},
                ["body", "for_seconds"],
                "Input should be greater than or equal to 0",
            ),
            (
                {"metric": "error_rate", "threshold": 5},
                ["body"],
                "Value error, threshold 5.0 is out of range for metric 'error_rate': "
                "rates are fractions between 0 and 1",
            ),
        ],
    )
    @pytest.mark.asyncio
    async def test_invalid_configuration_is_422_naming_the_field(
        self, client: httpx.AsyncClient, body: dict[str, Any], loc: list[str], message: str
    ) -> None:
        response = await client.post("/monitoring/alerts/configure", json=body)
        assert response.status_code == 422
        detail = response.json()["details"]["errors"]
        assert detail[0]["loc"] == loc
        assert detail[0]["msg"].startswith(message)

    @pytest.mark.asyncio
    async def test_list_get_history_evaluate_delete(
        self, client: httpx.AsyncClient, collector: ResultMetricsCollector
    ) -> None:
        record(collector, "op", failed=2)
        firing_id = (
            await client.post(
                "/monitoring/alerts/configure", json={"metric": "error_count", "threshold": 1}
            )
        ).json()
        quiet_id = (
            await client.post(
                "/monitoring/alerts/configure", json={"metric": "error_count", "threshold": 10}
            )
        ).json()
        listed = (await client.get("/monitoring/alerts")).json()
        assert [(a["alert_id"], a["state"]) for a in listed] == [
            (firing_id, "ok"),
            (quiet_id, "ok"),
        ]

        events = (await client.post("/monitoring/alerts/evaluate")).json()
        assert [(e["alert_id"], e["state"]) for e in events] == [
            (firing_id, "pending"),
            (firing_id, "firing"),
        ]
        firing = (await client.get("/monitoring/alerts", params={"state": "firing"})).json()
        assert [a["alert_id"] for a in firing] == [firing_id]
        one = (await client.get(f"/monitoring/alerts/{firing_id}")).json()
        assert one["state"] == "firing"
        assert one["value"] == 2.0
        assert one["fired_at"] is not None
        history = (await client.get("/monitoring/alerts/history")).json()
        assert [e["state"] for e in history] == ["pending", "firing"]
        limited = (
            await client.get(
                "/monitoring/alerts/history", params={"alert_id": firing_id, "limit": 1}
            )
        ).json()
        assert [e["state"] for e in limited] == ["firing"]

        deleted = await client.delete(f"/monitoring/alerts/{firing_id}")
        assert deleted.status_code == 200
        assert deleted.json()["alert_id"] == firing_id
        again = await client.delete(f"/monitoring/alerts/{firing_id}")
        assert again.status_code == 404
        assert again.json()["message"] == f"alert {firing_id} not found"
        missing = await client.get(f"/monitoring/alerts/{firing_id}")
        assert missing.status_code == 404

    @pytest.mark.asyncio
    async def test_bad_state_filter_and_history_limit(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/monitoring/alerts?state=burning")
        assert response.status_code == 422
        assert response.json()["message"] == (
            "state 'burning' is not accepted; use one of ok, pending, firing, resolved"
        )
        response = await client.get("/monitoring/alerts/history?limit=0")
        assert response.status_code == 422
        assert response.json()["message"] == "limit 0 is out of range; accepted: an integer >= 1"


class TestLogLevels:
    @pytest.mark.asyncio
    @pytest.mark.usefixtures("restore_log_level")
    async def test_put_changes_the_level_globally_and_per_operation(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.put("/monitoring/log-levels", json={"level": "warning"})
        assert response.status_code == 200
        assert response.json() == {"level": "WARNING", "operation": None}
        assert get_log_level() == "WARNING"

        response = await client.put(
            "/monitoring/log-levels", json={"level": "DEBUG", "operation": "user_retrieval"}
        )
        assert response.json() == {"level": "DEBUG", "operation": "user_retrieval"}
        assert get_log_level("user_retrieval") == "DEBUG"
        read = await client.get("/monitoring/log-levels", params={"operation": "user_retrieval"})
        assert read.json() == {"level": "DEBUG", "operation": "user_retrieval"}
        assert (await client.get("/monitoring/log-levels")).json()["level"] == "WARNING"

    @pytest.mark.asyncio
    @pytest.mark.usefixtures("restore_log_level")
    async def test_bad_level_is_422(self, client: httpx.AsyncClient) -> None:
        before = get_log_level()
        response = await client.put("/monitoring/log-levels", json={"level": "loud"})
        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "VALIDATION_ERROR"
        assert body["details"] == {"field": "level"}
        assert "'loud'" in body["message"]
        assert "DEBUG" in body["message"]
        assert get_log_level() == before

    @pytest.mark.asyncio
    async def test_missing_level_is_422(self, client: httpx.AsyncClient) -> None:
        response = await client.put("/monitoring/log-levels", json={})
        assert response.status_code == 422
        assert response.json()["details"]["errors"][0]["loc"] == ["body", "level"]


class TestPrometheus:
    @pytest.mark.asyncio
    async def test_text_exposition(
        self, client: httpx.AsyncClient, collector: ResultMetricsCollector
    ) -> None:
        pytest.importorskip("prometheus_client")
        record(collector, "user_retrieval", ok=2, failed=1)
        response = await client.get("/monitoring/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        assert 'operation="user_retrieval"' in response.text
        assert "# TYPE" in response.text

    @pytest.mark.asyncio
    async def test_without_the_extra_the_answer_names_it(
        self, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setitem(sys.modules, "prometheus_client", None)
        response = await client.get("/monitoring/metrics")
        assert response.status_code == 503
        assert response.json()["message"] == (
            "Prometheus export needs prometheus_client; "
            "install it with: pip install 'rfs-monitoring[prometheus]'"
        )


class TestTimeseries:
    @pytest.mark.asyncio
    async def test_buckets_with_rates_and_percentiles(
        self, client: httpx.AsyncClient, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        record(collector, "op", ok=3, failed=1, duration_ms=40)
        clock.advance(20)
        record(collector, "other", ok=1, duration_ms=10)
        points = (await client.get("/monitoring/timeseries")).json()
        assert len(points) == 30
        busy = [p for p in points if p["requests"]]
        assert [(p["requests"], p["failures"], p["success_rate"]) for p in busy] == [
            (4, 1, 0.75),
            (1, 0, 1.0),
        ]
        assert busy[0]["p99_response_time_ms"] == 40
        assert points[0]["success_rate"] is None
        only_op = (await client.get("/monitoring/timeseries?operation=op")).json()
        assert sum(p["requests"] for p in only_op) == 4

    @pytest.mark.asyncio
    async def test_unknown_operation_is_404(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/monitoring/timeseries?operation=ghost")
        assert response.status_code == 404
        assert response.json()["message"] == "operation ghost not found"


class TestDashboard:
    @pytest.mark.asyncio
    async def test_page_has_charts_tables_and_refreshes(
        self,
        client: httpx.AsyncClient,
        collector: ResultMetricsCollector,
        clock: FakeClock,
        manager: AlertManager,
    ) -> None:
        for step in range(5):
            record(collector, "user_retrieval", ok=9, failed=1, duration_ms=10 + step)
            clock.advance(10)
        manager.add({"metric": "error_count", "threshold": 0, "name": "errors seen"})
        await manager.evaluate()
        response = await client.get("/monitoring/dashboard")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        page = response.text
        assert '<meta http-equiv="refresh" content="5">' in page
        for element in ('id="latency-svg"', 'id="success-svg"', 'id="operations-table"'):
            assert element in page
        assert 'id="errors-table"' in page
        assert 'id="alerts-table"' in page
        assert "errors seen" in page
        latency = re.search(r'<svg class="chart" id="latency-svg".*?</svg>', page, re.S)
        assert latency is not None
        assert 'data-points="15"' in latency.group(0)
        assert latency.group(0).count('<polyline class="series') == 3
        success = re.search(r'<svg class="chart" id="success-svg".*?</svg>', page, re.S)
        assert success is not None
        assert 'data-points="5"' in success.group(0)
        assert "user &lt;n&gt; not found" in page
        assert 'class="status status-unhealthy"' in page

    @pytest.mark.asyncio
    async def test_no_external_resources(self, client: httpx.AsyncClient) -> None:
        page = (await client.get("/monitoring/dashboard")).text
        assert re.search(r'(src|href)="(https?:)?//', page) is None
        assert "<script src" not in page
        assert "@import" not in page

    @pytest.mark.asyncio
    async def test_user_controlled_text_is_escaped(
        self, client: httpx.AsyncClient, collector: ResultMetricsCollector, manager: AlertManager
    ) -> None:
        evil = "<script>alert(1)</script>"
        record(collector, f"op{evil}", failed=1, message=f"bad {evil} input", code=evil)
        manager.add(
            {"operation": f"op{evil}", "metric": "error_count", "threshold": 0, "name": evil}
        )
        await manager.evaluate()
        page = (await client.get("/monitoring/dashboard", params={"operation": evil})).text
        assert "<script" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page

    @pytest.mark.asyncio
    async def test_empty_state_and_options(
        self, client: httpx.AsyncClient, collector: ResultMetricsCollector
    ) -> None:
        page = (
            await client.get("/monitoring/dashboard", params={"refresh": 0, "time_range": "600"})
        ).text
        assert 'http-equiv="refresh"' not in page
        assert "auto-refresh off" in page
        assert "No operation recorded yet." in page
        assert "No errors in this period." in page
        assert "No alert is firing." in page
        assert "no requests in this period" in page
        assert '<option value="600.0" selected>' in page

    @pytest.mark.asyncio
    async def test_operation_selects_the_chart_series(
        self, client: httpx.AsyncClient, collector: ResultMetricsCollector
    ) -> None:
        record(collector, "a", ok=1)
        record(collector, "b", ok=2)
        page = (await client.get("/monitoring/dashboard", params={"operation": "b"})).text
        assert '<option value="b" selected>' in page
        assert "· b ·" in page

    @pytest.mark.asyncio
    async def test_bad_time_range_is_422(self, client: httpx.AsyncClient) -> None:
        assert_range_error(await client.get("/monitoring/dashboard?time_range=soon"), "soon")


READS = [
    ("GET", "/monitoring/operations", None),
    ("GET", "/monitoring/operations/op/metrics", None),
    ("GET", "/monitoring/errors/top", None),
    ("GET", "/monitoring/timeseries", None),
    ("GET", "/monitoring/alerts", None),
    ("GET", "/monitoring/alerts/history", None),
    ("GET", "/monitoring/alerts/alert-x", None),
    ("GET", "/monitoring/log-levels", None),
    ("GET", "/monitoring/metrics", None),
    ("GET", "/monitoring/dashboard", None),
]
CHANGES = [
    ("POST", "/monitoring/alerts/configure", {"metric": "rps", "threshold": 1}),
    ("POST", "/monitoring/alerts/evaluate", None),
    ("DELETE", "/monitoring/alerts/alert-x", None),
    ("PUT", "/monitoring/log-levels", {"level": "INFO"}),
]


@pytest_asyncio.fixture
async def guarded(
    collector: ResultMetricsCollector, manager: AlertManager, history: MetricsHistory
) -> AsyncIterator[httpx.AsyncClient]:
    app = make_app(collector, manager, history, auth=api_key_auth(["s3cret", "other"]))
    record(collector, "op", ok=1)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        yield http


class TestAuth:
    @pytest.mark.parametrize(("method", "path", "body"), READS + CHANGES)
    @pytest.mark.asyncio
    @pytest.mark.usefixtures("restore_log_level")
    async def test_every_endpoint_but_health_needs_the_key(
        self, guarded: httpx.AsyncClient, method: str, path: str, body: Any
    ) -> None:
        refused = await guarded.request(method, path, json=body)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "ApiKey"
        assert refused.json() == {
            "code": "UNAUTHORIZED",
            "message": "a valid API key is required (header X-API-Key)",
            "details": {},
        }
        wrong = await guarded.request(method, path, json=body, headers={"X-API-Key": "guess"})
        assert wrong.status_code == 401
        allowed = await guarded.request(method, path, json=body, headers={"X-API-Key": "s3cret"})
        assert allowed.status_code != 401
        bearer = await guarded.request(
            method, path, json=body, headers={"Authorization": "Bearer other"}
        )
        assert bearer.status_code != 401

    @pytest.mark.asyncio
    async def test_health_stays_open(self, guarded: httpx.AsyncClient) -> None:
        response = await guarded.get("/monitoring/health/result-patterns")
        assert response.status_code == 200

    @pytest.mark.asyncio
    @pytest.mark.usefixtures("restore_log_level")
    async def test_unprotected_reads_still_guard_changes(
        self, collector: ResultMetricsCollector, manager: AlertManager, history: MetricsHistory
    ) -> None:
        app = make_app(collector, manager, history, auth=api_key_auth("k"), protect_reads=False)
        record(collector, "op", ok=1)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as http:
            for method, path, body in READS:
                response = await http.request(method, path, json=body)
                assert response.status_code != 401, path
            for method, path, body in CHANGES:
                response = await http.request(method, path, json=body)
                assert response.status_code == 401, path

    @pytest.mark.asyncio
    async def test_query_parameter_key_for_browsers(
        self, collector: ResultMetricsCollector, manager: AlertManager, history: MetricsHistory
    ) -> None:
        app = make_app(collector, manager, history, auth=api_key_auth("k", query_param="key"))
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as http:
            assert (await http.get("/monitoring/dashboard?key=k")).status_code == 200
            assert (await http.get("/monitoring/dashboard?key=x")).status_code == 401
            bearer_off = make_app(
                collector, manager, history, auth=api_key_auth("k", allow_bearer=False)
            )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=bearer_off), base_url="http://t"
        ) as http:
            response = await http.get(
                "/monitoring/operations", headers={"Authorization": "Bearer k"}
            )
            assert response.status_code == 401

    @pytest.mark.asyncio
    async def test_any_dependency_is_accepted(
        self, collector: ResultMetricsCollector, manager: AlertManager, history: MetricsHistory
    ) -> None:
        async def only_admins(request: Request) -> None:
            if request.headers.get("x-role") != "admin":
                raise HTTPException(status_code=403, detail="admins only")

        app = make_app(collector, manager, history, auth=only_admins)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as http:
            assert (await http.get("/monitoring/alerts")).status_code == 403
            ok = await http.get("/monitoring/alerts", headers={"x-role": "admin"})
            assert ok.status_code == 200

    def test_open_api_logs_a_warning(
        self,
        caplog: pytest.LogCaptureFixture,
        collector: ResultMetricsCollector,
        manager: AlertManager,
    ) -> None:
        with caplog.at_level(logging.WARNING, logger="rfs_monitoring.dashboard_api"):
            monitoring_router(collector, manager, prefix="/ops")
        assert [r.getMessage() for r in caplog.records] == [
            "the monitoring API at /ops is open: no auth is configured; anyone who can reach "
            "it can read metrics and change alerts and log levels (pass auth=api_key_auth(...))"
        ]
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="rfs_monitoring.dashboard_api"):
            monitoring_router(collector, manager, auth=api_key_auth("k"))
        assert caplog.records == []

    @pytest.mark.parametrize("keys", ["", [], ["ok", ""], [3]])
    def test_api_key_auth_needs_keys(self, keys: Any) -> None:
        with pytest.raises(ConfigurationError) as info:
            api_key_auth(keys)
        assert str(info.value) == (
            f"api_key_auth needs one or more non-empty string keys, got {keys!r}"
        )


class TestRouterConfiguration:
    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            (
                {"prefix": "monitoring"},
                "monitoring_router prefix must be '' or start with '/' and not end with '/', "
                "got 'monitoring'",
            ),
            (
                {"prefix": "/m/"},
                "monitoring_router prefix must be '' or start with '/' and not end with '/', "
                "got '/m/'",
            ),
            (
                {"auth": "secret"},
                "monitoring_router auth must be a FastAPI dependency (a callable), got 'secret'",
            ),
            (
                {"refresh_seconds": -1},
                "monitoring_router refresh_seconds must be an int >= 0, got -1",
            ),
            (
                {"thresholds": {"min_requests": 3}},
                "monitoring_router thresholds must be HealthThresholds, got {'min_requests': 3}",
            ),
            ({"history": []}, "monitoring_router history must be a MetricsHistory, got []"),
            (
                {"cache_seconds": -1},
                "monitoring_router cache_seconds must be a number of seconds >= 0, got -1",
            ),
        ],
    )
    def test_bad_arguments(self, kwargs: dict[str, Any], message: str) -> None:
        with pytest.raises(ConfigurationError) as info:
            monitoring_router(ResultMetricsCollector(), **kwargs)
        assert str(info.value) == message

    @pytest.mark.asyncio
    async def test_empty_prefix_and_default_collector_and_manager(self) -> None:
        fresh = ResultMetricsCollector()
        previous = ResultMetricsCollector.set_instance(fresh)
        try:
            app = FastAPI()
            router = monitoring_router(prefix="", auth=api_key_auth("k"))
            app.include_router(router)
            fresh.record("op", success=True, duration_ms=1.0)
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://t"
            ) as http:
                response = await http.get("/operations", headers={"X-API-Key": "k"})
                assert [r["operation_name"] for r in response.json()] == ["op"]
                points = (await http.get("/timeseries", headers={"X-API-Key": "k"})).json()
                assert sum(p["requests"] for p in points) == 1
            router.unsubscribe_history()  # type: ignore[attr-defined]
        finally:
            ResultMetricsCollector.set_instance(previous)

    @pytest.mark.asyncio
    async def test_lifespan_runs_the_alert_evaluation(
        self, collector: ResultMetricsCollector, history: MetricsHistory
    ) -> None:
        manager = AlertManager(
            collector, interval=0.01, log_notifications=False, discover_plugins=False
        )
        app = FastAPI()
        app.include_router(monitoring_router(collector, manager, history=history))
        async with app.router.lifespan_context(app):
            assert manager.running
        assert not manager.running
        # Shutdown unsubscribed the chart history; a new startup subscribes it again.
        collector.record("op", success=True, duration_ms=1.0)
        assert sum(p.requests for p in history.series()) == 0
        async with app.router.lifespan_context(app):
            collector.record("op", success=True, duration_ms=1.0)
        assert sum(p.requests for p in history.series()) == 1

        idle = AlertManager(collector, log_notifications=False, discover_plugins=False)
        app = FastAPI()
        app.include_router(monitoring_router(collector, idle, history=history, start_alerts=False))
        async with app.router.lifespan_context(app):
            assert not idle.running


class TestMetricsHistory:
    def sample(self, operation: str, timestamp: float, ms: float, ok: bool = True) -> MetricSample:
        return MetricSample(operation, ok, ms, None, None, None, timestamp)

    def test_old_buckets_are_dropped(self, clock: FakeClock) -> None:
        history = MetricsHistory(clock=clock, bucket_seconds=1, buckets=3)
        for offset in range(6):
            history(self.sample("op", clock.now - 5 + offset, 1.0))
        points = history.series("op")
        assert [p.requests for p in points] == [1, 1, 1]
        assert history._series["op"].keys() == {
            int(clock.now) - 2,
            int(clock.now) - 1,
            int(clock.now),
        }

    def test_reservoir_is_bounded_and_percentiles_come_from_it(self, clock: FakeClock) -> None:
        history = MetricsHistory(clock=clock, reservoir=50)
        for ms in range(1, 1001):
            history(self.sample("op", clock.now, float(ms)))
        bucket = history._series["op"][int(clock.now // 10)]
        assert (bucket.count, len(bucket.durations)) == (1000, 50)
        last = history.series("op")[-1]
        assert last.requests == 1000
        assert last.p50_response_time_ms is not None
        assert last.p99_response_time_ms is not None
        assert 1 <= last.p50_response_time_ms <= last.p99_response_time_ms <= 1000

    def test_operations_beyond_the_cap_count_only_under_star(self, clock: FakeClock) -> None:
        history = MetricsHistory(clock=clock, max_operations=2)
        for name in ("a", "b", "c", "a"):
            history(self.sample(name, clock.now, 1.0))
        assert history.operations() == ["a", "b"]
        assert history.series("*")[-1].requests == 4
        assert history.series("a")[-1].requests == 2

    def test_percentiles_and_unknown_series(self, clock: FakeClock) -> None:
        history = MetricsHistory(clock=clock)
        for ms in (1.0, 2.0, 3.0, 4.0):
            history(self.sample("op", clock.now, ms, ok=ms != 4.0))
        last = history.series()[-1]
        assert (last.p50_response_time_ms, last.p90_response_time_ms) == (2.0, 4.0)
        assert last.success_rate == 0.75
        assert all(p.requests == 0 for p in history.series("ghost"))

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"bucket_seconds": 0}, "MetricsHistory bucket_seconds must be a number > 0, got 0"),
            ({"buckets": 0}, "MetricsHistory buckets must be an int >= 1, got 0"),
            ({"reservoir": 2.5}, "MetricsHistory reservoir must be an int >= 1, got 2.5"),
            (
                {"max_operations": True},
                "MetricsHistory max_operations must be an int >= 1, got True",
            ),
        ],
    )
    def test_bad_settings(self, kwargs: dict[str, Any], message: str) -> None:
        with pytest.raises(ConfigurationError) as info:
            MetricsHistory(**kwargs)
        assert str(info.value) == message


class TestRenderChart:
    def points(self, *values: float | None) -> list[SeriesPoint]:
        base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        return [
            SeriesPoint(base + dt.timedelta(seconds=10 * i), 1, 0, 1.0, v, v, v)
            for i, v in enumerate(values)
        ]

    def test_gaps_split_the_line(self) -> None:
        svg = render_chart(
            self.points(1.0, None, 3.0, 4.0),
            [("p50", "p50", lambda p: p.p50_response_time_ms)],
            chart_id="c",
            unit=" ms",
        )
        assert svg.count("<polyline") == 2
        assert svg.count("<circle") == 3
        assert 'data-points="3"' in svg
        assert ">5 ms</text>" in svg  # the axis goes up to a round number above the maximum

    def test_single_point_is_centred(self) -> None:
        svg = render_chart(
            self.points(7.0),
            [("p50", "p50", lambda p: p.p50_response_time_ms)],
            chart_id="c",
            unit="",
            y_max=10.0,
        )
        assert 'cx="322.0"' in svg
        assert ">10</text>" in svg

    def test_large_values_round_the_axis(self) -> None:
        svg = render_chart(
            self.points(1234.0),
            [("p99", "p99", lambda p: p.p99_response_time_ms)],
            chart_id="c",
            unit="",
        )
        assert ">2000</text>" in svg


class TestOpenAPI:
    def test_schema_lists_every_endpoint_and_documents_api_errors(
        self, collector: ResultMetricsCollector, manager: AlertManager, history: MetricsHistory
    ) -> None:
        app = make_app(collector, manager, history, auth=api_key_auth("k"))
        schema = app.openapi()
        paths = schema["paths"]
        assert {
            "/monitoring/operations",
            "/monitoring/operations/{operation_name}/metrics",
            "/monitoring/health/result-patterns",
            "/monitoring/errors/top",
            "/monitoring/timeseries",
            "/monitoring/alerts/configure",
            "/monitoring/alerts",
            "/monitoring/alerts/history",
            "/monitoring/alerts/evaluate",
            "/monitoring/alerts/{alert_id}",
            "/monitoring/log-levels",
            "/monitoring/metrics",
            "/monitoring/dashboard",
        } <= set(paths)
        metrics = paths["/monitoring/operations/{operation_name}/metrics"]["get"]
        assert set(metrics["responses"]) >= {"200", "401", "404"}
        assert "401" not in paths["/monitoring/health/result-patterns"]["get"]["responses"]
        configure = paths["/monitoring/alerts/configure"]["post"]
        assert "201" in configure["responses"]


class TestSnapshotCache:
    @pytest.mark.asyncio
    async def test_answers_are_reused_within_cache_seconds(
        self, collector: ResultMetricsCollector, manager: AlertManager, history: MetricsHistory
    ) -> None:
        app = FastAPI()
        app.include_router(
            monitoring_router(
                collector, manager, history=history, start_alerts=False, cache_seconds=3600
            )
        )
        record(collector, "op", ok=1, failed=1)
        paths = [
            "/monitoring/operations",
            "/monitoring/operations/op/metrics",
            "/monitoring/health/result-patterns",
            "/monitoring/errors/top",
            "/monitoring/dashboard",
        ]
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as http:
            first = [(await http.get(p)).text for p in paths]
            record(collector, "op", ok=5, failed=5, message="another failure")
            again = [(await http.get(p)).text for p in paths]
            assert again == first
            # A different query is computed afresh.
            other = (await http.get("/monitoring/operations/op/metrics?time_range=5m")).json()
            assert other["total_requests"] == 12
            # Failures are not kept.
            assert (await http.get("/monitoring/operations/new/metrics")).status_code == 404
            record(collector, "new", ok=1)
            assert (await http.get("/monitoring/operations/new/metrics")).status_code == 200

    @pytest.mark.asyncio
    async def test_the_cache_is_bounded(self) -> None:
        from rfs_monitoring.dashboard_api import _SnapshotCache
        from rfs_monitoring.result import Success

        cache = _SnapshotCache(60, max_entries=2)
        calls: list[int] = []

        async def compute() -> Any:
            calls.append(1)
            return Success(len(calls))

        for key in ("a", "b", "c", "a"):
            await cache.get((key,), compute)
        assert len(calls) == 4
        assert len(cache._entries) == 2
