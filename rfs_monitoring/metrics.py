"""Metrics collector: per-operation counts, latency quantiles and error groups in time buckets.

``ResultMetricsCollector.record(...)`` is the hot path: it appends the duration to the
operation's buffer for the current second under a lock (no I/O, no sorting, O(1)). When a
new second starts, the buffer is folded into a *second bucket* (counts, sum, max, errors by
code and type, normalised error groups and a ``LatencySketch``), which rolls up into the
current *minute bucket*, then the *hour bucket*, then the *day bucket* (UTC days):

=========  ===========================  ===========================================
tier       kept in memory               used by
=========  ===========================  ===========================================
second     the last ``SECOND_SLOTS`` s  the head edge of windows up to five minutes
minute     the last ``MINUTE_SLOTS`` m  windows up to about two hours
hour       ``retention`` (7 days)       longer windows, and the head edge of "1d", "1w"
day        days inside the retention    the middle of windows of a day or more
=========  ===========================  ===========================================

A query merges the coarsest buckets that cover the window: the live second, the current
minute, hour and day so far, whole days, then hours, minutes and seconds toward the window's
head edge (where the finer tier no longer holds that time, the coarser bucket is taken whole
and ``window_start`` says so). "1h" merges about 60 buckets and "1w" about 35, whatever the
number of samples. Hour buckets leaving the retention go to the optional SQLite archive
(``rfs_monitoring.archive``), which longer queries ("30d") read too.

Error messages are masked (``rfs_monitoring.masking.mask_text``) and normalised (numbers,
UUIDs, hex ids and quoted values become placeholders) before they are stored, so
"user 123 not found" and "user 456 not found" are one group. Cardinality is capped: past
``max_operations`` operations, samples go to the ``OTHER`` operation; past
``max_error_groups`` groups (or codes, or types) per operation, to an ``OTHER`` group; both are
counted in ``stats()``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import math
import operator
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from rfs_monitoring.errors import APIError, ConfigurationError, ErrorCode, error_code_of
from rfs_monitoring.masking import mask_text
from rfs_monitoring.mono import MonoResult
from rfs_monitoring.result import Failure, Result, Success, to_result
from rfs_monitoring.sketch import LatencySketch

if TYPE_CHECKING:
    from rfs_monitoring.archive import MetricsArchive

__all__ = [
    "FOLD_BATCH",
    "MINUTE_SLOTS",
    "OTHER",
    "SECOND_SLOTS",
    "ErrorSummary",
    "MetricBucket",
    "MetricSample",
    "OperationMetrics",
    "OperationTotals",
    "ResultMetricsCollector",
    "normalise_error_message",
    "parse_time_range",
]

OTHER = "__other__"
"""Operation name / error group that takes samples beyond the cardinality caps."""

SECOND_SLOTS = 5 * 60 + 10
"""How many closed second buckets an operation keeps (a little over five minutes)."""

MINUTE_SLOTS = 2 * 60 + 10
"""How many closed minute buckets an operation keeps (a little over two hours)."""

FOLD_BATCH = 2048
"""Buffered samples are folded early at this count, so no call pays a long fold."""

_NAMED_RANGES: dict[str, int] = {
    "1m": 60,
    "5m": 300,
    "15m": 900,
    "1h": 3600,
    "6h": 6 * 3600,
    "1d": 86400,
    "1w": 7 * 86400,
    "30d": 30 * 86400,
}
ACCEPTED_TIME_RANGES = (
    '"1m", "5m", "15m", "1h", "6h", "1d", "1w", "30d" (with an archive), '
    "a number of seconds > 0, or a datetime.timedelta > 0"
)
_MAX_MESSAGE_CHARS = 300
_RECENT_GROUP_SECONDS = 3600.0

TimeRange = str | float | int | _dt.timedelta
ResourceReader = Callable[[], "tuple[float | None, float | None]"]


# ---------------------------------------------------------------------- public records


@dataclasses.dataclass
class MetricSample:
    """One recorded outcome, as subscribers receive it (the message as recorded)."""

    operation: str
    success: bool
    duration_ms: float
    error_code: str | None
    error_type: str | None
    error_message: str | None
    timestamp: float


@dataclasses.dataclass
class OperationMetrics:
    """Figures of one operation (or ``"*"``: all of them) over a time window.

    Durations are in milliseconds; quantiles are within 1% of the exact value.
    ``hourly_distribution`` maps the UTC hour of day to the request count;
    ``window_start`` is the start of the oldest bucket used (windows are covered by whole
    buckets, so it may lie a little before ``window_end - time_range``).
    """

    operation_name: str
    time_window: str
    total_requests: int
    successful_requests: int
    failed_requests: int
    success_rate: float
    avg_response_time_ms: float
    p50_response_time_ms: float
    p90_response_time_ms: float
    p99_response_time_ms: float
    max_response_time_ms: float
    error_breakdown: dict[str, int]
    top_errors: list[tuple[str, int]]
    avg_memory_usage_mb: float
    avg_cpu_usage_percent: float
    hourly_distribution: dict[int, int]
    requests_per_second: float
    window_start: _dt.datetime
    window_end: _dt.datetime


@dataclasses.dataclass
class ErrorSummary:
    """One group of errors sharing a normalised (and masked) message."""

    message: str
    error_code: str | None
    count: int
    last_seen: _dt.datetime
    operations: list[str]


@dataclasses.dataclass
class OperationTotals:
    """Lifetime totals of one operation (what the Prometheus / OTel exporters publish)."""

    operation: str
    total: int
    failed: int
    sum_ms: float
    error_codes: dict[str, int]
    sketch: LatencySketch


# ---------------------------------------------------------------------- time ranges


def parse_time_range(value: object) -> Result[_dt.timedelta, APIError]:
    """Parse a time range into a timedelta.

    Accepted: "1m", "5m", "15m", "1h", "6h", "1d", "1w", "30d" (the collector accepts
    windows longer than its retention only with an archive), a number of seconds > 0, or a
    ``timedelta`` > 0. Anything else is a ``Failure`` with a validation APIError that names
    the accepted forms.
    """
    if isinstance(value, _dt.timedelta):
        if value > _dt.timedelta(0):
            return Success(value)
    elif isinstance(value, str):
        seconds = _NAMED_RANGES.get(value.strip())
        if seconds is not None:
            return Success(_dt.timedelta(seconds=seconds))
    elif (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 < value <= 10 * 365 * 86400
    ):
        return Success(_dt.timedelta(seconds=value))
    return Failure(_bad_range(value, f"use {ACCEPTED_TIME_RANGES}"))


def _bad_range(value: object, hint: str) -> APIError:
    return APIError.validation_error(
        f"time_range {value!r} is not accepted; {hint}",
        field="time_range",
        details={"value": repr(value)},
    )


def _label(value: object, window: _dt.timedelta) -> str:
    if isinstance(value, str):
        return value.strip()
    return f"{window.total_seconds():g}s"


# ---------------------------------------------------------------------- messages

_UUID = re.compile(
    r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
)
_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"|`[^`\n]*`")
_HEX = re.compile(
    r"\b0[xX][0-9a-fA-F]+\b|\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b"
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_SPACES = re.compile(r"\s+")


def normalise_error_message(message: str) -> str:
    """The grouping key of an error message: masked, with variable parts as placeholders.

    UUIDs become ``<uuid>``, quoted values ``<str>``, hex ids ``<hex>`` and numbers ``<n>``;
    whitespace is collapsed and the result is cut to 300 characters.

    >>> normalise_error_message("user 123 not found")
    'user <n> not found'
    """
    text = mask_text(message[: _MAX_MESSAGE_CHARS * 4])
    text = _UUID.sub("<uuid>", text)
    text = _QUOTED.sub("<str>", text)
    text = _HEX.sub("<hex>", text)
    text = _NUMBER.sub("<n>", text)
    text = _SPACES.sub(" ", text).strip()
    return text[:_MAX_MESSAGE_CHARS] or "<empty>"


# ---------------------------------------------------------------------- buckets


class MetricBucket:
    """Aggregates of one operation over one time bucket (second, minute or hour).

    Attributes:
        start: bucket start, epoch seconds (aligned to the bucket size).
        count / failed: requests and failed requests.
        timed / total_ms / max_ms: samples with a valid duration, their sum and maximum.
        sketch: the latency sketch of the timed samples.
        codes / types: failed requests by error code and by error type.
        groups: normalised message -> [count, last_seen, error_code].
        mem_sum / mem_n / cpu_sum / cpu_n: resource samples taken while the bucket was live.
    """

    __slots__ = (
        "codes",
        "count",
        "cpu_n",
        "cpu_sum",
        "failed",
        "groups",
        "max_ms",
        "mem_n",
        "mem_sum",
        "sketch",
        "start",
        "timed",
        "total_ms",
        "types",
    )

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
        self.groups: dict[str, list[Any]] = {}
        self.mem_sum = 0.0
        self.mem_n = 0
        self.cpu_sum = 0.0
        self.cpu_n = 0

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
        if sketch:
            self.sketch.merge(other.sketch)
        _add_counts(self.codes, other.codes)
        _add_counts(self.types, other.types)
        if groups:
            _merge_groups(self.groups, other.groups)
        self.mem_sum += other.mem_sum
        self.mem_n += other.mem_n
        self.cpu_sum += other.cpu_sum
        self.cpu_n += other.cpu_n

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


def _close(bucket: MetricBucket) -> MetricBucket:
    """Make a bucket that will not change again smaller."""
    bucket.sketch.compact()
    if not bucket.codes:
        bucket.codes = _NONE
    if not bucket.types:
        bucket.types = _NONE
    if not bucket.groups:
        bucket.groups = _NONE
    return bucket


def _copy(bucket: MetricBucket) -> MetricBucket:
    twin = MetricBucket(bucket.start)
    twin.merge(bucket)
    return twin


def _add_counts(into: dict[str, int], other: Mapping[str, int]) -> None:
    for key, n in other.items():
        into[key] = into.get(key, 0) + n


def _merge_groups(into: dict[str, list[Any]], other: Mapping[str, list[Any]]) -> None:
    for key, (n, last, code) in other.items():
        mine = into.get(key)
        if mine is None:
            into[key] = [n, last, code]
        else:
            mine[0] += n
            if last >= mine[1]:
                mine[1] = last
                mine[2] = code


class _Operation:
    """Live state of one operation; every field is guarded by the collector's lock."""

    __slots__ = (
        "codes_seen",
        "day",
        "days",
        "end",
        "failures",
        "group_seen",
        "hour",
        "hours",
        "lifetime",
        "live",
        "minute",
        "minutes",
        "name",
        "pending",
        "seconds",
        "types_seen",
    )

    def __init__(self, name: str, second: int) -> None:
        self.name = name
        self.pending: list[float] = []
        self.failures: list[tuple[str | None, str | None, str | None, float]] = []
        self.end = float(second + 1)
        self.live = MetricBucket(second)
        self.minute = MetricBucket(second - second % 60)
        self.hour = MetricBucket(second - second % 3600)
        self.day = MetricBucket(second - second % 86400)
        self.seconds: dict[int, MetricBucket] = {}
        self.minutes: dict[int, MetricBucket] = {}
        self.hours: dict[int, MetricBucket] = {}
        self.days: dict[int, MetricBucket] = {}
        self.lifetime = MetricBucket(second)
        self.group_seen: dict[str, float] = {}
        self.codes_seen: set[str] = set()
        self.types_seen: set[str] = set()


