"""The collector under threads and tasks: exact counts."""

from __future__ import annotations

import asyncio
import random
import threading

import pytest

from rfs_monitoring.metrics import (
    ResultMetricsCollector,
)


class TestConcurrency:
    def test_exact_counts_from_four_threads(self) -> None:
        c = ResultMetricsCollector(resources=lambda: (None, None))
        per_thread = 250_000
        barrier = threading.Barrier(4)

        def work(index: int) -> None:
            record = c.record
            barrier.wait()
            for i in range(per_thread):
                record(f"op{index % 2}", success=i % 4 != 0, duration_ms=1.5)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        total = c.overall("1h").to_result()
        m = asyncio.run(total).unwrap()
        assert m.total_requests == 4 * per_thread
        assert m.failed_requests == per_thread
        assert [t.total for t in c.totals()] == [2 * per_thread, 2 * per_thread]

    def test_queries_while_threads_record(self) -> None:
        c = ResultMetricsCollector(resources=lambda: (None, None))
        done = threading.Event()
        problems: list[BaseException] = []

        def recorder(index: int) -> None:
            for i in range(40_000):
                c.record(
                    "op",
                    success=i % 3 != 0,
                    duration_ms=float(i % 97),
                    error_code=f"E{i % 5}",
                    error_message=f"failure {index} kind {i % 7} id {i}",
                )

        def querier() -> None:
            while not done.is_set():
                try:
                    c.operation_metrics("op", "1m")
                    asyncio.run(c.top_errors(5, "1m").to_result())
                    c.totals()
                    c.stats()
                except BaseException as exc:
                    problems.append(exc)
                    return

        threads = [threading.Thread(target=recorder, args=(i,)) for i in range(2)]
        reader = threading.Thread(target=querier)
        reader.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        done.set()
        reader.join()
        assert problems == []
        m = c.operation_metrics("op", "1h").unwrap()
        assert (m.total_requests, m.failed_requests) == (80_000, 2 * 13_334)

    @pytest.mark.asyncio
    async def test_exact_counts_from_ten_thousand_tasks(self) -> None:
        c = ResultMetricsCollector(resources=lambda: (None, None))
        rng = random.Random(3)

        async def task(i: int) -> None:
            await asyncio.sleep(rng.random() / 1000)
            c.record("async_op", success=i % 10 != 0, duration_ms=float(i % 50), error_code="X")
            await asyncio.sleep(0)

        await asyncio.gather(*(task(i) for i in range(10_000)))
        m = (await c.get_operation_metrics("async_op", "5m")).unwrap()
        assert (m.total_requests, m.failed_requests) == (10_000, 1_000)
        assert m.error_breakdown == {"X": 1_000}
