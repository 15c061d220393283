"""Queries: the buckets covering a window, merged into figures and error rankings.

A window is covered by the coarsest buckets that fit: the live second, the current minute,
hour and day so far, whole days, then hours, minutes and seconds toward the window's head
edge (where the finer tier no longer holds that time, the coarser bucket is taken whole and
``window_start`` says so). The closed minutes of "5m", "15m" and "1h" come merged already
(``rolling.RollingMinutes``): "1h" reads 3 or 4 buckets per operation, "1w" about 35,
whatever the number of samples. Merging into figures is ``figures``; chart series are
``series``.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from rfs_monitoring.errors import APIError, ConfigurationError
from rfs_monitoring.metrics.bucket import (
    MINUTE_SLOTS,
    SECOND_SLOTS,
    BucketTiers,
    MetricBucket,
    copy_bucket,
)
from rfs_monitoring.metrics.examples import Example
from rfs_monitoring.metrics.figures import (
    CURRENT_SECONDS,
    Recent,
    add_counts_by_hour,
    figures,
    merge_pieces,
    summarise,
)
from rfs_monitoring.metrics.grouping import add_to_group
from rfs_monitoring.metrics.pauses import PAUSE_EVERY, pause
from rfs_monitoring.metrics.records import (
    ErrorExample,
    ErrorSummary,
    OperationMetrics,
    SeriesPoint,
    utc,
)
from rfs_monitoring.metrics.rolling import ADHOC_MAX_MINUTES, RollingMinutes
from rfs_monitoring.metrics.time_range import Window, resolve_window
from rfs_monitoring.result import Failure, Result, Success

if TYPE_CHECKING:
    from collections.abc import Callable

    from rfs_monitoring.metrics.archive import MetricsArchive

__all__ = [
    "PAUSE_EVERY",
    "BucketSource",
    "Dashboard",
    "Snapshot",
    "Wanted",
    "add_counts_by_hour",
    "cover",
    "cover_back",
    "dashboard",
    "error_examples",
    "error_summaries",
    "operation_metrics",
    "overall",
    "pause",
    "summarise",
    "top_errors",
    "window_of",
]


class Snapshot(NamedTuple):
    """Buckets covering a window per operation (memory and archive), and where they start;
    ``recent``: each operation's requests of the last minute (``figures.Recent``)."""

    buckets: dict[str, list[MetricBucket]]
    start: float
    recent: Mapping[str, Recent] | None = None


class BucketSource(Protocol):
    """What the queries read (``ResultMetricsCollector`` is one)."""

    @property
    def clock(self) -> Callable[[], float]: ...  # pragma: no cover - a protocol

    @property
    def retention(self) -> _dt.timedelta: ...  # pragma: no cover - a protocol

    @property
    def archive(self) -> MetricsArchive | None: ...  # pragma: no cover - a protocol

    @property
    def point_cache(
        self,
    ) -> dict[tuple[str | None, int, int, int], SeriesPoint]: ...  # pragma: no cover

    def snapshot(
        self, operations: Iterable[str] | None, start: float, end: float
    ) -> Snapshot: ...  # pragma: no cover - a protocol

    def tier_buckets(
        self, size: int, start: int, now: float, operation: str | None = None
    ) -> list[MetricBucket]: ...  # pragma: no cover - a protocol

    def snapshot_all(
        self, start: float, end: float
    ) -> Snapshot | None: ...  # pragma: no cover - a protocol

    def examples_since(
        self, start: float, operation: str | None, group: str | None
    ) -> list[tuple[str, Example]]: ...  # pragma: no cover - a protocol


# ---------------------------------------------------------------------- windows


def window_of(source: BucketSource, time_range: object) -> Result[Window, APIError]:
    """The window ``time_range`` covers in ``source`` (memory retention, or the archive's)."""
    archive = source.archive
    return resolve_window(
        time_range,
        retention=source.retention,
        archive_retention=None if archive is None else archive.retention,
        clock=source.clock,
    )


