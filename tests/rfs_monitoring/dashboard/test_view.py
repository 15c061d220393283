"""The dashboard page: its view-model (``build_view``), its JSON (``/dashboard/data``) and,
for what the templates own (escaping, no external resources, the script), the rendered HTML."""

from __future__ import annotations

import dataclasses
import json
import re

import httpx
import pytest

from rfs_monitoring.alerts import AlertManager
from rfs_monitoring.dashboard import (
    HealthThresholds,
    render_dashboard,
)
from rfs_monitoring.dashboard.page import TEMPLATES, render_page, view_json
from rfs_monitoring.dashboard.view import DashboardView, Option
from rfs_monitoring.metrics import ResultMetricsCollector

from .support import CHARTS, OPERATOR, FakeClock, assert_range_error, make_app, record, view_of

STAMP = re.compile(r'datetime="[^"]*">[^<]*<')
"""The generation time: the only part of two renderings that differs."""


class TestPage:
    @pytest.mark.asyncio
    async def test_the_page_is_served_as_html_with_its_script(
        self, client: httpx.AsyncClient, collector: ResultMetricsCollector
    ) -> None:
        record(collector, "user_retrieval", ok=9, failed=1)
        response = await client.get("/monitoring/dashboard")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        page = response.text
        assert 'http-equiv="refresh"' not in page  # updated in place, never reloaded
        assert (
            '<script src="/monitoring/static/charts.js" defer></script>\n'
            '<script src="/monitoring/static/dashboard.js" defer></script>'
        ) in page
        assert 'data-api-base="/monitoring" data-refresh="5"' in page
        assert "updates every 5 s" in page

    @pytest.mark.asyncio
    @pytest.mark.parametrize(
        ("name", "exported"), [("charts.js", "window.RfsCharts"), ("dashboard.js", "RfsDashboard")]
    )
    async def test_the_scripts_are_served_as_package_data(
        self, client: httpx.AsyncClient, name: str, exported: str
    ) -> None:
        response = await client.get(f"/monitoring/static/{name}")
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/javascript; charset=utf-8"
        assert exported in response.text
        assert "http://" not in response.text.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in response.text

    @pytest.mark.asyncio
    async def test_no_external_resources_and_no_inline_code(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/monitoring/dashboard")
        page = response.text
        assert re.search(r'(src|href)="(https?:)?//', page) is None
        assert re.findall(r"<script[^>]*>", page) == [
            '<script src="/monitoring/static/charts.js" defer>',
            '<script src="/monitoring/static/dashboard.js" defer>',
            '<script type="application/json" id="chart-data">',  # data, never executed
        ]
        assert re.search(r"\son[a-z]+=", page) is None  # no inline event handlers
        assert "style=" not in page
        assert "@import" not in page
        assert response.headers["content-security-policy"].startswith("default-src 'self'")

    @pytest.mark.asyncio
    async def test_the_chart_data_block_is_the_view_chart(
        self, client: httpx.AsyncClient, collector: ResultMetricsCollector
    ) -> None:
        record(collector, "op", ok=3)
        page = (await client.get("/monitoring/dashboard?time_range=5m")).text
        block = re.search(r'id="chart-data">(.*?)</script>', page, flags=re.S)
        assert block is not None
        chart = json.loads(block.group(1))
        assert chart["window"] == "last 5 min"
        assert chart["step"] == "10 s steps"
        assert sum(p["requests"] for p in chart["points"]) == 3

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
        assert len(re.findall("<script", page)) == 3  # the page's own three
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "</script><script" not in page

    @pytest.mark.asyncio
    async def test_render_dashboard_returns_the_page(
        self, collector: ResultMetricsCollector, manager: AlertManager
    ) -> None:
        page = await render_dashboard(
            collector, manager, HealthThresholds(), title="T", chart_points=CHARTS["chart_points"]
        )
        assert page.startswith("<!DOCTYPE html>")
        assert "<title>T</title>" in page

    @pytest.mark.asyncio
    async def test_bad_time_range_is_422(self, client: httpx.AsyncClient) -> None:
        assert_range_error(await client.get("/monitoring/dashboard?time_range=soon"), "soon")
        assert_range_error(await client.get("/monitoring/dashboard/data?time_range=soon"), "soon")


class TestData:
    @pytest.mark.asyncio
    async def test_the_router_serves_the_same_view_as_html_and_json(
        self, collector: ResultMetricsCollector, manager: AlertManager
    ) -> None:
        record(collector, "op", ok=3)
        app = make_app(collector, manager, title="ops <board>")
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t", headers=OPERATOR
        ) as http:
            page = (await http.get("/monitoring/dashboard", params={"refresh": 0})).text
            data = (await http.get("/monitoring/dashboard/data", params={"refresh": 0})).json()
        view = await view_of(collector, manager, refresh_seconds=0, title="ops <board>")
        view = dataclasses.replace(view, can_act=True)  # the test app has auth
        expected = render_page(view, logout=True)  # api_key_auth: a log-out button
        assert STAMP.sub("", page) == STAMP.sub("", expected)
        plain = json.loads(json.dumps(dataclasses.asdict(view), default=str))
        for moment in ("generated", "generated_iso"):
            data.pop(moment)
            plain.pop(moment)
        assert data == plain

    @pytest.mark.asyncio
    async def test_the_json_needs_auth_like_the_page(
        self, collector: ResultMetricsCollector, manager: AlertManager
    ) -> None:
        app = make_app(collector, manager)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as http:
            response = await http.get("/monitoring/dashboard/data")
        assert response.status_code == 401
        assert response.json()["code"] == "UNAUTHORIZED"


