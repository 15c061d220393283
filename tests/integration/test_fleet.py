"""A fleet end to end: ``uvicorn --workers 2`` with ``PROMETHEUS_MULTIPROC_DIR``, a real
Prometheus server scraping it every second, and the monitoring app on ``PrometheusSource``.

A known mix of requests (successes, client errors, server errors, a slow call) goes to the
two workers; then every scrape of a worker equals the fleet's totals, the Prometheus-backed
``/monitoring`` answers equal the known counts, p99 lies in the histogram bucket of the true
value, the generated rules pass ``promtool test rules`` and fire on the live server, every
Grafana panel's PromQL evaluates there, and the dashboard page in headless Chromium shows
the fleet's numbers.

Self-contained (free ports, a temporary directory, one test): ``-n auto`` runs it on any
worker. Skipped, saying why, only where Debian's ``prometheus`` / ``promtool`` are missing
(``.ci/system-deps`` installs them).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from .fleet import Processes, free_port, prometheus_config, wait_for

PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")

pytestmark = pytest.mark.skipif(
    PROMETHEUS is None or PROMTOOL is None,
    reason="Debian's prometheus and promtool are not installed (.ci/system-deps installs them)",
)

MIX = {"ok": 40, "missing": 15, "broken": 5, "slow": 1}
"""Requests of each kind: 200, 404 (NOT_FOUND), 500 (INTERNAL), 200 after 0.3 s."""
STATUS = {"ok": 200, "missing": 404, "broken": 500, "slow": 200}
RULES = [
    {"operation": "checkout", "metric": "error_rate", "threshold": 0.1, "window": "1m"},
    {"operation": "checkout", "metric": "p99_latency", "threshold": 5000, "window": "1m"},
]
"""Rules: the first fires on this traffic (20 failures of 62), the second must not."""


def send_mix(app_url: str) -> tuple[Counter[str], set[str], float]:
    """The mix, one new connection per request so both workers take some; more successes
    until both did. Returns the requests sent per kind, the workers seen and the slow
    call's duration as the client measured it."""
    sent: Counter[str] = Counter()
    pids: set[str] = set()
    left = dict(MIX)
    order: list[str] = []
    while any(left.values()):  # interleaved: ok, missing, broken, slow, ok, missing, ...
        for kind in MIX:
            if left[kind]:
                order.append(kind)
                left[kind] -= 1
    slow = 0.0
    limits = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(base_url=app_url, timeout=10, limits=limits) as http:
        for kind in order:
            response = http.get(f"/work/{kind}")
            assert response.status_code == STATUS[kind], response.text
            sent[kind] += 1
            pids.add(response.headers["X-Worker-Pid"])
            if kind == "slow":
                slow = response.elapsed.total_seconds()
        while len(pids) < 2 and sent["ok"] < MIX["ok"] + 200:
            response = http.get("/work/ok")
            sent["ok"] += 1
            pids.add(response.headers["X-Worker-Pid"])
    return sent, pids, slow


def expected_outcomes(sent: Counter[str]) -> dict[str, float]:
    return {
        "success": float(sent["ok"] + sent["slow"]),
        "client_error": float(sent["missing"]),
        "server_error": float(sent["broken"]),
        "timeout": 0.0,
        "cancelled": 0.0,
    }


def _answers(url: str) -> bool:
    return httpx.get(url, timeout=2).status_code == 200


def scraped_outcomes(app_url: str) -> dict[str, float]:
    """``rfs_operation_requests_total`` of checkout, per outcome, as one worker answers."""
    from prometheus_client.parser import text_string_to_metric_families

    text = httpx.get(f"{app_url}/monitoring/metrics", timeout=5).text
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if (
                sample.name == "rfs_operation_requests_total"
                and sample.labels.get("operation") == "checkout"
            ):
                out[sample.labels["outcome"]] = sample.value
    return out


