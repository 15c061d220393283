"""Rolling windows: an operation's last few closed minutes, kept merged as minutes close.

A "1h" query reads the last 60 closed minutes of every operation; merging them on each query
costs 60 sketch merges per operation (6,000 with 100 operations). ``RollingMinutes`` keeps
their merge instead, moved on by the first query of each later minute: it adds the minutes
that closed and takes away those that left the window (counts, sketch bins and error-group
counts subtract exactly, ``MetricBucket.take_away``) and sums the float fields (durations,
maximum, resources) over the window's minutes again, so no rounding drifts. The query does
that off the collector's lock, from the closed (read-only) minutes it collected under it
(``build``); the recording path never does. A query then reads one bucket per operation for
the closed minutes of its window (``query.cover``).

The windows always kept (``ROLLING_MINUTES``) are the closed minutes that "5m", "15m" and
"1h" read on a clock that is not on a whole minute: 4, 15 and 60 (the seconds at the window's
head come from the ten-second and second tiers while they hold that time, else the
straddling minute is taken whole). Any other width of at most ``ADHOC_MAX_MINUTES`` (a
window such as ``3517.25`` or ``1800`` seconds) gets an ad-hoc window the first time a query
reads it (resized from a window of a near width ending at the same minute, when one is up to
date: an unaligned window reads 58 or 59 minutes as the clock moves, next to "1h"'s 60),
kept in the same way (at most ``ADHOC_WINDOWS`` per operation) and dropped when no query
read it for ``ADHOC_IDLE_SECONDS``. So a dashboard polled with any window merges every
minute of it once, not once per poll.
"""

from __future__ import annotations

import math
from collections import deque

from rfs_monitoring.metrics.bucket import MetricBucket
from rfs_monitoring.metrics.figures import CURRENT_SECONDS, Recent

__all__ = [
    "ADHOC_IDLE_SECONDS",
    "ADHOC_MAX_MINUTES",
    "ADHOC_WINDOWS",
    "ROLLING_MINUTES",
    "RecentSeconds",
    "RollingMinutes",
    "RollingTotal",
    "rolling_windows",
]

ROLLING_MINUTES = (4, 15, 60)
"""How many closed minutes each rolling window always kept holds."""

ADHOC_MAX_MINUTES = 60
"""The widest ad-hoc window (wider windows read closed hours and the minutes at their edge)."""

ADHOC_WINDOWS = 6
"""The most ad-hoc windows an operation keeps (the least recently read one makes room)."""

ADHOC_IDLE_SECONDS = 180
"""An ad-hoc window no query read for this long is dropped when the next minute closes."""


