"""The bucket store: every operation's tiers behind one lock, read by the queries.

``BucketStore`` holds the state the collector records into (one ``OperationState`` per
operation), folds the buffered samples of a second into its bucket, rolls the tiers forward,
and hands out the buckets a query reads (``snapshot``, ``tier_buckets``), lifetime totals,
the archive queue and the internal counters. ``ResultMetricsCollector`` extends it with the
recording hot path and the public queries.
"""

from __future__ import annotations

import datetime as _dt
import math
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from rfs_monitoring.errors import ArchiveError, ConfigurationError
from rfs_monitoring.metrics import query
from rfs_monitoring.metrics.bucket import TIER_SIZES, BucketTiers, MetricBucket, add_counts
from rfs_monitoring.metrics.everything import AllOperations
from rfs_monitoring.metrics.examples import Example, ExampleBook
from rfs_monitoring.metrics.figures import CURRENT_SECONDS, Recent
from rfs_monitoring.metrics.grouping import ErrorCaps, ErrorGrouper, FailedSample, merge_groups
from rfs_monitoring.metrics.pauses import pause
from rfs_monitoring.metrics.query import Snapshot
from rfs_monitoring.metrics.records import OperationTotals, SeriesPoint, TierSizes
from rfs_monitoring.metrics.rolling import (
    ADHOC_IDLE_SECONDS,
    ADHOC_WINDOWS,
    ROLLING_MINUTES,
    RecentSeconds,
    RollingMinutes,
    rolling_windows,
)

if TYPE_CHECKING:
    from rfs_monitoring.metrics.archive import MetricsArchive

__all__ = ["COUNTERS", "BucketStore", "OperationState"]

COUNTERS = (
    "other_operation_samples",
    "other_error_groups",
    "invalid_durations",
    "invalid_results",
    "record_errors",
    "clock_regressions",
    "subscriber_errors",
    "resource_errors",
    "archive_errors",
    "archive_busy",
    "archive_full",
    "archived_buckets",
)
"""The counters of ``stats()`` kept as they happen."""


class OperationState(BucketTiers):
    """Live state of one operation; every field is guarded by the collector's lock.

    ``begin`` / ``end``: the live second's span, as floats (``record``'s fast path compares
    the clock with them).
    """

    __slots__ = (
        "begin",
        "caps",
        "end",
        "examples",
        "failures",
        "last_minute",
        "name",
        "pending",
        "rolling",
    )

    def __init__(self, name: str, second: int, max_error_groups: int = 100) -> None:
        super().__init__(second)
        self.name = name
        self.pending: list[float] = []
        self.failures: list[FailedSample] = []
        self.begin = float(second)
        self.end = float(second + 1)
        self.caps = ErrorCaps()
        self.examples = ExampleBook(max_error_groups)
        self.rolling = rolling_windows(self.minute.start)
        self.last_minute = RecentSeconds()

    def saw(self, now: float) -> OperationState:
        """Note a sample at ``now`` in the live second (``record``'s slow path sees the first
        of every second it opens: where throughput starts; a second a query opened learns
        it, to the second, at its fold)."""
        if now < self.live.first:
            self.live.first = now
        return self