def cover(
    tiers: BucketTiers,
    t0: float,
    horizon: int,
    pieces: list[MetricBucket],
    rolling: Mapping[int, RollingMinutes] | None = None,
    wanted: list[Wanted] | None = None,
) -> float:
    """Append to ``pieces`` the buckets of ``tiers`` covering ``[t0, now]``; returns their start.

    ``horizon`` is the oldest hour in memory; ``rolling``: the operation's rolling windows
    (their merged minutes replace the minutes one by one). The open buckets keep changing
    once the owner's lock is released: ``pieces`` gets copies of them (closed ones, and
    the rolling windows' totals, are shared). ``wanted``: where no rolling window fits
    closed minutes that an ad-hoc one could hold, a ``Wanted`` is appended instead of the
    minutes and its place in ``pieces`` holds an empty bucket: the caller builds the
    window off the lock and puts its total there (``rolling`` module).
    """
    live = tiers.live
    if t0 >= tiers.minute.start:
        pieces.append(copy_bucket(live))
        if t0 >= live.start:
            return float(live.start)
        # the open minute: its seconds (its ten-second buckets are not aligned to live)
        return cover_back(_levels(tiers, horizon), _SECONDS, t0, live.start, pieces)
    # the open buckets of the current hour, in one copy (they share the hour of day)
    head = copy_bucket(tiers.minute)
    head.merge(live)
    pieces.append(head)
    levels = _levels(tiers, horizon)
    if rolling:
        found = _rolling_cover(tiers, levels, rolling, t0, pieces, wanted)
        if found is not None:
            return found
    if t0 >= tiers.hour.start:
        return cover_back(levels, 2, t0, tiers.minute.start, pieces)
    head.merge(tiers.hour)
    # days are used only when they lie wholly inside the hour tier's horizon, so the
    # archive (read for the time before that horizon) never overlaps them
    t0 = max(t0, horizon)
    if t0 >= tiers.day.start:
        return cover_back(levels, 1, t0, tiers.hour.start, pieces)
    pieces.append(copy_bucket(tiers.day))
    return cover_back(levels, 0, t0, tiers.day.start, pieces)


def _levels(
    tiers: BucketTiers, horizon: int
) -> tuple[tuple[int, dict[int, MetricBucket], int], ...]:
    """Each tier's width, closed buckets and the oldest start it still holds."""
    return (
        (86400, tiers.days, horizon),
        (3600, tiers.hours, horizon),
        (60, tiers.minutes, tiers.minute.start - MINUTE_SLOTS * 60),
        (10, tiers.tens, tiers.live.start - SECOND_SLOTS),
        (1, tiers.seconds, tiers.live.start - SECOND_SLOTS),
    )


_TENS = 3
"""Index of the ten-second tier in ``_levels`` (the second tier follows it)."""
_SECONDS = 4


class Wanted(NamedTuple):
    """An ad-hoc rolling window a query needs (``cover``): its width, the open minute it
    ends at, the closed minutes by start it is made of (and those leaving ``base``), its
    place in the query's pieces, and the window to start from: an earlier one of that
    width to move on, or one of a near width ending at ``end`` to resize."""

    minutes: int
    end: int
    closed: dict[int, MetricBucket]
    slot: int
    base: RollingMinutes | None = None


def _rolling_cover(
    tiers: BucketTiers,
    levels: tuple[tuple[int, dict[int, MetricBucket], int], ...],
    rolling: Mapping[int, RollingMinutes],
    t0: float,
    pieces: list[MetricBucket],
    wanted: list[Wanted] | None,
) -> float | None:
    """``cover`` with the whole closed minutes of the window read from a rolling window
    (None when no rolling window fits, nor an ad-hoc one can be wanted); the same buckets,
    merged ahead of time."""
    end = tiers.minute.start
    second = math.floor(t0)
    edge = second - second % 60  # the minute holding t0
    by_seconds = edge < t0 and second >= levels[_SECONDS][2]  # its seconds are still held
    if by_seconds:
        edge += 60
    minutes = (end - edge) // 60
    window = rolling.get(minutes)
    if window is not None and window.end == end:
        window.read = end
        pieces.append(window.total)
    elif (
        wanted is not None
        and 0 < minutes <= ADHOC_MAX_MINUTES
        and edge >= levels[2][2]  # the minute tier holds all of it
        and (window is None or window.end < end)
    ):
        base = window if window is not None and end - window.end < minutes * 60 else None
        if base is not None:
            first = base.end - minutes * 60  # with the minutes leaving it
        else:  # made anew: resized from a window of a near width, if one is up to date
            base = _nearest(rolling, minutes, end)
            first = edge if base is None else min(edge, end - base.minutes * 60)
        held = tiers.minutes
        closed = {m: held[m] for m in range(first, end, 60) if m in held}
        wanted.append(Wanted(minutes, end, closed, len(pieces), base))
        pieces.append(MetricBucket(edge))  # replaced by the window's total
    else:
        return None
    if by_seconds:
        return cover_back(levels, _TENS, t0, edge, pieces)
    return float(edge)  # t0 on a whole minute, or its minute taken whole


