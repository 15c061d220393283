"""One alert's state machine (``alerts.state``) and notifier delivery (``alerts.delivery``),
driven directly, without a manager or a collector."""

from __future__ import annotations

import asyncio
import time

import pytest

from rfs_monitoring.alerts import AlertConfiguration, AlertNotification
from rfs_monitoring.alerts.delivery import call_notifier, deliver
from rfs_monitoring.alerts.notifiers import hook_notifier
from rfs_monitoring.alerts.state import UNREADABLE, AlertTracker, describe, measure

T0 = 1_700_000_000.0


def tracker(**rule: object) -> AlertTracker:
    rule.setdefault("metric", "error_count")
    rule.setdefault("threshold", 0)
    return AlertTracker("alert-1", AlertConfiguration.model_validate(rule))


class TestAdvance:
    def test_a_breach_fires_at_once_without_for_seconds(self) -> None:
        alert = tracker()
        events, notification = alert.advance(1.0, T0)
        assert [(e.previous_state, e.state) for e in events] == [
            ("ok", "pending"),
            ("pending", "firing"),
        ]
        assert notification is not None
        assert notification.state == "firing"
        assert alert.state == "firing"

    def test_a_held_breach_fires_once(self) -> None:
        alert = tracker(for_seconds=10)
        assert alert.advance(1.0, T0)[1] is None
        assert alert.advance(1.0, T0 + 10)[1] is not None
        assert alert.advance(1.0, T0 + 20) == ([], None)

    def test_no_data_resolves_a_firing_alert(self) -> None:
        alert = tracker()
        alert.advance(1.0, T0)
        events, notification = alert.advance(None, T0 + 1)
        assert [e.state for e in events] == ["resolved"]
        assert notification is not None
        assert notification.resolved_at is not None
        assert notification.resolved_at.timestamp() == T0 + 1

    def test_the_cooldown_keeps_a_new_breach_pending(self) -> None:
        alert = tracker(cooldown_seconds=60)
        alert.advance(1.0, T0)
        alert.advance(0.0, T0 + 1)
        events, notification = alert.advance(1.0, T0 + 2)
        assert [e.state for e in events] == ["pending"]
        assert notification is None
        assert alert.advance(1.0, T0 + 61)[1] is not None

    def test_the_snapshot_carries_datetimes(self) -> None:
        alert = tracker(for_seconds=5)
        alert.advance(2.0, T0)
        status = alert.snapshot()
        assert status.state == "pending"
        assert status.value == 2.0
        assert status.pending_since is not None
        assert status.pending_since.timestamp() == T0
        assert status.fired_at is None


class TestMeasure:
    def test_unreadable_figures_are_no_data(self) -> None:
        assert measure(UNREADABLE, tracker().config) is None

    def test_an_unknown_operation_counts_zero_or_no_data(self) -> None:
        assert measure(None, tracker(metric="rps").config) == 0.0
        assert measure(None, tracker(metric="p99_latency").config) is None

    def test_describe_names_the_rule(self) -> None:
        config = tracker(operation="op", window="1m").config
        assert describe(config, None, "ok") == (
            "[ok] op: error_count is no data (alert when > 0 over 1m)"
        )


def notification() -> AlertNotification:
    _, found = tracker().advance(1.0, T0)
    assert found is not None
    return found


def counters() -> dict[str, int]:
    return dict.fromkeys(
        ("notifications", "notifier_calls", "notifier_failures", "notifier_timeouts"), 0
    )


class TestDelivery:
    @pytest.mark.asyncio
    async def test_every_target_is_called_and_counted(self) -> None:
        seen: list[str] = []

        async def later(n: AlertNotification) -> None:
            seen.append("async " + n.state)

        stats = counters()
        targets = [("sync", lambda n: seen.append("sync " + n.state)), ("async", later)]
        await deliver(targets, notification(), 1.0, stats)
        assert sorted(seen) == ["async firing", "sync firing"]
        assert stats == {**counters(), "notifications": 1, "notifier_calls": 2}

    @pytest.mark.asyncio
    async def test_a_hanging_sync_notifier_is_abandoned(self) -> None:
        stats = counters()
        started = time.monotonic()
        await call_notifier("slow", lambda n: time.sleep(0.5), notification(), 0.05, stats)
        assert time.monotonic() - started < 0.4
        assert stats["notifier_timeouts"] == 1

    @pytest.mark.asyncio
    async def test_an_awaitable_returned_by_a_sync_notifier_is_awaited(self) -> None:
        stats = counters()
        await call_notifier("f", lambda n: asyncio.sleep(1), notification(), 0.05, stats)
        assert stats["notifier_timeouts"] == 1

    @pytest.mark.asyncio
    async def test_hookimpls_are_called_with_keywords(self) -> None:
        got: list[AlertNotification] = []

        async def hook(*, notification: AlertNotification) -> None:
            got.append(notification)

        sent = notification()
        await hook_notifier(hook)(sent)
        hook_notifier(lambda *, notification: got.append(notification))(sent)
        assert got == [sent, sent]