def test_a_fleet_of_two_workers_on_prometheus(
    tmp_path: Path, chromium_options: dict[str, Any]
) -> None:
    from rfs_monitoring.fleet import prometheus_rules, render_rule_tests, render_rules

    (tmp_path / "multiproc").mkdir()
    (tmp_path / "rules.yml").write_text(render_rules(RULES), encoding="utf-8")
    app_port, prom_port, board_port = free_port(), free_port(), free_port()
    app_url = f"http://127.0.0.1:{app_port}"
    prom_url = f"http://127.0.0.1:{prom_port}"
    board_url = f"http://127.0.0.1:{board_port}"
    processes = Processes(tmp_path)
    try:
        config = prometheus_config(tmp_path, app_port, "rules.yml")
        processes.start(
            "prometheus",
            [
                str(PROMETHEUS),
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{prom_port}",
                "--log.level=warn",
            ],
        )
        processes.uvicorn(
            "workers",
            "fleet_app:app",
            app_port,
            "--workers",
            "2",
            PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "multiproc"),
        )
        processes.uvicorn("board", "board_app:app", board_port, RFS_FLEET_PROMETHEUS_URL=prom_url)
        for url in (f"{prom_url}/-/ready", f"{app_url}/openapi.json", f"{board_url}/openapi.json"):
            wait_for(lambda url=url: _answers(url), timeout=30, what=url)  # type: ignore[misc]
        processes.check_alive()

        _warm_up(app_url, prom_url)
        sent, pids, slow_seconds = send_mix(app_url)
        sent["ok"] += 1  # the warm-up call
        assert len(pids) == 2, f"both workers served requests: {pids}"
        expected = expected_outcomes(sent)
        total = int(sum(expected.values()))
        _check_scrapes(app_url, expected)
        _check_prometheus_has(prom_url, expected)
        _check_board(board_url, sent, total, slow_seconds)
        _check_first_seen(prom_url)
        _check_rules(tmp_path, prom_url, render_rule_tests(RULES, rule_file="rules.yml"))
        firing, quiet = (r["alert"] for r in prometheus_rules(RULES)["groups"][0]["rules"])
        _check_live_alerts(prom_url, firing, quiet)
        _check_grafana_panels(prom_url)
        _check_page(board_url, total, chromium_options)
        processes.check_alive()
    finally:
        processes.stop_all()


def _warm_up(app_url: str, prom_url: str) -> None:
    """One call, then wait until Prometheus holds checkout's series (all outcomes at their
    first values): the traffic that follows is an increase of known series, as in steady
    production. (Rules use ``increase()``, which cannot see a series' first value: a fleet
    whose whole traffic fell between two scrapes of a new series would alert on nothing.)"""
    assert httpx.get(f"{app_url}/work/ok", timeout=10).status_code == 200
    _check_prometheus_has(
        prom_url,
        {
            "success": 1.0,
            "client_error": 0.0,
            "server_error": 0.0,
            "timeout": 0.0,
            "cancelled": 0.0,
        },
    )


def _check_scrapes(app_url: str, expected: dict[str, float]) -> None:
    """Every scrape, whichever worker answers it, equals the fleet's totals."""
    wait_for(lambda: scraped_outcomes(app_url) == expected, timeout=15, what="the fleet totals")
    for _ in range(8):
        assert scraped_outcomes(app_url) == expected


def _check_prometheus_has(prom_url: str, expected: dict[str, float]) -> None:
    from rfs_monitoring.sources import PrometheusClient

    client = PrometheusClient(prom_url)
    expr = 'sum by (outcome) (rfs_operation_requests_total{operation="checkout"})'

    def stored() -> bool:
        samples = client.query(expr, time.time())
        return {s.labels["outcome"]: s.value for s in samples} == expected

    wait_for(stored, timeout=20, what="Prometheus to scrape the fleet totals")


