"""Nothing lost under load: exact counts in the collector, one log line per operation.

Figures (kept moderate so the file runs in a few seconds on two loaded cores):
``THREADS`` x ``RECORDS`` direct records, ``THREADS`` x ``CALLS`` logged calls from threads,
``TASKS`` concurrent asyncio tasks, ``EXIT_LINES`` lines queued at interpreter exit.
The log queue is sized above the burst (``QUEUE``): a full queue drops by design (counted,
see test_reliability_faults.py), so "nothing lost" is asserted with room in the queue.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from rfs_monitoring.errors import APIError
from rfs_monitoring.metrics import ResultMetricsCollector
from rfs_monitoring.result import Failure, Result, Success
from rfs_monitoring.result_logging import configure_logging, log_result_operation, logging_stats

THREADS = 8
RECORDS = 25_000
CALLS = 2_500
TASKS = 10_000
EXIT_LINES = 5_000
QUEUE = 100_000


def run_threads(target: Callable[[int], None], count: int = THREADS) -> None:
    start = threading.Barrier(count)

    def worker(index: int) -> None:
        start.wait()
        target(index)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_threads_recording_directly_give_exact_counts() -> None:
    """THREADS x RECORDS records on 4 operations; every fifth one fails."""
    collector = ResultMetricsCollector()

    def work(index: int) -> None:
        for i in range(RECORDS):
            ok = i % 5 != 0
            collector.record(
                f"load.direct.{i % 4}",
                success=ok,
                duration_ms=float(i % 50),
                error_code=None if ok else "VALIDATION_ERROR",
                error_message=None if ok else f"bad value {i}",
            )

    run_threads(work)
    totals = {t.operation: t for t in collector.totals()}
    assert sum(t.total for t in totals.values()) == THREADS * RECORDS
    assert sum(t.failed for t in totals.values()) == THREADS * RECORDS // 5
    for name in (f"load.direct.{k}" for k in range(4)):
        figures = collector.operation_metrics(name, "1h").unwrap()
        assert figures.total_requests == totals[name].total == THREADS * RECORDS // 4
        assert figures.failed_requests == totals[name].failed
    assert collector.stats()["record_errors"] == 0


def classify(n: int) -> Result[int, APIError]:
    if n % 7 == 0:
        return Failure(APIError.validation_error(f"multiple of seven: {n}", field="n"))
    return Success(n)


def test_threads_through_the_decorator_write_one_line_per_call(
    tmp_path: Path, collector: ResultMetricsCollector, log_lines: Callable[[Path], list[str]]
) -> None:
    path = tmp_path / "threads.log"
    configure_logging(sink=path, stdlib=False, queue_size=QUEUE)
    before = logging_stats()
    monitored = log_result_operation("load.threads")(classify)

    def work(index: int) -> None:
        for i in range(CALLS):
            n = index * CALLS + i
            assert monitored(n) == classify(n)

    run_threads(work)
    lines = log_lines(path)
    calls = THREADS * CALLS
    assert len(lines) == calls
    entries = [json.loads(line) for line in lines]
    assert Counter(e["operation_name"] for e in entries) == {"load.threads": calls}
    failures = sum(1 for n in range(calls) if n % 7 == 0)
    assert sum(e["result_type"] == "error" for e in entries) == failures
    assert logging_stats()["dropped"] == before["dropped"]
    totals = {t.operation: t for t in collector.totals()}["load.threads"]
    assert (totals.total, totals.failed) == (calls, failures)


@pytest.mark.asyncio
async def test_ten_thousand_concurrent_tasks(
    tmp_path: Path, collector: ResultMetricsCollector, log_lines: Callable[[Path], list[str]]
) -> None:
    path = tmp_path / "tasks.log"
    configure_logging(sink=path, stdlib=False, queue_size=QUEUE)

    @log_result_operation("load.tasks")
    async def handle(n: int) -> Result[int, APIError]:
        await asyncio.sleep(0)  # every task is suspended while the others run
        return classify(n)

    results = await asyncio.gather(*(handle(n) for n in range(TASKS)))
    assert results == [classify(n) for n in range(TASKS)]
    lines = log_lines(path)
    assert len(lines) == TASKS
    entries = [json.loads(line) for line in lines]
    assert len({e["correlation_id"] for e in entries}) == TASKS  # no context bleeds
    totals = {t.operation: t for t in collector.totals()}["load.tasks"]
    failures = sum(1 for n in range(TASKS) if n % 7 == 0)
    assert (totals.total, totals.failed) == (TASKS, failures)
    figures = (await collector.get_operation_metrics("load.tasks", "5m")).unwrap()
    assert figures.total_requests == TASKS


def test_lines_queued_at_interpreter_exit_are_written(tmp_path: Path) -> None:
    """The process exits normally with lines still queued; they all reach the file."""
    path = tmp_path / "exit.log"
    script = textwrap.dedent(
        f"""
        import atexit, threading
        from rfs_monitoring.result import Success
        from rfs_monitoring.result_logging import (
            configure_logging, log_result_operation, logging_stats,
        )

        gate = threading.Event()

        class GatedFile:
            # writes wait for the interpreter's exit: every line is still queued then
            mode = "ab"
            def __init__(self, path):
                self.fh = open(path, "ab")
            def write(self, data):
                gate.wait(30)
                return self.fh.write(data)
            def flush(self):
                self.fh.flush()

        configure_logging(sink=GatedFile({str(path)!r}), stdlib=False, queue_size={QUEUE})
        atexit.register(gate.set)  # runs before the pipeline's own exit handler (LIFO)
        op = log_result_operation("load.exit")(lambda n: Success(n))
        for n in range({EXIT_LINES}):
            op(n)
        print(logging_stats()["queued"])
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    # at most one batch (512) was taken by the writer before it waited at the gate
    assert int(done.stdout.strip()) >= EXIT_LINES - 512
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == EXIT_LINES
    assert {json.loads(line)["operation_name"] for line in lines} == {"load.exit"}
