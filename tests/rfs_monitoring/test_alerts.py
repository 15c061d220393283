"""Alert rules, the pending -> firing -> resolved state machine and the notifiers."""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from pydantic import ValidationError

from rfs_monitoring.alerts import (
    ENTRY_POINT_GROUP,
    AlertConfiguration,
    AlertManager,
    AlertNotification,
    LogNotifier,
    WebhookNotifier,
    hookimpl,
    parse_alert_configuration,
)
from rfs_monitoring.errors import APIError, ConfigurationError
from rfs_monitoring.metrics import ResultMetricsCollector
from rfs_monitoring.mono import MonoResult
from rfs_monitoring.result import Success


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def collector(clock: FakeClock) -> ResultMetricsCollector:
    return ResultMetricsCollector(clock=clock)


def record(
    collector: ResultMetricsCollector,
    operation: str,
    *,
    ok: int = 0,
    failed: int = 0,
    duration_ms: float = 10.0,
) -> None:
    for _ in range(ok):
        collector.record(operation, success=True, duration_ms=duration_ms)
    for _ in range(failed):
        collector.record(
            operation,
            success=False,
            duration_ms=duration_ms,
            error_code="NOT_FOUND",
            error_type="APIError",
            error_message="user 1 not found",
        )


def manager_for(collector: ResultMetricsCollector, clock: FakeClock, **kwargs: Any) -> AlertManager:
    kwargs.setdefault("log_notifications", False)
    kwargs.setdefault("discover_plugins", False)
    return AlertManager(collector, clock=clock, **kwargs)


class TestAlertConfiguration:
    def test_defaults(self) -> None:
        config = AlertConfiguration(metric="error_rate", threshold=0.5)
        assert (config.operation, config.comparison, config.window) == ("*", ">", "5m")
        assert (config.for_seconds, config.cooldown_seconds, config.min_requests) == (0, 0, 1)
        assert config.severity == "warning"
        assert config.label == "* error_rate > 0.5"

    def test_cooldown_is_accepted_as_alias(self) -> None:
        config = AlertConfiguration.model_validate(
            {"metric": "rps", "threshold": 1, "cooldown": 30}
        )
        assert config.cooldown_seconds == 30

    def test_name_is_the_label_when_given(self) -> None:
        config = AlertConfiguration(metric="rps", threshold=1, name="traffic stopped")
        assert config.label == "traffic stopped"

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("metric", "p95", "Input should be 'availability', 'success_rate', 'error_rate'"),
            ("comparison", "=>", "Input should be '>', '>=', '<', '<=', '==' or '!='"),
            ("threshold", float("nan"), "threshold must be a finite number, got nan"),
            ("threshold", "high", "Input should be a valid number"),
            ("window", "7x", 'time_range \'7x\' is not accepted; use "1m", "5m"'),
            ("for_seconds", -1, "Input should be greater than or equal to 0"),
            ("cooldown_seconds", -5, "Input should be greater than or equal to 0"),
            ("min_requests", 0, "Input should be greater than or equal to 1"),
            ("severity", "loud", "Input should be 'info', 'warning' or 'critical'"),
            ("operation", "", "String should have at least 1 character"),
            ("colour", "red", "Extra inputs are not permitted"),
        ],
    )
    def test_invalid_field_is_named(self, field: str, value: object, message: str) -> None:
        data: dict[str, object] = {"metric": "p99_latency", "threshold": 100, field: value}
        with pytest.raises(ConfigurationError) as info:
            parse_alert_configuration(data)
        assert f"{field}: " in str(info.value)
        assert message in str(info.value)
        with pytest.raises(ValidationError):
            AlertConfiguration.model_validate(data)

    def test_missing_fields_are_named(self) -> None:
        with pytest.raises(ConfigurationError) as info:
            parse_alert_configuration({})
        assert str(info.value) == (
            "invalid alert configuration: metric: Field required; threshold: Field required"
        )

    @pytest.mark.parametrize("metric", ["success_rate", "error_rate"])
    def test_rate_threshold_must_be_a_fraction(self, metric: str) -> None:
        with pytest.raises(ConfigurationError) as info:
            parse_alert_configuration({"metric": metric, "threshold": 95})
        assert (
            f"threshold 95.0 is out of range for metric '{metric}': "
            "rates are fractions between 0 and 1"
        ) in str(info.value)

    def test_a_configuration_passes_through(self) -> None:
        config = AlertConfiguration(metric="rps", threshold=1)
        assert parse_alert_configuration(config) is config

    def test_non_mapping_is_rejected(self) -> None:
        with pytest.raises(ConfigurationError, match="must be an AlertConfiguration or a mapping"):
            parse_alert_configuration(["metric", "rps"])  # type: ignore[arg-type]

    def test_is_frozen(self) -> None:
        config = AlertConfiguration(metric="rps", threshold=1)
        with pytest.raises(ValidationError):
            config.threshold = 2  # type: ignore[misc]


