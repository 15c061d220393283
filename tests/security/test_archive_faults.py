"""Attack the metrics archive: a sibling holding its lock, a dropped table, a full disk.

Real SQLite throughout: a second connection holding ``BEGIN EXCLUSIVE`` (or the exclusive
locking mode) stands for a sibling process stuck in a write; ``DROP TABLE`` for a cleanup
script gone wrong; ``PRAGMA max_page_count`` for a full disk (SQLITE_FULL). A query never
waits for the archive longer than its ``query_timeout`` and answers from memory; every fault
is counted; ``checkpoint()`` raises only ``ArchiveError`` (or ``ConfigurationError`` without
an archive).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from rfs_monitoring.errors import ArchiveError, ConfigurationError, RfsMonitoringError
from rfs_monitoring.metrics import MetricsArchive, ResultMetricsCollector

HOUR = 3600
T0 = 1_700_000_000.0 - 1_700_000_000.0 % 86400


class Clock:
    def __init__(self) -> None:
        self.t = T0 + 30.0

    def __call__(self) -> float:
        return self.t


def no_resources() -> tuple[float | None, float | None]:
    return (None, None)


def collector_on(path: Path, clock: Clock, **archive_kwargs: float) -> ResultMetricsCollector:
    archive = MetricsArchive(path, clock=clock, **archive_kwargs)
    return ResultMetricsCollector(
        clock, retention=dt.timedelta(hours=1), archive=archive, resources=no_resources
    )


def age_out_one_hour(collector: ResultMetricsCollector, clock: Clock) -> None:
    """Record, then move on until that hour leaves the in-memory retention (queued)."""
    collector.record("op", success=True, duration_ms=5.0)
    clock.t += 3 * HOUR
    collector.record("op", success=True, duration_ms=7.0)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "archive.sqlite"


@pytest.fixture
def sibling(path: Path) -> Iterator[sqlite3.Connection]:
    """A second real connection to the archive file (the other process)."""
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    try:
        yield conn
    finally:
        conn.close()


def finished_within(fn: object, seconds: float) -> object:
    """Run ``fn()`` in a thread; its result if it returned within ``seconds`` (a hang guard,
    generous: the archive's writer timeout in these tests is 60 s)."""
    box: list[object] = []
    worker = threading.Thread(target=lambda: box.append(fn()), daemon=True)  # type: ignore[operator]
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "the query waited for the locked archive"
    return box[0]


class TestASiblingHoldsTheLock:
    def test_queries_answer_from_memory_and_count_it(
        self, path: Path, sibling: sqlite3.Connection
    ) -> None:
        clock = Clock()
        collector = collector_on(path, clock, timeout=60.0)
        age_out_one_hour(collector, clock)
        sibling.execute("BEGIN EXCLUSIVE")
        try:
            figures = finished_within(lambda: collector.operation_metrics("op", "1h"), 20.0)
        finally:
            sibling.execute("COMMIT")
        assert figures.unwrap().total_requests == 1  # type: ignore[attr-defined]
        stats = collector.stats()
        assert (stats["archive_busy"], stats["archive_pending"]) == (1, 1)
        assert stats["archive_errors"] == 1
        # the lock released, the next query writes what was kept
        collector.operation_metrics("op", "1h")
        assert collector.stats()["archived_buckets"] == 1

    def test_an_unreadable_archive_leaves_the_answer_to_memory(self, path: Path) -> None:
        clock = Clock()
        collector = collector_on(path, clock)
        age_out_one_hour(collector, clock)
        collector.flush_archive()
        assert collector.archive is not None
        collector.archive.close()
        figures = collector.operation_metrics("op", "6h")  # reaches into the archive
        assert figures.unwrap().total_requests == 1  # the hour still in memory
        assert collector.stats()["archive_errors"] == 1
        assert collector.archive.stats()["errors"] == 1

    def test_the_query_wait_is_the_archive_query_timeout(self, path: Path) -> None:
        archive = MetricsArchive(path)
        assert (archive.query_timeout, archive.timeout) == (0.1, 10.0)
        with pytest.raises(ConfigurationError) as info:
            MetricsArchive(path, query_timeout=-1)
        assert str(info.value) == "archive query_timeout must be a number of seconds >= 0, got -1"
        archive.close()

    def test_checkpoint_raises_archive_error_when_locked(
        self, path: Path, sibling: sqlite3.Connection
    ) -> None:
        clock = Clock()
        collector = collector_on(path, clock, timeout=0.05)
        collector.record("op", success=True, duration_ms=5.0)
        sibling.execute("BEGIN EXCLUSIVE")
        try:
            with pytest.raises(ArchiveError) as info:
                collector.checkpoint()
        finally:
            sibling.execute("COMMIT")
        assert info.value.kind == "busy"
        assert str(info.value).startswith(f"metrics archive {path} could not be used (busy): ")
        assert collector.stats()["archive_busy"] == 1


class TestADroppedTable:
    def test_the_table_is_recreated_and_the_rows_written(
        self, path: Path, sibling: sqlite3.Connection
    ) -> None:
        clock = Clock()
        collector = collector_on(path, clock)
        age_out_one_hour(collector, clock)
        sibling.execute("DROP TABLE rfs_metric_hours")
        assert collector.flush_archive() == 1
        archive = collector.archive
        assert archive is not None
        assert archive.stats()["tables_recreated"] == 1
        assert [op for op, _ in archive.load(None, start=0, end=int(clock.t))] == ["op"]

    def test_a_read_of_a_dropped_table_recreates_it(
        self, path: Path, sibling: sqlite3.Connection
    ) -> None:
        archive = MetricsArchive(path)
        sibling.execute("DROP TABLE rfs_metric_hours")
        assert archive.operations() == []
        assert archive.stats() == {"busy": 0, "full": 0, "errors": 0, "tables_recreated": 1}
        archive.close()


def fill_the_disk(archive: MetricsArchive) -> None:
    """SQLITE_FULL as on a full disk: a page limit, then filler rows until nothing fits."""
    conn = archive.connection
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 2}")
    insert = (
        "INSERT INTO rfs_metric_hours VALUES "
        "(?, 'filler', 4000000000, 0, 0, 0, 0, 0, randomblob(?), '', '', '', 0, 0, 0, 0, 0)"
    )
    rows = 0
    errors: list[str] = []
    for size in (2000, 500, 100, 20, 1):
        while rows < 10_000:
            try:
                conn.execute(insert, (f"f{rows}", size))
            except sqlite3.OperationalError as exc:
                errors.append(str(exc))
                break
            rows += 1
    assert errors == ["database or disk is full"] * 5


