"""Attacks on the collector's cardinality: a flood of operation names.

Issue 14, "The operation cap": names past ``max_operations`` are counted under one overflow
operation (``__other__``), shown on the dashboard with a warning; an alert rule on a capped
operation reports "no data: over the cardinality cap" instead of staying ``ok``; the
operations named in alert rules are never capped (the manager reserves them).
"""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from rfs_monitoring.alerts import AlertManager
from rfs_monitoring.dashboard import api_key_auth, monitoring_router
from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.metrics import CAP_REASON, OTHER, ResultMetricsCollector

KEY = "operation-cap-test-key-0123456789"


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def flooded(clock: Clock, cap: int = 3, names: int = 50) -> ResultMetricsCollector:
    """A collector whose cap is reached by ``cap`` names, then flooded by ``names`` more."""
    collector = ResultMetricsCollector(clock=clock, max_operations=cap)
    for i in range(cap):
        collector.record(f"known{i}", success=True, duration_ms=1.0)
    for i in range(names):
        collector.record(f"/user/{i}", success=False, duration_ms=2.0, error_code="E")
    return collector


def manager(collector: ResultMetricsCollector) -> AlertManager:
    return AlertManager(collector, discover_plugins=False, log_notifications=False)


class TestOverflow:
    def test_names_past_the_cap_are_counted_under_one_overflow_name(self) -> None:
        collector = flooded(Clock())
        assert collector.operation_names() == [OTHER, "known0", "known1", "known2"]
        other = collector.operation_metrics(OTHER, "1h").unwrap()
        assert other.total_requests == 50
        assert other.failed_requests == 50
        stats = collector.stats()
        assert stats["other_operation_samples"] == 50
        assert stats["capped_operations"] == 50
        assert stats["max_operations"] == 3
        assert collector.is_capped("/user/7")
        assert not collector.is_capped("known0")
        assert collector.capped_operations()["/user/7"] == 1

    def test_a_name_that_is_not_valid_unicode_is_tracked_once_escaped(self) -> None:
        collector = ResultMetricsCollector(clock=Clock())
        for _ in range(3):
            collector.record("eve\ud800", success=True, duration_ms=1.0)
        assert collector.operation_names() == ["eve\\ud800"]
        assert collector.operation_metrics("eve\\ud800", "1h").unwrap().total_requests == 3

    @pytest.mark.parametrize("name", ["", None, 7])
    def test_reserve_refuses_what_is_no_name(self, name: object) -> None:
        with pytest.raises(ConfigurationError) as info:
            ResultMetricsCollector().reserve(name)  # type: ignore[arg-type]
        assert str(info.value) == f"reserve() expects a non-empty operation name, got {name!r}"

    @pytest.mark.asyncio
    async def test_the_dashboard_warns_about_the_cap(self) -> None:
        collector = flooded(Clock(), names=5)
        app = FastAPI()
        app.include_router(monitoring_router(collector, auth=api_key_auth(KEY), start_alerts=False))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t", headers={"X-API-Key": KEY}
        ) as client:
            page = await client.get("/monitoring/dashboard")
            quiet = flooded(Clock(), names=0)
            app2 = FastAPI()
            app2.include_router(
                monitoring_router(quiet, auth=api_key_auth(KEY), start_alerts=False)
            )
        assert page.status_code == 200
        assert 'id="cap-warning"' in page.text
        assert (
            "5 operation name(s) over the cardinality cap (max_operations=3): their samples "
            "are counted under &#39;__other__&#39;"
        ) in page.text
        transport2 = httpx.ASGITransport(app=app2)
        async with httpx.AsyncClient(
            transport=transport2, base_url="http://t", headers={"X-API-Key": KEY}
        ) as client:
            calm = await client.get("/monitoring/dashboard")
        assert 'id="cap-warning" role="alert" hidden></p>' in calm.text  # shown when needed


class TestAlertsOnCappedOperations:
    @pytest.mark.asyncio
    async def test_a_rule_on_a_capped_operation_reports_no_data_over_the_cap(self) -> None:
        clock = Clock()
        collector = flooded(clock)
        alerts = manager(collector)
        alert_id = alerts.add(
            {"operation": "/user/7", "metric": "error_rate", "threshold": 0.5, "comparison": ">"}
        )
        (event,) = await alerts.evaluate()
        assert event.state == "no_data"
        assert event.message == (
            "[no_data] /user/7: error_rate is no data: over the cardinality cap "
            "(alert when > 0.5 over 5m)"
        )
        status = alerts.get(alert_id)
        assert status is not None
        assert status.state == "no_data"
        assert status.reason == CAP_REASON
        assert await alerts.evaluate() == []  # stays no_data, no repeated event

    @pytest.mark.asyncio
    async def test_operations_named_in_rules_are_never_capped(self) -> None:
        clock = Clock()
        collector = flooded(clock)
        alerts = manager(collector)
        alert_id = alerts.add(
            {"operation": "payments", "metric": "error_rate", "threshold": 0.5, "comparison": ">"}
        )
        for _ in range(4):
            collector.record("payments", success=False, duration_ms=3.0)
        assert "payments" in collector.operation_names()
        assert not collector.is_capped("payments")
        assert collector.operation_metrics("payments", "1h").unwrap().total_requests == 4
        clock.now += 1
        states = [e.state for e in await alerts.evaluate()]
        assert states == ["pending", "firing"]
        status = alerts.get(alert_id)
        assert status is not None
        assert status.reason is None

    @pytest.mark.asyncio
    async def test_a_capped_rule_recovers_once_its_operation_is_reserved(self) -> None:
        clock = Clock()
        collector = flooded(clock)
        alerts = manager(collector)
        alerts.add({"operation": "/user/3", "metric": "error_rate", "threshold": 0.5})
        assert [e.state for e in await alerts.evaluate()] == ["no_data"]
        collector.record("/user/3", success=True, duration_ms=1.0)  # reserved by the rule now
        clock.now += 1
        assert [e.state for e in await alerts.evaluate()] == ["ok"]

    @pytest.mark.asyncio
    async def test_the_router_lists_the_no_data_state(self) -> None:
        collector = flooded(Clock())
        alerts = manager(collector)
        alerts.add({"operation": "/user/9", "metric": "p99_latency", "threshold": 100})
        await alerts.evaluate()
        app = FastAPI()
        app.include_router(
            monitoring_router(collector, alerts, auth=api_key_auth(KEY), start_alerts=False)
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t", headers={"X-API-Key": KEY}
        ) as client:
            listed = await client.get("/monitoring/alerts", params={"state": "no_data"})
        assert listed.status_code == 200
        (alert,) = listed.json()
        assert alert["state"] == "no_data"
        assert alert["reason"] == "over the cardinality cap"
