"""All operations together: every closed second merged per second, minute and hour.

The charts and the figures of all operations (``series(None, ...)``, ``overall``) would
otherwise merge every operation's buckets (100 operations over "1h": 6,000 minute sketches
for the charts). ``AllOperations`` keeps the sum instead: a closed second of any operation
is queued (``push``, O(1), on the recording path) and merged into the second, minute and
hour it belongs to when a query asks (``settle``). Operations close their seconds lazily, so
a bucket of the past may still grow until a query has closed every operation's seconds up to
now: ``read`` (for the charts) then shares the buckets that ended and copies the open one;
``total`` (for ``overall``) merges them, under the owner's lock.
"""

from __future__ import annotations

from rfs_monitoring.metrics.bucket import MINUTE_SLOTS, SECOND_SLOTS, TIER_SIZES, MetricBucket
from rfs_monitoring.metrics.query import cover_back
from rfs_monitoring.metrics.rolling import RollingTotal

__all__ = ["PENDING_LIMIT", "SETTLE_BATCH", "AllOperations"]

PENDING_LIMIT = 256
"""Queued seconds past which each ``push`` merges the oldest ``SETTLE_BATCH`` itself (when
nothing queries): the queue's memory stays bounded and no call pays a long merge."""

SETTLE_BATCH = 8
"""Queued seconds a ``push`` past ``PENDING_LIMIT`` merges."""


class AllOperations:
    """Every operation's closed seconds, merged by tier; the owner locks.

    Attributes:
        pending: closed seconds not merged yet, oldest first.
        tiers: by width (1, 60, 3600 s): bucket start -> the merged bucket.
    """

    __slots__ = ("pending", "tiers")

    def __init__(self) -> None:
        self.pending: list[MetricBucket] = []
        self.tiers: dict[int, dict[int, MetricBucket]] = {size: {} for size in TIER_SIZES}

    def push(self, second: MetricBucket, now: int, retention_hours: int) -> None:
        """Queue a closed second of any operation (it is read-only from now on)."""
        pending = self.pending
        pending.append(second)
        if len(pending) > PENDING_LIMIT:
            self._merge(pending[:SETTLE_BATCH])
            del pending[:SETTLE_BATCH]
            self._evict(now, retention_hours, when_full=True)

    def settle(self, now: int, retention_hours: int) -> None:
        """Merge the queued seconds into their tiers and drop what no query reads any more
        (seconds, minutes and hours as an operation's tiers keep them, from ``now``)."""
        if self.pending:
            self._merge(self.pending)
            self.pending = []
        self._evict(now, retention_hours)

    def _merge(self, seconds: list[MetricBucket]) -> None:
        for size, tier in self.tiers.items():
            for second in seconds:
                start = second.start - second.start % size
                bucket = tier.get(start)
                if bucket is None:
                    bucket = tier[start] = MetricBucket(start)
                    before = tier.get(start - size)
                    if before is not None:  # most likely done: hold its counts in 4 bytes
                        before.sketch.compact()  # (a late second widens them again)
                bucket.merge(second)

    def _evict(self, now: int, retention_hours: int, *, when_full: bool = False) -> None:
        """Drop the buckets older than an operation's tiers keep (``when_full``: from the
        front of each tier, and the whole tier only once it holds twice that many, so a
        push scans a tier rarely)."""
        minute = now - now % 60
        hour = now - now % 3600
        limits = {
            1: (now - SECOND_SLOTS, SECOND_SLOTS),
            60: (minute - MINUTE_SLOTS * 60, MINUTE_SLOTS),
            3600: (hour - retention_hours * 3600, retention_hours),
        }
        for size, tier in self.tiers.items():
            horizon, slots = limits[size]
            if when_full and len(tier) <= 2 * slots + 2:
                old = []  # the oldest first: buckets open in time order, mostly
                for start in tier:
                    if start >= horizon:
                        break
                    old.append(start)
            else:
                old = [start for start in tier if start < horizon]
            for start in old:
                del tier[start]

    def read(self, size: int, start: int, now: int) -> list[MetricBucket]:
        """The buckets of tier ``size`` starting at or after ``start`` (settle first, with
        every operation's seconds before ``now`` pushed): those ending by ``now`` are final
        and shared (read-only), the open one is a copy without error groups."""
        out = []
        for begin, bucket in self.tiers[size].items():
            if begin >= start:
                if begin + size <= now:
                    out.append(bucket)
                    continue
                twin = MetricBucket(begin)
                twin.merge(bucket, groups=False)
                out.append(twin)
        return out

    def total(self, t0: float, now: int, horizon: int) -> tuple[RollingTotal, float]:
        """The closed seconds of ``[t0, now)`` merged (settle first), and where the buckets
        used begin: the coarsest that fit, as ``query.cover`` covers one operation (hours
        from ``horizon``, the oldest hour in memory, on)."""
        minute = now - now % 60
        hour = now - now % 3600
        seconds, minutes, hours = self.tiers[1], self.tiers[60], self.tiers[3600]
        levels = (
            (3600, hours, horizon),
            (60, minutes, minute - MINUTE_SLOTS * 60),
            (1, seconds, now - SECOND_SLOTS),
        )
        pieces: list[MetricBucket] = []
        if t0 >= now:
            covered = float(now)
        elif t0 >= minute:
            covered = cover_back(levels, 2, t0, now, pieces)
        elif t0 >= hour:
            pieces.append(minutes.get(minute) or MetricBucket(minute))
            covered = cover_back(levels, 1, t0, minute, pieces)
        else:
            pieces.append(hours.get(hour) or MetricBucket(hour))
            covered = cover_back(levels, 0, max(t0, horizon), hour, pieces)
        total = RollingTotal(int(covered))
        for piece in pieces:
            total.add(piece)
        return total, covered

    def clear(self) -> None:
        """Forget everything."""
        self.pending = []
        for tier in self.tiers.values():
            tier.clear()
