"""People acting on alerts: acknowledge a firing alert, silence its notifications for a
while; the history keeps both, bounded. Driven through ``AlertManager`` on a fake clock."""

from __future__ import annotations

import datetime as dt

import pytest

from rfs_monitoring.alerts import AlertManager, AlertNotification
from rfs_monitoring.alerts.manager import MAX_SILENCE_SECONDS
from rfs_monitoring.alerts.state import AlertTracker
from rfs_monitoring.errors import ErrorCode
from rfs_monitoring.metrics import ResultMetricsCollector

T0 = 1_700_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def utc(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def collector(clock: Clock) -> ResultMetricsCollector:
    return ResultMetricsCollector(clock=clock)


@pytest.fixture
def sent() -> list[AlertNotification]:
    return []


@pytest.fixture
def manager(
    collector: ResultMetricsCollector, clock: Clock, sent: list[AlertNotification]
) -> AlertManager:
    return AlertManager(
        collector,
        clock=clock,
        notifiers=[sent.append],
        log_notifications=False,
        discover_plugins=False,
        max_history=6,
    )


def fail(collector: ResultMetricsCollector, count: int = 1) -> None:
    for _ in range(count):
        collector.record("op", success=False, duration_ms=1.0, error_code="INTERNAL_ERROR")


class TestAcknowledge:
    @pytest.mark.asyncio
    async def test_a_firing_alert_is_acknowledged_until_it_resolves(
        self, manager: AlertManager, collector: ResultMetricsCollector, clock: Clock
    ) -> None:
        alert_id = manager.add({"operation": "op", "metric": "error_count", "threshold": 0})
        fail(collector)
        await manager.evaluate()
        clock.now += 5
        status = manager.acknowledge(alert_id).unwrap()
        assert status.acknowledged_at == utc(T0 + 5)
        assert manager.firing()[0].acknowledged_at == utc(T0 + 5)
        last = manager.history()[-1]
        assert (last.action, last.previous_state, last.state) == (
            "acknowledged",
            "firing",
            "firing",
        )
        assert last.message == "[acknowledged] op error_count > 0: acknowledged"

        clock.now += 600  # the error leaves the 5m window: resolved, the acknowledgement ends
        await manager.evaluate()
        resolved = manager.get(alert_id)
        assert resolved is not None
        assert (resolved.state, resolved.acknowledged_at) == ("resolved", None)

    def test_only_a_firing_alert_can_be_acknowledged(self, manager: AlertManager) -> None:
        alert_id = manager.add({"operation": "op", "metric": "error_count", "threshold": 0})
        error = manager.acknowledge(alert_id).unwrap_error()
        assert error.code is ErrorCode.CONFLICT
        assert error.message == (
            f"alert {alert_id!r} is ok; only a firing alert can be acknowledged"
        )
        assert manager.history() == []

    def test_an_unknown_alert_is_not_found(self, manager: AlertManager) -> None:
        assert manager.acknowledge("alert-nope").unwrap_error().code is ErrorCode.NOT_FOUND
        assert manager.silence("alert-nope", 60).unwrap_error().code is ErrorCode.NOT_FOUND


class TestSilence:
    @pytest.mark.asyncio
    async def test_a_silenced_alert_moves_but_does_not_notify(
        self,
        manager: AlertManager,
        collector: ResultMetricsCollector,
        clock: Clock,
        sent: list[AlertNotification],
    ) -> None:
        alert_id = manager.add({"operation": "op", "metric": "error_count", "threshold": 0})
        status = manager.silence(alert_id, 300).unwrap()
        assert status.silenced_until == utc(T0 + 300)
        fail(collector)
        events = await manager.evaluate()
        assert [e.state for e in events] == ["pending", "firing"]
        assert sent == []
        assert manager.stats()["notifications_silenced"] == 1
        assert manager.stats()["notifications"] == 0

        clock.now += 301  # the silence is over: the resolution is notified
        assert manager.get(alert_id).silenced_until is None  # type: ignore[union-attr]
        clock.now += 300
        await manager.evaluate()
        assert [n.state for n in sent] == ["resolved"]

    @pytest.mark.asyncio
    async def test_lifting_a_silence_notifies_again(
        self,
        manager: AlertManager,
        collector: ResultMetricsCollector,
        sent: list[AlertNotification],
    ) -> None:
        alert_id = manager.add({"operation": "op", "metric": "error_count", "threshold": 0})
        manager.silence(alert_id, 3600)
        status = manager.silence(alert_id, None).unwrap()
        assert status.silenced_until is None
        assert [e.action for e in manager.history()] == ["silenced", "unsilenced"]
        assert manager.history()[-1].message == (
            "[unsilenced] op error_count > 0: notifications resumed"
        )
        fail(collector)
        await manager.evaluate()
        assert [n.state for n in sent] == ["firing"]

    @pytest.mark.parametrize("seconds", [0, -1, MAX_SILENCE_SECONDS + 1, True, "60"])
    def test_a_bad_period_is_refused_naming_it(
        self, manager: AlertManager, seconds: object
    ) -> None:
        alert_id = manager.add({"operation": "op", "metric": "error_count", "threshold": 0})
        error = manager.silence(alert_id, seconds).unwrap_error()  # type: ignore[arg-type]
        assert error.code is ErrorCode.VALIDATION_ERROR
        assert error.message == (
            f"seconds {seconds!r} is out of range; accepted: a number of seconds > 0 "
            "and <= 604800 (7 days)"
        )
        assert error.details["field"] == "seconds"

    def test_the_silence_message_names_its_end(self, manager: AlertManager) -> None:
        alert_id = manager.add({"operation": "op", "metric": "rps", "threshold": 5, "name": "x"})
        manager.silence(alert_id, 90)
        assert manager.history()[-1].message == (
            "[silenced] x: notifications silenced until 2023-11-14 22:14:50 UTC"
        )


class TestHistory:
    @pytest.mark.asyncio
    async def test_the_history_is_bounded(
        self, manager: AlertManager, collector: ResultMetricsCollector
    ) -> None:
        alert_id = manager.add({"operation": "op", "metric": "error_count", "threshold": 0})
        for _ in range(5):
            manager.silence(alert_id, 60)
        fail(collector)
        await manager.evaluate()
        history = manager.history()
        assert len(history) == 6
        assert [e.action for e in history] == ["silenced"] * 4 + ["transition"] * 2


class TestTracker:
    def test_a_snapshot_drops_a_silence_that_is_over(self) -> None:
        from rfs_monitoring.alerts import AlertConfiguration

        alert = AlertTracker(
            "a", AlertConfiguration.model_validate({"metric": "rps", "threshold": 1})
        )
        alert.silence(T0 + 10, T0)
        assert alert.snapshot(T0 + 9).silenced_until == utc(T0 + 10)
        assert alert.snapshot(T0 + 10).silenced_until is None
        assert alert.snapshot().silenced_until == utc(T0 + 10)
        assert (alert.silenced(T0 + 9), alert.silenced(T0 + 10)) == (True, False)
