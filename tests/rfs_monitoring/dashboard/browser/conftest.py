"""A real uvicorn server on 127.0.0.1 and headless Chromium for the dashboard's browser tests.

The server runs ``monitoring_router`` (api_key_auth, live updates every second) on a fresh
collector that the tests feed directly; the browser signs in through the login form, so
every request of the page carries the session cookie like a user's would.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from rfs_monitoring.alerts import AlertManager
from rfs_monitoring.dashboard import api_key_auth, monitoring_router
from rfs_monitoring.metrics import ResultMetricsCollector

KEY = "browser-test-key"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    """The app under test: its base URL, collector and alert manager."""

    def __init__(self, base: str, collector: ResultMetricsCollector, manager: AlertManager):
        self.base = base
        self.collector = collector
        self.manager = manager

    def traffic(
        self,
        operation: str,
        *,
        ok: int = 0,
        failed: int = 0,
        code: str = "NOT_FOUND",
        duration_ms: float = 20.0,
    ) -> None:
        """Record ``ok`` successes and ``failed`` failures of ``operation`` now."""
        for n in range(ok):
            self.collector.record(operation, success=True, duration_ms=duration_ms + n % 7)
        for n in range(failed):
            self.collector.record(
                operation,
                success=False,
                duration_ms=duration_ms,
                error_code=code,
                error_type="APIError",
                error_message=f"user {n} not found",
            )


@pytest.fixture
def served() -> Iterator[Served]:
    collector = ResultMetricsCollector()
    manager = AlertManager(collector, log_notifications=False, discover_plugins=False)
    app = FastAPI()
    app.include_router(
        monitoring_router(
            collector,
            manager,
            auth=api_key_auth(KEY),
            start_alerts=False,
            refresh_seconds=1,
            cache_seconds=0,
        )
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name="dashboard-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    try:
        yield Served(f"http://127.0.0.1:{port}", collector, manager)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def chromium(chromium_options: dict[str, Any]) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(**chromium_options)
        try:
            yield browser
        finally:
            browser.close()


class Problems:
    """Console errors and uncaught page errors, collected while a test runs."""

    def __init__(self, page: Any) -> None:
        self.messages: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.messages.append(f"pageerror: {error}"))

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.messages.append(f"{message.type}: {message.text}")


@pytest.fixture
def page(chromium: Any, served: Served) -> Iterator[Any]:
    """A signed-in page (1400 px wide); its console problems in ``page.problems``."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    tab.problems = Problems(tab)
    tab.goto(f"{served.base}/monitoring/login")
    tab.fill("#api-key", KEY)
    tab.click("#login-form button[type=submit]")
    tab.wait_for_url("**/monitoring/dashboard")
    try:
        yield tab
    finally:
        context.close()
