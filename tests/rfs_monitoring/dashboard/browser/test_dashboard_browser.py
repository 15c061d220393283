"""The dashboard in headless Chromium: live updates in place, the window picker, hover
values, the chart maths of its script, acting on alerts, and layout at 1400 and 390 px.

Screenshots are kept under the test's temporary directory (``tmp_path``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from rfs_monitoring.context import correlation_context

from .conftest import KEY, Served

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def card(page: Any, card_id: str) -> str:
    return str(page.inner_text(f"#card-{card_id} .value"))


def wait_for_card(page: Any, card_id: str, value: str) -> None:
    page.wait_for_function(
        "([id, value]) => document.querySelector('#card-' + id + ' .value').textContent === value",
        arg=[card_id, value],
    )


def wait_for_caption(page: Any, chart: str, caption: str) -> None:
    # a function, not an expression: the page's CSP forbids evaluating strings
    page.wait_for_function(
        "([id, text]) => document.querySelector('#' + id + '-chart .chart-caption')"
        ".textContent === text",
        arg=[chart, caption],
    )


class TestLiveUpdates:
    def test_the_page_updates_in_place_when_traffic_changes(
        self, page: Any, served: Served
    ) -> None:
        served.traffic("lookup", ok=10)
        page.goto(f"{served.base}/monitoring/dashboard?time_range=5m")
        assert card(page, "requests") == "10"
        page.evaluate("window.__marker = 'kept'")
        served.traffic("lookup", ok=20, failed=5)
        wait_for_card(page, "requests", "35")
        assert page.evaluate("window.__marker") == "kept"  # no reload
        assert int(page.get_attribute("body", "data-updates") or 0) >= 1
        assert page.inner_text("#operations-table tbody").count("lookup") == 1
        page.wait_for_selector("#errors-table tbody tr[data-message='user <n> not found']")
        bars = int(page.get_attribute("#volume-svg", "data-points") or 0)
        assert bars >= 2  # success and client-error segments
        assert page.problems.messages == []

    def test_the_charts_follow_the_window_picker_and_the_session_holds(
        self, page: Any, served: Served, tmp_path: Path
    ) -> None:
        served.traffic("lookup", ok=12)
        served.traffic("search", ok=3)
        page.goto(f"{served.base}/monitoring/dashboard?time_range=5m")
        assert page.inner_text("#latency-chart .chart-caption") == (
            "last 5 min · 10 s steps · all operations"
        )
        page.evaluate("window.__marker = 'kept'")
        page.select_option("#pick-window", "1h")
        wait_for_caption(page, "latency", "last 1 h · 2 min steps · all operations")
        assert page.inner_text("#window-label") == "last 1 h"
        assert "time_range=1h" in page.url
        page.click("#operations-table a.op-link[data-operation='search']")
        wait_for_caption(page, "volume", "last 1 h · 2 min steps · search")
        assert page.evaluate("window.__marker") == "kept"
        assert page.input_value("#pick-operation") == "search"
        # A reload (a navigation) keeps the window, the operation and the session.
        page.reload()
        assert page.url.split("?")[0].endswith("/monitoring/dashboard")
        assert page.input_value("#pick-window") == "1h"
        assert page.inner_text("#availability-chart .chart-caption").endswith("· search")
        page.screenshot(path=str(tmp_path / "dashboard-picker.png"), full_page=True)
        assert page.problems.messages == []

    def test_a_lost_session_is_said_not_hidden(self, page: Any, served: Served) -> None:
        page.goto(f"{served.base}/monitoring/dashboard?time_range=5m")
        page.context.clear_cookies()  # e.g. logged out in another tab
        page.wait_for_function(
            "() => document.getElementById('live-state').textContent.startsWith('signed out')"
        )
        assert page.get_attribute("#live-state", "class") == "live live-bad"
        # the browser logs the refused request itself; nothing else goes wrong
        assert [m for m in page.problems.messages if "401" not in m] == []

    def test_hovering_a_step_shows_its_values(self, page: Any, served: Served) -> None:
        served.traffic("lookup", ok=8, duration_ms=30.0)
        page.goto(f"{served.base}/monitoring/dashboard?time_range=5m")
        last = page.locator("#latency-svg rect.hover").last
        last.hover()
        readout = page.inner_text("#latency-readout")
        assert " · p50 " in readout
        assert " ms · p99 " in readout
        page.locator("#volume-svg rect.hover").last.hover()
        assert page.inner_text("#volume-readout").endswith(
            "8 requests: 8 success, 0 client error, 0 server error, 0 timeout, 0 cancelled"
        )
        assert page.problems.messages == []


class TestChartMaths:
    """The script's own chart code, called in the page."""

    def test_log_axis_helpers(self, page: Any, served: Served) -> None:
        page.goto(f"{served.base}/monitoring/dashboard")
        run = page.evaluate
        assert run("RfsDashboard.logTicks(1, 100)") == [1, 2, 5, 10, 20, 50, 100]
        assert run("RfsDashboard.logTicks(1, 10000)") == [1, 10, 100, 1000, 10000]
        assert run("RfsDashboard.logDomain([3, null, 4000])") == [1, 10000]
        assert run("RfsDashboard.logDomain([10])") == [10, 100]
        assert run("RfsDashboard.logDomain([null])") == [1, 10]
        assert run("RfsDashboard.niceMax(1234)") == 2000
        assert run("RfsDashboard.niceMax(0)") == 1
        assert run("RfsDashboard.niceMax(25)") == 25
        assert run("RfsDashboard.availabilityFloor([1])") == 0.999
        assert run("RfsDashboard.availabilityFloor([0.996, null])") == 0.99
        assert run("RfsDashboard.availabilityFloor([0.3])") == 0
        assert run("RfsDashboard.availabilityFloor([])") == 0.99
        assert run("RfsDashboard.formatMs(1250)") == "1.25 s"
        assert run("RfsDashboard.formatMs(0.5)") == "0.50 ms"
        assert run("RfsDashboard.formatMs(12.34)") == "12.3 ms"
        assert run("RfsDashboard.formatTick(5000)") == "5 s"

    def test_a_timeout_does_not_flatten_the_other_latencies(
        self, page: Any, served: Served
    ) -> None:
        page.goto(f"{served.base}/monitoring/dashboard")
        heights = page.evaluate(
            """() => {
              const svg = document.getElementById('latency-svg');
              const step = (i) => ({stamp: '12:00:0' + i, requests: 10, p50: 5 + i,
                                    p90: 9, p99: i === 2 ? 5000 : 12});
              RfsDashboard.drawLatency(svg, [step(0), step(1), step(2)], null);
              const ys = (cls) => Array.from(svg.querySelectorAll('circle.dot-' + cls))
                .map((c) => Number(c.getAttribute('cy')));
              return {p50: ys('p50'), p99: ys('p99'), top: 10, bottom: 220 - 26};
            }"""
        )
        plot = heights["bottom"] - heights["top"]
        # log axis 1 ms .. 10 s: 5 ms sits about 17 % up the plot, not squashed to 0.1 %
        assert heights["bottom"] - heights["p50"][0] > plot * 0.1
        assert heights["p99"][2] < heights["top"] + plot * 0.1
        assert len(set(heights["p50"])) == 3  # 5, 6 and 7 ms stay apart

    def test_the_volume_is_stacked_by_outcome(self, page: Any, served: Served) -> None:
        page.goto(f"{served.base}/monitoring/dashboard")
        stacked = page.evaluate(
            """() => {
              const svg = document.getElementById('volume-svg');
              RfsDashboard.drawVolume(svg, [{stamp: 'a', requests: 10, success: 5,
                client_errors: 2, server_errors: 1, timeouts: 1, cancelled: 1}], null);
              return Array.from(svg.querySelectorAll('rect.bar')).map((r) => [
                r.getAttribute('class'), Number(r.getAttribute('height'))]);
            }"""
        )
        assert [name for name, _ in stacked] == [
            "bar bar-success",
            "bar bar-client_errors",
            "bar bar-server_errors",
            "bar bar-timeouts",
            "bar bar-cancelled",
        ]
        heights = [height for _, height in stacked]
        # 5 : 2 : 1 : 1 : 1 of the 184 px plot (the axis tops at niceMax(10) = 10)
        assert heights == pytest.approx([92.0, 36.8, 18.4, 18.4, 18.4], abs=0.2)