class BucketStore:
    """The tiers of every operation behind one lock (the base of the collector).

    Args:
        clock: returns epoch seconds.
        retention: how long hour buckets stay in memory.
        max_error_groups: distinct error groups, codes and types per operation.
        archive: where hour buckets leaving retention go (None: nowhere).
    """

    def __init__(
        self,
        clock: Callable[[], float],
        retention: _dt.timedelta,
        max_error_groups: int,
        archive: MetricsArchive | None,
    ) -> None:
        self._clock = clock
        self.retention = retention
        self._retention_hours = math.ceil(retention.total_seconds() / 3600)
        self.max_error_groups = max_error_groups
        self.archive = archive
        self._lock = threading.Lock()
        self._ops: dict[str, OperationState] = {}
        self._archive_queue: list[tuple[str, MetricBucket]] = []
        self._grouper = ErrorGrouper(max_error_groups)
        self._counters = dict.fromkeys(COUNTERS, 0)
        self._all = AllOperations()
        self.point_cache: dict[tuple[str | None, int, int, int], SeriesPoint] = {}
        """Chart points of final steps (``series``), by operation, tier, start and width."""

    @property
    def clock(self) -> Callable[[], float]:
        """The clock the collector reads (epoch seconds), as given to the constructor."""
        return self._clock

    # ------------------------------------------------------------------ state

    def _fold(self, op: OperationState) -> None:
        """Fold the buffered samples of the live second into its bucket (lock held)."""
        live = op.live
        if op.pending:
            self._counters["invalid_durations"] += live.add_durations(op.pending)
            op.pending = []
            if live.first == math.inf:  # opened by a query: its first sample is known
                live.first = float(live.start)  # to the second
        if op.failures:
            live.failed += len(op.failures)
            self._counters["other_error_groups"] += self._grouper.count(
                op.caps, op.failures, live.codes, live.types, live.groups, op.examples
            )
            op.failures = []

    def _advance(self, op: OperationState, second: int) -> None:
        """Fold, then roll the tiers forward to ``second`` (lock held)."""
        self._fold(op)
        if second <= op.live.start:
            return
        if op.live.groups:  # lifetime error groups (for the exporters), capped
            merge_groups(op.lifetime.groups, op.live.groups, self.max_error_groups)
        minute = op.minute.start
        if op.live.count:
            op.last_minute.push(op.live)
            self._all.push(op.live, second, self._retention_hours)
        evicted = op.advance(second, self._retention_hours)
        op.begin = float(second)
        op.end = float(second + 1)
        if op.minute.start != minute:  # rolling windows move on when read (``_keep_adhoc``)
            rolling = op.rolling
            idle = op.minute.start - ADHOC_IDLE_SECONDS
            for width in [w for w, window in rolling.items() if window.read < idle]:
                if width not in ROLLING_MINUTES:
                    del rolling[width]  # an ad-hoc window no query reads any more
        if evicted and self.archive is not None:
            self._archive_queue.extend((op.name, bucket) for bucket in evicted)

    # ------------------------------------------------------------------ reading buckets

    def snapshot(self, operations: Iterable[str] | None, start: float, end: float) -> Snapshot:
        """The buckets covering ``[start, end]`` per operation (memory, then the archive).

        ``operations``: the names to read (None: all). The open buckets are copies; the
        closed ones are shared and must not be changed. ``Snapshot.start`` is where the
        buckets used begin (windows are covered by whole buckets).
        """
        names = None if operations is None else list(operations)
        second = math.floor(end)
        covered = float(second)
        out: dict[str, list[MetricBucket]] = {}
        recent: dict[str, Recent] = {}
        horizons: dict[str, int] = {}
        with self._lock:
            ops = (
                list(self._ops.values())
                if names is None
                else [self._ops[n] for n in names if n in self._ops]
            )
        # the lock is taken per operation, so recording never waits for a whole query
        wanted: list[query.Wanted] = []
        for op in ops:
            pieces: list[MetricBucket] = []
            with self._lock:
                self._advance(op, second)
                horizon = horizons[op.name] = op.horizon(self._retention_hours)
                covered = min(covered, query.cover(op, start, horizon, pieces, op.rolling, wanted))
                recent[op.name] = op.last_minute.read(op.live, second)
            if wanted:
                self._keep_adhoc(op, pieces, wanted.pop())
            out[op.name] = pieces
            pause()
        archive = self.archive
        if archive is None:
            return Snapshot(out, covered, recent)
        self.flush_archive(timeout=archive.query_timeout)
        # archive rows are whole hours: windows shorter than an hour read memory only
        if end - start >= 3600:
            first = math.floor(start)
            try:
                archived = archive.load(
                    names, start=first - first % 3600, end=second + 1, own_before=horizons
                )
            except ArchiveError as exc:  # locked or broken: answer from memory
                self._count_archive_fault(exc)
                archived = []
            for name, bucket in archived:
                out.setdefault(name, []).append(bucket)
                covered = min(covered, float(bucket.start))
        return Snapshot(out, covered, recent)

    def _keep_adhoc(
        self, op: OperationState, pieces: list[MetricBucket], wanted: query.Wanted
    ) -> None:
        """Build or move on the rolling window a query wanted (off the lock: its minutes
        are closed, read-only buckets), put its total in the query's pieces and keep it for
        the next queries (``rolling`` module), unless the minute moved on meanwhile."""
        window = RollingMinutes.build(wanted.minutes, wanted.closed, wanted.end, wanted.base)
        pieces[wanted.slot] = window.total
        with self._lock:
            rolling = op.rolling
            kept = rolling.get(wanted.minutes)
            if op.minute.start != wanted.end or (kept is not None and kept.end >= wanted.end):
                return  # the minute moved on, or another query kept this one already
            if kept is None:
                adhoc = [w for w in rolling.values() if w.minutes not in ROLLING_MINUTES]
                if len(adhoc) >= ADHOC_WINDOWS:
                    del rolling[min(adhoc, key=lambda w: w.read).minutes]
            rolling[wanted.minutes] = window

    def snapshot_all(self, start: float, end: float) -> Snapshot | None:
        """All operations' buckets covering ``[start, end]`` merged (``Snapshot.buckets``
        holds ``"*"``), from the tiers of all operations together; None when the window
        reads the archive too (an hour or more, with an archive: other processes' rows)."""
        if self.archive is not None and end - start >= 3600:
            return None
        second = math.floor(end)
        lives = MetricBucket(second)
        recent = Recent(start=float(second - CURRENT_SECONDS))
        with self._lock:
            ops = list(self._ops.values())
        if not ops:
            return Snapshot({}, float(second), {})
        for op in ops:  # the lock per operation: recording never waits for a whole query
            with self._lock:
                self._advance(op, second)  # their closed seconds join the sums
                lives.merge(op.live)
                recent = recent.plus(op.last_minute.read(op.live, second))
            pause()
        with self._lock:
            horizon = second - second % 3600 - self._retention_hours * 3600
            self._all.settle(second, self._retention_hours)
            total, covered = self._all.total(start, second, horizon)
        return Snapshot({"*": [lives, total]}, covered, {"*": recent})

    def tier_buckets(
        self, size: int, start: int, now: float, operation: str | None = None
    ) -> list[MetricBucket]:
        """Buckets of one tier (``size`` 1, 60 or 3600 s) from ``start`` to ``now``, in memory.

        The open bucket of the tier is a copy with what it holds so far (no error groups);
        the closed ones are shared and must not be changed. ``operation``: one operation's
        (None: all operations merged per bucket, ``everything.AllOperations``: copies,
        without error groups, and the live seconds in one more bucket).

        Raises:
            ConfigurationError: ``size`` is none of 1, 60 and 3600.
        """
        if size not in TIER_SIZES or isinstance(size, bool):
            msg = f"size must be one of {TIER_SIZES} (seconds), got {size!r}"
            raise ConfigurationError(msg)
        second = math.floor(now)
        if operation is None:
            return self._all_buckets(size, start, second)
        with self._lock:
            found = self._ops.get(operation)
            if found is None:
                return []
            self._advance(found, second)
            return found.recent(size, start)

    def _all_buckets(self, size: int, start: int, second: int) -> list[MetricBucket]:
        """``tier_buckets`` of all operations together."""
        lives = MetricBucket(second - second % size)
        with self._lock:
            ops = list(self._ops.values())
        for op in ops:  # the lock per operation: recording never waits for a whole query
            with self._lock:
                self._advance(op, second)  # their closed seconds join the sums
                lives.merge(op.live, groups=False)
            pause()
        with self._lock:
            self._all.settle(second, self._retention_hours)
            out = self._all.read(size, start, second)
        if lives.count and lives.start >= start:
            out.append(lives)
        return out

    def examples_since(
        self, start: float, operation: str | None, group: str | None
    ) -> list[tuple[str, Example]]:
        """The kept failures recorded at or after ``start`` with their operation's name (of
        ``operation``; None: all; of the error group ``group``; None: all)."""
        second = math.floor(self._clock())
        out: list[tuple[str, Example]] = []
        with self._lock:
            if operation is None:
                ops = list(self._ops.values())
            else:
                found = self._ops.get(operation)
                ops = [] if found is None else [found]
        for op in ops:
            with self._lock:
                self._advance(op, second)  # the buffered failures are kept at the fold
                out.extend((op.name, example) for example in op.examples.since(start, group))
        return out

    def tier_sizes(self, operation: str) -> TierSizes | None:
        """What ``operation`` holds in memory (None: never recorded or forgotten)."""
        with self._lock:
            op = self._ops.get(operation)
            if op is None:
                return None
            return TierSizes(
                len(op.pending), len(op.seconds), len(op.minutes), len(op.hours), len(op.days)
            )

    def operation_names(self) -> list[str]:
        """Names of the operations in memory, sorted (``OTHER`` included when used)."""
        with self._lock:
            return sorted(self._ops)

    def totals(self) -> list[OperationTotals]:
        """Lifetime totals per operation (monotonic counters; for the exporters)."""
        second = math.floor(self._clock())
        out = []
        with self._lock:
            for op in self._ops.values():
                self._advance(op, second)
                life, live = op.lifetime, op.live
                codes = dict(life.codes)
                add_counts(codes, live.codes)
                sketch = life.sketch.copy()
                sketch.merge(live.sketch)
                total = life.count + live.count
                failed = life.failed + live.failed
                sum_ms = life.total_ms + live.total_ms
                groups = {key: list(entry) for key, entry in life.groups.items()}
                merge_groups(groups, live.groups, self.max_error_groups)
                counts = {key: entry[0] for key, entry in groups.items()}
                out.append(OperationTotals(op.name, total, failed, sum_ms, codes, sketch, counts))
        out.sort(key=lambda t: t.operation)
        return out

    # ------------------------------------------------------------------ archive

    def flush_archive(self, *, timeout: float | None = None) -> int:
        """Write the hour buckets that left retention to the archive; returns how many.

        Called by every query (waiting the archive's ``query_timeout`` at most for a locked
        file); call it yourself if nothing queries (``timeout`` None: the archive's writer
        ``timeout``). A failing archive is counted in ``stats()["archive_errors"]`` (and
        ``archive_busy`` / ``archive_full`` by kind); the buckets are kept for the next try.
        """
        with self._lock:
            queue, self._archive_queue = self._archive_queue, []
        if not queue or self.archive is None:
            return 0
        try:
            self.archive.write(queue, now=self._clock(), timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - archiving must never break a query
            self._count_archive_fault(exc)
            with self._lock:
                self._archive_queue[:0] = queue
            return 0
        with self._lock:
            self._counters["archived_buckets"] += len(queue)
        return len(queue)

    def checkpoint(self) -> int:
        """Write every in-memory hour (the current one so far included) to the archive.

        Rows are replaced per (operation, source, hour), so checkpointing again is safe;
        other processes sharing the archive see these figures in their queries, and so
        does this collector's successor after a restart. Returns how many rows were written.

        Raises:
            ConfigurationError: the collector has no archive.
            ArchiveError: the archive could not be written (locked past its ``timeout``,
                full, or failing otherwise); counted in ``stats()`` like every archive
                failure. Nothing else is raised.
        """
        if self.archive is None:
            msg = (
                "checkpoint() needs an archive: "
                "ResultMetricsCollector(archive=MetricsArchive(path))"
            )
            raise ConfigurationError(msg)
        now = self._clock()
        second = math.floor(now)
        rows: list[tuple[str, MetricBucket]] = []
        with self._lock:
            for op in self._ops.values():
                self._advance(op, second)
                rows.extend((op.name, bucket) for bucket in op.hours.values())
                current = op.current(3600)
                if current.count:
                    rows.append((op.name, current))
        self.flush_archive()
        try:
            return self.archive.write(rows, now=now)
        except Exception as exc:
            self._count_archive_fault(exc)
            if isinstance(exc, ArchiveError):
                raise
            raise ArchiveError(self.archive.path, "error", repr(exc)) from exc

    def _count_archive_fault(self, exc: BaseException) -> None:
        kind = exc.kind if isinstance(exc, ArchiveError) else "error"
        with self._lock:
            self._counters["archive_errors"] += 1
            if kind in ("busy", "full"):
                self._counters[f"archive_{kind}"] += 1

    # ------------------------------------------------------------------ housekeeping

    def stats(self) -> dict[str, int]:
        """Internal counters.

        Keys: ``operations``, ``other_operation_samples`` (samples sent to ``OTHER``
        because of ``max_operations``), ``other_error_groups`` (errors sent to the
        ``OTHER`` group), ``invalid_durations``, ``invalid_results``, ``record_errors``,
        ``subscriber_errors``, ``resource_errors``, ``clock_regressions`` (samples whose clock
        reading was before the live second: they are counted in it), ``archive_errors``
        (every archive failure), ``archive_busy`` (of which: the file was locked past the
        wait; queries then answer from memory), ``archive_full`` (of which: disk full),
        ``archive_rows_skipped`` (archive rows queries left out because they could not be
        decoded: the archive's ``stats()["rows_skipped"]``), ``archived_buckets``,
        ``archive_pending``, ``buckets`` and ``memory_bytes`` (an estimate).
        """
        archive = self.archive
        skipped = 0 if archive is None else archive.stats()["rows_skipped"]
        with self._lock:
            ops = list(self._ops.values())
            counters = {
                **self._counters,
                "operations": len(self._ops),
                "archive_rows_skipped": skipped,
                "archive_pending": len(self._archive_queue),
            }
        buckets = 0
        memory = 0
        for op in ops:  # the lock per operation: recording never waits for the sums
            with self._lock:
                for tier in (op.seconds, op.tens, op.minutes, op.hours, op.days):
                    buckets += len(tier)
                    memory += sum(b.nbytes() for b in tier.values())
                for bucket in (op.live, op.minute, op.hour, op.day, op.lifetime):
                    memory += bucket.nbytes()
                memory += 600 + 8 * len(op.pending) + 100 * len(op.caps.groups)
                memory += sum(w.total.nbytes() for w in op.rolling.values())
            pause()
        with self._lock:  # all operations together: one more operation's tiers
            memory += sum(b.nbytes() for tier in self._all.tiers.values() for b in tier.values())
        return {**counters, "buckets": buckets, "memory_bytes": memory}

    def reset(self) -> None:
        """Forget every operation, sample and counter (subscribers stay)."""
        with self._lock:
            self._ops.clear()
            self._archive_queue.clear()
            self._grouper.clear()
            self._all.clear()
            self.point_cache.clear()
            for key in self._counters:
                self._counters[key] = 0
