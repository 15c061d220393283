"""Attack alert delivery with notifiers that hang, and with many alerts at once.

A hung sync notifier keeps at most its own thread of the bounded delivery pool: over 1,000
fire/resolve cycles the process's thread count stays flat, and deliveries meeting a full
pool are dropped and counted. Twenty alerts firing together are delivered in parallel (a
barrier of twenty is passed only when all twenty calls run at once). Evaluation never holds
the manager's lock while delivering.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import threading
from typing import Any

import pytest

from rfs_monitoring.alerts import AlertManager, AlertNotification
from rfs_monitoring.alerts.delivery import DeliveryPool, call_notifier, default_pool
from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.metrics import ResultMetricsCollector

T0 = 1_700_000_000.0


class Clock:
    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> float:
        return self.t


def no_resources() -> tuple[float | None, float | None]:
    return (None, None)


def manager_with(clock: Clock, pool: DeliveryPool, timeout: float, **kwargs: Any) -> AlertManager:
    collector = ResultMetricsCollector(clock, resources=no_resources)
    return AlertManager(
        collector,
        clock=clock,
        log_notifications=False,
        discover_plugins=False,
        delivery_pool=pool,
        notifier_timeout=timeout,
        **kwargs,
    )


def fail(manager: AlertManager, operation: str = "op") -> None:
    manager.collector.record(
        operation, success=False, duration_ms=1.0, error_code="BOOM", error_message="boom"
    )


class TestAHangingNotifier:
    @pytest.mark.asyncio
    async def test_threads_stay_flat_over_1000_cycles(self) -> None:
        clock = Clock()
        pool = DeliveryPool(max_threads=4)
        hang = threading.Event()
        manager = manager_with(clock, pool, timeout=0.01)
        manager.add_notifier(lambda n: hang.wait(), name="hangs")
        manager.add({"operation": "op", "metric": "error_count", "threshold": 0, "window": "1m"})
        # the figures are read on the loop's default executor: one thread, so that only
        # the delivery threads could grow
        reader = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        asyncio.get_running_loop().set_default_executor(reader)
        counts = []
        try:
            for cycle in range(1000):
                fail(manager)
                await manager.evaluate()  # fires
                clock.t += 120.0
                await manager.evaluate()  # resolves: no error in the last minute
                if cycle in (10, 999):
                    counts.append(threading.active_count())
            stats = manager.stats()
        finally:
            hang.set()
        assert counts[1] == counts[0]
        assert stats["notifications"] == 2000
        assert stats["notifier_timeouts"] == 4  # one per thread, then the pool is full
        assert stats["notifier_dropped"] == 2000 - 4
        assert stats["delivery_threads_busy"] == 4
        assert pool.stats() == {"max_threads": 4, "busy": 4, "dropped": 2000 - 4}

    @pytest.mark.asyncio
    async def test_a_hung_async_notifier_is_cancelled_and_takes_no_thread(self) -> None:
        clock = Clock()
        pool = DeliveryPool(max_threads=1)
        manager = manager_with(clock, pool, timeout=0.01)
        cancelled: list[bool] = []

        async def hangs(n: AlertNotification) -> None:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancelled.append(True)
                raise

        manager.add_notifier(hangs)
        manager.add({"operation": "op", "metric": "error_count", "threshold": 0})
        fail(manager)
        await manager.evaluate()
        assert cancelled == [True]
        assert manager.stats()["notifier_timeouts"] == 1
        assert pool.stats()["busy"] == 0


class TestParallelDelivery:
    @pytest.mark.asyncio
    async def test_twenty_alerts_are_delivered_at_once(self) -> None:
        clock = Clock()
        barrier = threading.Barrier(20, timeout=20)
        manager = manager_with(clock, DeliveryPool(max_threads=20), timeout=30.0)
        passed: list[str] = []

        def waits_for_all(n: AlertNotification) -> None:
            barrier.wait()  # broken (an error) unless all twenty calls run together
            passed.append(n.operation)

        manager.add_notifier(waits_for_all)
        for k in range(20):
            manager.add({"operation": f"op-{k}", "metric": "error_count", "threshold": 0})
            fail(manager, f"op-{k}")
        await manager.evaluate()
        assert sorted(passed) == sorted(f"op-{k}" for k in range(20))
        stats = manager.stats()
        assert (stats["notifier_failures"], stats["notifier_timeouts"]) == (0, 0)

    @pytest.mark.asyncio
    async def test_evaluation_does_not_hold_the_lock_while_delivering(self) -> None:
        clock = Clock()
        entered, release = threading.Event(), threading.Event()
        manager = manager_with(clock, DeliveryPool(max_threads=2), timeout=30.0)

        def slow(n: AlertNotification) -> None:
            entered.set()
            assert release.wait(30)

        manager.add_notifier(slow)
        manager.add({"operation": "op", "metric": "error_count", "threshold": 0})
        fail(manager)
        delivering = asyncio.ensure_future(manager.evaluate())
        try:
            assert await asyncio.to_thread(entered.wait, 30)
            # a second evaluation runs to its end while the first one is still delivering
            second = await asyncio.wait_for(manager.evaluate(), 20)
            assert second == []
            assert not delivering.done()
        finally:
            release.set()
        first = await delivering
        assert [e.state for e in first] == ["pending", "firing"]


class TestThePool:
    def test_the_pool_is_bounded_and_shared(self) -> None:
        assert default_pool() is default_pool()
        assert default_pool().max_threads == 32
        manager = AlertManager(log_notifications=False, discover_plugins=False)
        assert manager.delivery_pool is default_pool()

    def test_bad_arguments(self) -> None:
        with pytest.raises(ConfigurationError) as info:
            DeliveryPool(max_threads=0)
        assert str(info.value) == "DeliveryPool max_threads must be an int >= 1, got 0"
        with pytest.raises(ConfigurationError) as info:
            AlertManager(delivery_pool="big")  # type: ignore[arg-type]
        assert (
            str(info.value)
            == "AlertManager delivery_pool must be a DeliveryPool or None, got 'big'"
        )

    @pytest.mark.asyncio
    async def test_a_full_pool_drops_and_counts(self) -> None:
        pool = DeliveryPool(max_threads=1)
        release = threading.Event()
        stats: dict[str, int] = dict.fromkeys(
            ("notifier_calls", "notifier_timeouts", "notifier_failures", "notifier_dropped"), 0
        )
        notification = AlertNotification(
            alert_id="a",
            name="n",
            state="firing",
            severity="warning",
            operation="op",
            metric="error_count",
            comparison=">",
            threshold=0.0,
            value=1.0,
            window="5m",
            message="m",
            description="",
            timestamp=dt.datetime.now(dt.timezone.utc),
            fired_at=None,
            resolved_at=None,
        )
        try:
            await call_notifier("hangs", lambda n: release.wait(), notification, 0.01, stats, pool)
            await call_notifier("next", lambda n: None, notification, 0.01, stats, pool)
        finally:
            release.set()
        assert (stats["notifier_timeouts"], stats["notifier_dropped"]) == (1, 1)
        assert pool.stats()["dropped"] == 1
        pool.shutdown()


class TestAStoppedPool:
    @pytest.mark.asyncio
    async def test_a_delivery_to_a_stopped_pool_is_a_counted_failure(self) -> None:
        pool = DeliveryPool(max_threads=2)
        assert repr(pool) == "DeliveryPool(max_threads=2)"
        pool.shutdown()
        manager = manager_with(Clock(), pool, timeout=1.0)
        manager.add_notifier(lambda n: None, name="late")
        manager.add({"operation": "op", "metric": "error_count", "threshold": 0})
        fail(manager)
        events = await manager.evaluate()
        assert [e.state for e in events] == ["pending", "firing"]
        stats = manager.stats()
        assert (stats["notifier_failures"], stats["delivery_threads_busy"]) == (1, 0)