class TestDrillDownAndActions:
    def test_an_error_group_opens_its_recent_examples(self, page: Any, served: Served) -> None:
        served.traffic("lookup", ok=3)
        with correlation_context("req-browser-1"):
            served.traffic("lookup", failed=2)
        page.goto(f"{served.base}/monitoring/dashboard?time_range=5m")
        page.click("#errors-table tbody tr[data-message='user <n> not found'] .examples-button")
        page.wait_for_selector("#errors-table tr.examples .examples-table")
        rows = page.locator("#errors-table tr.examples tbody tr")
        assert rows.count() == 2
        text = page.inner_text("#errors-table tr.examples")
        assert "user 1 not found" in text
        assert "user 0 not found" in text
        assert text.count("req-browser-1") == 2
        assert "NOT_FOUND" in text
        # the next poll redraws the table and keeps the group open
        served.traffic("lookup", ok=1)
        wait_for_card(page, "requests", "6")
        assert page.locator("#errors-table tr.examples tbody tr").count() == 2
        assert page.problems.messages == []

    def test_a_firing_alert_is_acknowledged_and_silenced_from_the_page(
        self, page: Any, served: Served
    ) -> None:
        served.manager.add(
            {"operation": "lookup", "metric": "error_count", "threshold": 0, "name": "errors"}
        )
        served.traffic("lookup", failed=1, code="INTERNAL_ERROR")
        evaluated = httpx.post(
            f"{served.base}/monitoring/alerts/evaluate", headers={"X-API-Key": KEY}
        )
        assert evaluated.status_code == 200
        page.goto(f"{served.base}/monitoring/dashboard?time_range=5m")
        page.click("#alerts-table button[data-act='acknowledge']")
        page.wait_for_selector("#alerts-table .handled:has-text('acknowledged')")
        page.click("#alerts-table button[data-act='silence']")
        page.wait_for_selector("#alerts-table .handled:has-text('silenced until')")
        page.click("#alert-history summary")
        history = page.inner_text("#history-table")
        assert "acknowledged" in history
        assert "silenced" in history
        assert page.problems.messages == []


class TestLayout:
    @pytest.mark.parametrize("width", [1400, 390])
    def test_readable_without_horizontal_overflow(
        self, chromium: Any, served: Served, tmp_path: Path, width: int
    ) -> None:
        served.traffic("user_retrieval_with_a_long_name", ok=40, failed=6)
        served.traffic("search", ok=5, failed=1, code="INTERNAL_ERROR")
        context = chromium.new_context(
            viewport={"width": width, "height": 900}, extra_http_headers={"X-API-Key": KEY}
        )
        try:
            page = context.new_page()
            page.set_default_timeout(15_000)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{served.base}/monitoring/dashboard?time_range=5m")
            page.wait_for_selector("#latency-svg polyline.series", state="attached")
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0
            for chart in ("#latency-svg", "#volume-svg", "#availability-svg"):
                box = page.locator(chart).bounding_box()
                assert box is not None
                assert 200 < box["width"] <= width
                assert box["height"] == 220
            page.screenshot(path=str(tmp_path / f"dashboard-{width}.png"), full_page=True)
            assert (tmp_path / f"dashboard-{width}.png").stat().st_size > 10_000
            assert errors == []
        finally:
            context.close()
