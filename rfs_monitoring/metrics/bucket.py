"""Time buckets: ``MetricBucket`` (one declaration of its fields) and an operation's tiers.

A bucket aggregates one operation over one second, minute, hour or day. ``BUCKET_FIELDS``
declares its fields once: the slots come from it, and so do the archive's columns.
``BucketTiers`` holds an operation's open buckets (the live second, the current minute, hour
and day) and the closed ones of each tier, and rolls them up as time passes:

=========  ===========================  ===========================================
tier       kept in memory               used by
=========  ===========================  ===========================================
second     the last ``SECOND_SLOTS`` s  the head edge of windows up to five minutes
ten s      as long as the seconds       the same edge, ten seconds at a time
minute     the last ``MINUTE_SLOTS`` m  windows up to about two hours
hour       the retention (7 days)       longer windows, and the head edge of "1d", "1w"
day        days inside the retention    the middle of windows of a day or more
=========  ===========================  ===========================================
"""

from __future__ import annotations

import math
import types
from collections.abc import Mapping
from typing import Any, Literal

from rfs_monitoring.metrics.grouping import ErrorGroups, merge_groups
from rfs_monitoring.metrics.sketch import LatencySketch

__all__ = [
    "BUCKET_FIELDS",
    "MINUTE_SLOTS",
    "SECOND_SLOTS",
    "TIER_SIZES",
    "BucketTiers",
    "FieldKind",
    "MetricBucket",
    "add_counts",
    "close_bucket",
    "copy_bucket",
]

SECOND_SLOTS = 5 * 60 + 10
"""How many closed second buckets an operation keeps (a little over five minutes)."""

MINUTE_SLOTS = 2 * 60 + 10
"""How many closed minute buckets an operation keeps (a little over two hours)."""

TIER_SIZES = (1, 60, 3600)
"""Widths (seconds) of the tiers that ``BucketTiers.recent`` reads: second, minute, hour."""

FieldKind = Literal["int", "float", "sketch", "counts", "groups"]
"""What a bucket field holds: a number, a ``LatencySketch``, counts by key, error groups."""

BUCKET_FIELDS: Mapping[str, FieldKind] = types.MappingProxyType(
    {
        "start": "int",
        "count": "int",
        "failed": "int",
        "timed": "int",
        "total_ms": "float",
        "max_ms": "float",
        "sketch": "sketch",
        "codes": "counts",
        "types": "counts",
        "groups": "groups",
        "mem_sum": "float",
        "mem_n": "int",
        "cpu_sum": "float",
        "cpu_n": "int",
    }
)
"""The fields of a ``MetricBucket``, in archive column order, and what each holds."""


