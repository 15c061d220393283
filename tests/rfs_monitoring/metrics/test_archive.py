"""MetricsArchive: hours past retention, restarts, several processes, deletion."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rfs_monitoring import ConfigurationError, ResultMetricsCollector
from rfs_monitoring.archive import SCHEMA_VERSION, MetricsArchive
from rfs_monitoring.metrics import MetricBucket
from rfs_monitoring.metrics.archive import enable_wal
from rfs_monitoring.metrics.bucket import BUCKET_FIELDS

T0 = 1_700_000_000.0 - 1_700_000_000.0 % 86400
HOUR = 3600


class FakeClock:
    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def no_resources() -> tuple[float | None, float | None]:
    return (None, None)


def make(
    path: Path, clock: FakeClock, *, retention: dt.timedelta = dt.timedelta(hours=2), **kw: object
) -> ResultMetricsCollector:
    archive = MetricsArchive(path, clock=clock, **kw)  # type: ignore[arg-type]
    return ResultMetricsCollector(
        clock, retention=retention, archive=archive, resources=no_resources
    )


def count(c: ResultMetricsCollector, name: str, time_range: object) -> int:
    return c.operation_metrics(name, time_range).unwrap().total_requests  # type: ignore[arg-type]


class TestRoundTrip:
    def test_a_bucket_survives_the_archive_unchanged(self, tmp_path: Path) -> None:
        bucket = MetricBucket(int(T0))
        bucket.count, bucket.failed, bucket.timed = 7, 2, 6
        bucket.total_ms, bucket.max_ms = 123.5, 40.0
        bucket.sketch.add_many([1.0, 2.0, 40.0])
        bucket.codes = {"NOT_FOUND": 2}
        bucket.types = {"APIError": 2}
        bucket.groups = {"user <n> not found": [2, T0 + 5, "NOT_FOUND"]}
        bucket.mem_sum, bucket.mem_n, bucket.cpu_sum, bucket.cpu_n = 300.0, 3, 12.0, 2
        with MetricsArchive(tmp_path / "a.db", source="me") as archive:
            assert archive.write([("op", bucket)], now=T0) == 1
            [(name, back)] = archive.load(["op"], start=int(T0), end=int(T0) + HOUR)
            assert archive.operations() == ["op"]
            assert archive.sources() == ["me"]
            assert archive.load([], start=0, end=int(T0) * 2) == []
            assert repr(archive) == f"MetricsArchive({str(tmp_path / 'a.db')!r}, source='me')"
        assert name == "op"
        for field in MetricBucket.__slots__:
            assert getattr(back, field) == getattr(bucket, field), field

    def test_the_file_uses_wal_and_records_its_schema_version(self, tmp_path: Path) -> None:
        MetricsArchive(tmp_path / "a.db").close()
        conn = sqlite3.connect(tmp_path / "a.db")
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        conn.close()


class TestSchema:
    def test_the_columns_follow_the_bucket_fields(self, tmp_path: Path) -> None:
        with MetricsArchive(tmp_path / "a.db") as archive:
            rows = archive.connection.execute("PRAGMA table_info(rfs_metric_hours)").fetchall()
        assert [(r[1], r[2]) for r in rows] == [
            ("operation", "TEXT"),
            ("source", "TEXT"),
            ("hour_start", "INTEGER"),
            ("count", "INTEGER"),
            ("failed", "INTEGER"),
            ("timed", "INTEGER"),
            ("total_ms", "REAL"),
            ("max_ms", "REAL"),
            ("sketch", "BLOB"),
            ("codes", "TEXT"),
            ("types", "TEXT"),
            ("groups", "TEXT"),
            ("mem_sum", "REAL"),
            ("mem_n", "INTEGER"),
            ("cpu_sum", "REAL"),
            ("cpu_n", "INTEGER"),
            ("written_at", "REAL"),
        ]
        assert len(rows) == len(BUCKET_FIELDS) + 3


class TestRetentionPath:
    def test_hours_leaving_memory_are_archived_and_read_back(self, tmp_path: Path) -> None:
        clock = FakeClock()
        c = make(tmp_path / "a.db", clock)
        for _ in range(3):
            c.record("op", success=True, duration_ms=5.0)
        clock.t += 5 * HOUR
        c.record("op", success=False, duration_ms=9.0, error_message="late 1")
        assert c.stats()["archive_pending"] == 1  # evicted, not written on the hot path
        assert count(c, "op", "1h") == 1
        stats = c.stats()
        assert (stats["archive_pending"], stats["archived_buckets"]) == (0, 1)
        m = c.operation_metrics("op", "1d").unwrap()
        assert (m.total_requests, m.failed_requests) == (4, 1)
        assert m.max_response_time_ms == 9.0
        assert m.window_start <= dt.datetime.fromtimestamp(T0, dt.timezone.utc)
        assert count(c, "op", "30d") == 4

    def test_windows_beyond_the_archive_retention_are_refused(self, tmp_path: Path) -> None:
        c = make(tmp_path / "a.db", FakeClock())
        error = c.operation_metrics("op", 100 * 86400).unwrap_error()
        assert error.message == (
            "time_range 8640000 is not accepted; it is longer than the archive retention (90 days)"
        )

    def test_rows_older_than_the_archive_retention_are_deleted(self, tmp_path: Path) -> None:
        clock = FakeClock()
        c = make(tmp_path / "a.db", clock, retention=dt.timedelta(hours=1))
        archive = c.archive
        assert archive is not None
        c.record("op", success=True, duration_ms=1.0)
        c.checkpoint()
        assert archive.operations() == ["op"]
        clock.t += 91 * 86400
        assert archive.purge() == 1
        assert archive.operations() == []
        c.record("op", success=True, duration_ms=1.0)
        c.checkpoint()
        clock.t += 91 * 86400
        c.record("op", success=True, duration_ms=1.0)  # the write purges too
        c.checkpoint()
        assert [b.start for _, b in archive.load(None, start=0, end=int(clock.t) + 1)] == [
            int(clock.t) - int(clock.t) % HOUR
        ]

    def test_a_failing_archive_is_counted_and_retried(self, tmp_path: Path) -> None:
        clock = FakeClock()
        c = make(tmp_path / "a.db", clock)
        archive = c.archive
        assert archive is not None
        c.record("op", success=True, duration_ms=1.0)
        clock.t += 5 * HOUR
        c.record("op", success=True, duration_ms=1.0)
        archive.close()
        assert c.flush_archive() == 0
        stats = c.stats()
        assert (stats["archive_errors"], stats["archive_pending"]) == (1, 1)
        c.archive = MetricsArchive(tmp_path / "a.db", clock=clock)
        assert c.flush_archive() == 1
        assert c.flush_archive() == 0

    def test_checkpoint_needs_an_archive(self) -> None:
        with pytest.raises(ConfigurationError) as info:
            ResultMetricsCollector(resources=no_resources).checkpoint()
        assert str(info.value) == (
            "checkpoint() needs an archive: ResultMetricsCollector(archive=MetricsArchive(path))"
        )


class TestRestart:
    def test_a_restarted_process_reads_what_its_predecessor_checkpointed(
        self, tmp_path: Path
    ) -> None:
        clock = FakeClock(T0 + 10 * HOUR + 600)
        first = make(tmp_path / "a.db", clock)
        for i in range(5):
            first.record("op", success=i != 0, duration_ms=10.0, error_message="e 1")
        assert first.checkpoint() == 1
        assert count(first, "op", "1d") == 5  # its own rows are not counted twice
        assert first.archive is not None
        first.archive.close()

        clock.t += 30 * 60
        second = make(tmp_path / "a.db", clock)
        assert second.operation_names() == []
        m = second.operation_metrics("op", "1d").unwrap()
        assert (m.total_requests, m.failed_requests, m.top_errors) == (5, 1, [("e <n>", 1)])
        second.record("op", success=True, duration_ms=1.0)
        assert count(second, "op", "1d") == 6
        assert second.operation_metrics("never", "1d").is_failure()

    @pytest.mark.asyncio
    async def test_top_errors_and_overall_read_the_archive(self, tmp_path: Path) -> None:
        clock = FakeClock()
        first = make(tmp_path / "a.db", clock)
        first.record("a", success=False, duration_ms=1.0, error_message="x 1")
        first.checkpoint()
        second = make(tmp_path / "a.db", clock)
        second.record("b", success=False, duration_ms=1.0, error_message="x 2")
        overall = (await second.overall("1h")).unwrap()
        assert overall.total_requests == 2
        [summary] = (await second.top_errors(time_range="1h")).unwrap()
        assert (summary.message, summary.count, summary.operations) == ("x <n>", 2, ["a", "b"])


WORKER = textwrap.dedent(
    """
    import sys
    from rfs_monitoring import MetricsArchive, ResultMetricsCollector

    path, name, n, t = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    clock = lambda: t
    collector = ResultMetricsCollector(
        clock, archive=MetricsArchive(path, clock=clock), resources=lambda: (None, None)
    )
    for i in range(n):
        collector.record(name, success=i % 5 != 0, duration_ms=float(i % 7 + 1))
        collector.record("shared", success=True, duration_ms=2.0)
    print(collector.checkpoint())
    """
)


class TestSharedArchive:
    def test_two_processes_write_one_file_and_a_query_merges_them(self, tmp_path: Path) -> None:
        db = tmp_path / "shared.db"
        script = tmp_path / "worker.py"
        script.write_text(WORKER)
        now = T0 + 5 * HOUR + 100
        procs = [
            subprocess.Popen(
                [sys.executable, str(script), str(db), name, str(n), str(now)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for name, n in (("w1", 300), ("w2", 500))
        ]
        for proc in procs:
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
            assert out.strip() == "2"
        reader = make(db, FakeClock(now + 60))
        assert reader.archive is not None
        assert len(reader.archive.sources()) == 2
        assert count(reader, "w1", "1h") == 300
        assert count(reader, "w2", "1h") == 500
        # whole hours cannot answer a shorter window: only memory is read for it
        assert reader.operation_metrics("w1", "15m").is_failure()
        shared = reader.operation_metrics("shared", "1h").unwrap()
        assert shared.total_requests == 800
        assert shared.p50_response_time_ms == pytest.approx(2.0, rel=0.01)


class TestConfiguration:
    def test_bad_arguments(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigurationError) as info:
            MetricsArchive(tmp_path / "a.db", retention=dt.timedelta(minutes=1))
        assert str(info.value) == (
            "archive retention must be a timedelta of at least one hour, "
            "got datetime.timedelta(seconds=60)"
        )
        with pytest.raises(ConfigurationError) as info:
            MetricsArchive(tmp_path / "a.db", source="")
        assert str(info.value) == "archive source must be a non-empty str, got ''"

    def test_a_file_that_is_no_database(self, tmp_path: Path) -> None:
        path = tmp_path / "junk.db"
        path.write_bytes(b"this is not sqlite" * 100)
        with pytest.raises(ConfigurationError) as info:
            MetricsArchive(path)
        assert str(info.value).startswith(f"{path} cannot be used as a metrics archive: ")

    def test_an_archive_of_another_schema_version(self, tmp_path: Path) -> None:
        path = tmp_path / "future.db"
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA user_version=99")
        conn.close()
        with pytest.raises(ConfigurationError) as info:
            MetricsArchive(path)
        assert str(info.value) == (
            f"{path} is a metrics archive of schema version 99; "
            f"this rfs-monitoring reads version {SCHEMA_VERSION}"
        )

    def test_the_directory_is_created(self, tmp_path: Path) -> None:
        archive = MetricsArchive(tmp_path / "deep" / "er" / "a.db")
        archive.close()
        archive.close()  # idempotent
        assert (tmp_path / "deep" / "er" / "a.db").exists()

    def test_a_failed_write_is_rolled_back(self, tmp_path: Path) -> None:
        archive = MetricsArchive(tmp_path / "a.db")
        bucket = MetricBucket(int(T0))
        bucket.codes = {"x": object()}  # type: ignore[dict-item]
        with pytest.raises(TypeError):
            archive.write([("op", bucket)])
        good = MetricBucket(int(T0))
        good.count = 1
        assert archive.write([("op", good)], now=T0) == 1
        archive.close()


class TestOpeningRace:
    """Two processes opening one new archive at once: the WAL switch waits for the lock."""

    def test_the_wal_switch_is_retried_while_another_connection_holds_the_lock(
        self, tmp_path: Path
    ) -> None:
        import threading

        path = tmp_path / "race.sqlite"
        holder = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN EXCLUSIVE")
        releaser = threading.Timer(0.2, lambda: holder.execute("COMMIT"))
        releaser.start()
        conn = sqlite3.connect(str(path), timeout=0, isolation_level=None)
        try:
            enable_wal(conn, timeout=10.0)
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        finally:
            releaser.join()
            conn.close()
            holder.close()

    def test_the_lock_error_surfaces_once_the_timeout_is_spent(self, tmp_path: Path) -> None:
        path = tmp_path / "held.sqlite"
        holder = sqlite3.connect(str(path), isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        conn = sqlite3.connect(str(path), timeout=0, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                enable_wal(conn, timeout=0.05)
        finally:
            conn.close()
            holder.execute("COMMIT")
            holder.close()

    def test_an_archive_held_past_its_timeout_is_refused_naming_the_file(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "held.sqlite"
        holder = sqlite3.connect(str(path), isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            with pytest.raises(ConfigurationError) as info:
                MetricsArchive(path, timeout=0.05)
        finally:
            holder.execute("COMMIT")
            holder.close()
        assert str(info.value) == f"{path} cannot be used as a metrics archive: database is locked"
