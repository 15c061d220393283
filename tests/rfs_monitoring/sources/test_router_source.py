"""``monitoring_router(source=PrometheusSource(...))`` and ``AlertManager(PrometheusSource)``:
the API, the page and the alerts answered from a (fake) Prometheus over real HTTP; a
Prometheus that cannot answer makes every read a 503, never a 500 or a hang."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from rfs_monitoring.alerts import AlertManager
from rfs_monitoring.dashboard import api_key_auth, monitoring_router
from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.metrics import ResultMetricsCollector
from rfs_monitoring.sources import PrometheusSource

from .scenario import NOW, load_hour
from .support import FakePrometheus

KEY = "source-test-key"


def _app(source: PrometheusSource, **kwargs: object) -> FastAPI:
    app = FastAPI()
    settings: dict[str, object] = {
        "auth": api_key_auth(KEY),
        "start_alerts": False,
        "cache_seconds": 0,
        **kwargs,
    }
    app.include_router(monitoring_router(source=source, **settings))  # type: ignore[arg-type]
    return app


@pytest.fixture
def source(prometheus: FakePrometheus) -> PrometheusSource:
    return PrometheusSource(prometheus.url, clock=lambda: NOW)


@pytest_asyncio.fixture
async def client(source: PrometheusSource) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=_app(source))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers={"X-API-Key": KEY}
    ) as http:
        yield http


@pytest.fixture
def down() -> PrometheusSource:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return PrometheusSource(f"http://127.0.0.1:{port}", timeout=1, clock=lambda: NOW)


@pytest.mark.asyncio
class TestRouterOnPrometheus:
    async def test_operations(self, prometheus: FakePrometheus, client: httpx.AsyncClient) -> None:
        load_hour(prometheus)
        rows = (await client.get("/monitoring/operations")).json()
        assert [(r["operation_name"], r["total_requests"], r["failed_requests"]) for r in rows] == [
            ("checkout", 130, 40),
            ("search", 10, 0),
        ]

    async def test_one_operations_metrics(
        self, prometheus: FakePrometheus, client: httpx.AsyncClient
    ) -> None:
        load_hour(prometheus, '{operation="checkout"}')
        body = (await client.get("/monitoring/operations/checkout/metrics")).json()
        assert (body["total_requests"], body["p99_response_time_ms"], body["availability"]) == (
            130,
            900.0,
            120 / 130,
        )

    async def test_top_errors(self, prometheus: FakePrometheus, client: httpx.AsyncClient) -> None:
        load_hour(prometheus)
        body = (await client.get("/monitoring/errors/top?limit=1")).json()
        assert [(e["message"], e["count"], e["operations"]) for e in body] == [
            ("user <n> not found", 30, ["checkout"])
        ]

    async def test_health(self, prometheus: FakePrometheus, client: httpx.AsyncClient) -> None:
        load_hour(prometheus)
        prometheus.answers[("labels", "")] = ["checkout", "search"]
        response = await client.get("/monitoring/health/result-patterns")
        assert response.status_code == 200
        assert [o["operation_name"] for o in response.json()["operations"]] == [
            "checkout",
            "search",
        ]

    async def test_timeseries_and_an_unknown_operation(
        self, prometheus: FakePrometheus, client: httpx.AsyncClient
    ) -> None:
        prometheus.answers[("labels", "")] = ["checkout"]
        assert (await client.get("/monitoring/timeseries?operation=checkout")).status_code == 200
        missing = await client.get("/monitoring/timeseries?operation=nope")
        assert missing.status_code == 404

    async def test_the_dashboard_page(
        self, prometheus: FakePrometheus, client: httpx.AsyncClient
    ) -> None:
        load_hour(prometheus)
        prometheus.answers[("labels", "")] = ["checkout", "search"]
        page = await client.get("/monitoring/dashboard?time_range=1h")
        assert page.status_code == 200
        assert "checkout" in page.text
        assert "130" in page.text

    @pytest.mark.parametrize(
        "path",
        [
            "/monitoring/operations",
            "/monitoring/operations/checkout/metrics",
            "/monitoring/errors/top",
            "/monitoring/health/result-patterns",
            "/monitoring/timeseries",
            "/monitoring/dashboard",
            "/monitoring/dashboard/data",
        ],
    )
    async def test_prometheus_down_is_a_503_naming_it(
        self, down: PrometheusSource, path: str
    ) -> None:
        transport = httpx.ASGITransport(app=_app(down))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", headers={"X-API-Key": KEY}
        ) as http:
            response = await http.get(path)
        assert response.status_code == 503
        body = response.json()
        assert body["code"] == "SERVICE_UNAVAILABLE"
        assert body["message"].startswith(f"Prometheus at {down.url}: unreachable (")


class TestRouterArguments:
    def test_a_collector_and_a_source_are_refused(self, source: PrometheusSource) -> None:
        collector = ResultMetricsCollector()
        with pytest.raises(ConfigurationError) as info:
            monitoring_router(collector, source=source, auth=api_key_auth(KEY))
        assert str(info.value) == (
            "monitoring_router takes a collector or a source, not both; got collector="
            f"{collector!r} and source={source!r}"
        )

    def test_a_source_must_be_a_metrics_source(self) -> None:
        with pytest.raises(ConfigurationError) as info:
            monitoring_router(source="http://127.0.0.1:9090", auth=api_key_auth(KEY))  # type: ignore[arg-type]
        assert str(info.value) == (
            "monitoring_router source must be a MetricsSource (a ResultMetricsCollector or "
            "rfs_monitoring.sources.PrometheusSource), got 'http://127.0.0.1:9090'"
        )

    def test_a_collector_is_a_source_too(self) -> None:
        collector = ResultMetricsCollector()
        monitoring_router(source=collector, auth=api_key_auth(KEY))


@pytest.mark.asyncio
class TestAlertsOnPrometheus:
    async def test_a_rule_fires_on_the_fleet_figures(
        self, prometheus: FakePrometheus, source: PrometheusSource
    ) -> None:
        load_hour(prometheus, '{operation="checkout"}')
        manager = AlertManager(
            source, clock=lambda: NOW, log_notifications=False, discover_plugins=False
        )
        manager.add(
            {"operation": "checkout", "metric": "p99_latency", "threshold": 500, "window": "1h"}
        )
        await manager.evaluate()
        assert manager.alerts()[0].state == "firing"  # p99 900 ms > 500 ms
        assert manager.collector is source

    async def test_prometheus_down_is_counted_not_raised(self, down: PrometheusSource) -> None:
        manager = AlertManager(
            down, clock=lambda: NOW, log_notifications=False, discover_plugins=False
        )
        manager.add({"operation": "checkout", "metric": "p99_latency", "threshold": 500})
        await manager.evaluate()
        assert manager.alerts()[0].state != "firing"
        assert manager.stats()["evaluation_errors"] == 1
        assert down.stats()["failures"] >= 1