class MetricBucket:
    """Aggregates of one operation over one time bucket (second, minute, hour or day).

    Attributes:
        start: bucket start, epoch seconds (aligned to the bucket size).
        count / failed: requests and failed requests.
        timed / total_ms / max_ms: samples with a valid duration, their sum and maximum.
        sketch: the latency sketch of the timed samples.
        codes / types: failed requests by error code and by error type.
        groups: normalised message -> [count, last_seen, error_code].
        mem_sum / mem_n / cpu_sum / cpu_n: resource samples taken while the bucket was live.
        first: when its first sample was recorded (epoch s; ``inf`` when unknown: never
            archived, an archived hour reads as starting at its first sample).
    """

    __slots__ = (*BUCKET_FIELDS, "first")

    def __init__(self, start: int) -> None:
        self.start = start
        self.count = 0
        self.failed = 0
        self.timed = 0
        self.total_ms = 0.0
        self.max_ms = 0.0
        self.sketch = LatencySketch()
        self.codes: dict[str, int] = {}
        self.types: dict[str, int] = {}
        self.groups: ErrorGroups = {}
        self.mem_sum = 0.0
        self.mem_n = 0
        self.cpu_sum = 0.0
        self.cpu_n = 0
        self.first = math.inf

    def __repr__(self) -> str:
        return f"MetricBucket(start={self.start}, count={self.count}, failed={self.failed})"

    def merge(self, other: MetricBucket, *, sketch: bool = True, groups: bool = True) -> None:
        """Add ``other``'s aggregates to this bucket."""
        self.count += other.count
        self.failed += other.failed
        self.timed += other.timed
        self.total_ms += other.total_ms
        if other.max_ms > self.max_ms:
            self.max_ms = other.max_ms
        if other.first < self.first:
            self.first = other.first
        if sketch:
            self.sketch.merge(other.sketch)
        if other.codes:  # most buckets saw no error: their maps are empty
            add_counts(self.codes, other.codes)
        if other.types:
            add_counts(self.types, other.types)
        if groups and other.groups:
            merge_groups(self.groups, other.groups)
        self.mem_sum += other.mem_sum
        self.mem_n += other.mem_n
        self.cpu_sum += other.cpu_sum
        self.cpu_n += other.cpu_n

    def take_away(self, other: MetricBucket) -> None:
        """Subtract the counts of ``other``, a bucket merged into this one earlier: requests,
        failures, timed samples, sketch bins, codes, types, error-group counts and resource
        sample counts (a key whose count reaches zero is removed). The float sums and the
        maximum cannot be taken away: the caller sums them again."""
        self.count -= other.count
        self.failed -= other.failed
        self.timed -= other.timed
        self.sketch.subtract(other.sketch)
        _take_counts(self.codes, other.codes)
        _take_counts(self.types, other.types)
        groups = self.groups
        for key, entry in other.groups.items():
            mine = groups.get(key)
            if mine is not None:
                mine[0] -= entry[0]
                if mine[0] <= 0:
                    del groups[key]
        self.mem_n -= other.mem_n
        self.cpu_n -= other.cpu_n

    def add_durations(self, durations: list[float]) -> int:
        """Count a batch of requests with these durations (ms); returns how many were invalid.

        An invalid duration (no finite number) still counts as a request; a negative one
        counts as zero.
        """
        n = len(durations)
        self.count += n
        invalid = self.sketch.add_many(durations)
        try:
            total = sum(durations)
            top = max(durations)
            if invalid or not math.isfinite(total) or min(durations) < 0:
                raise ValueError
        except (TypeError, ValueError):
            kept = [d for d in map(_clean, durations) if d is not None]
            invalid = n - len(kept)
            total = math.fsum(kept)
            top = max(kept, default=0.0)
        self.timed += n - invalid
        self.total_ms += total
        if top > self.max_ms:
            self.max_ms = top
        return invalid

    def nbytes(self) -> int:
        """A rough estimate of the memory this bucket holds."""
        return (
            200
            + self.sketch.nbytes
            + 100 * (len(self.codes) + len(self.types))
            + 250 * len(self.groups)
        )


_NONE: dict[str, Any] = {}
"""Shared by closed buckets that saw no error (never mutated: closed buckets are read-only)."""