class TestAFullDisk:
    def test_writes_are_counted_and_kept_for_later(self, path: Path) -> None:
        clock = Clock()
        collector = collector_on(path, clock)
        assert collector.archive is not None
        fill_the_disk(collector.archive)
        age_out_one_hour(collector, clock)
        figures = collector.operation_metrics("op", "1h")
        assert figures.unwrap().total_requests == 1
        stats = collector.stats()
        assert (stats["archive_full"], stats["archive_errors"], stats["archive_pending"]) == (
            1,
            1,
            1,
        )
        assert collector.archive.stats()["full"] == 1

    def test_checkpoint_raises_only_archive_error(self, path: Path) -> None:
        clock = Clock()
        collector = collector_on(path, clock)
        assert collector.archive is not None
        fill_the_disk(collector.archive)
        collector.record("op", success=True, duration_ms=5.0)
        with pytest.raises(ArchiveError) as info:
            collector.checkpoint()
        assert info.value.kind == "full"
        assert "database or disk is full" in str(info.value)
        assert isinstance(info.value, RfsMonitoringError)
        assert collector.stats()["archive_full"] == 1

    def test_checkpoint_on_a_closed_archive_raises_archive_error(self, path: Path) -> None:
        clock = Clock()
        collector = collector_on(path, clock)
        assert collector.archive is not None
        collector.record("op", success=True, duration_ms=5.0)
        collector.archive.close()
        with pytest.raises(ArchiveError) as info:
            collector.checkpoint()
        assert info.value.kind == "error"
        assert collector.stats()["archive_errors"] == 1


class BrokenArchive(MetricsArchive):
    """An archive whose writes fail with something that is no SQLite error."""

    def write(self, *args: object, **kwargs: object) -> int:
        msg = "the encoder broke"
        raise RuntimeError(msg)


class TestCheckpointRaisesOneType:
    def test_any_other_failure_becomes_an_archive_error(self, path: Path) -> None:
        clock = Clock()
        archive = BrokenArchive(path, clock=clock)
        collector = ResultMetricsCollector(clock, archive=archive, resources=no_resources)
        collector.record("op", success=True, duration_ms=5.0)
        with pytest.raises(ArchiveError) as info:
            collector.checkpoint()
        assert info.value.kind == "error"
        assert str(info.value) == (
            f"metrics archive {path} could not be used (error): RuntimeError('the encoder broke')"
        )
        assert isinstance(info.value.__cause__, RuntimeError)
        assert collector.stats()["archive_errors"] == 1