class TestStateMachine:
    @pytest.mark.asyncio
    async def test_pending_then_firing_then_resolved(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        received: list[AlertNotification] = []
        manager = manager_for(collector, clock, notifiers=[received.append])
        alert_id = manager.add(
            {
                "operation": "user_retrieval",
                "metric": "error_rate",
                "threshold": 0.5,
                "window": "5m",
                "for_seconds": 60,
            }
        )
        record(collector, "user_retrieval", ok=1, failed=3)

        events = await manager.evaluate()
        assert [(e.previous_state, e.state) for e in events] == [("ok", "pending")]
        status = manager.get(alert_id)
        assert status is not None
        assert status.state == "pending"
        assert status.value == 0.75
        assert status.pending_since is not None
        assert status.pending_since.timestamp() == clock.now
        assert received == []

        clock.advance(30)
        assert await manager.evaluate() == []
        clock.advance(30)
        events = await manager.evaluate()
        assert [(e.previous_state, e.state) for e in events] == [("pending", "firing")]
        assert [n.state for n in received] == ["firing"]
        firing = received[0]
        assert firing.alert_id == alert_id
        assert firing.value == 0.75
        assert firing.fired_at is not None
        assert firing.fired_at.timestamp() == clock.now
        assert firing.message == (
            "[firing] user_retrieval: error_rate is 0.75 (alert when > 0.5 over 5m)"
        )
        assert [s.alert_id for s in manager.firing()] == [alert_id]

        # The failures leave the 5 minute window: the error rate falls to "no data".
        clock.advance(301)
        record(collector, "user_retrieval", ok=5)
        events = await manager.evaluate()
        assert [(e.previous_state, e.state) for e in events] == [("firing", "resolved")]
        assert [n.state for n in received] == ["firing", "resolved"]
        resolved = received[1]
        assert resolved.resolved_at is not None
        assert resolved.resolved_at.timestamp() == clock.now
        assert resolved.value == 0.0
        assert manager.firing() == []
        assert [e.state for e in manager.history(alert_id)] == ["pending", "firing", "resolved"]
        assert [e.state for e in manager.history(alert_id, limit=1)] == ["resolved"]
        stamps = [e.timestamp.timestamp() for e in manager.history()]
        assert stamps == sorted(stamps)

    @pytest.mark.asyncio
    async def test_breach_that_ends_before_for_seconds_never_fires(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        received: list[AlertNotification] = []
        manager = manager_for(collector, clock, notifiers=[received.append])
        manager.add({"metric": "error_count", "threshold": 0, "for_seconds": 120, "window": "1m"})
        record(collector, "op", failed=1)
        await manager.evaluate()
        clock.advance(61)
        events = await manager.evaluate()
        assert [(e.previous_state, e.state) for e in events] == [("pending", "ok")]
        assert received == []

    @pytest.mark.asyncio
    async def test_for_seconds_zero_fires_at_once(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        manager = manager_for(collector, clock)
        manager.add({"metric": "max_latency", "comparison": ">=", "threshold": 500})
        record(collector, "op", ok=1, duration_ms=500)
        events = await manager.evaluate()
        assert [e.state for e in events] == ["pending", "firing"]

    @pytest.mark.asyncio
    async def test_cooldown_holds_a_new_breach_pending(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        received: list[AlertNotification] = []
        manager = manager_for(collector, clock, notifiers=[received.append])
        alert_id = manager.add(
            {"metric": "error_count", "threshold": 0, "window": "1m", "cooldown": 600}
        )
        record(collector, "op", failed=1)
        await manager.evaluate()
        clock.advance(61)
        await manager.evaluate()
        assert [n.state for n in received] == ["firing", "resolved"]

        clock.advance(60)
        record(collector, "op", failed=1)
        await manager.evaluate()
        status = manager.get(alert_id)
        assert status is not None
        assert status.state == "pending"
        assert len(received) == 2

        clock.advance(539)  # 599 s after resolving: still cooling down
        record(collector, "op", failed=1)
        assert await manager.evaluate() == []
        clock.advance(1)
        record(collector, "op", failed=1)
        await manager.evaluate()
        assert [n.state for n in received] == ["firing", "resolved", "firing"]

    @pytest.mark.asyncio
    async def test_no_data_never_breaches(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        manager = manager_for(collector, clock)
        alert_id = manager.add(
            {"operation": "op", "metric": "success_rate", "comparison": "<", "threshold": 0.9}
        )
        assert await manager.evaluate() == []
        status = manager.get(alert_id)
        assert status is not None
        assert (status.state, status.value) == ("ok", None)

    @pytest.mark.asyncio
    async def test_min_requests_makes_small_windows_no_data(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        manager = manager_for(collector, clock)
        alert_id = manager.add(
            {
                "metric": "success_rate",
                "comparison": "<",
                "threshold": 0.9,
                "min_requests": 10,
            }
        )
        record(collector, "op", failed=9)
        assert await manager.evaluate() == []
        record(collector, "op", failed=1)
        await manager.evaluate()
        status = manager.get(alert_id)
        assert status is not None
        assert (status.state, status.value) == ("firing", 0.0)

    @pytest.mark.asyncio
    async def test_unknown_operation_has_zero_traffic(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        manager = manager_for(collector, clock)
        alert_id = manager.add(
            {"operation": "never_called", "metric": "rps", "comparison": "<", "threshold": 1}
        )
        await manager.evaluate()
        status = manager.get(alert_id)
        assert status is not None
        assert (status.state, status.value) == ("firing", 0.0)

    @pytest.mark.parametrize(
        ("metric", "expected"),
        [
            ("success_rate", 0.5),
            ("error_rate", 0.5),
            ("p50_latency", 10.0),
            ("p90_latency", 30.0),
            ("p99_latency", 30.0),
            ("avg_latency", 20.0),
            ("max_latency", 30.0),
            ("rps", 4.0),  # 4 requests in the collector's first second
            ("error_count", 2.0),
            ("availability", 1.0),  # the failures are NOT_FOUND: client errors
            ("client_error_rate", 0.5),
        ],
    )
    @pytest.mark.asyncio
    async def test_each_metric_is_measured(
        self, collector: ResultMetricsCollector, clock: FakeClock, metric: str, expected: float
    ) -> None:
        record(collector, "a", ok=2, duration_ms=10)
        record(collector, "b", failed=2, duration_ms=30)
        manager = manager_for(collector, clock)
        alert_id = manager.add({"metric": metric, "comparison": "!=", "threshold": 0.123})
        await manager.evaluate()
        status = manager.get(alert_id)
        assert status is not None
        # Latency quantiles come from a sketch accurate to 1%.
        assert status.value == pytest.approx(expected, rel=0.02)
        assert status.state == "firing"

    @pytest.mark.parametrize(
        ("comparison", "threshold", "fires"),
        [
            (">", 10, False),
            (">=", 10, True),
            ("<", 10, False),
            ("<=", 10, True),
            ("==", 10, True),
            ("!=", 10, False),
        ],
    )
    @pytest.mark.asyncio
    async def test_comparisons(
        self,
        collector: ResultMetricsCollector,
        clock: FakeClock,
        comparison: str,
        threshold: float,
        fires: bool,
    ) -> None:
        record(collector, "op", ok=1, duration_ms=10)
        manager = manager_for(collector, clock)
        manager.add(
            {
                "operation": "op",
                "metric": "p50_latency",
                "comparison": comparison,
                "threshold": threshold,
            }
        )
        await manager.evaluate()
        assert bool(manager.firing()) is fires

    @pytest.mark.asyncio
    async def test_rules_sharing_a_window_read_the_metrics_once(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        calls: list[str] = []
        original = collector.get_operation_metrics

        def counting(name: str, time_range: Any = "1h") -> MonoResult[Any, APIError]:
            calls.append(name)
            return original(name, time_range)

        collector.get_operation_metrics = counting  # type: ignore[method-assign]
        record(collector, "op", ok=1)
        manager = manager_for(collector, clock)
        manager.add({"operation": "op", "metric": "rps", "threshold": 100})
        manager.add({"operation": "op", "metric": "p99_latency", "threshold": 100})
        await manager.evaluate()
        assert calls == ["op"]


class TestManagerApi:
    def test_add_get_remove(self, collector: ResultMetricsCollector, clock: FakeClock) -> None:
        manager = manager_for(collector, clock)
        first = manager.add(AlertConfiguration(metric="rps", threshold=1))
        second = manager.add({"metric": "error_count", "threshold": 3})
        assert first.startswith("alert-")
        assert first != second
        assert [a.alert_id for a in manager.alerts()] == [first, second]
        assert manager.remove(first) is True
        assert manager.remove(first) is False
        assert manager.get(first) is None
        assert manager.stats()["alerts"] == 1

    def test_add_rejects_invalid_configuration(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        manager = manager_for(collector, clock)
        with pytest.raises(ConfigurationError, match="window: Value error, time_range 'soon'"):
            manager.add({"metric": "rps", "threshold": 1, "window": "soon"})
        assert manager.alerts() == []

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            (
                {"interval": 0},
                "AlertManager interval must be a finite number of seconds > 0, got 0",
            ),
            ({"interval": True}, "interval must be a finite number of seconds > 0, got True"),
            (
                {"notifier_timeout": float("inf")},
                "notifier_timeout must be a finite number of seconds > 0, got inf",
            ),
            ({"max_history": 0}, "AlertManager max_history must be an int >= 1, got 0"),
            ({"clock": 5}, "AlertManager clock must be a callable returning epoch seconds, got 5"),
        ],
    )
    def test_bad_settings_are_rejected(self, kwargs: dict[str, Any], message: str) -> None:
        with pytest.raises(ConfigurationError) as info:
            AlertManager(discover_plugins=False, **kwargs)
        assert message in str(info.value)

    def test_history_is_bounded(self, collector: ResultMetricsCollector, clock: FakeClock) -> None:
        manager = manager_for(collector, clock, max_history=2)
        manager.add({"metric": "error_count", "threshold": 0, "window": "1m"})

        async def flap() -> None:
            for _ in range(3):
                record(collector, "op", failed=1)
                await manager.evaluate()
                clock.advance(61)
                await manager.evaluate()

        asyncio.run(flap())
        assert [e.state for e in manager.history()] == ["firing", "resolved"]

    @pytest.mark.asyncio
    async def test_default_collector_is_the_instance(self, clock: FakeClock) -> None:
        fresh = ResultMetricsCollector(clock=clock)
        previous = ResultMetricsCollector.set_instance(fresh)
        try:
            manager = AlertManager(clock=clock, log_notifications=False, discover_plugins=False)
            assert manager.collector is fresh
            manager.add({"metric": "error_count", "threshold": 0})
            record(fresh, "op", failed=1)
            await manager.evaluate()
            assert manager.stats()["firing"] == 1
        finally:
            ResultMetricsCollector.set_instance(previous)

    @pytest.mark.asyncio
    async def test_a_collector_fault_is_counted(self, clock: FakeClock) -> None:
        class Broken(ResultMetricsCollector):
            def overall(self, time_range: Any = "1h") -> MonoResult[Any, APIError]:
                raise RuntimeError("disk on fire")

        manager = manager_for(Broken(clock=clock), clock)
        alert_id = manager.add({"metric": "error_count", "threshold": 0})
        assert await manager.evaluate() == []
        assert manager.stats()["evaluation_errors"] == 1
        status = manager.get(alert_id)
        assert status is not None
        assert status.value is None

    @pytest.mark.asyncio
    async def test_a_failure_other_than_not_found_is_counted(self, clock: FakeClock) -> None:
        class Failing(ResultMetricsCollector):
            def overall(self, time_range: Any = "1h") -> MonoResult[Any, APIError]:
                return MonoResult.from_error(APIError.service_unavailable())

        manager = manager_for(Failing(clock=clock), clock)
        manager.add({"metric": "rps", "comparison": "<", "threshold": 1})
        assert await manager.evaluate() == []
        assert manager.stats()["evaluation_errors"] == 1

    @pytest.mark.asyncio
    async def test_collectors_answering_plain_values_are_read(self, clock: FakeClock) -> None:
        real = ResultMetricsCollector(clock=clock)
        record(real, "op", failed=2)
        figures = (await real.overall("5m")).unwrap()

        class Plain(ResultMetricsCollector):
            def overall(self, time_range: Any = "1h") -> Any:
                return figures

            def get_operation_metrics(self, name: str, time_range: Any = "1h") -> Any:
                return Success(figures)

        manager = manager_for(Plain(clock=clock), clock)
        manager.add({"metric": "error_count", "threshold": 1})
        manager.add({"operation": "op", "metric": "error_count", "threshold": 1})
        await manager.evaluate()
        assert manager.stats()["firing"] == 2


@pytest.fixture
def breaching(collector: ResultMetricsCollector) -> ResultMetricsCollector:
    record(collector, "op", failed=1)
    return collector


class TestNotifiers:
    @pytest.mark.asyncio
    async def test_sync_and_async_callables_are_notified(
        self, breaching: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        sync_seen: list[str] = []
        async_seen: list[str] = []

        async def async_notifier(notification: AlertNotification) -> None:
            await asyncio.sleep(0)
            async_seen.append(notification.state)

        class AsyncCallable:
            async def __call__(self, notification: AlertNotification) -> None:
                async_seen.append("object:" + notification.state)

        async def deferred(notification: AlertNotification) -> None:
            sync_seen.append("deferred:" + notification.state)

        manager = manager_for(breaching, clock)
        manager.add_notifier(lambda n: sync_seen.append(n.state))
        manager.add_notifier(async_notifier)
        manager.add_notifier(AsyncCallable())
        # A sync callable returning an awaitable: the awaitable is awaited.
        manager.add_notifier(lambda n: deferred(n), name="deferred")
        manager.add({"metric": "error_count", "threshold": 0})
        await manager.evaluate()
        assert sorted(sync_seen) == ["deferred:firing", "firing"]
        assert sorted(async_seen) == ["firing", "object:firing"]
        assert manager.stats()["notifier_calls"] == 4
        assert manager.stats()["notifications"] == 1

    @pytest.mark.asyncio
    async def test_removed_notifier_is_not_called(
        self, breaching: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        seen: list[AlertNotification] = []
        manager = manager_for(breaching, clock)
        remove = manager.add_notifier(seen.append)
        remove()
        remove()
        manager.add({"metric": "error_count", "threshold": 0})
        await manager.evaluate()
        assert seen == []

    def test_notifier_must_be_callable(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        manager = manager_for(collector, clock)
        with pytest.raises(ConfigurationError, match="a notifier must be callable, got str: 'x'"):
            manager.add_notifier("x")  # type: ignore[arg-type]

    @pytest.mark.asyncio
    async def test_raising_and_hanging_notifiers_are_counted_and_do_not_stop_others(
        self, breaching: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        release = threading.Event()
        seen: list[AlertNotification] = []

        def raising(notification: AlertNotification) -> None:
            raise RuntimeError("smtp down")

        async def async_raising(notification: AlertNotification) -> None:
            raise ValueError("bad token")

        def hanging(notification: AlertNotification) -> None:
            release.wait(10)

        async def async_hanging(notification: AlertNotification) -> None:
            await asyncio.sleep(10)

        manager = manager_for(breaching, clock, notifier_timeout=0.05)
        for fn in (raising, async_raising, hanging, async_hanging, seen.append):
            manager.add_notifier(fn)  # type: ignore[arg-type]
        alert_id = manager.add({"metric": "error_count", "threshold": 0})
        try:
            events = await manager.evaluate()
        finally:
            release.set()
        assert [e.state for e in events] == ["pending", "firing"]
        assert [n.state for n in seen] == ["firing"]
        stats = manager.stats()
        assert stats["notifier_failures"] == 2
        assert stats["notifier_timeouts"] == 2
        status = manager.get(alert_id)
        assert status is not None
        assert status.state == "firing"

    @pytest.mark.asyncio
    async def test_log_notifier_writes_structured_entries(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        manager = AlertManager(collector, clock=clock, discover_plugins=False)
        manager.add({"operation": "op", "metric": "error_count", "threshold": 0, "window": "1m"})
        manager.add(
            {"metric": "error_count", "threshold": 0, "window": "1m", "severity": "critical"}
        )
        record(collector, "op", failed=1)
        with structlog.testing.capture_logs() as logs:
            await manager.evaluate()
            clock.advance(61)
            await manager.evaluate()
        assert [(e["event"], e["log_level"], e["severity"]) for e in logs] == [
            ("alert_firing", "warning", "warning"),
            ("alert_firing", "error", "critical"),
            ("alert_resolved", "info", "warning"),
            ("alert_resolved", "info", "critical"),
        ]
        first = logs[0]
        assert first["operation"] == "op"
        assert first["metric"] == "error_count"
        assert first["value"] == 1.0
        assert first["state"] == "firing"
        assert first["evaluated_at"] == "2023-11-14T22:13:20+00:00"
        assert "timestamp" not in first

    @pytest.mark.asyncio
    async def test_log_notifier_directly(self) -> None:
        notification = AlertNotification(
            alert_id="alert-1",
            name="n",
            state="firing",
            severity="info",
            operation="*",
            metric="rps",
            comparison="<",
            threshold=1.0,
            value=None,
            window="5m",
            message="m",
            description="",
            timestamp=__import__("datetime").datetime(2026, 1, 1),
            fired_at=None,
            resolved_at=None,
        )
        with structlog.testing.capture_logs() as logs:
            await LogNotifier()(notification)
        assert logs[0]["event"] == "alert_firing"
        assert logs[0]["evaluated_at"] == "2026-01-01T00:00:00"
        assert logs[0]["fired_at"] is None


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers POSTs with the status the server is told to use and keeps the bodies."""

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self.server.bodies.append(  # type: ignore[attr-defined]
            (self.path, dict(self.headers), json.loads(self.rfile.read(length)))
        )
        self.send_response(self.server.status)  # type: ignore[attr-defined]
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def webhook_server() -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.bodies = []  # type: ignore[attr-defined]
    server.status = 204  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


class TestWebhookNotifier:
    @pytest.mark.asyncio
    async def test_posts_json_to_a_local_server(
        self,
        breaching: ResultMetricsCollector,
        clock: FakeClock,
        webhook_server: http.server.ThreadingHTTPServer,
    ) -> None:
        host, port = webhook_server.server_address[:2]
        url = f"http://{host}:{port}/hooks/alerts"
        manager = manager_for(breaching, clock)
        manager.add_notifier(WebhookNotifier(url, headers={"X-Token": "t0k"}))
        alert_id = manager.add(
            {"metric": "error_count", "threshold": 0, "window": "1m", "name": "errors"}
        )
        await manager.evaluate()
        clock.advance(61)
        await manager.evaluate()
        bodies = webhook_server.bodies  # type: ignore[attr-defined]
        assert [(path, body["state"]) for path, _, body in bodies] == [
            ("/hooks/alerts", "firing"),
            ("/hooks/alerts", "resolved"),
        ]
        _, headers, body = bodies[0]
        assert headers["X-Token"] == "t0k"
        assert headers["Content-Type"] == "application/json"
        assert body["alert_id"] == alert_id
        assert body["name"] == "errors"
        assert body["value"] == 1.0
        assert body["fired_at"] == body["timestamp"]
        assert manager.stats()["notifier_failures"] == 0

    @pytest.mark.asyncio
    async def test_error_status_is_a_counted_failure(
        self,
        breaching: ResultMetricsCollector,
        clock: FakeClock,
        webhook_server: http.server.ThreadingHTTPServer,
    ) -> None:
        webhook_server.status = 500  # type: ignore[attr-defined]
        host, port = webhook_server.server_address[:2]
        manager = manager_for(breaching, clock)
        manager.add_notifier(WebhookNotifier(f"http://{host}:{port}/"))
        manager.add({"metric": "error_count", "threshold": 0})
        events = await manager.evaluate()
        assert [e.state for e in events] == ["pending", "firing"]
        assert len(webhook_server.bodies) == 1  # type: ignore[attr-defined]
        assert manager.stats()["notifier_failures"] == 1

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            (
                {"url": "ftp://x"},
                "WebhookNotifier url must start with http:// or https://, got 'ftp://x'",
            ),
            (
                {"url": "http://x", "timeout": 0},
                "WebhookNotifier timeout must be a number of seconds > 0, got 0",
            ),
        ],
    )
    def test_bad_settings(self, kwargs: dict[str, Any], message: str) -> None:
        with pytest.raises(ConfigurationError) as info:
            WebhookNotifier(**kwargs)
        assert str(info.value) == message

    def test_repr(self) -> None:
        assert repr(WebhookNotifier("https://example.test/h")) == (
            "WebhookNotifier('https://example.test/h')"
        )


class PagerPlugin:
    """A third-party notifier plugin, as a package would ship it."""

    def __init__(self) -> None:
        self.seen: list[AlertNotification] = []

    @hookimpl
    def rfs_monitoring_notify(self, notification: AlertNotification) -> None:
        self.seen.append(notification)


PLUGIN_MODULE = """
from rfs_monitoring.alerts import hookimpl

SEEN = []

@hookimpl
async def rfs_monitoring_notify(notification):
    SEEN.append(notification.state)
"""


def make_distribution(root: Path, name: str, entry_points: str) -> None:
    """Write a minimal installed distribution (dist-info) with entry points under ``root``."""
    dist_info = root / f"{name}-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text(entry_points)


class TestPluginNotifiers:
    @pytest.mark.asyncio
    async def test_registered_plugin_is_notified(
        self, breaching: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        plugin = PagerPlugin()
        manager = manager_for(breaching, clock)
        assert manager.register_plugin(plugin, name="pager") == "pager"
        manager.add({"metric": "error_count", "threshold": 0})
        await manager.evaluate()
        assert [n.state for n in plugin.seen] == ["firing"]

    def test_plugin_with_a_wrong_hook_signature_is_rejected(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        class Wrong:
            @hookimpl
            def rfs_monitoring_notify(self, alert: object) -> None:
                return None

        manager = manager_for(collector, clock)
        with pytest.raises(ConfigurationError, match="notifier plugin 'wrong' is invalid"):
            manager.register_plugin(Wrong(), name="wrong")

    @pytest.mark.asyncio
    async def test_plugins_are_discovered_from_the_entry_point_group(
        self,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        breaching: ResultMetricsCollector,
        clock: FakeClock,
    ) -> None:
        (tmp_path / "rfs_test_pager.py").write_text(PLUGIN_MODULE)
        (tmp_path / "rfs_test_broken.py").write_text("raise ImportError('no slack sdk')\n")
        make_distribution(
            tmp_path,
            "rfs_test_notifiers",
            f"[{ENTRY_POINT_GROUP}]\npager = rfs_test_pager\nbroken = rfs_test_broken\n",
        )
        monkeypatch.syspath_prepend(str(tmp_path))
        monkeypatch.delitem(__import__("sys").modules, "rfs_test_pager", raising=False)

        manager = AlertManager(breaching, clock=clock, log_notifications=False)
        assert manager.plugin_manager.has_plugin("pager")
        assert not manager.plugin_manager.has_plugin("broken")
        assert manager.stats()["plugin_load_errors"] == 1
        assert manager.load_plugins() == []  # already loaded ones are skipped

        manager.add({"metric": "error_count", "threshold": 0})
        await manager.evaluate()
        import rfs_test_pager  # type: ignore[import-not-found]

        assert rfs_test_pager.SEEN == ["firing"]


class TestBackgroundTask:
    @pytest.mark.asyncio
    async def test_evaluates_repeatedly_until_stopped(
        self, breaching: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        manager = manager_for(breaching, clock, interval=0.01)
        manager.add({"metric": "error_count", "threshold": 0})
        assert not manager.running
        manager.start()
        manager.start()  # idempotent
        assert manager.running
        for _ in range(500):
            if manager.stats()["evaluations"] >= 3:
                break
            await asyncio.sleep(0.01)
        await manager.stop()
        assert not manager.running
        assert manager.stats()["evaluations"] >= 3
        assert manager.stats()["firing"] == 1
        await manager.stop()  # stopping twice is fine

    @pytest.mark.asyncio
    async def test_running_task_context_and_faults_do_not_end_the_loop(
        self, breaching: ResultMetricsCollector
    ) -> None:
        ticks = [0]

        def flaky_clock() -> float:
            ticks[0] += 1
            if ticks[0] == 1:
                raise OSError("clock unavailable")
            return time.time()

        manager = AlertManager(
            breaching, clock=flaky_clock, log_notifications=False, discover_plugins=False
        )
        manager.add({"metric": "error_count", "threshold": 0})
        async with manager.running_task(interval=0.01):
            for _ in range(500):
                if manager.stats()["evaluations"] >= 3:
                    break
                await asyncio.sleep(0.01)
        assert not manager.running
        assert manager.stats()["evaluation_errors"] == 1
        assert manager.stats()["evaluations"] >= 3

    @pytest.mark.asyncio
    async def test_start_rejects_a_bad_interval(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        manager = manager_for(collector, clock)
        with pytest.raises(ConfigurationError, match="interval must be a finite number"):
            manager.start(interval=-1)
        assert not manager.running

    def test_manager_works_across_event_loops(
        self, breaching: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        manager = manager_for(breaching, clock)
        manager.add({"metric": "error_count", "threshold": 0})
        asyncio.run(manager.evaluate())
        asyncio.run(manager.evaluate())
        assert manager.stats()["evaluations"] == 2