class TestFastPaths:
    """The page and its JSON are built without the framework's generic paths; the bytes
    stay those of the generic paths."""

    @staticmethod
    async def busy_view(collector: ResultMetricsCollector, manager: AlertManager) -> DashboardView:
        for n in range(12):
            record(collector, f"op-{n}", ok=5 + n, failed=n % 3, message=f"user {n} <x> & 'y'")
        record(collector, "naïve ✓", ok=2, failed=1, message="ünïcode ✗")
        return await view_of(collector, manager, title="ops <board> ✓")

    @pytest.mark.asyncio
    async def test_view_json_is_fastapis_serialisation_of_the_view(
        self, collector: ResultMetricsCollector, manager: AlertManager
    ) -> None:
        from fastapi import FastAPI

        view = await self.busy_view(collector, manager)
        app = FastAPI()

        @app.get("/generic", response_model=DashboardView)
        async def generic() -> DashboardView:
            return view

        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as http:
            expected = (await http.get("/generic")).content
        assert view_json(view) == expected
        assert json.loads(view_json(view))["title"] == "ops <board> ✓"

    @pytest.mark.asyncio
    async def test_the_data_endpoint_serves_json_documented_as_the_view(
        self, collector: ResultMetricsCollector, manager: AlertManager
    ) -> None:
        await self.busy_view(collector, manager)
        app = make_app(collector, manager)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t", headers=OPERATOR
        ) as http:
            response = await http.get("/monitoring/dashboard/data", params={"refresh": 0})
            schema = (await http.get("/openapi.json")).json()
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert len(response.json()["operations"]) == 13
        ok = schema["paths"]["/monitoring/dashboard/data"]["get"]["responses"]["200"]
        assert ok["content"]["application/json"]["schema"]["$ref"].endswith("/DashboardView")

    @pytest.mark.asyncio
    async def test_render_page_in_runs_is_the_template_rendered_at_once(
        self, collector: ResultMetricsCollector, manager: AlertManager
    ) -> None:
        view = await self.busy_view(collector, manager)
        chart = json.loads(json.dumps(dataclasses.asdict(view.chart)))
        for logout in (False, True):
            whole = TEMPLATES.get_template("page.html").render(
                view=view, logout=logout, chart=chart
            )
            assert render_page(view, logout=logout) == whole
        assert len(whole) > 256 * 10  # several runs, joined in order


