"""Attack the metrics archive: a sibling holding its lock, a dropped table, a full disk.

Real SQLite throughout: a second connection holding ``BEGIN EXCLUSIVE`` (or the exclusive
locking mode) stands for a sibling process stuck in a write; ``DROP TABLE`` for a cleanup
script gone wrong; ``PRAGMA max_page_count`` for a full disk (SQLITE_FULL). A query never
waits for the archive longer than its ``query_timeout`` and answers from memory; every fault
is counted; ``checkpoint()`` raises only ``ArchiveError`` (or ``ConfigurationError`` without
an archive).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sqlite3
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rfs_monitoring.errors import ArchiveError, ConfigurationError, RfsMonitoringError
from rfs_monitoring.metrics import MetricBucket, MetricsArchive, ResultMetricsCollector
from rfs_monitoring.metrics import archive as archive_module

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


@contextlib.contextmanager
def holding_the_lock(sibling: sqlite3.Connection) -> Iterator[None]:
    """The sibling process stuck in a write: its exclusive lock held for the block."""
    sibling.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        sibling.execute("COMMIT")


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
        with holding_the_lock(sibling):
            figures = finished_within(lambda: collector.operation_metrics("op", "1h"), 20.0)
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
        with holding_the_lock(sibling), pytest.raises(ArchiveError) as info:
            collector.checkpoint()
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
        assert archive.stats() == {
            "busy": 0,
            "full": 0,
            "errors": 0,
            "tables_recreated": 1,
            "rows_skipped": 0,
        }
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


def _sketch_blob(offset: int, zeros: int, *counts: int) -> bytes:
    """A LatencySketch encoding (version 1) with these fields, valid or not."""
    return struct.pack(f"<qqq{len(counts)}q", 1, offset, zeros, *counts)


DEEP = "[" * 100_000  # deeper than the JSON decoder's recursion limit

CORRUPTIONS = [
    # (column, value written over it, what the warning says about it)
    ("sketch", b"\x00", "column sketch: not a LatencySketch encoding: 1 bytes"),
    (
        "sketch",
        _sketch_blob(100, 0, 3, -1),
        "column sketch: not a LatencySketch encoding: a negative",
    ),
    (
        "sketch",
        _sketch_blob(100, 2**60, 1),
        "column sketch: not a LatencySketch encoding: a count above",
    ),
    ("sketch", "text", "column sketch: expected a BLOB, got str"),
    ("count", -3, "column count: expected a whole number >= 0, got -3"),
    ("count", "many", "column count: expected a whole number >= 0, got 'many'"),
    ("failed", 2.5, "column failed: expected a whole number >= 0, got 2.5"),
    ("total_ms", float("inf"), "column total_ms: expected a finite number >= 0, got inf"),
    ("max_ms", "NaN", "column max_ms: expected a finite number >= 0, got 'NaN'"),
    ("codes", "not json", "column codes: Expecting value"),
    ("codes", "[1, 2]", "column codes: expected a JSON object, got list"),
    ("codes", b"{}", "column codes: expected JSON text, got bytes"),
    ("codes", 7, "column codes: expected a JSON object, got int"),  # stored as text "7"
    ("types", '{"APIError": -1}', "column types: expected a whole number >= 0, got -1"),
    ("groups", '{"m": 5}', "column groups: error group 'm': expected [count, last seen, code]"),
    ("groups", '{"m": [1, "x", "E"]}', "column groups: expected a finite number >= 0, got 'x'"),
    ("groups", DEEP, "column groups: maximum recursion depth exceeded"),
    ("cpu_n", b"\x01", "column cpu_n: expected a whole number >= 0, got b'\\x01'"),
    (
        "mem_n",
        "x" * 500,
        "column mem_n: expected a whole number >= 0, got '" + "x" * 79 + "…[truncated 422 chars]",
    ),
    ("mem_n", "9" * 500, "column mem_n: cannot convert float infinity"),  # read back as REAL
]


class TestACorruptRow:
    """A row the archive cannot decode (a damaged file, a hand-edited row) is left out of
    the answer, counted and logged once; the rest of the archive still answers."""

    @pytest.fixture
    def archived(self, path: Path) -> tuple[ResultMetricsCollector, Clock]:
        """Two archived hours of "op" (2 and 3 calls, one failing) and one call in memory."""
        clock = Clock()
        collector = collector_on(path, clock)
        for _ in range(2):
            collector.record("op", success=True, duration_ms=5.0)
        clock.t += HOUR
        collector.record("op", success=False, duration_ms=9.0, error_message="boom 1")
        for _ in range(2):
            collector.record("op", success=True, duration_ms=7.0)
        clock.t += 4 * HOUR
        collector.record("op", success=True, duration_ms=1.0)
        assert collector.flush_archive() == 2  # the two hours left memory
        return collector, clock

    @pytest.mark.parametrize(
        ("column", "value", "reason"),
        CORRUPTIONS,
        ids=[f"{column}-{i}" for i, (column, _, _) in enumerate(CORRUPTIONS)],
    )
    def test_the_query_answers_from_the_other_rows(
        self,
        archived: tuple[ResultMetricsCollector, Clock],
        sibling: sqlite3.Connection,
        caplog: pytest.LogCaptureFixture,
        column: str,
        value: object,
        reason: str,
    ) -> None:
        collector, _ = archived
        second_hour = int(T0) + HOUR
        sibling.execute(
            f"UPDATE rfs_metric_hours SET {column} = ? WHERE hour_start = ?",
            (value, second_hour),
        )
        with caplog.at_level(logging.WARNING, logger="rfs_monitoring.archive"):
            figures = collector.operation_metrics("op", "1d").unwrap()
            errors = collector.ranked_errors(10, "1d").unwrap()
            board = collector.dashboard("1d").unwrap()
        # the first hour (2 calls) and the call in memory; the damaged hour is left out
        assert (figures.total_requests, figures.failed_requests) == (3, 0)
        assert errors == []
        assert board.overall.total_requests == 3
        stats = collector.stats()
        assert (stats["archive_rows_skipped"], stats["archive_errors"]) == (3, 0)
        archive = collector.archive
        assert archive is not None
        assert archive.stats()["rows_skipped"] == 3
        [warning] = [r for r in caplog.records if r.name == "rfs_monitoring.archive"]
        assert warning.levelno == logging.WARNING
        message = warning.getMessage()
        assert message.startswith(
            f"metrics archive {archive.path}: row ('op', {archive.source!r}, {second_hour}) "
            "skipped, "
            "it cannot be decoded: "
        ), message
        assert reason in message, message
        rows = archive.load(["op"], start=0, end=int(T0) + 10 * HOUR)
        assert [(name, bucket.start, bucket.count) for name, bucket in rows] == [("op", int(T0), 2)]
        assert archive.stats()["rows_skipped"] == 4

    def test_a_row_whose_operation_is_no_text_is_left_out(
        self, archived: tuple[ResultMetricsCollector, Clock], sibling: sqlite3.Connection
    ) -> None:
        collector, _ = archived
        sibling.execute(
            "UPDATE rfs_metric_hours SET operation = CAST('op' AS BLOB) WHERE hour_start = ?",
            (int(T0) + HOUR,),
        )
        # read for all operations: the blob's row would be an operation named b"op"
        assert collector.ranked_errors(10, "1d").unwrap() == []
        archive = collector.archive
        assert archive is not None
        rows = archive.load(None, start=0, end=int(T0) + 10 * HOUR)
        assert [(name, bucket.count) for name, bucket in rows] == [("op", 2)]
        assert archive.stats()["rows_skipped"] == 2

    def test_an_intact_archive_skips_nothing(
        self, archived: tuple[ResultMetricsCollector, Clock]
    ) -> None:
        collector, _ = archived
        figures = collector.operation_metrics("op", "1d").unwrap()
        assert (figures.total_requests, figures.failed_requests) == (6, 1)
        assert collector.stats()["archive_rows_skipped"] == 0

    def test_each_row_is_warned_about_once_and_then_only_counted(
        self,
        path: Path,
        sibling: sqlite3.Connection,
        caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        clock = Clock()
        collector = collector_on(path, clock)
        for hour in range(3):  # one hour each: the rows are read in this order
            collector.record(f"op-{hour}", success=True, duration_ms=5.0)
            clock.t += HOUR
        collector.checkpoint()
        sibling.execute("UPDATE rfs_metric_hours SET sketch = x'00'")
        monkeypatch.setattr(archive_module, "_WARNED_ROWS", 2)
        archive = collector.archive
        assert archive is not None
        with caplog.at_level(logging.WARNING, logger="rfs_monitoring.archive"):
            for _ in range(2):
                assert archive.load(None, start=0, end=int(clock.t) + HOUR) == []
        warned = [r.getMessage() for r in caplog.records if r.name == "rfs_monitoring.archive"]
        assert len(warned) == 2  # the first two rows, once each; the third only counted
        assert [w.split(", ")[0] for w in warned] == [
            f"metrics archive {archive.path}: row ('op-0'",
            f"metrics archive {archive.path}: row ('op-1'",
        ]
        assert archive.stats()["rows_skipped"] == 6


class TestTheCountersAnswerAtOnce:
    def test_stats_do_not_wait_for_a_write_waiting_on_a_lock(
        self, path: Path, sibling: sqlite3.Connection
    ) -> None:
        clock = Clock()
        collector = collector_on(path, clock, timeout=3.0)
        archive = collector.archive
        assert archive is not None
        bucket = MetricBucket(int(T0))
        bucket.count = 1
        writer = threading.Thread(
            target=archive.write, args=([("op", bucket)],), kwargs={"now": T0}, daemon=True
        )
        with holding_the_lock(sibling):
            writer.start()
            time.sleep(0.2)  # the write holds the connection, waiting for the lock
            assert writer.is_alive()
            stats = finished_within(archive.stats, 1.0)
            assert stats == {
                "busy": 0,
                "full": 0,
                "errors": 0,
                "tables_recreated": 0,
                "rows_skipped": 0,
            }
            assert finished_within(collector.stats, 1.0)["archive_rows_skipped"] == 0  # type: ignore[index]
        writer.join(10)
        assert not writer.is_alive()
        assert archive.stats()["busy"] == 0  # the write went through once the lock was free