def _clean(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return max(float(value), 0.0)


def close_bucket(bucket: MetricBucket) -> MetricBucket:
    """Make a bucket that will not change again smaller (it is read-only from now on)."""
    bucket.sketch.compact()
    if not bucket.codes:
        bucket.codes = _NONE
    if not bucket.types:
        bucket.types = _NONE
    if not bucket.groups:
        bucket.groups = _NONE
    return bucket


def copy_bucket(bucket: MetricBucket) -> MetricBucket:
    """An independent copy of ``bucket``."""
    twin = MetricBucket(bucket.start)
    twin.merge(bucket, sketch=False)
    # an array copy (C level): queries copy the open buckets under the collector's lock
    twin.sketch = bucket.sketch.copy()
    return twin


def add_counts(into: dict[str, int], other: Mapping[str, int]) -> None:
    """Add the counts of ``other`` to ``into``, key by key."""
    for key, n in other.items():
        into[key] = into.get(key, 0) + n


def _take_counts(into: dict[str, int], other: Mapping[str, int]) -> None:
    for key, n in other.items():
        left = into.get(key, 0) - n
        if left > 0:
            into[key] = left
        else:
            into.pop(key, None)


def _evict(buckets: dict[int, MetricBucket], horizon: int) -> list[MetricBucket]:
    """Remove (and return) the buckets that start before ``horizon``."""
    # dicts keep insertion order and buckets are inserted in time order, so the old ones
    # are at the front: the scan stops at the first bucket to keep
    old = []
    for start in buckets:
        if start >= horizon:
            break
        old.append(start)
    return [buckets.pop(start) for start in old]


class BucketTiers:
    """The open and closed buckets of one operation, second to day; the owner locks.

    Attributes:
        live / minute / hour / day: the open buckets (the live second is not yet in the
            minute, the minute not yet in the hour, the hour not yet in the day).
        ten: the open ten seconds (closed seconds merged as they close).
        seconds / tens / minutes / hours / days: closed buckets by start (only those that
            counted requests), oldest first; ten-second buckets serve a window's head edge
            ten seconds at a time (``query.cover_back``).
        lifetime: every closed second, for the lifetime totals (its error groups are
            merged, capped, by the store).
    """

    __slots__ = (
        "day",
        "days",
        "hour",
        "hours",
        "lifetime",
        "live",
        "minute",
        "minutes",
        "seconds",
        "ten",
        "tens",
    )

    def __init__(self, second: int) -> None:
        self.live = MetricBucket(second)
        self.ten = MetricBucket(second - second % 10)
        self.tens: dict[int, MetricBucket] = {}
        self.minute = MetricBucket(second - second % 60)
        self.hour = MetricBucket(second - second % 3600)
        self.day = MetricBucket(second - second % 86400)
        self.seconds: dict[int, MetricBucket] = {}
        self.minutes: dict[int, MetricBucket] = {}
        self.hours: dict[int, MetricBucket] = {}
        self.days: dict[int, MetricBucket] = {}
        self.lifetime = MetricBucket(second)

    def horizon(self, retention_hours: int) -> int:
        """The start of the oldest hour kept in memory."""
        return self.hour.start - retention_hours * 3600

    def advance(self, second: int, retention_hours: int) -> list[MetricBucket]:
        """Close the live second (and minute, hour, day) when ``second`` is past it.

        Returns the hour buckets that left the retention (for the archive).
        """
        live = self.live
        if second <= live.start:
            return []
        if live.count:
            self.seconds[live.start] = close_bucket(live)
            self.minute.merge(live)
            self.ten.merge(live)
            self.lifetime.merge(live, groups=False)
        elif live.mem_n or live.cpu_n:
            self.minute.merge(live)
            self.ten.merge(live)
        if second - second % 10 != self.ten.start:
            if self.ten.count:
                self.tens[self.ten.start] = close_bucket(self.ten)
            self.ten = MetricBucket(second - second % 10)
        if second - second % 60 != self.minute.start:
            self._close_minute(second)
        self.live = MetricBucket(second)
        _evict(self.seconds, second - SECOND_SLOTS)
        _evict(self.tens, second - SECOND_SLOTS)
        _evict(self.minutes, self.minute.start - MINUTE_SLOTS * 60)
        horizon = self.horizon(retention_hours)
        _evict(self.days, horizon)
        return _evict(self.hours, horizon)

    def _close_minute(self, second: int) -> None:
        closed = self.minute
        if closed.count:
            self.minutes[closed.start] = closed
        self.hour.merge(closed)
        close_bucket(closed)
        self.minute = MetricBucket(second - second % 60)
        hour_start = second - second % 3600
        if hour_start == self.hour.start:
            return
        if self.hour.count:
            self.day.merge(self.hour)
            self.hours[self.hour.start] = close_bucket(self.hour)
        self.hour = MetricBucket(hour_start)
        day_start = second - second % 86400
        if day_start != self.day.start:
            if self.day.count:
                self.days[self.day.start] = close_bucket(self.day)
            self.day = MetricBucket(day_start)

    def current(self, size: int, *, groups: bool = True) -> MetricBucket:
        """A copy of the open bucket of tier ``size`` (1, 60 or 3600) with what it has so far.

        The current minute includes the live second, the current hour the minute too.
        """
        parts = (self.hour, self.minute, self.live)[{1: 2, 60: 1, 3600: 0}[size] :]
        bucket = MetricBucket(parts[0].start)
        for part in parts:
            bucket.merge(part, groups=groups)
        return bucket

    def recent(self, size: int, start: int) -> list[MetricBucket]:
        """Buckets of tier ``size`` (1, 60 or 3600) starting at or after ``start``.

        The closed ones are shared (read-only); the open one is a copy (``current``), without
        error groups.
        """
        tier = {1: self.seconds, 60: self.minutes, 3600: self.hours}[size]
        out = [bucket for begin, bucket in tier.items() if begin >= start]
        out.append(self.current(size, groups=False))
        return out
