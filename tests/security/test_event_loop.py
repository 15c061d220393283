"""Attack: make the monitoring queries slow and see whether the host's event loop stalls.

A collector whose every bucket read is slow (an injected delay standing in for a million
samples) serves the monitoring router. A heartbeat task on the app's event loop notes its
largest gap while the monitoring endpoints are requested: the loop stays responsive when the
gap is a small fraction of the query's time (the work ran in a worker thread). Also: N
concurrent requests for one answer cost one computation (single flight), and the spellings
of one window share one cache entry.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from rfs_monitoring.alerts import AlertManager
from rfs_monitoring.dashboard import monitoring_router
from rfs_monitoring.dashboard.cache import SnapshotCache
from rfs_monitoring.dashboard.queries import canonical_time_range, check_time_range
from rfs_monitoring.metrics import MetricBucket, ResultMetricsCollector
from rfs_monitoring.metrics.query import Snapshot
from rfs_monitoring.result import Result, Success

SLOW = 0.5
"""Seconds every bucket read of the slow collector takes."""
T0 = 1_700_000_000.0


def no_resources() -> tuple[float | None, float | None]:
    return (None, None)


class SlowCollector(ResultMetricsCollector):
    """A collector whose bucket reads block (as a big one's merges would), and counts them.

    ``gate``, when set, makes every read wait for it (to hold computations in flight).
    """

    def __init__(self, delay: float = 0.0) -> None:
        self.now = T0
        super().__init__(lambda: self.now, resources=no_resources)
        self.delay = delay
        self.reads = 0
        self.gate: threading.Event | None = None
        self.reading = threading.Event()

    def _slow(self) -> None:
        self.reads += 1
        self.reading.set()
        if self.gate is not None:
            assert self.gate.wait(30)
        time.sleep(self.delay)  # blocks whichever thread runs the query

    def snapshot(self, operations: Iterable[str] | None, start: float, end: float) -> Snapshot:
        self._slow()
        return super().snapshot(operations, start, end)

    def tier_buckets(
        self, size: int, start: int, now: float, operation: str | None = None
    ) -> list[MetricBucket]:
        self._slow()
        return super().tier_buckets(size, start, now, operation)


def fill(collector: SlowCollector) -> None:
    for k in range(3):
        collector.record(f"op-{k}", success=True, duration_ms=12.0)
        collector.record(
            f"op-{k}", success=False, duration_ms=30.0, error_code="NOT_FOUND", error_message="x"
        )


def app_of(collector: ResultMetricsCollector, **kwargs: Any) -> FastAPI:
    manager = AlertManager(collector, log_notifications=False, discover_plugins=False)
    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, bool]:
        return {"ok": True}

    kwargs.setdefault("cache_seconds", 0)
    app.include_router(monitoring_router(collector, manager, start_alerts=False, **kwargs))
    return app


async def until(condition: Callable[[], bool]) -> None:
    """Wait (on the loop) until ``condition()`` holds; fail after about 30 s."""
    for _ in range(30_000):
        if condition():
            return
        await asyncio.sleep(0.001)
    msg = "the condition never held"
    raise AssertionError(msg)


class Heartbeat:
    """A task on the running loop that notes the largest gap between its beats."""

    def __init__(self, every: float = 0.005) -> None:
        self.every = every
        self.max_gap = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _beat(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(self.every)
            now = time.perf_counter()
            self.max_gap = max(self.max_gap, now - last)
            last = now

    async def __aenter__(self) -> Heartbeat:
        self._task = asyncio.get_running_loop().create_task(self._beat())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


ENDPOINTS = [
    "/monitoring/operations?time_range=1h",
    "/monitoring/operations/op-1/metrics?time_range=3517.25",
    "/monitoring/errors/top?limit=5&time_range=15m",
    "/monitoring/health/result-patterns",
    "/monitoring/timeseries?operation=*",
    "/monitoring/dashboard?refresh=0&time_range=1h",
]


class TestTheLoopStaysResponsive:
    @pytest.mark.asyncio
    @pytest.mark.parametrize("path", ENDPOINTS)
    async def test_a_slow_query_does_not_stall_the_loop(self, path: str) -> None:
        collector = SlowCollector()
        fill(collector)
        transport = httpx.ASGITransport(app=app_of(collector))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await client.get(path)  # warm up: first-call costs are no query's
            collector.delay, collector.reads = SLOW, 0
            async with Heartbeat() as heart:
                response = await client.get(path)
        assert response.status_code in (200, 401, 403), response.text
        assert collector.reads >= 1  # the slow path was taken...
        assert heart.max_gap < SLOW / 2  # ...yet the loop kept beating

    @pytest.mark.asyncio
    async def test_alert_evaluation_reads_off_the_loop(self) -> None:
        collector = SlowCollector(delay=SLOW)
        fill(collector)
        manager = AlertManager(
            collector, clock=lambda: collector.now, log_notifications=False, discover_plugins=False
        )
        manager.add({"operation": "op-1", "metric": "error_count", "threshold": 0})
        async with Heartbeat() as heart:
            events = await manager.evaluate()
        assert [e.state for e in events] == ["pending", "firing"]
        assert heart.max_gap < SLOW / 2


class TestALoopsShareOfAPoll:
    """What a poll costs the event loop itself (bench_event_loop): the route found without
    scanning the others, the page sent as the bytes the worker thread made."""

    POLLED = (
        "/monitoring/dashboard",
        "/monitoring/dashboard/data",
        "/monitoring/health/result-patterns",
        "/monitoring/metrics",
    )

    def test_the_polled_routes_come_first(self) -> None:
        router = monitoring_router(SlowCollector(), start_alerts=False)
        paths = [getattr(route, "path", "") for route in router.routes]
        first = paths[: len(self.POLLED)]
        assert sorted(first) == sorted(self.POLLED), paths
        changes = [
            i
            for i, route in enumerate(router.routes)
            if set(getattr(route, "methods", None) or ()) & {"POST", "PUT", "DELETE"}
        ]
        assert changes, paths
        assert min(changes) > paths.index("/monitoring/errors/top")

    @pytest.mark.asyncio
    async def test_the_page_is_encoded_once_off_the_loop(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from fastapi.responses import HTMLResponse

        from rfs_monitoring.dashboard import page_endpoints

        bodies: list[object] = []

        class Recorded(HTMLResponse):
            def render(self, content: object) -> bytes:
                bodies.append(content)
                return super().render(content)

        monkeypatch.setattr(page_endpoints, "HTMLResponse", Recorded)
        collector = SlowCollector()
        fill(collector)
        transport = httpx.ASGITransport(app=app_of(collector, cache_seconds=60))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            pages = [await client.get("/monitoring/dashboard") for _ in range(2)]
        assert [p.status_code for p in pages] == [200, 200]
        assert pages[0].text == pages[1].text
        assert "<html" in pages[0].text
        # both answers handed the response the cached bytes: nothing encoded per request
        assert [type(b) for b in bodies] == [bytes, bytes]
        assert bodies[0] is bodies[1]


class TestSingleFlight:
    @pytest.mark.asyncio
    async def test_concurrent_requests_for_one_key_cost_one_computation(self) -> None:
        cache = SnapshotCache(0)
        release = threading.Event()
        calls: list[int] = []

        def compute() -> Result[Any, Any]:
            calls.append(1)
            assert release.wait(30)
            return Success(len(calls))

        requests = [asyncio.ensure_future(cache.get(("k",), compute)) for _ in range(20)]
        await until(lambda: cache.stats()["joined"] == 19)
        release.set()
        answers = await asyncio.gather(*requests)
        assert answers == [Success(1)] * 20
        assert calls == [1]
        assert cache.stats() == {
            "computations": 1,
            "hits": 0,
            "joined": 19,
            "errors": 0,
            "entries": 0,  # cache_seconds 0: not kept once answered
            "in_flight": 0,
        }

    @pytest.mark.asyncio
    async def test_an_error_reaches_every_waiter_and_is_not_kept(self) -> None:
        cache = SnapshotCache(60)
        release = threading.Event()

        def compute() -> Result[Any, Any]:
            assert release.wait(30)
            msg = "the collector broke"
            raise RuntimeError(msg)

        requests = [asyncio.ensure_future(cache.get(("k",), compute)) for _ in range(3)]
        await until(lambda: cache.stats()["joined"] == 2)
        release.set()
        outcomes = await asyncio.gather(*requests, return_exceptions=True)
        assert [str(o) for o in outcomes] == ["the collector broke"] * 3
        assert cache.stats()["errors"] == 1
        assert len(cache) == 0

    @pytest.mark.asyncio
    async def test_async_computations_are_shared_too(self) -> None:
        cache = SnapshotCache(0)
        release = asyncio.Event()
        calls: list[int] = []

        async def compute() -> Result[Any, Any]:
            calls.append(1)
            await release.wait()
            return Success("done")

        requests = [asyncio.ensure_future(cache.get(("k",), compute)) for _ in range(5)]
        await until(lambda: cache.stats()["joined"] == 4)
        release.set()
        assert await asyncio.gather(*requests) == [Success("done")] * 5
        assert calls == [1]

    @pytest.mark.asyncio
    async def test_the_router_computes_once_for_concurrent_requests(self) -> None:
        collector = SlowCollector()
        fill(collector)
        collector.gate = threading.Event()
        transport = httpx.ASGITransport(app=app_of(collector))
        path = "/monitoring/operations/op-1/metrics?time_range=1h"
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            requests = [asyncio.ensure_future(client.get(path)) for _ in range(10)]
            await until(collector.reading.is_set)
            for _ in range(200):  # let every request reach the cache
                await asyncio.sleep(0)
            collector.gate.set()
            responses = await asyncio.gather(*requests)
        assert {r.status_code for r in responses} == {200}
        assert len({r.text for r in responses}) == 1
        assert collector.reads == 1


class TestCanonicalKeys:
    @pytest.mark.parametrize(
        ("value", "canonical"),
        [
            ("1h", "1h"),
            (" 1h ", "1h"),
            (3600, "1h"),
            (3600.0, "1h"),
            (900, "15m"),
            (3517.25, 3517.25),
            (90, 90.0),
        ],
    )
    def test_one_spelling_per_window(self, value: object, canonical: object) -> None:
        assert canonical_time_range(value) == Success(canonical)

    def test_query_text_is_canonicalised(self) -> None:
        assert [check_time_range(raw).unwrap() for raw in ("3600", "3600.0", "1h")] == ["1h"] * 3
        for bad in ("soon", "nan", "inf"):
            assert check_time_range(bad).unwrap_error().details["field"] == "time_range"

    @pytest.mark.asyncio
    async def test_the_spellings_of_one_window_share_one_entry(self) -> None:
        collector = SlowCollector()
        fill(collector)
        transport = httpx.ASGITransport(app=app_of(collector, cache_seconds=3600))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            bodies = [
                (await client.get(f"/monitoring/operations/op-1/metrics?time_range={w}")).json()
                for w in ("1h", "3600", "3600.0", "%201h")
            ]
            assert collector.reads == 1
            assert {b["time_window"] for b in bodies} == {"1h"}
            # a numeric window is one key too, however long it is asked for
            for _ in range(3):
                collector.now += 1.0
                await client.get("/monitoring/errors/top?time_range=3517.25")
        assert collector.reads == 2


class TestOneReadServesTheDashboard:
    def test_the_dashboard_read_equals_the_separate_queries(self) -> None:
        from rfs_monitoring.metrics import query

        collector = SlowCollector()
        for step in range(400):
            collector.now = T0 + step * 9.5
            for k in range(3):
                ok = (step + k) % 7 != 0
                collector.record(
                    f"op-{k}",
                    success=ok,
                    duration_ms=5.0 + step % 13 + k,
                    error_code=None if ok else f"E{k}",
                    error_message=None if ok else f"failure {step % 3}",
                )
        names = [*collector.operation_names(), "never-seen"]
        for window in ("1m", "15m", "1h", 2000.5):
            read = query.dashboard(collector, names, window).unwrap()
            assert read.operations == [
                collector.operation_metrics(n, window).unwrap() for n in names[:-1]
            ]
            assert read.overall == query.overall(collector, window).unwrap()
            assert read.errors == query.top_errors(collector, 100, window, None).unwrap()
        assert query.dashboard(collector, names, "soon").is_failure()


class TestTheAsyncFormsRunInAThread:
    @pytest.mark.asyncio
    async def test_check_health_and_build_view_keep_the_loop_free(self) -> None:
        from rfs_monitoring.dashboard import HealthThresholds, build_view
        from rfs_monitoring.dashboard.health import check_health

        collector = SlowCollector()
        fill(collector)
        manager = AlertManager(collector, log_notifications=False, discover_plugins=False)
        await check_health(collector, manager, HealthThresholds())  # warm up
        collector.delay = SLOW
        async with Heartbeat() as heart:
            health = await check_health(collector, manager, HealthThresholds())
            view = await build_view(collector, manager, HealthThresholds())
        assert health.total_requests == 6
        assert [row.name for row in view.operations] == ["op-0", "op-1", "op-2"]
        assert heart.max_gap < SLOW / 2

    def test_chart_steps_merged_in_chunks_equal_one_merge(self) -> None:
        from rfs_monitoring.metrics import LatencySketch

        collector = SlowCollector()
        durations = [1.0 + (k * 37 % 400) for k in range(300)]
        for k, duration in enumerate(durations):  # 300 operations in one second
            collector.record(f"op-{k}", success=True, duration_ms=duration)
        collector.now += 1.0
        points = collector.series(None, "5m", points=30)
        last = [p for p in points if p.requests][-1]
        expected = LatencySketch()
        expected.add_many(durations)
        p50, p90, p99 = expected.quantiles((0.5, 0.9, 0.99))
        assert (last.requests, last.p50_ms, last.p90_ms, last.p99_ms) == (300, p50, p90, p99)