class TestView:
    @pytest.mark.asyncio
    async def test_view_has_charts_tables_and_history(
        self, collector: ResultMetricsCollector, clock: FakeClock, manager: AlertManager
    ) -> None:
        for step in range(5):
            record(collector, "user_retrieval", ok=9, failed=1, duration_ms=10 + step)
            clock.advance(10)
        alert_id = manager.add({"metric": "error_count", "threshold": 0, "name": "errors seen"})
        await manager.evaluate()
        view = await view_of(collector, manager, time_range="5m")
        assert view.refresh_seconds == 5
        assert [(a.alert_id, a.label) for a in view.alerts] == [(alert_id, "errors seen")]
        assert [(h.name, h.change) for h in view.history] == [
            ("errors seen", "pending → firing"),
            ("errors seen", "ok → pending"),
        ]
        assert view.chart_caption == "last 5 min · 10 s steps · all operations"
        assert len(view.chart.points) == 30
        assert sum(p.requests for p in view.chart.points) == 50
        assert sum(p.client_errors for p in view.chart.points) == 5  # NOT_FOUND
        assert [op.name for op in view.operations] == ["user_retrieval"]
        assert view.operations[0].status == "healthy"  # 10 % NOT_FOUND: client errors
        assert view.status == "degraded"  # by the firing alert
        assert [e.message for e in view.errors] == ["user <n> not found"]
        assert view.window_label == "last 5 min"

    @pytest.mark.asyncio
    async def test_the_charts_follow_the_window(
        self, collector: ResultMetricsCollector, manager: AlertManager
    ) -> None:
        record(collector, "op", ok=2)
        hour = await view_of(collector, manager, time_range="1h")
        minute = await view_of(collector, manager, time_range="1m")
        assert hour.chart_caption == "last 1 h · 2 min steps · all operations"
        assert minute.chart_caption == "last 1 min · 2 s steps · all operations"
        week = await view_of(collector, manager, time_range="1w")
        assert week.chart.window == "last 7 days"

    @pytest.mark.asyncio
    async def test_empty_state_and_options(
        self, client: httpx.AsyncClient, collector: ResultMetricsCollector, manager: AlertManager
    ) -> None:
        response = await client.get(
            "/monitoring/dashboard", params={"refresh": 0, "time_range": "600"}
        )
        assert response.status_code == 200
        assert "live updates off" in response.text
        view = await view_of(collector, manager, refresh_seconds=0, time_range=600.0)
        assert (view.operations, view.errors, view.alerts, view.history) == ([], [], [], [])
        assert all(p.requests == 0 for p in view.chart.points)
        assert Option("600.0", "last 10 min", selected=True) in view.range_options
        assert Option("1h", "last 1 h", selected=False) in view.range_options
        shown = {c.card_id: c.value for c in view.cards}
        assert [shown[k] for k in ("success", "p99", "availability", "client-errors")] == [
            "–",
            "–",
            "–",
            "–",
        ]

    @pytest.mark.asyncio
    async def test_operation_selects_the_chart_series(
        self, collector: ResultMetricsCollector, manager: AlertManager
    ) -> None:
        record(collector, "a", ok=1)
        record(collector, "b", ok=2)
        view = await view_of(collector, manager, operation="b")
        assert Option("b", "b", selected=True) in view.operation_options
        assert view.chart.subject == "b"
        assert sum(p.requests for p in view.chart.points) == 2
        unknown = await view_of(collector, manager, operation="ghost")
        assert unknown.chart.subject == "all operations"
        assert Option("*", "*", selected=True) in unknown.operation_options

    @pytest.mark.asyncio
    async def test_rows_link_to_their_operation(
        self, collector: ResultMetricsCollector, manager: AlertManager
    ) -> None:
        record(collector, "a b", ok=3, duration_ms=12)
        view = await view_of(collector, manager, time_range="5m", refresh_seconds=7)
        row = view.operations[0]
        assert row.link == "?time_range=5m&refresh=7&operation=a%20b"
        assert (row.requests, row.success, row.availability, row.status) == (
            "3",
            "100.00%",
            "100.00%",
            "healthy",
        )


class TestThroughput:
    """Cards and table show the collector's two definitions, each saying which it is."""

    @pytest.mark.asyncio
    async def test_cards_and_rows_use_the_same_definitions(
        self, collector: ResultMetricsCollector, clock: FakeClock, manager: AlertManager
    ) -> None:
        record(collector, "op", ok=120)
        clock.advance(90)
        record(collector, "op", ok=30)
        clock.advance(10)
        figures = collector.operation_metrics("op", time_range="1h").unwrap()
        view = await view_of(collector, manager, time_range="1h")
        cards = {c.card_id: c for c in view.cards}
        (row,) = view.operations
        assert cards["rps"].value == row.rps == f"{figures.requests_per_second:.2f}"
        assert cards["rps-now"].value == row.rps_now
        assert row.rps_now == f"{figures.current_requests_per_second:.2f}"
        assert cards["rps"].note == "average over the last 1 h (the part holding data)"
        assert cards["rps-now"].note == "current: the last minute"