def _default_resources() -> tuple[float | None, float | None]:
    from rfs_monitoring.resources import resource_snapshot

    return resource_snapshot()


# ---------------------------------------------------------------------- the collector


class ResultMetricsCollector:
    """Collects operation outcomes in time buckets and answers windowed queries.

    Args:
        clock: returns epoch seconds (inject a fake one in tests).
        retention: how long hour buckets stay in memory (at least one hour).
        max_operations: distinct operations tracked; later ones go to ``OTHER``.
        max_error_groups: distinct error groups, codes and types per operation; later ones
            go to ``OTHER``.
        archive: a ``MetricsArchive`` that hour buckets leaving retention are written to
            and that queries longer than the retention read.
        resources: returns ``(rss_mb, cpu_percent)``; read once per second bucket
            (default: ``rfs_monitoring.resources.resource_snapshot``, a cached value).

    Raises:
        ConfigurationError: a bad argument.
    """

    _default: ClassVar[ResultMetricsCollector | None] = None
    _default_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        *,
        retention: _dt.timedelta = _dt.timedelta(days=7),
        max_operations: int = 1000,
        max_error_groups: int = 100,
        archive: MetricsArchive | None = None,
        resources: ResourceReader | None = None,
    ) -> None:
        given: object = clock
        if not callable(given):
            msg = f"clock must be a callable returning epoch seconds, got {given!r}"
            raise ConfigurationError(msg)
        if not isinstance(retention, _dt.timedelta) or retention < _dt.timedelta(hours=1):
            msg = f"retention must be a timedelta of at least one hour, got {retention!r}"
            raise ConfigurationError(msg)
        for label, value in (
            ("max_operations", max_operations),
            ("max_error_groups", max_error_groups),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                msg = f"{label} must be an int >= 1, got {value!r}"
                raise ConfigurationError(msg)
        self._clock = clock
        self.retention = retention
        self._retention_hours = math.ceil(retention.total_seconds() / 3600)
        self.max_operations = max_operations
        self.max_error_groups = max_error_groups
        self.archive = archive
        self._resources: ResourceReader = resources if resources is not None else _default_resources
        self._lock = threading.Lock()
        self._ops: dict[str, _Operation] = {}
        self._subscribers: tuple[Callable[[MetricSample], object], ...] = ()
        self._archive_queue: list[tuple[str, MetricBucket]] = []
        self._message_cache: dict[str, str] = {}
        self._counters = dict.fromkeys(
            (
                "other_operation_samples",
                "other_error_groups",
                "invalid_durations",
                "invalid_results",
                "record_errors",
                "clock_regressions",
                "subscriber_errors",
                "resource_errors",
                "archive_errors",
                "archived_buckets",
            ),
            0,
        )

    # ------------------------------------------------------------------ default instance

    @classmethod
    def instance(cls) -> ResultMetricsCollector:
        """The process-wide default collector (created on first use)."""
        default = cls._default
        if default is None:
            with cls._default_lock:
                if cls._default is None:
                    cls._default = cls()
                default = cls._default
        return default

    @classmethod
    def set_instance(
        cls, collector: ResultMetricsCollector | None
    ) -> ResultMetricsCollector | None:
        """Make ``collector`` the default (None: a fresh one); returns the previous default.

        Raises:
            TypeError: ``collector`` is neither a ResultMetricsCollector nor None.
        """
        given: object = collector
        if given is not None and not isinstance(given, ResultMetricsCollector):
            msg = f"set_instance() expects a ResultMetricsCollector or None, got {given!r}"
            raise TypeError(msg)
        with cls._default_lock:
            previous = cls._default
            cls._default = collector if collector is not None else cls()
        return previous

    # ------------------------------------------------------------------ recording

    def record(
        self,
        operation: str,
        *,
        success: bool,
        duration_ms: float,
        error_code: str | None = None,
        error_type: str | None = None,
        error_message: str | None = None,
    ) -> None:
        """Record one outcome of ``operation``: O(1), no I/O, thread-safe, never raises.

        A duration that is no finite number is counted in ``stats()["invalid_durations"]``
        (the request still counts); a negative one counts as zero. Anything else that goes
        wrong (an unhashable operation name, a clock returning no number) drops the sample
        and counts it in ``stats()["record_errors"]``.
        """
        with self._lock:
            try:
                now = self._clock()
                op = self._ops.get(operation)
                if op is None or now >= op.end or now < op.end - 1.0:
                    op = self._open_second(operation, op, now)
                pending = op.pending
                pending.append(duration_ms)
                if not success:
                    op.failures.append((error_code, error_type, error_message, now))
                if len(pending) >= FOLD_BATCH:
                    self._fold(op)
            except Exception:  # noqa: BLE001 - recording never raises into the caller
                self._counters["record_errors"] += 1
                return
        if self._subscribers:
            self._notify(
                MetricSample(
                    operation, success, duration_ms, error_code, error_type, error_message, now
                )
            )

    def record_result(self, operation: str, result: object, duration_ms: float) -> None:
        """Record a Result (ours, or one of ``returns``, ``result``, ``rfs-framework``).

        The error code is ``error_code_of(error)`` (as in the log entries), its type the
        error's class name, its message ``str(error)``. A value that is no Result is counted
        in ``stats()["invalid_results"]``, never raised.
        """
        try:
            res = to_result(result)
        except Exception:  # noqa: BLE001 - observability never raises into the caller
            with self._lock:
                self._counters["invalid_results"] += 1
            return
        if res.is_success():
            self.record(operation, success=True, duration_ms=duration_ms)
            return
        error = res.unwrap_error()
        try:
            code = error_code_of(error)
            message = getattr(error, "message", None)
        except Exception:  # noqa: BLE001 - a broken error attribute never raises here
            code = message = None
            with self._lock:
                self._counters["record_errors"] += 1
        self.record(
            operation,
            success=False,
            duration_ms=duration_ms,
            error_code=code,
            error_type=type(error).__name__,
            error_message=message if isinstance(message, str) else _safe_str(error),
        )

    def _notify(self, sample: MetricSample) -> None:
        for fn in self._subscribers:
            try:
                fn(sample)
            except Exception:  # noqa: BLE001 - a subscriber never breaks recording
                with self._lock:
                    self._counters["subscriber_errors"] += 1

    def _open_second(self, name: str, op: _Operation | None, now: float) -> _Operation:
        """Slow path of ``record`` (lock held): a new operation or a new second."""
        second = _floor(now)
        if op is None:
            op = self._resolve(name, second)
            if now < op.end:
                return op
        if second >= op.end:
            self._advance(op, second)
            self._sample_resources(op.live)
        elif now < op.end - 1.0:
            # The clock went back (an NTP step): the sample joins the live second.
            self._counters["clock_regressions"] += 1
        return op

    def _resolve(self, name: str, second: int) -> _Operation:
        tracked = len(self._ops) - (OTHER in self._ops)
        if not isinstance(name, str) or (tracked >= self.max_operations and name != OTHER):
            self._counters["other_operation_samples"] += 1
            other = self._ops.get(OTHER)
            if other is None:
                other = self._ops[OTHER] = _Operation(OTHER, second)
                self._sample_resources(other.live)
            return other
        op = self._ops[name] = _Operation(name, second)
        self._sample_resources(op.live)
        return op

    def _sample_resources(self, bucket: MetricBucket) -> None:
        try:
            rss, cpu = self._resources()
        except Exception:  # noqa: BLE001 - a broken reader only loses the resource figures
            self._counters["resource_errors"] += 1
            return
        if rss is not None:
            bucket.mem_sum += rss
            bucket.mem_n += 1
        if cpu is not None:
            bucket.cpu_sum += cpu
            bucket.cpu_n += 1

    def _fold(self, op: _Operation) -> None:
        """Fold the buffered samples of the live second into its bucket (lock held)."""
        pending = op.pending
        failures = op.failures
        if not pending and not failures:
            return
        live = op.live
        n = len(pending)
        live.count += n
        if pending:
            invalid = live.sketch.add_many(pending)
            try:
                total = sum(pending)
                top = max(pending)
                if invalid or not math.isfinite(total) or min(pending) < 0:
                    raise ValueError
            except (TypeError, ValueError):
                valid = [_clean(d) for d in pending]
                kept = [d for d in valid if d is not None]
                invalid = n - len(kept)
                total = math.fsum(kept)
                top = max(kept, default=0.0)
            self._counters["invalid_durations"] += invalid
            live.timed += n - invalid
            live.total_ms += total
            if top > live.max_ms:
                live.max_ms = top
            op.pending = []
        if failures:
            live.failed += len(failures)
            rows: list[tuple[object, object, object, float]] = list(failures)
            try:
                keys = list(map(_FAILURE_KEY, rows))
                counts = Counter(keys)
            except TypeError:  # an unhashable code, type or message: use their text
                rows = [(_plain(c), _plain(k), _plain(m), w) for c, k, m, w in rows]
                keys = list(map(_FAILURE_KEY, rows))
                counts = Counter(keys)
            last_seen = dict(zip(keys, map(_FAILURE_WHEN, rows), strict=True))
            for key, n in counts.items():
                code, kind, message = key
                self._count_failure(op, live, code, kind, message, last_seen[key], n)
            op.failures = []

    def _count_failure(
        self,
        op: _Operation,
        bucket: MetricBucket,
        code: object,
        kind: object,
        message: object,
        when: float,
        n: int,
    ) -> None:
        code_key = _capped(op.codes_seen, _text(code, "UNKNOWN"), self.max_error_groups)
        type_key = _capped(op.types_seen, _text(kind, "Error"), self.max_error_groups)
        bucket.codes[code_key] = bucket.codes.get(code_key, 0) + n
        bucket.types[type_key] = bucket.types.get(type_key, 0) + n
        raw = message if isinstance(message, str) else (_text(kind, "") or _text(code, "error"))
        group = self._message_cache.get(raw)
        if group is None:
            if len(self._message_cache) >= 4096:
                self._message_cache.clear()
            group = self._message_cache[raw] = normalise_error_message(raw)
        seen = op.group_seen
        if group not in seen and len(seen) >= self.max_error_groups:
            horizon = when - _RECENT_GROUP_SECONDS
            for stale in [k for k, last in seen.items() if last < horizon]:
                del seen[stale]
            if len(seen) >= self.max_error_groups:
                self._counters["other_error_groups"] += n
                group = OTHER
        seen[group] = when
        entry = bucket.groups.get(group)
        if entry is None:
            bucket.groups[group] = [n, when, code_key]
        else:
            entry[0] += n
            if when >= entry[1]:
                entry[1] = when
                entry[2] = code_key

    def _advance(self, op: _Operation, second: int) -> None:
        """Close the live second (and minute, hour) when ``second`` is past it (lock held)."""
        self._fold(op)
        live = op.live
        if second <= live.start:
            return
        if live.count:
            op.seconds[live.start] = _close(live)
            op.minute.merge(live, groups=True)
            op.lifetime.merge(live, groups=False)
        elif live.mem_n or live.cpu_n:
            op.minute.merge(live)
        minute_start = second - second % 60
        if minute_start != op.minute.start:
            closed = op.minute
            if closed.count:
                op.minutes[closed.start] = closed
            op.hour.merge(closed)
            _close(closed)
            op.minute = MetricBucket(minute_start)
            hour_start = second - second % 3600
            if hour_start != op.hour.start:
                if op.hour.count:
                    op.day.merge(op.hour)
                    op.hours[op.hour.start] = _close(op.hour)
                op.hour = MetricBucket(hour_start)
                day_start = second - second % 86400
                if day_start != op.day.start:
                    if op.day.count:
                        op.days[op.day.start] = _close(op.day)
                    op.day = MetricBucket(day_start)
        op.live = MetricBucket(second)
        op.end = float(second + 1)
        _evict(op.seconds, second - SECOND_SLOTS)
        _evict(op.minutes, op.minute.start - MINUTE_SLOTS * 60)
        horizon = op.hour.start - self._retention_hours * 3600
        _evict(op.days, horizon)
        evicted = _evict(op.hours, horizon)
        if evicted and self.archive is not None:
            self._archive_queue.extend((op.name, bucket) for bucket in evicted)

    def _memory_horizon(self, op: _Operation) -> int:
        return op.hour.start - self._retention_hours * 3600

    # ------------------------------------------------------------------ subscribers

    def subscribe(self, fn: Callable[[MetricSample], object]) -> Callable[[], None]:
        """Call ``fn(sample)`` for every recorded sample (in the recording thread).

        A subscriber that raises is counted in ``stats()["subscriber_errors"]``, never
        raised. Returns a callable that unsubscribes (idempotent).

        Raises:
            TypeError: ``fn`` is not callable.
        """
        given: object = fn
        if not callable(given):
            msg = f"subscribe() expects a callable taking a MetricSample, got {given!r}"
            raise TypeError(msg)
        with self._lock:
            self._subscribers = (*self._subscribers, fn)

        def unsubscribe() -> None:
            with self._lock:
                subs = list(self._subscribers)
                with contextlib.suppress(ValueError):
                    subs.remove(fn)
                self._subscribers = tuple(subs)

        return unsubscribe

    @contextlib.contextmanager
    def subscription(self, fn: Callable[[MetricSample], object]) -> Iterator[None]:
        """Subscribe ``fn`` for the duration of a ``with`` block."""
        unsubscribe = self.subscribe(fn)
        try:
            yield
        finally:
            unsubscribe()

    # ------------------------------------------------------------------ queries

    def _window(
        self, time_range: object
    ) -> Result[tuple[_dt.timedelta, str, float, float], APIError]:
        parsed = parse_time_range(time_range)
        if isinstance(parsed, Failure):
            return parsed
        window = parsed.unwrap()
        limit = (
            self.retention if self.archive is None else max(self.retention, self.archive.retention)
        )
        if window > limit:
            if self.archive is None:
                hint = (
                    f"it is longer than the in-memory retention ({_human(limit)}); "
                    "configure an archive (rfs_monitoring.archive.MetricsArchive) to query "
                    f"further back, or use {ACCEPTED_TIME_RANGES}"
                )
            else:
                hint = f"it is longer than the archive retention ({_human(limit)})"
            return Failure(_bad_range(time_range, hint))
        now = self._clock()
        return Success((window, _label(time_range, window), now - window.total_seconds(), now))

    def _snapshot(
        self, names: Iterable[str] | None, t0: float, now: float
    ) -> tuple[dict[str, list[MetricBucket]], float]:
        """Buckets covering [t0, now] per operation (memory + archive), and the covered start."""
        second = _floor(now)
        covered = float(second)
        out: dict[str, list[MetricBucket]] = {}
        with self._lock:
            ops = (
                list(self._ops.values())
                if names is None
                else [self._ops[n] for n in names if n in self._ops]
            )
            for op in ops:
                self._advance(op, second)
                pieces: list[MetricBucket] = []
                start = self._cover_memory(op, t0, pieces)
                covered = min(covered, start)
                out[op.name] = pieces
            horizons = {op.name: self._memory_horizon(op) for op in ops}
        self.flush_archive()
        # archive rows are whole hours: windows shorter than an hour read memory only
        if self.archive is not None and now - t0 >= 3600:
            archived = self.archive.load(
                None if names is None else list(names),
                start=_floor(t0) - _floor(t0) % 3600,
                end=second + 1,
                own_before=horizons,
            )
            for name, bucket in archived:
                out.setdefault(name, []).append(bucket)
                covered = min(covered, float(bucket.start))
        return out, covered

    def _cover_memory(self, op: _Operation, t0: float, pieces: list[MetricBucket]) -> float:
        # the open buckets keep changing once the lock is released: the query gets copies
        # (closed buckets never change again and are shared)
        pieces.append(_copy(op.live))
        if t0 >= op.live.start:
            return float(op.live.start)
        horizon = self._memory_horizon(op)
        # days are used only when they lie wholly inside the hour tier's horizon, so the
        # archive (read for the time before that horizon) never overlaps them
        tiers = (
            (86400, op.days, horizon),
            (3600, op.hours, horizon),
            (60, op.minutes, op.minute.start - MINUTE_SLOTS * 60),
            (1, op.seconds, op.live.start - SECOND_SLOTS),
        )
        if t0 >= op.minute.start:
            return self._cover(tiers, 3, t0, op.live.start, pieces)
        pieces.append(_copy(op.minute))
        if t0 >= op.hour.start:
            return self._cover(tiers, 2, t0, op.minute.start, pieces)
        pieces.append(_copy(op.hour))
        t0 = max(t0, horizon)
        if t0 >= op.day.start:
            return self._cover(tiers, 1, t0, op.hour.start, pieces)
        pieces.append(_copy(op.day))
        return self._cover(tiers, 0, t0, op.day.start, pieces)

    def _cover(
        self,
        tiers: tuple[tuple[int, dict[int, MetricBucket], int], ...],
        level: int,
        t0: float,
        end: int,
        pieces: list[MetricBucket],
    ) -> float:
        size, buckets, _ = tiers[level]
        start = end - size
        while start >= t0:
            bucket = buckets.get(start)
            if bucket is not None:
                pieces.append(bucket)
            start -= size
        edge = start + size
        if edge <= t0:
            return float(edge)
        if level + 1 < len(tiers):
            finer_size, _, finer_horizon = tiers[level + 1]
            if _floor(t0) - _floor(t0) % finer_size >= finer_horizon:
                return self._cover(tiers, level + 1, t0, edge, pieces)
        bucket = buckets.get(start)
        if bucket is not None:
            pieces.append(bucket)
        return float(start)

    def get_operation_metrics(
        self, name: str, time_range: TimeRange = "1h"
    ) -> MonoResult[OperationMetrics, APIError]:
        """Figures of operation ``name`` over the last ``time_range`` (awaitable, chainable).

        ``await collector.get_operation_metrics("user_retrieval", "1h").bind_result(fn)``.
        The Failure is a validation APIError for a bad ``time_range`` and a not_found
        APIError for an operation never recorded (in memory or in the archive).
        """
        return MonoResult.from_result(self.operation_metrics(name, time_range))

    def operation_metrics(
        self, name: str, time_range: TimeRange = "1h"
    ) -> Result[OperationMetrics, APIError]:
        """The synchronous form of ``get_operation_metrics``."""
        window = self._window(time_range)
        if isinstance(window, Failure):
            return window
        _, label, t0, now = window.unwrap()
        pieces, covered = self._snapshot([name], t0, now)
        if name not in pieces:
            return Failure(APIError.not_found("operation", name))
        return Success(_summarise(name, label, pieces[name], covered, now))

    def overall(self, time_range: TimeRange = "1h") -> MonoResult[OperationMetrics, APIError]:
        """Figures of all operations together (``operation_name="*"``)."""
        window = self._window(time_range)
        if isinstance(window, Failure):
            return MonoResult.from_result(window)
        _, label, t0, now = window.unwrap()
        pieces, covered = self._snapshot(None, t0, now)
        merged = [b for buckets in pieces.values() for b in buckets]
        return MonoResult.from_value(_summarise("*", label, merged, covered, now))

    def top_errors(
        self, limit: int = 10, time_range: TimeRange = "1h", operation: str | None = None
    ) -> MonoResult[list[ErrorSummary], APIError]:
        """The ``limit`` most frequent error groups (of ``operation``, or of all)."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            error = APIError.validation_error(
                f"limit {limit!r} is not accepted; use an int >= 1", field="limit"
            )
            return MonoResult.from_error(error)
        window = self._window(time_range)
        if isinstance(window, Failure):
            return MonoResult.from_result(window)
        _, _, t0, now = window.unwrap()
        pieces, _ = self._snapshot(None if operation is None else [operation], t0, now)
        if operation is not None and operation not in pieces:
            return MonoResult.from_error(APIError.not_found("operation", operation))
        groups: dict[tuple[str, str], list[Any]] = {}
        for op_name, buckets in pieces.items():
            for bucket in buckets:
                for message, (n, last, code) in bucket.groups.items():
                    entry = groups.get((op_name, message))
                    if entry is None:
                        groups[(op_name, message)] = [n, last, code]
                    else:
                        entry[0] += n
                        if last >= entry[1]:
                            entry[1], entry[2] = last, code
        merged: dict[str, ErrorSummary] = {}
        for (op_name, message), (n, last, code) in groups.items():
            summary = merged.get(message)
            when = _utc(last)
            if summary is None:
                merged[message] = ErrorSummary(message, code, n, when, [op_name])
            else:
                summary.count += n
                summary.operations.append(op_name)
                if when >= summary.last_seen:
                    summary.last_seen, summary.error_code = when, code
        for summary in merged.values():
            summary.operations.sort()
        ranked = sorted(merged.values(), key=lambda s: (-s.count, s.message))
        return MonoResult.from_value(ranked[:limit])

    def operation_names(self) -> list[str]:
        """Names of the operations in memory, sorted (``OTHER`` included when used)."""
        with self._lock:
            return sorted(self._ops)

    def totals(self) -> list[OperationTotals]:
        """Lifetime totals per operation (monotonic counters; for the exporters)."""
        now = self._clock()
        second = _floor(now)
        out = []
        with self._lock:
            for op in self._ops.values():
                self._advance(op, second)
                life = op.lifetime
                live = op.live
                codes = dict(life.codes)
                _add_counts(codes, live.codes)
                sketch = life.sketch.copy()
                sketch.merge(live.sketch)
                out.append(
                    OperationTotals(
                        op.name,
                        life.count + live.count,
                        life.failed + live.failed,
                        life.total_ms + live.total_ms,
                        codes,
                        sketch,
                    )
                )
        out.sort(key=lambda t: t.operation)
        return out

    # ------------------------------------------------------------------ archive

    def flush_archive(self) -> int:
        """Write the hour buckets that left retention to the archive; returns how many.

        Called by every query; call it yourself if nothing queries. A failing archive is
        counted in ``stats()["archive_errors"]`` and the buckets are kept for the next try.
        """
        with self._lock:
            queue, self._archive_queue = self._archive_queue, []
        if not queue or self.archive is None:
            return 0
        try:
            self.archive.write(queue, now=self._clock())
        except Exception:  # noqa: BLE001 - archiving must never break a query
            with self._lock:
                self._counters["archive_errors"] += 1
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
        """
        if self.archive is None:
            msg = (
                "checkpoint() needs an archive: "
                "ResultMetricsCollector(archive=MetricsArchive(path))"
            )
            raise ConfigurationError(msg)
        now = self._clock()
        second = _floor(now)
        rows: list[tuple[str, MetricBucket]] = []
        with self._lock:
            for op in self._ops.values():
                self._advance(op, second)
                rows.extend((op.name, bucket) for bucket in op.hours.values())
                current = MetricBucket(op.hour.start)
                for part in (op.hour, op.minute, op.live):
                    current.merge(part)
                if current.count:
                    rows.append((op.name, current))
        self.flush_archive()
        self.archive.write(rows, now=now)
        return len(rows)

    # ------------------------------------------------------------------ housekeeping

    def stats(self) -> dict[str, int]:
        """Internal counters.

        Keys: ``operations``, ``other_operation_samples`` (samples sent to ``OTHER``
        because of ``max_operations``), ``other_error_groups`` (errors sent to the
        ``OTHER`` group), ``invalid_durations``, ``invalid_results``, ``record_errors``,
        ``subscriber_errors``, ``resource_errors``, ``clock_regressions`` (samples whose clock
        reading was before the live second: they are counted in it), ``archive_errors``,
        ``archived_buckets``, ``archive_pending``, ``buckets`` and ``memory_bytes`` (an
        estimate).
        """
        with self._lock:
            buckets = 0
            memory = 0
            for op in self._ops.values():
                for tier in (op.seconds, op.minutes, op.hours, op.days):
                    buckets += len(tier)
                    memory += sum(b.nbytes() for b in tier.values())
                for bucket in (op.live, op.minute, op.hour, op.day, op.lifetime):
                    memory += bucket.nbytes()
                memory += 600 + 8 * len(op.pending) + 100 * len(op.group_seen)
            return {
                **self._counters,
                "operations": len(self._ops),
                "archive_pending": len(self._archive_queue),
                "buckets": buckets,
                "memory_bytes": memory,
            }

    def reset(self) -> None:
        """Forget every operation, sample and counter (subscribers stay)."""
        with self._lock:
            self._ops.clear()
            self._archive_queue.clear()
            self._message_cache.clear()
            for key in self._counters:
                self._counters[key] = 0

    def __repr__(self) -> str:
        return (
            f"ResultMetricsCollector(operations={len(self._ops)}, "
            f"retention={_human(self.retention)})"
        )


# ---------------------------------------------------------------------- helpers


def _floor(t: float) -> int:
    return math.floor(t)


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


_FAILURE_KEY = operator.itemgetter(0, 1, 2)
_FAILURE_WHEN = operator.itemgetter(3)


def _plain(value: object) -> object:
    try:
        hash(value)
    except TypeError:
        return _safe_str(value)
    return value


def _clean(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return max(float(value), 0.0)


def _text(value: object, default: str) -> str:
    if value is None:
        return default
    if isinstance(value, ErrorCode):
        return value.value
    text = value if isinstance(value, str) else _safe_str(value)
    return text[:100] or default


def _safe_str(value: object) -> str:
    try:
        return str(value)
    except Exception:  # noqa: BLE001 - a broken __str__ must not break recording
        return f"<unprintable {type(value).__name__}>"


def _capped(seen: set[str], key: str, cap: int) -> str:
    if key in seen:
        return key
    if len(seen) >= cap:
        return OTHER
    seen.add(key)
    return key


def _utc(t: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(t, _dt.timezone.utc)


def _human(delta: _dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} seconds"


def _summarise(
    name: str, label: str, pieces: list[MetricBucket], covered: float, now: float
) -> OperationMetrics:
    total = MetricBucket(_floor(covered))
    hourly: dict[int, int] = {}
    for piece in pieces:
        total.merge(piece, sketch=False)
        if piece.count:
            hour = (piece.start // 3600) % 24
            hourly[hour] = hourly.get(hour, 0) + piece.count
    sketch = LatencySketch.merged(p.sketch for p in pieces)
    p50, p90, p99 = (min(v, total.max_ms) for v in sketch.quantiles((0.5, 0.9, 0.99)))
    count = total.count
    ok = count - total.failed
    ranked = sorted(total.groups.items(), key=lambda kv: (-kv[1][0], kv[0]))
    span = max(now - covered, 1e-9)
    return OperationMetrics(
        operation_name=name,
        time_window=label,
        total_requests=count,
        successful_requests=ok,
        failed_requests=total.failed,
        success_rate=ok / count if count else 0.0,
        avg_response_time_ms=total.total_ms / total.timed if total.timed else 0.0,
        p50_response_time_ms=p50,
        p90_response_time_ms=p90,
        p99_response_time_ms=p99,
        max_response_time_ms=total.max_ms,
        error_breakdown=dict(sorted(total.codes.items())),
        top_errors=[(message, entry[0]) for message, entry in ranked[:10]],
        avg_memory_usage_mb=total.mem_sum / total.mem_n if total.mem_n else 0.0,
        avg_cpu_usage_percent=total.cpu_sum / total.cpu_n if total.cpu_n else 0.0,
        hourly_distribution=dict(sorted(hourly.items())),
        requests_per_second=count / span,
        window_start=_utc(covered),
        window_end=_utc(now),
    )