def _nearest(
    rolling: Mapping[int, RollingMinutes], minutes: int, end: int
) -> RollingMinutes | None:
    """The window ending at ``end`` whose width is nearest to ``minutes`` (another one),
    when resizing it adds or takes away fewer minutes than half of ``minutes``: an
    unaligned window, such as ``3517.25`` s, reads 58 or 59 closed minutes as the clock
    moves, next to the "1h" window's 60 (``RollingMinutes.build``)."""
    best = None
    for window in rolling.values():
        gap = abs(window.minutes - minutes)
        if (
            window.end == end
            and 0 < 2 * gap < minutes
            and (best is None or gap < abs(best.minutes - minutes))
        ):
            best = window
    return best


def cover_back(
    levels: tuple[tuple[int, dict[int, MetricBucket], int], ...],
    level: int,
    t0: float,
    end: int,
    pieces: list[MetricBucket],
) -> float:
    """Append the buckets of ``levels[level]`` from ``end`` back to ``t0``; where the tier
    no longer holds the head edge's time, finer levels ``(width, buckets by start, oldest
    start held)`` take over if they hold it, else the straddling bucket is taken whole.
    Returns where the appended buckets begin."""
    size, buckets, _ = levels[level]
    start = end - size
    while start >= t0:
        bucket = buckets.get(start)
        if bucket is not None:
            pieces.append(bucket)
        start -= size
    edge = start + size
    if edge <= t0:
        return float(edge)
    if level + 1 < len(levels):
        finer_size, _, finer_horizon = levels[level + 1]
        if math.floor(t0) - math.floor(t0) % finer_size >= finer_horizon:
            return cover_back(levels, level + 1, t0, edge, pieces)
    bucket = buckets.get(start)
    if bucket is not None:
        pieces.append(bucket)
    return float(start)


# ---------------------------------------------------------------------- figures


def operation_metrics(
    source: BucketSource, name: str, time_range: object
) -> Result[OperationMetrics, APIError]:
    """Figures of operation ``name`` over the last ``time_range``.

    The Failure is a validation APIError for a bad ``time_range`` and a not_found APIError
    for an operation never recorded (in memory or in the archive).
    """
    window = window_of(source, time_range)
    if isinstance(window, Failure):
        return window
    label, t0, now = window.unwrap()
    found = source.snapshot([name], t0, now)
    if name not in found.buckets:
        return Failure(APIError.not_found("operation", name))
    recent = None if found.recent is None else found.recent.get(name)
    return Success(summarise(name, label, found.buckets[name], found.start, now, recent))


def overall(source: BucketSource, time_range: object) -> Result[OperationMetrics, APIError]:
    """Figures of all operations together (``operation_name="*"``)."""
    window = window_of(source, time_range)
    if isinstance(window, Failure):
        return window
    label, t0, now = window.unwrap()
    found = source.snapshot_all(t0, now)
    if found is None:  # the window reaches the archive: read each operation
        found = source.snapshot(None, t0, now)
    merged = [b for buckets in found.buckets.values() for b in buckets]
    recent = _all_recent(found.recent, now)
    return Success(summarise("*", label, merged, found.start, now, recent))


def _all_recent(recent: Mapping[str, Recent] | None, now: float) -> Recent | None:
    if recent is None:
        return None
    total = Recent(start=float(math.floor(now) - CURRENT_SECONDS))
    for part in recent.values():
        total = total.plus(part)
    return total


class Dashboard(NamedTuple):
    """Every operation's figures, all of them together, and the error groups, of one window."""

    operations: list[OperationMetrics]
    overall: OperationMetrics
    errors: list[ErrorSummary]


