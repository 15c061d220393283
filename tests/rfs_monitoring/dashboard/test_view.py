"""The dashboard page: its view-model (``build_view``) and, for what the templates own
(escaping, no external resources, the refresh header), the rendered HTML."""

from __future__ import annotations

import re

import httpx
import pytest

from rfs_monitoring.alerts import AlertManager
from rfs_monitoring.dashboard import (
    HealthThresholds,
    render_dashboard,
)
from rfs_monitoring.dashboard.page import render_page
from rfs_monitoring.dashboard.view import Option
from rfs_monitoring.metrics import ResultMetricsCollector

from .support import CHARTS, OPERATOR, FakeClock, assert_range_error, make_app, record, view_of


class TestDashboard:
    @pytest.mark.asyncio
    async def test_the_page_is_served_as_html(
        self, client: httpx.AsyncClient, collector: ResultMetricsCollector
    ) -> None:
        record(collector, "user_retrieval", ok=9, failed=1)
        response = await client.get("/monitoring/dashboard")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert '<meta http-equiv="refresh" content="5">' in response.text

    @pytest.mark.asyncio
    async def test_view_has_charts_tables_and_refreshes(
        self, collector: ResultMetricsCollector, clock: FakeClock, manager: AlertManager
    ) -> None:
        for step in range(5):
            record(collector, "user_retrieval", ok=9, failed=1, duration_ms=10 + step)
            clock.advance(10)
        manager.add({"metric": "error_count", "threshold": 0, "name": "errors seen"})
        await manager.evaluate()
        view = await view_of(collector, manager)
        assert view.refresh_seconds == 5
        assert [a.label for a in view.alerts] == ["errors seen"]
        assert view.latency_chart.chart_id == "latency-svg"
        assert view.latency_chart.points == 15
        assert [line.key for line in view.latency_chart.lines] == ["p50", "p90", "p99"]
        assert [len(line.segments) for line in view.latency_chart.lines] == [1, 1, 1]
        assert view.success_chart.chart_id == "success-svg"
        assert view.success_chart.points == 5
        assert [op.name for op in view.operations] == ["user_retrieval"]
        assert view.operations[0].status == "unhealthy"
        assert view.status == "unhealthy"
        assert [e.message for e in view.errors] == ["user <n> not found"]
        assert view.series_label == "all operations"
        assert view.bucket_note == "last 5 min in 10 s buckets"

    @pytest.mark.asyncio
    async def test_the_router_serves_the_same_view(
        self, collector: ResultMetricsCollector, manager: AlertManager
    ) -> None:
        record(collector, "op", ok=3)
        app = make_app(collector, manager, title="ops <board>")
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t", headers=OPERATOR
        ) as http:
            page = (await http.get("/monitoring/dashboard", params={"refresh": 0})).text
        view = await view_of(collector, manager, refresh_seconds=0, title="ops <board>")
        expected = render_page(view, logout=True)  # api_key_auth: a log-out button
        # Only the generation time differs between two renderings.
        stamp = re.compile(r'datetime="[^"]*">[^<]*<')
        assert stamp.sub("", page) == stamp.sub("", expected)

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
        self, client: httpx.AsyncClient, collector: ResultMetricsCollector, manager: AlertManager
    ) -> None:
        response = await client.get(
            "/monitoring/dashboard", params={"refresh": 0, "time_range": "600"}
        )
        assert response.status_code == 200
        assert 'http-equiv="refresh"' not in response.text
        assert "auto-refresh off" in response.text
        view = await view_of(collector, manager, refresh_seconds=0, time_range=600.0)
        assert (view.operations, view.errors, view.alerts) == ([], [], [])
        assert view.latency_chart.points == 0
        assert view.latency_chart.empty_at is not None
        assert Option("600.0", selected=True) in view.range_options
        assert [c.value for c in view.cards if c.card_id in ("success", "p99")] == ["–", "–"]

    @pytest.mark.asyncio
    async def test_operation_selects_the_chart_series(
        self, collector: ResultMetricsCollector, manager: AlertManager
    ) -> None:
        record(collector, "a", ok=1)
        record(collector, "b", ok=2)
        view = await view_of(collector, manager, operation="b")
        assert Option("b", selected=True) in view.operation_options
        assert view.series_label == "b"
        assert view.success_chart.points == 1
        unknown = await view_of(collector, manager, operation="ghost")
        assert unknown.series_label == "all operations"
        assert Option("*", selected=True) in unknown.operation_options

    @pytest.mark.asyncio
    async def test_rows_link_to_their_operation(
        self, collector: ResultMetricsCollector, manager: AlertManager
    ) -> None:
        record(collector, "a b", ok=3, duration_ms=12)
        view = await view_of(collector, manager, time_range="5m", refresh_seconds=7)
        row = view.operations[0]
        assert row.link == "?time_range=5m&refresh=7&operation=a%20b"
        assert (row.requests, row.success, row.status) == ("3", "100.00%", "healthy")

    @pytest.mark.asyncio
    async def test_render_dashboard_returns_the_page(
        self, collector: ResultMetricsCollector, manager: AlertManager
    ) -> None:
        page = await render_dashboard(collector, manager, HealthThresholds(), title="T", **CHARTS)
        assert page.startswith("<!DOCTYPE html>")
        assert "<title>T</title>" in page

    @pytest.mark.asyncio
    async def test_bad_time_range_is_422(self, client: httpx.AsyncClient) -> None:
        assert_range_error(await client.get("/monitoring/dashboard?time_range=soon"), "soon")
