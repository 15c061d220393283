"""``rfs-monitoring demo`` end to end, the demo app in process, and the command line."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
import errno
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from rfs_monitoring.__main__ import build_parser, main
from rfs_monitoring.alerts import AlertManager
from rfs_monitoring.demo import (
    SLOW_USER_ID,
    InMemoryUserService,
    TrafficGenerator,
    TrafficMix,
    create_app,
)
from rfs_monitoring.demo_server import (
    LiveSummary,
    bind_socket,
    listen_error,
    serve,
    summary_line,
)
from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.metrics import ResultMetricsCollector


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def demo_command() -> list[str]:
    script = Path(sys.executable).with_name("rfs-monitoring")
    if script.exists():
        return [str(script)]
    found = shutil.which("rfs-monitoring")
    return [found] if found else [sys.executable, "-m", "rfs_monitoring"]


def wait_for(check: Any, *, timeout: float, what: str) -> Any:
    """Poll ``check()`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except httpx.HTTPError as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout} s waiting for {what}; last: {last!r}")


def printed(stdout: str, label: str) -> str:
    """The word the demo printed after ``label`` (e.g. its API key or log file)."""
    for line in stdout.splitlines():
        if label in line:
            return line.split(label, 1)[1].split(" ", 1)[0]
    pytest.fail(f"the demo printed no {label!r}: {stdout[-2000:]!r}")


def printed_key(stdout: str) -> str:
    """The monitoring API key the demo printed."""
    return printed(stdout, "monitoring API key: ")


def demo_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a demo subprocess: its default log file lands under ``tmp_path``."""
    return {**os.environ, "TMPDIR": str(tmp_path)}


@pytest.fixture
def fresh_collector() -> Iterator[ResultMetricsCollector]:
    collector = ResultMetricsCollector()
    previous = ResultMetricsCollector.set_instance(collector)
    try:
        yield collector
    finally:
        ResultMetricsCollector.set_instance(previous)


class TestDemoEndToEnd:
    def test_demo_serves_traffic_endpoints_and_a_rendered_dashboard(
        self, tmp_path: Path, chromium_options: dict[str, Any]
    ) -> None:
        sync_api = pytest.importorskip("playwright.sync_api")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        out_path, err_path = tmp_path / "demo.out", tmp_path / "demo.err"
        with out_path.open("w") as out, err_path.open("w") as err:
            process = subprocess.Popen(
                [*demo_command(), "demo", "--port", str(port), "--duration", "60", "--rps", "30"],
                stdout=out,
                stderr=err,
                cwd=tmp_path,
                env=demo_env(tmp_path),
            )
        try:
            self._check_running_demo(process, base, out_path, tmp_path, sync_api, chromium_options)
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        assert process.returncode in (0, 130), err_path.read_text()[-2000:]

    @staticmethod
    def _sign_in(page: Any, base: str, key: str) -> None:
        """The browser's way in: the login form, then a session cookie (no key in a URL)."""
        redirected = page.goto(f"{base}/monitoring/dashboard?refresh=0")
        assert redirected is not None
        assert page.url == f"{base}/monitoring/login"
        page.fill("#api-key", key)
        page.click("#login-form button")
        page.wait_for_url(f"{base}/monitoring/dashboard")
        cookies = page.context.cookies()
        assert [c["name"] for c in cookies] == ["rfs_monitoring_session"]
        assert cookies[0]["httpOnly"]
        assert cookies[0]["sameSite"] == "Strict"
        assert key not in cookies[0]["value"]
        assert key not in page.url

    def _check_running_demo(
        self,
        process: subprocess.Popen[bytes],
        base: str,
        out_path: Path,
        tmp_path: Path,
        sync_api: Any,
        chromium_options: dict[str, Any],
    ) -> None:
        def announced() -> bool:
            assert process.poll() is None, "the demo exited early"
            return f"dashboard at {base}/monitoring/dashboard" in out_path.read_text()

        wait_for(announced, timeout=30, what="the dashboard URL on stdout")
        key = printed_key(out_path.read_text())

        with httpx.Client(base_url=base, timeout=10, headers={"X-API-Key": key}) as http:

            def all_kinds_seen() -> dict[str, Any] | None:
                response = http.get("/monitoring/operations/user_retrieval/metrics")
                if response.status_code != 200:
                    return None
                body: dict[str, Any] = response.json()
                codes = set(body["error_breakdown"])
                wanted = {"NOT_FOUND", "VALIDATION_ERROR", "TIMEOUT"}
                return body if wanted <= codes and body["successful_requests"] > 0 else None

            metrics = wait_for(all_kinds_seen, timeout=30, what="every kind of traffic")
            with httpx.Client(base_url=base, timeout=10) as anonymous:
                refused = anonymous.put("/monitoring/log-levels", json={"level": "OFF"})
                assert refused.status_code == 401
                assert anonymous.get("/monitoring/operations").status_code == 401
                terse = anonymous.get("/monitoring/health/result-patterns").json()
                assert set(terse) == {"status"}
            assert metrics["total_requests"] >= 10
            assert 0 < metrics["success_rate"] < 1

            assert http.get("/users/u-001").json() == {
                "user_id": "u-001",
                "name": "User 1",
                "email": "user1@example.com",
            }
            missing = http.get("/users/u-404")
            assert missing.status_code == 404
            assert missing.json()["code"] == "NOT_FOUND"
            invalid = http.get("/users/u-bad-1")
            assert invalid.status_code == 422
            assert invalid.json()["details"] == {"field": "name"}

            report = http.get("/analytics/performance")
            assert report.status_code == 200
            assert report.json()["operation"] == "user_retrieval"
            assert report.json()["total_requests"] >= metrics["total_requests"]

            operations = http.get("/monitoring/operations").json()
            assert "user_retrieval" in [o["operation_name"] for o in operations]
            health = http.get("/monitoring/health/result-patterns").json()
            # judged on availability and latency: the demo's 404s / 422s are client errors
            assert health["status"] in ("healthy", "degraded", "unhealthy")
            assert health["total_requests"] > 0
            top = http.get("/monitoring/errors/top", params={"limit": 5}).json()
            assert {e["error_code"] for e in top} >= {"NOT_FOUND", "VALIDATION_ERROR"}
            alerts = http.get("/monitoring/alerts").json()
            assert [a["config"]["name"] for a in alerts] == [
                "user lookups: many client errors",
                "user lookups timing out",
                "no traffic",
            ]
            firing = wait_for(
                lambda: http.get("/monitoring/alerts", params={"state": "firing"}).json(),
                timeout=15,
                what="a firing alert",
            )
            names = {a["config"]["name"] for a in firing}
            assert names <= {"user lookups: many client errors", "user lookups timing out"}
            prometheus = http.get("/monitoring/metrics")
            if prometheus.status_code == 200:
                assert 'operation="user_retrieval"' in prometheus.text
            else:
                assert prometheus.status_code == 503

        screenshot = tmp_path / "dashboard.png"
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(**chromium_options)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 1400})
                page.set_default_timeout(15_000)
                console: list[str] = []
                page.on("console", lambda message: console.append(message.text))
                self._sign_in(page, base, key)
                response = page.goto(f"{base}/monitoring/dashboard?refresh=0")
                assert response is not None
                assert response.status == 200
                assert "default-src 'self'" in response.headers["content-security-policy"]
                # The stylesheet (a static file under the CSP) is applied: cards are styled.
                background = page.eval_on_selector(
                    ".card", "el => getComputedStyle(el).backgroundColor"
                )
                assert background == "rgb(255, 255, 255)"
                assert not [m for m in console if "Content Security Policy" in m], console
                # "attached", not "visible": a flat series (steady latency) is a polyline with
                # a zero-height box, which Playwright counts as invisible.
                page.wait_for_selector("#latency-svg polyline.series", state="attached")
                for chart in ("#latency-svg", "#availability-svg"):
                    points = int(page.get_attribute(chart, "data-points") or 0)
                    assert points > 0, chart
                    assert page.locator(f"{chart} circle").count() == points
                    box = page.locator(chart).bounding_box()
                    assert box is not None
                    assert box["width"] > 100
                    assert box["height"] > 50
                assert page.locator("#latency-svg polyline.series").count() >= 3
                assert page.locator("#availability-svg polyline.series").count() >= 1
                rendered = page.eval_on_selector(
                    "#latency-svg polyline.series", "el => el.getTotalLength()"
                )
                assert rendered >= 0
                assert page.locator("#operations-table").inner_text().count("user_retrieval") == 1
                assert page.locator("#errors-table tbody tr").count() >= 2
                assert page.locator("#alerts-table tbody tr").count() >= 1
                page.screenshot(path=str(screenshot), full_page=True)
                page.click("form.logout button")
                page.wait_for_selector("#login-form")
                assert page.context.cookies() == []
            finally:
                browser.close()
        assert screenshot.stat().st_size > 10_000

        stdout = out_path.read_text()
        assert not [line for line in stdout.splitlines() if line.startswith("{")]
        log_file = Path(printed(stdout, "JSON log lines: "))
        assert log_file.parent == tmp_path
        entries = [json.loads(line) for line in log_file.read_text().splitlines()]
        assert any(e.get("operation_name") == "user_retrieval" for e in entries)
        assert any(e.get("step_name") == "user_retrieval_error" for e in entries)


@pytest.fixture
def restore_httpx_logger() -> Iterator[None]:
    import logging

    logger = logging.getLogger("httpx")
    level = logger.level
    try:
        yield
    finally:
        logger.setLevel(level)


class TestDemoAppInProcess:
    @pytest.mark.asyncio
    @pytest.mark.usefixtures("fresh_collector")
    async def test_users_and_performance_report(self) -> None:
        service = InMemoryUserService(latency_ms=(0.0, 0.1), seed=1)
        app = create_app(service)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as http:
            ok = await http.get("/users/u-002")
            assert ok.status_code == 200
            assert ok.headers["x-correlation-id"]
            missing = await http.get("/users/nobody")
            assert missing.status_code == 404
            assert missing.json()["message"] == "user nobody not found"
            bad_email = await http.get("/users/u-bad-2")
            assert bad_email.status_code == 422
            report = (await http.get("/analytics/performance")).json()
        assert report["total_requests"] == 3
        assert report["success_rate_percent"] == pytest.approx(33.33)
        assert report["error_breakdown"] == {"NOT_FOUND": 1, "VALIDATION_ERROR": 1}
        # a 404 and a 422 are the callers' faults: the service was available for all three
        assert report["availability_percent"] == 100.0
        assert report["client_error_percent"] == pytest.approx(66.67)
        assert report["current_requests_per_second"] > 0

    @pytest.mark.asyncio
    async def test_validation_names_the_email_field(self, fresh_collector: Any) -> None:
        from rfs_monitoring.demo import UserRecord, validate_user_response

        result = validate_user_response(UserRecord("u-9", "Nine", "nine-at-example"))
        assert result.unwrap_error().details == {"field": "email"}
        assert result.unwrap_error().message == "user u-9 has an invalid email address"

    @pytest.mark.asyncio
    @pytest.mark.usefixtures("fresh_collector")
    async def test_traffic_generator_sends_every_kind(self) -> None:
        service = InMemoryUserService(latency_ms=(0.0, 0.1), slow_seconds=0.0, seed=2)
        app = create_app(service)
        generator = TrafficGenerator(
            "http://demo",
            rps=400,
            workers=2,
            mix=TrafficMix(ok=1, not_found=1, invalid=1),
            seed=3,
            transport=httpx.ASGITransport(app=app),
        )
        task = asyncio.ensure_future(generator.run())
        for _ in range(500):
            if sum(generator.sent.values()) >= 60:
                break
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert {"ok", "not_found", "invalid", "timeout", "report"} <= set(generator.sent)
        assert {200, 404, 422} <= set(generator.statuses)
        assert generator.failures == 0

    @pytest.mark.asyncio
    async def test_traffic_generator_counts_connection_failures(self) -> None:
        class Refusing(httpx.AsyncBaseTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                raise httpx.ConnectError("refused", request=request)

        generator = TrafficGenerator("http://demo", transport=Refusing())
        client = httpx.AsyncClient(base_url="http://demo", transport=Refusing())
        async with client:
            assert await generator.wait_ready(client, timeout=0.2) is False
            await generator.send(client, "ok", "/users/u-001")
        assert generator.failures == 1

    @pytest.mark.parametrize(("rps", "workers"), [(0, 1), (5, 0)])
    def test_traffic_generator_settings(self, rps: float, workers: int) -> None:
        with pytest.raises(ConfigurationError, match="needs rps > 0 and workers >= 1"):
            TrafficGenerator("http://x", rps=rps, workers=workers)

    @pytest.mark.asyncio
    @pytest.mark.usefixtures("fresh_collector", "restore_httpx_logger")
    async def test_serve_runs_uvicorn_with_traffic_for_a_duration(self) -> None:
        out = io.StringIO()
        port = free_port()
        status = await serve(port=port, duration=1.5, rps=50, out=out)
        assert status == 0
        first = out.getvalue().splitlines()[0]
        assert (
            first
            == f"rfs-monitoring demo: dashboard at http://127.0.0.1:{port}/monitoring/dashboard"
        )
        assert "stops after 1.5 s" in out.getvalue()
        names = ResultMetricsCollector.instance().operation_names()
        assert names == ["user_retrieval"]

    @pytest.mark.asyncio
    @pytest.mark.usefixtures("fresh_collector")
    async def test_a_port_in_use_is_one_error_before_any_banner(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        out = io.StringIO()
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            status = await serve(port=port, duration=5, traffic=False, out=out)
        assert status == 1
        assert out.getvalue() == ""
        assert capsys.readouterr().err == (
            f"rfs-monitoring serve: cannot listen on 127.0.0.1:{port}: address already in use "
            "(another program is using it: pick one with --port, or --port 0 for a free one)\n"
        )

    @pytest.mark.asyncio
    @pytest.mark.usefixtures("fresh_collector")
    async def test_an_app_that_fails_to_start_is_reported(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        def broken_app(**kwargs: Any) -> FastAPI:
            @contextlib.asynccontextmanager
            async def lifespan(app: FastAPI) -> AsyncIterator[None]:
                raise RuntimeError("no database")
                yield  # pragma: no cover - a generator that fails first

            return FastAPI(lifespan=lifespan)

        monkeypatch.setattr("rfs_monitoring.demo_server.create_app", broken_app)
        with bind_socket("127.0.0.1", 0) as sock:
            port = sock.getsockname()[1]
            status = await serve(traffic=False, out=io.StringIO(), sock=sock)
        assert status == 1
        assert capsys.readouterr().err == (
            f"rfs-monitoring serve: the server on 127.0.0.1:{port} did not start: see the log\n"
        )

    @pytest.mark.asyncio
    @pytest.mark.usefixtures("fresh_collector")
    async def test_slow_user_hangs_the_service(self) -> None:
        service = InMemoryUserService(latency_ms=(0.0, 0.0), slow_seconds=0.01)
        result = await service.get_user_async(SLOW_USER_ID)
        assert result.unwrap().name == "Slow User"


SUMMARY = re.compile(
    r"\d\d:\d\d:\d\d  last 5 min: (no calls yet|\d+ calls · [\d.]+ req/s now · "
    r"availability [\d.]+% · client errors [\d.]+% · p50 \d+ ms · p99 \d+ ms) · "
    r"\d+ alerts? firing"
)


def run_command(
    tmp_path: Path, *args: str, timeout: float = 90
) -> subprocess.CompletedProcess[str]:
    """``rfs-monitoring ARGS`` to its end, with its default log file under ``tmp_path``."""
    return subprocess.run(
        [*demo_command(), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=tmp_path,
        env=demo_env(tmp_path),
        check=False,
    )


class TestDemoCommand:
    """The command as a user runs it: what it prints, where the logs go, which port."""

    def test_port_0_prints_the_real_url_then_a_live_summary_and_logs_to_a_file(
        self, tmp_path: Path
    ) -> None:
        done = run_command(
            tmp_path, "demo", "--port", "0", "--duration", "5", "--summary-every", "1"
        )
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        match = re.fullmatch(
            r"rfs-monitoring demo: dashboard at http://127\.0\.0\.1:(\d+)/monitoring/dashboard",
            lines[0],
        )
        assert match is not None, lines[0]
        assert int(match[1]) > 0
        assert re.fullmatch(
            rf"  JSON log lines: {re.escape(str(tmp_path))}/rfs-monitoring-demo-\d+\.jsonl",
            lines[3],
        ), lines[3]
        summaries = lines[4:]
        assert len(summaries) >= 2, done.stdout
        for line in summaries:
            assert SUMMARY.fullmatch(line), line
        assert any(" calls · " in line for line in summaries)
        log_file = Path(printed(done.stdout, "JSON log lines: "))
        entries = [json.loads(line) for line in log_file.read_text().splitlines()]
        assert any(e.get("operation_name") == "user_retrieval" for e in entries)
        assert done.stderr == ""

    def test_log_to_stdout_prints_the_log_lines_and_no_summary(self, tmp_path: Path) -> None:
        done = run_command(tmp_path, "demo", "--port", "0", "--duration", "3", "--log-to-stdout")
        assert done.returncode == 0, done.stderr
        banner, logs = done.stdout.splitlines()[:3], done.stdout.splitlines()[3:]
        assert banner[0].startswith("rfs-monitoring demo: dashboard at http://127.0.0.1:")
        assert "JSON log lines" not in done.stdout
        entries = [json.loads(line) for line in logs]  # every other line is a JSON line
        assert any(e.get("operation_name") == "user_retrieval" for e in entries)
        assert list(tmp_path.glob("rfs-monitoring-*.jsonl")) == []

    def test_serve_names_itself_and_takes_a_log_file(self, tmp_path: Path) -> None:
        log_file = tmp_path / "serve.jsonl"
        done = run_command(
            tmp_path, "serve", "--port", "0", "--duration", "2", "--log-file", str(log_file)
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("rfs-monitoring serve: dashboard at http://127.0.0.1:")
        assert f"  JSON log lines: {log_file}\n" in done.stdout
        assert "traffic" not in done.stdout.splitlines()[1]
        assert "Application startup complete." in log_file.read_text()

    def test_a_taken_port_is_one_clear_error_before_any_banner(self, tmp_path: Path) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            done = run_command(tmp_path, "demo", "--port", str(port), "--duration", "5")
        assert done.returncode == 1
        assert done.stdout == ""
        assert done.stderr == (
            f"rfs-monitoring demo: cannot listen on 127.0.0.1:{port}: address already in use "
            "(another program is using it: pick one with --port, or --port 0 for a free one)\n"
        )
        assert list(tmp_path.glob("rfs-monitoring-*.jsonl")) == []

    def test_a_log_file_that_cannot_be_opened_is_one_clear_error(self, tmp_path: Path) -> None:
        bad = tmp_path / "missing" / "demo.jsonl"
        done = run_command(tmp_path, "demo", "--port", "0", "--log-file", str(bad))
        assert done.returncode == 1
        assert done.stdout == ""
        assert done.stderr == (
            f"rfs-monitoring demo: cannot write the log file {bad}: no such file or directory\n"
        )


class Recording(io.StringIO):
    """A text stream that sets ``done`` after ``wanted`` flushes (a pipe, or a terminal)."""

    def __init__(self, wanted: int, *, tty: bool = False) -> None:
        super().__init__()
        self.wanted, self.tty, self.flushes = wanted, tty, 0
        self.done = asyncio.Event()

    def isatty(self) -> bool:
        return self.tty

    def flush(self) -> None:
        self.flushes += 1
        if self.flushes >= self.wanted:
            self.done.set()


class TestLiveSummary:
    NOW = datetime.datetime(2026, 11, 30, 8, 0, 5)

    def test_a_line_without_calls(self) -> None:
        assert summary_line(None, 1, self.NOW) == (
            "08:00:05  last 5 min: no calls yet · 1 alert firing"
        )

    @pytest.mark.asyncio
    async def test_a_line_with_calls_shows_the_figures(
        self, fresh_collector: ResultMetricsCollector
    ) -> None:
        fresh_collector.record("op", success=True, duration_ms=10.0)
        figures = dataclasses.replace(
            (await fresh_collector.overall("5m")).unwrap(),
            total_requests=1234,
            current_requests_per_second=19.84,
            availability=0.9912,
            client_error_rate=0.1416,
            p50_response_time_ms=12.4,
            p99_response_time_ms=5003.2,
        )
        line = summary_line(figures, 2, self.NOW)
        assert line == (
            "08:00:05  last 5 min: 1234 calls · 19.8 req/s now · availability 99.1% · "
            "client errors 14.2% · p50 12 ms · p99 5003 ms · 2 alerts firing"
        )
        assert SUMMARY.fullmatch(line)

    @pytest.mark.asyncio
    async def test_the_line_reads_the_collector_and_the_alerts(
        self, fresh_collector: ResultMetricsCollector
    ) -> None:
        summary = LiveSummary(fresh_collector, AlertManager(fresh_collector), io.StringIO(), 1)
        assert "no calls yet · 0 alerts firing" in await summary.line()
        fresh_collector.record("op", success=True, duration_ms=10.0)
        assert " 1 calls · " in await summary.line()

    @pytest.mark.asyncio
    async def test_prints_a_new_line_each_time_into_a_pipe(
        self, fresh_collector: ResultMetricsCollector
    ) -> None:
        out = Recording(wanted=2)
        summary = LiveSummary(fresh_collector, AlertManager(fresh_collector), out, 0.01)
        task = asyncio.ensure_future(summary.run())
        await out.done.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        lines = out.getvalue().splitlines()
        assert len(lines) >= 2
        assert all(SUMMARY.fullmatch(line) for line in lines)

    def test_rewrites_one_line_in_place_on_a_terminal(
        self, fresh_collector: ResultMetricsCollector
    ) -> None:
        class Terminal(io.StringIO):
            def isatty(self) -> bool:
                return True

        out = Terminal()
        summary = LiveSummary(fresh_collector, AlertManager(fresh_collector), out, 60)
        summary.show("one")
        summary.show("two")
        assert out.getvalue() == "\r\x1b[Kone\r\x1b[Ktwo"

    @pytest.mark.asyncio
    async def test_ends_the_terminal_line_when_stopped(
        self, fresh_collector: ResultMetricsCollector
    ) -> None:
        out = Recording(wanted=1, tty=True)
        summary = LiveSummary(fresh_collector, AlertManager(fresh_collector), out, 0.01)
        task = asyncio.ensure_future(summary.run())
        await out.done.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert out.getvalue().startswith("\r\x1b[K")
        assert out.getvalue().endswith("\n")

    def test_listen_errors_name_the_address_and_the_reason(self) -> None:
        unknown = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        assert listen_error("demo", "nohost.invalid", 80, unknown) == (
            "rfs-monitoring demo: cannot listen on nohost.invalid:80: unknown host 'nohost.invalid'"
        )
        denied = PermissionError(errno.EACCES, "Permission denied")
        assert listen_error("serve", "0.0.0.0", 80, denied) == (
            "rfs-monitoring serve: cannot listen on 0.0.0.0:80: permission denied"
        )

    def test_bind_socket_binds_port_0_to_a_free_port(self) -> None:
        with bind_socket("127.0.0.1", 0) as sock:
            assert sock.getsockname()[1] > 0


class TestCommandLine:
    @pytest.mark.parametrize(
        ("argv", "message"),
        [
            (["demo", "--port", "70000"], "invalid port 70000: use an integer from 0 to 65535"),
            (["demo", "--port", "http"], "invalid port 'http': use an integer from 0 to 65535"),
            (["demo", "--duration", "0"], "invalid number of seconds '0': use a number > 0"),
            (["serve", "--duration", "soon"], "invalid number of seconds 'soon': use a number > 0"),
            (["demo", "--rps", "-1"], "invalid number of seconds '-1': use a number > 0"),
            (["demo", "--host", ""], "invalid host '': use an address such as 127.0.0.1"),
            (["launch"], "invalid choice: 'launch'"),
            ([], "the following arguments are required: COMMAND"),
            (["serve", "--rps", "3"], "unrecognized arguments: --rps 3"),
            (
                ["demo", "--log-file", "x", "--log-to-stdout"],
                "argument --log-to-stdout: not allowed with argument --log-file",
            ),
            (["demo", "--summary-every", "0"], "invalid number of seconds '0': use a number > 0"),
        ],
    )
    def test_bad_arguments_are_usage_errors(
        self, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert err.startswith("usage: rfs-monitoring")
        assert message in err

    def test_defaults(self) -> None:
        args = build_parser().parse_args(["demo"])
        assert (args.host, args.port, args.duration, args.rps) == ("127.0.0.1", 8000, None, 20.0)

    def test_main_runs_the_demo_with_the_arguments(self, monkeypatch: pytest.MonkeyPatch) -> None:
        calls: list[dict[str, Any]] = []

        def fake_run(**kwargs: Any) -> int:
            calls.append(kwargs)
            return 0

        monkeypatch.setattr("rfs_monitoring.demo_server.run", fake_run)
        assert main(["serve", "--host", "0.0.0.0", "--port", "0", "--duration", "2"]) == 0
        assert main(["demo", "--log-file", "x.jsonl", "--summary-every", "1"]) == 0
        assert main(["demo", "--log-to-stdout"]) == 0
        common = {"duration": None, "traffic": True, "rps": 20.0, "command": "demo"}
        assert calls == [
            {
                "host": "0.0.0.0",
                "port": 0,
                "duration": 2.0,
                "traffic": False,
                "rps": 20.0,
                "command": "serve",
                "log_file": None,
                "log_to_stdout": False,
                "summary_every": 5.0,
            },
            {
                **common,
                "host": "127.0.0.1",
                "port": 8000,
                "log_file": "x.jsonl",
                "log_to_stdout": False,
                "summary_every": 1.0,
            },
            {
                **common,
                "host": "127.0.0.1",
                "port": 8000,
                "log_file": None,
                "log_to_stdout": True,
                "summary_every": 5.0,
            },
        ]

    def test_interrupt_exits_130(self, monkeypatch: pytest.MonkeyPatch) -> None:
        def interrupted(**kwargs: Any) -> int:
            raise KeyboardInterrupt

        monkeypatch.setattr("rfs_monitoring.demo_server.run", interrupted)
        assert main(["demo"]) == 130

    def test_python_dash_m(self) -> None:
        completed = subprocess.run(
            [sys.executable, "-m", "rfs_monitoring", "--help"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert completed.returncode == 0
        assert completed.stdout.startswith("usage: rfs-monitoring [-h] COMMAND")
        assert "serve the demo app with generated traffic" in completed.stdout