def dashboard(
    source: BucketSource, names: Iterable[str], time_range: object
) -> Result[Dashboard, APIError]:
    """The figures of each of ``names`` (as ``operation_metrics``), of all together (as
    ``overall``) and the error groups (as ``top_errors``), from one read of each operation's
    buckets: every bucket is merged once (the overall merges the operations' totals).

    Names unknown to ``source`` are left out. The Failure is the validation APIError of a
    bad ``time_range``.
    """
    window = window_of(source, time_range)
    if isinstance(window, Failure):
        return window
    label, t0, now = window.unwrap()
    figures_of: list[OperationMetrics] = []
    pieces: dict[str, list[MetricBucket]] = {}
    totals: list[MetricBucket] = []
    hourly: dict[int, int] = {}
    recents: dict[str, Recent] = {}
    covered = float(math.floor(now))
    for name in names:
        found = source.snapshot([name], t0, now)
        if name not in found.buckets:
            continue
        pieces[name] = found.buckets[name]
        total, by_hour = merge_pieces(found.buckets[name], found.start)
        recent = None if found.recent is None else found.recent.get(name)
        if recent is not None:
            recents[name] = recent
        figures_of.append(figures(name, label, total, by_hour, found.start, now, recent))
        totals.append(total)
        add_counts_by_hour(hourly, by_hour)
        covered = min(covered, found.start)
        pause()
    everything, _ = merge_pieces(totals, covered)
    overall_figures = figures(
        "*", label, everything, hourly, covered, now, _all_recent(recents or None, now)
    )
    return Success(Dashboard(figures_of, overall_figures, error_summaries(pieces)))


# ---------------------------------------------------------------------- errors


def top_errors(
    source: BucketSource, limit: int, time_range: object, operation: str | None
) -> Result[list[ErrorSummary], APIError]:
    """The ``limit`` most frequent error groups (of ``operation``, or of all)."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        return Failure(
            APIError.validation_error(
                f"limit {limit!r} is not accepted; use an int >= 1", field="limit"
            )
        )
    window = window_of(source, time_range)
    if isinstance(window, Failure):
        return window
    _, t0, now = window.unwrap()
    found = source.snapshot(None if operation is None else [operation], t0, now)
    if operation is not None and operation not in found.buckets:
        return Failure(APIError.not_found("operation", operation))
    return Success(error_summaries(found.buckets)[:limit])


def error_summaries(pieces: dict[str, list[MetricBucket]]) -> list[ErrorSummary]:
    """Every error group of the buckets, most frequent first (then by message)."""
    groups: dict[str, list[Any]] = {}
    operations: dict[str, list[str]] = {}
    for op_name, buckets in pieces.items():
        pause()
        for bucket in buckets:
            for message, (n, last, code) in bucket.groups.items():
                add_to_group(groups, message, n, last, code)
                names = operations.setdefault(message, [])
                if not names or names[-1] != op_name:
                    names.append(op_name)
    ranked = sorted(groups.items(), key=lambda kv: (-kv[1][0], kv[0]))
    return [
        ErrorSummary(message, code, n, utc(last), sorted(operations[message]))
        for message, (n, last, code) in ranked
    ]


def error_examples(
    source: BucketSource,
    time_range: object,
    operation: str | None,
    message: str | None,
    limit: int,
) -> list[ErrorExample]:
    """The newest kept failures in the window (of ``operation``, of the group ``message``),
    newest first, at most ``limit`` (see the collector's ``error_examples``).

    Raises:
        ConfigurationError: a bad argument, naming it.
    """
    given: tuple[tuple[str, object], ...] = (("operation", operation), ("message", message))
    for label, value in given:
        if value is not None and not isinstance(value, str):
            msg = f"{label} must be a str or None, got {value!r}"
            raise ConfigurationError(msg)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        msg = f"limit must be an int >= 1, got {limit!r}"
        raise ConfigurationError(msg)
    window = window_of(source, time_range)
    if isinstance(window, Failure):
        raise ConfigurationError(window.unwrap_error().message)
    _, t0, _ = window.unwrap()
    found = source.examples_since(t0, operation, message)
    found.sort(key=lambda row: row[1].when, reverse=True)
    return [
        ErrorExample(utc(e.when), name, e.code, e.message, e.correlation_id, e.trace_id)
        for name, e in found[:limit]
    ]