def _check_board(board_url: str, sent: Counter[str], total: int, slow_seconds: float) -> None:
    """The Prometheus-backed API answers the known counts."""
    with httpx.Client(base_url=f"{board_url}/monitoring", timeout=15) as http:
        rows = http.get("/operations", params={"time_range": "5m"}).json()
        assert [(r["operation_name"], r["total_requests"], r["failed_requests"]) for r in rows] == [
            ("checkout", total, sent["missing"] + sent["broken"])
        ]
        metrics: dict[str, Any] = http.get(
            "/operations/checkout/metrics", params={"time_range": "5m"}
        ).json()
        assert metrics["total_requests"] == total
        assert metrics["successful_requests"] == sent["ok"] + sent["slow"]
        assert (metrics["client_errors"], metrics["server_errors"]) == (
            sent["missing"],
            sent["broken"],
        )
        assert (metrics["timeouts"], metrics["cancelled"]) == (0, 0)
        assert metrics["error_breakdown"] == {
            "INTERNAL_ERROR": sent["broken"],
            "NOT_FOUND": sent["missing"],
        }
        assert metrics["availability"] == (total - sent["broken"]) / total
        # Every call came within the last minute; the window's average runs over the part
        # holding samples (seconds), not over the whole 5 minutes.
        assert metrics["current_requests_per_second"] == total / 60
        assert metrics["requests_per_second"] > total / 60, metrics
        # p99 by histogram_quantile lies in the bucket holding the true p99: the slow call
        # (0.3 s, the slowest of 62) in the bucket (0.25 s, 0.5 s].
        assert slow_seconds > 0.25
        assert 250.0 < metrics["p99_response_time_ms"] <= 500.0
        errors = http.get("/errors/top", params={"time_range": "5m"}).json()
        assert [(e["count"], e["operations"]) for e in errors] == [
            (sent["missing"], ["checkout"]),
            (sent["broken"], ["checkout"]),
        ]
        assert http.get("/health/result-patterns").status_code == 200
        points = http.get("/timeseries", params={"operation": "checkout", "time_range": "5m"})
        assert points.status_code == 200, points.text
        steps = points.json()
        assert sum(p["requests"] for p in steps) == total
        assert sum(p["client_errors"] for p in steps) == sent["missing"]
        assert sum(p["server_errors"] for p in steps) == sent["broken"]


def _check_first_seen(prom_url: str) -> None:
    """Where a window's data starts, also for a series younger than one subquery step (here
    a step of a day: no step falls in the window, the latest sample's time stands in)."""
    from rfs_monitoring.sources import PrometheusClient, promql

    client = PrometheusClient(prom_url)
    now = time.time()
    expr = promql.first_seen(
        "rfs_operation_requests_total", promql.selector("checkout"), ["operation"], 300, 86400
    )
    (sample,) = client.query(expr, now)
    assert now - 300 < sample.value <= now


def _check_rules(directory: Path, prom_url: str, tests: str) -> None:
    """The generated rules pass their generated ``promtool test rules``."""
    (directory / "rules_test.yml").write_text(tests, encoding="utf-8")
    checked = subprocess.run(
        [str(PROMTOOL), "test", "rules", "rules_test.yml"],
        cwd=directory,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout


def _check_live_alerts(prom_url: str, firing: str, quiet: str) -> None:
    """On the live server every rule evaluates without error; the breached one fires."""

    def states() -> dict[str, str] | None:
        groups = httpx.get(f"{prom_url}/api/v1/rules", timeout=5).json()["data"]["groups"]
        rules = [r for g in groups for r in g["rules"]]
        if not rules or any(r["health"] != "ok" for r in rules):
            return None
        found = {r["name"]: r["state"] for r in rules}
        return found if found.get(firing) == "firing" else None

    found = wait_for(states, timeout=20, what=f"{firing} to fire on the live server")
    assert found[quiet] == "inactive"


def _check_grafana_panels(prom_url: str) -> None:
    """Every panel's PromQL evaluates against the live server (and most find data)."""
    from rfs_monitoring.fleet import panel_expressions
    from rfs_monitoring.sources import PrometheusClient

    client = PrometheusClient(prom_url)
    now = time.time()
    answered = {name: client.query(expr, now) for name, expr in panel_expressions().items()}
    assert answered
    assert [name for name, samples in answered.items() if samples] != []


def _check_page(board_url: str, total: int, chromium_options: dict[str, Any]) -> None:
    """The dashboard in headless Chromium shows the fleet's numbers."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(**chromium_options)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{board_url}/monitoring/dashboard?time_range=5m")
            row = page.locator("#operations-table tbody tr", has_text="checkout")
            assert row.locator("td").nth(1).inner_text() == f"{total:,}"
            assert errors == []
        finally:
            browser.close()
