"""The one health rule: thresholds per operation, firing alerts, the health endpoint."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from rfs_monitoring.alerts import AlertManager
from rfs_monitoring.dashboard import (
    HealthThresholds,
)
from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.metrics import ResultMetricsCollector
from rfs_monitoring.result_logging import logging_stats

from .support import OPERATOR, make_app, record


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
    ) -> None:
        thresholds = HealthThresholds(
            degraded_availability=0.9,
            unhealthy_availability=0.5,
            degraded_p99_ms=100,
            unhealthy_p99_ms=1000,
            min_requests=2,
        )
        record(collector, "fine", ok=10)
        record(collector, "flaky", ok=8, failed=2, code="INTERNAL_ERROR")
        record(collector, "broken", ok=1, failed=9, code="INTERNAL_ERROR")
        record(collector, "slow", ok=10, duration_ms=500)
        record(collector, "stuck", ok=10, duration_ms=2000)
        record(collector, "quiet", failed=1)
        app = make_app(collector, manager, thresholds=thresholds)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t", headers=OPERATOR
        ) as http:
            body = (await http.get("/monitoring/health/result-patterns")).json()
        judged = {op["operation_name"]: (op["status"], op["reasons"]) for op in body["operations"]}
        assert judged["fine"] == ("healthy", [])
        assert judged["quiet"] == ("healthy", [])
        assert judged["flaky"] == ("degraded", ["availability 80.0% < 90.0%"])
        assert judged["broken"] == ("unhealthy", ["availability 10.0% < 50.0%"])
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
                {"degraded_availability": 1.5},
                "HealthThresholds.degraded_availability must be a fraction in 0..1, got 1.5",
            ),
            (
                {"unhealthy_p99_ms": 0},
                "HealthThresholds.unhealthy_p99_ms must be a number of milliseconds > 0, got 0",
            ),
            (
                {"degraded_availability": 0.5, "unhealthy_availability": 0.9},
                "HealthThresholds.unhealthy_availability (0.9) must not exceed "
                "degraded_availability (0.5)",
            ),
            (
                {"degraded_p99_ms": 500, "unhealthy_p99_ms": 100},
                "HealthThresholds.unhealthy_p99_ms (100) must not be below degraded_p99_ms (500)",
            ),
            ({"min_requests": 0}, "HealthThresholds.min_requests must be an int >= 1, got 0"),
            ({"min_requests": 1.5}, "HealthThresholds.min_requests must be an int >= 1, got 1.5"),
            (
                {"client_errors_count": "login"},
                "HealthThresholds.client_errors_count must be a set of operation names "
                "(or {'*'} for all), got 'login'",
            ),
            (
                {"client_errors_count": {"", 3}},
                "HealthThresholds.client_errors_count holds non-names: ",
            ),
        ],
    )
    def test_bad_thresholds(self, kwargs: dict[str, Any], message: str) -> None:
        with pytest.raises(ConfigurationError) as info:
            HealthThresholds(**kwargs)
        assert str(info.value).startswith(message)
        assert str(info.value) == message or message.endswith(": ")

    def test_bad_threshold_window(self) -> None:
        with pytest.raises(ConfigurationError, match=r"^HealthThresholds\.time_range 'x' is not"):
            HealthThresholds(time_range="x")


class TestClientErrors:
    """Client errors are shown, never judged, unless configured per operation."""

    @pytest.mark.asyncio
    async def test_30_not_found_of_130_lookups_is_healthy(
        self, collector: ResultMetricsCollector, manager: AlertManager
    ) -> None:
        record(collector, "lookup", ok=100, failed=30, code="NOT_FOUND")
        app = make_app(collector, manager)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t", headers=OPERATOR
        ) as http:
            body = (await http.get("/monitoring/health/result-patterns")).json()
            (row,) = (await http.get("/monitoring/operations")).json()
        assert body["status"] == "healthy"
        (op,) = body["operations"]
        assert (op["status"], op["reasons"]) == ("healthy", [])
        assert op["availability"] == 1.0
        assert op["client_error_rate"] == 30 / 130
        assert op["success_rate"] == 100 / 130
        assert body["overall_availability"] == 1.0
        assert body["overall_client_error_rate"] == 30 / 130
        assert (row["status"], row["availability"], row["client_error_rate"]) == (
            "healthy",
            1.0,
            30 / 130,
        )

    def test_server_faults_and_timeouts_are_judged(self, collector: ResultMetricsCollector) -> None:
        record(collector, "lookup", ok=97, failed=2, code="INTERNAL_ERROR")
        record(collector, "lookup", failed=1, code="TIMEOUT")
        record(collector, "lookup", failed=100, code="NOT_FOUND")
        metrics = collector.operation_metrics("lookup", time_range="5m").unwrap()
        assert HealthThresholds().judge(metrics) == (
            "degraded",
            ["availability 98.5% < 99.0%"],
        )

    @pytest.mark.parametrize("names", [{"lookup"}, {"*"}, ("lookup", "other")])
    def test_an_operation_can_count_its_client_errors(
        self, collector: ResultMetricsCollector, names: set[str] | tuple[str, ...]
    ) -> None:
        record(collector, "lookup", ok=100, failed=30, code="NOT_FOUND")
        record(collector, "other", ok=1, failed=1, code="NOT_FOUND")
        thresholds = HealthThresholds(client_errors_count=names)  # type: ignore[arg-type]
        lookup = collector.operation_metrics("lookup", time_range="5m").unwrap()
        assert thresholds.judge(lookup) == ("unhealthy", ["success rate 76.9% < 95.0%"])
        assert thresholds.client_errors_count == frozenset(names)
        assert HealthThresholds().judge(lookup) == ("healthy", [])
