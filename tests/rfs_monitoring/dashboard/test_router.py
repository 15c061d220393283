"""The monitoring router through httpx's ASGITransport: every endpoint, status and message."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from rfs_monitoring.alerts import AlertManager
from rfs_monitoring.context import correlation_context
from rfs_monitoring.dashboard import (
    api_key_auth,
    monitoring_router,
)
from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.metrics import ResultMetricsCollector
from rfs_monitoring.result_logging import get_log_level

from .support import CHARTS, OPERATOR, FakeClock, assert_range_error, make_app, record


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
        # all 100 in the collector's first second: the part of the window holding data
        assert users["requests_per_second"] == 100.0
        assert users["current_requests_per_second"] == 100.0
        assert users["availability"] == 1.0  # its one failure is a NOT_FOUND
        assert users["client_error_rate"] == 0.01
        assert users["status"] == "healthy"
        assert rows["orders"]["status"] == "healthy"

    @pytest.mark.asyncio
    async def test_a_window_past_the_retention_is_422(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/monitoring/operations?time_range=604801")
        assert response.status_code == 422
        assert "longer than the in-memory retention (7 days)" in response.json()["message"]

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
                "Input should be 'availability', 'success_rate', 'error_rate', "
                "'client_error_rate', 'p50_latency', 'p90_latency', 'p99_latency', "
                "'avg_latency', 'max_latency', 'rps' or 'error_count'",
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
            "state 'burning' is not accepted; use one of ok, pending, firing, resolved, no_data"
        )
        response = await client.get("/monitoring/alerts/history?limit=0")
        assert response.status_code == 422
        assert response.json()["message"] == (
            "limit 0 is out of range; accepted: an integer from 1 to 1000"
        )


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
    async def test_a_time_range_sets_the_span_and_outcomes_are_split(
        self, client: httpx.AsyncClient, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        record(collector, "op", ok=3)
        record(collector, "op", failed=2, code="NOT_FOUND")
        record(collector, "op", failed=1, code="INTERNAL_ERROR")
        record(collector, "op", failed=1, code="TIMEOUT")
        clock.advance(1)
        points = (await client.get("/monitoring/timeseries?time_range=1h")).json()
        assert len(points) == 30
        steps = {p["timestamp"] for p in points}
        assert len(steps) == 30
        (busy,) = [p for p in points if p["requests"]]
        assert {
            k: busy[k]
            for k in (
                "requests",
                "failures",
                "client_errors",
                "server_errors",
                "timeouts",
                "cancelled",
                "availability",
            )
        } == {
            "requests": 7,
            "failures": 4,
            "client_errors": 2,
            "server_errors": 1,
            "timeouts": 1,
            "cancelled": 0,
            "availability": 5 / 7,
        }

    @pytest.mark.asyncio
    async def test_a_bad_or_too_long_time_range_is_422(self, client: httpx.AsyncClient) -> None:
        assert_range_error(await client.get("/monitoring/timeseries?time_range=soon"), "soon")
        for path in ("/monitoring/timeseries", "/monitoring/dashboard/data"):
            # under a microsecond: an empty window (a 500 once, found by the fuzz test)
            response = await client.get(f"{path}?time_range=1e-10")
            assert response.status_code == 422
            assert "1e-10" in response.json()["message"]
        for path in ("/monitoring/dashboard/data", "/monitoring/dashboard"):
            response = await client.get(f"{path}?time_range=30d")
            assert response.status_code == 422
            assert "longer than the in-memory retention" in response.json()["message"]

    @pytest.mark.asyncio
    async def test_unknown_operation_is_404(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/monitoring/timeseries?operation=ghost")
        assert response.status_code == 404
        assert response.json()["message"] == "operation ghost not found"


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
            (
                {"chart_points": 0},
                "monitoring_router chart_points must be an int >= 1, got 0",
            ),
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
                transport=httpx.ASGITransport(app=app), base_url="http://t", headers=OPERATOR
            ) as http:
                response = await http.get("/operations", headers={"X-API-Key": "k"})
                assert [r["operation_name"] for r in response.json()] == ["op"]
                points = (await http.get("/timeseries", headers={"X-API-Key": "k"})).json()
                assert sum(p["requests"] for p in points) == 1
        finally:
            ResultMetricsCollector.set_instance(previous)

    def test_bad_chart_range(self) -> None:
        with pytest.raises(ConfigurationError) as info:
            monitoring_router(ResultMetricsCollector(), chart_range="ages")
        assert str(info.value).startswith("monitoring_router chart_range: time_range 'ages' is")

    @pytest.mark.asyncio
    async def test_lifespan_runs_the_alert_evaluation(
        self, collector: ResultMetricsCollector
    ) -> None:
        manager = AlertManager(
            collector, interval=0.01, log_notifications=False, discover_plugins=False
        )
        app = FastAPI()
        app.include_router(monitoring_router(collector, manager))
        async with app.router.lifespan_context(app):
            assert manager.running
        assert not manager.running

        idle = AlertManager(collector, log_notifications=False, discover_plugins=False)
        app = FastAPI()
        app.include_router(monitoring_router(collector, idle, start_alerts=False))
        async with app.router.lifespan_context(app):
            assert not idle.running


class TestOpenAPI:
    def test_schema_lists_every_endpoint_and_documents_api_errors(
        self, collector: ResultMetricsCollector, manager: AlertManager
    ) -> None:
        app = make_app(collector, manager, auth=api_key_auth("k"))
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
        self, collector: ResultMetricsCollector, manager: AlertManager
    ) -> None:
        app = FastAPI()
        app.include_router(
            monitoring_router(collector, manager, start_alerts=False, cache_seconds=3600, **CHARTS)
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
            transport=httpx.ASGITransport(app=app), base_url="http://t", headers=OPERATOR
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


class TestErrorExamples:
    """GET /errors/examples: the drill-down of an error group to its latest failures."""

    @pytest.mark.asyncio
    async def test_a_group_lists_its_latest_examples_newest_first(
        self, client: httpx.AsyncClient, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        for n, cid in enumerate(("req-1", "req-2", "req-3")):
            with correlation_context(cid):
                record(collector, "lookup", failed=1, message=f"user {n} not found")
            clock.advance(1)
        record(collector, "lookup", failed=1, message="db down password=hunter2", code="X")
        top = (await client.get("/monitoring/errors/top")).json()
        assert top[0]["message"] == "user <n> not found"
        response = await client.get(
            "/monitoring/errors/examples",
            params={"message": "user <n> not found", "limit": 2, "time_range": "5m"},
        )
        assert response.status_code == 200
        examples = response.json()
        assert [(e["message"], e["correlation_id"]) for e in examples] == [
            ("user 2 not found", "req-3"),
            ("user 1 not found", "req-2"),
        ]
        assert {e["operation"] for e in examples} == {"lookup"}
        assert {e["error_code"] for e in examples} == {"NOT_FOUND"}
        assert examples[0]["time"] == "2023-11-14T22:13:22Z"

    @pytest.mark.asyncio
    async def test_messages_are_masked(
        self, client: httpx.AsyncClient, collector: ResultMetricsCollector
    ) -> None:
        record(collector, "lookup", failed=1, message="db down password=hunter2", code="X")
        examples = (await client.get("/monitoring/errors/examples")).json()
        assert len(examples) == 1
        assert "hunter2" not in examples[0]["message"]

    @pytest.mark.asyncio
    async def test_bad_arguments_are_422(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/monitoring/errors/examples?limit=21")
        assert response.status_code == 422
        assert response.json()["message"] == (
            "limit 21 is out of range; accepted: an integer from 1 to 20"
        )
        assert_range_error(await client.get("/monitoring/errors/examples?time_range=x"), "x")
        response = await client.get("/monitoring/errors/examples?time_range=30d")
        assert response.status_code == 422
        assert response.json()["details"]["field"] == "time_range"