class RollingTotal(MetricBucket):
    """A bucket merging many minutes, with their requests by UTC hour of day (``hourly``),
    which ``figures.merge_pieces`` reads instead of its start's hour."""

    __slots__ = ("hourly",)

    def __init__(self, start: int) -> None:
        super().__init__(start)
        self.hourly: dict[int, int] = {}

    def add(self, minute: MetricBucket) -> None:
        """Merge ``minute`` in, counting its requests in its hour."""
        self.merge(minute)
        hour = (minute.start // 3600) % 24
        self.hourly[hour] = self.hourly.get(hour, 0) + minute.count

    def remove(self, minute: MetricBucket) -> None:
        """Take ``minute`` (added earlier) away (``MetricBucket.take_away``)."""
        self.take_away(minute)
        hour = (minute.start // 3600) % 24
        left = self.hourly.get(hour, 0) - minute.count
        if left > 0:
            self.hourly[hour] = left
        else:
            self.hourly.pop(hour, None)

    def copy(self) -> RollingTotal:
        """An independent copy."""
        twin = RollingTotal(self.start)
        twin.merge(self, sketch=False)
        twin.sketch = self.sketch.copy()
        twin.hourly = dict(self.hourly)
        return twin


class RollingMinutes:
    """The merge of an operation's closed minutes in ``[end - minutes * 60, end)``.

    ``total`` is never changed once published (queries read it outside the owner's lock):
    ``advance`` builds a new one. The owner locks.

    Attributes:
        minutes: the window's width in minutes.
        end: the start of the open minute (where the window ends).
        total: the merged minutes (``total.start`` is the window's start).
    """

    __slots__ = ("end", "minutes", "read", "total")

    def __init__(self, minutes: int, end: int) -> None:
        self.minutes = minutes
        self.end = end
        self.total = RollingTotal(end - minutes * 60)
        self.read = end
        """The open minute when a query last read it (ad-hoc windows idle too long go)."""

    @classmethod
    def build(
        cls,
        minutes: int,
        closed: dict[int, MetricBucket],
        end: int,
        base: RollingMinutes | None = None,
    ) -> RollingMinutes:
        """The window of ``minutes`` closed minutes ending at ``end``, from ``base`` (left as
        it is: an earlier window of that width to move on, or one of another width ending at
        ``end`` to resize) or else from nothing; ``closed`` holds the closed minutes by
        start: those of the window, and those leaving ``base`` (``_moved``)."""
        start = end - minutes * 60
        window = cls(minutes, end)
        if base is None:
            window.total = _moved(window.total, closed, (start, start), start, end)
        else:
            was = (base.end - base.minutes * 60, base.end)
            window.total = _moved(base.total, closed, was, start, end)
        return window

    def __repr__(self) -> str:
        return f"RollingMinutes(minutes={self.minutes}, end={self.end}, total={self.total!r})"

    def advance(self, closed: dict[int, MetricBucket], end: int) -> None:
        """Move the window to end at ``end``; ``closed`` holds the closed minutes by start
        (the ones that just closed included, and every one still in the window)."""
        if end <= self.end:
            return
        width = self.minutes * 60
        self.total = _moved(self.total, closed, (self.end - width, self.end), end - width, end)
        self.end = end


def _moved(
    total: RollingTotal,
    closed: dict[int, MetricBucket],
    was: tuple[int, int],
    start: int,
    end: int,
) -> RollingTotal:
    """``total`` (the closed minutes in ``[was[0], was[1])``) moved to hold those in
    ``[start, end)``, as a new bucket (readers may hold the published one): the minutes
    left behind at its old start taken away, those before it (a wider window) and those
    closed since its old end added; ``closed`` holds the minutes by start. Exact: counts
    subtract (``MetricBucket.take_away``), the float fields are summed again."""
    old_start, old_end = was
    if old_end <= start:  # nothing carries over
        moved = RollingTotal(start)
        added = [range(start, end, 60)]
    else:
        moved = total.copy()
        for minute in range(old_start, start, 60):
            gone = closed.get(minute)
            if gone is not None:
                moved.remove(gone)
        added = [range(start, old_start, 60), range(old_end, end, 60)]
    for minutes in added:
        for minute in minutes:
            bucket = closed.get(minute)
            if bucket is not None:
                moved.add(bucket)
    _resum(moved, closed, start, end)
    moved.start = start
    return moved if moved.count else RollingTotal(start)


def _resum(total: MetricBucket, closed: dict[int, MetricBucket], start: int, end: int) -> None:
    """Sum the float fields over the window's minutes again (subtracting floats drifts; the
    maximum and the first sample cannot be taken away)."""
    total_ms = max_ms = mem_sum = cpu_sum = 0.0
    first = math.inf
    for minute in range(start, end, 60):
        bucket = closed.get(minute)
        if bucket is not None:
            total_ms += bucket.total_ms
            mem_sum += bucket.mem_sum
            cpu_sum += bucket.cpu_sum
            if bucket.max_ms > max_ms:
                max_ms = bucket.max_ms
            if bucket.first < first:
                first = bucket.first
    total.first = first
    total.total_ms = total_ms
    total.max_ms = max_ms
    total.mem_sum = mem_sum
    total.cpu_sum = cpu_sum


def rolling_windows(end: int) -> dict[int, RollingMinutes]:
    """The rolling windows of a new operation whose open minute starts at ``end``, by width."""
    return {minutes: RollingMinutes(minutes, end) for minutes in ROLLING_MINUTES}


class RecentSeconds:
    """The requests of an operation's closed seconds of the last ``CURRENT_SECONDS``, as
    seconds close (what ``current_requests_per_second`` reads); the owner locks."""

    __slots__ = ("held", "requests")

    def __init__(self) -> None:
        self.held: deque[tuple[int, int, float]] = deque()
        self.requests = 0

    def push(self, second: MetricBucket) -> None:
        """Count a second that is closing (``start``, ``count``, ``first``)."""
        self._forget(second.start - CURRENT_SECONDS)
        self.held.append((second.start, second.count, second.first))
        self.requests += second.count

    def read(self, live: MetricBucket, now: int) -> Recent:
        """The requests from ``now - CURRENT_SECONDS`` on, the live second's included."""
        start = now - CURRENT_SECONDS
        self._forget(start)
        held = self.held
        first = held[0][2] if held else live.first
        return Recent(self.requests + live.count, first, float(start))

    def _forget(self, start: int) -> None:
        """Drop the seconds before ``start`` (at most a minute's stay held)."""
        held = self.held
        while held and held[0][0] < start:
            self.requests -= held.popleft()[1]
