"""The collector: records outcomes on the hot path and answers windowed queries.

``ResultMetricsCollector.record(...)`` is the hot path: it appends the duration to the
operation's buffer for the current second under a lock (no I/O, no sorting, O(1)). When a
new second starts, the buffer is folded into a *second bucket* (counts, sum, max, errors by
code and type, normalised error groups and a ``LatencySketch``), which rolls up into the
minute, hour and day buckets (``bucket.BucketTiers``). Queries (``query``) merge the
coarsest buckets that cover their window. Hour buckets leaving the retention go to the
optional SQLite archive (``archive.MetricsArchive``), which longer queries ("30d") read too.

Cardinality is capped (``cap.OperationCap``): past ``max_operations`` operations, samples
of new names go to the ``OTHER`` operation, except names reserved with ``reserve(name)``
(the alert manager's); ``is_capped(name)`` tells whether a name was sent there. Past
``max_error_groups`` groups (or codes, or types) per operation, errors go to an ``OTHER``
group; both are counted in ``stats()``. An operation name that is not valid Unicode (a lone
surrogate) is kept with the surrogate escaped (``text.clean_text``).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, ClassVar

from rfs_monitoring.errors import APIError, ConfigurationError, error_code_of
from rfs_monitoring.masking import mask_label
from rfs_monitoring.metrics import query
from rfs_monitoring.metrics.bucket import MetricBucket
from rfs_monitoring.metrics.cap import OperationCap
from rfs_monitoring.metrics.examples import failure_ids
from rfs_monitoring.metrics.grouping import OTHER, safe_str
from rfs_monitoring.metrics.records import (
    ErrorExample,
    ErrorSummary,
    MetricSample,
    OperationMetrics,
    SeriesPoint,
)
from rfs_monitoring.metrics.series import series as series_of
from rfs_monitoring.metrics.store import BucketStore, OperationState
from rfs_monitoring.metrics.time_range import TimeRange, Window, describe_duration
from rfs_monitoring.mono import MonoResult
from rfs_monitoring.result import Result, to_result
from rfs_monitoring.text import clean_text

if TYPE_CHECKING:
    from rfs_monitoring.metrics.archive import MetricsArchive

__all__ = ["FOLD_BATCH", "ResourceReader", "ResultMetricsCollector", "default_resources"]

FOLD_BATCH = 2048
"""Buffered samples are folded early at this count, so no call pays a long fold."""

ResourceReader = Callable[[], "tuple[float | None, float | None]"]


def default_resources() -> tuple[float | None, float | None]:
    """``(rss_mb, cpu_percent)`` from the background sampler (a cached value)."""
    from rfs_monitoring.resources import resource_snapshot

    return resource_snapshot()


class ResultMetricsCollector(BucketStore):
    """Collects operation outcomes in time buckets and answers windowed queries.

    Args:
        clock: returns epoch seconds (inject a fake one in tests).
        retention: how long hour buckets stay in memory (at least one hour).
        max_operations: distinct operations tracked; later ones go to ``OTHER`` (names
            given to ``reserve`` excepted).
        max_error_groups: distinct error groups, codes and types per operation; later ones
            go to ``OTHER``.
        archive: a ``MetricsArchive`` that hour buckets leaving retention are written to
            and that queries longer than the retention read.
        resources: returns ``(rss_mb, cpu_percent)``; read once per second bucket
            (default: ``rfs_monitoring.resources.resource_snapshot``, a cached value).

    Raises:
        ConfigurationError: a bad argument.
    """

    current: ClassVar[ResultMetricsCollector | None] = None
    """The default collector once ``instance()`` created it or ``set_instance`` set it
    (None before): what ``instance()`` returns, read without a call on hot paths."""
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
        super().__init__(clock, retention, max_error_groups, archive)
        self._cap = OperationCap(max_operations)
        self._resources: ResourceReader = resources if resources is not None else default_resources
        self._subscribers: tuple[Callable[[MetricSample], object], ...] = ()

    # ------------------------------------------------------------------ default instance

    @classmethod
    def instance(cls) -> ResultMetricsCollector:
        """The process-wide default collector (created on first use)."""
        default = cls.current
        if default is None:
            with cls._default_lock:
                if cls.current is None:
                    cls.current = cls()
                default = cls.current
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
            previous = cls.current
            cls.current = collector if collector is not None else cls()
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
        lock = self._lock
        lock.acquire()  # not ``with``: its __exit__ call costs as much as the rest of a hit
        try:
            now = self._clock()
            op = self._ops.get(operation)
            if op is None or not op.begin <= now < op.end:
                op = self._open_second(operation, op, now)
            pending = op.pending
            pending.append(duration_ms)
            if not success:  # the failure's ids are read here only (never bound)
                ids = failure_ids()
                op.failures.append((error_code, error_type, error_message, now, ids))
            if len(pending) >= FOLD_BATCH:
                self._fold(op)
        except Exception:  # noqa: BLE001 - recording never raises into the caller
            self._counters["record_errors"] += 1
            return
        finally:
            lock.release()
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
            if code is not None:  # an exception's ``.code`` may hold anything (cached)
                code = mask_label(code)
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
            error_message=message if isinstance(message, str) else safe_str(error),
        )

    def _notify(self, sample: MetricSample) -> None:
        for fn in self._subscribers:
            try:
                fn(sample)
            except Exception:  # noqa: BLE001 - a subscriber never breaks recording
                with self._lock:
                    self._counters["subscriber_errors"] += 1

    def _open_second(self, name: str, op: OperationState | None, now: float) -> OperationState:
        """Slow path of ``record`` (lock held): a new operation or a new second."""
        second = math.floor(now)
        if op is None:
            op = self._resolve(name, second)
            if now < op.end:
                return op.saw(now)
        if second >= op.end:
            self._advance(op, second)
            self._sample_resources(op.live)
        elif now < op.end - 1.0:
            # The clock went back (an NTP step): the sample joins the live second.
            self._counters["clock_regressions"] += 1
        return op.saw(now)

    def _resolve(self, name: str, second: int) -> OperationState:
        """The state of a name not tracked under that key (lock held): a new operation, the
        one its escaped form is tracked under, or ``OTHER`` past the cap."""
        if isinstance(name, str):
            cleaned = clean_text(name)
            if cleaned is not name:  # a lone surrogate: tracked under its escaped form
                existing = self._ops.get(cleaned)
                if existing is not None:
                    return existing
                name = cleaned
        tracked = len(self._ops) - (OTHER in self._ops)
        if not self._cap.admit(name, tracked):
            self._counters["other_operation_samples"] += 1
            other = self._ops.get(OTHER)
            if other is None:
                other = self._ops[OTHER] = OperationState(OTHER, second, self.max_error_groups)
                self._sample_resources(other.live)
            return other
        op = self._ops[name] = OperationState(name, second, self.max_error_groups)
        self._sample_resources(op.live)
        return op

    # ------------------------------------------------------------------ the operation cap

    @property
    def max_operations(self) -> int:
        """Distinct operations tracked before new names go to ``OTHER``."""
        return self._cap.max_operations

    def reserve(self, name: str) -> None:
        """Never send the samples of operation ``name`` to ``OTHER``, whatever the cap
        (the alert manager reserves the operations its rules name). Idempotent.

        Raises:
            ConfigurationError: ``name`` is not a non-empty str.
        """
        with self._lock:
            self._cap.reserve(name)

    def is_capped(self, name: str) -> bool:
        """True when samples of ``name`` were sent to ``OTHER`` because of the cap."""
        with self._lock:
            return self._cap.is_capped(name)

    def capped_count(self) -> int:
        """How many distinct names the cap sent to ``OTHER`` (remembered or not)."""
        with self._lock:
            return self._cap.capped_names

    def capped_operations(self) -> dict[str, int]:
        """The names sent to ``OTHER`` (up to ``cap.REMEMBERED``) and their sample counts."""
        with self._lock:
            return self._cap.capped()

    def stats(self) -> dict[str, int]:
        """``BucketStore.stats()`` and ``max_operations``, ``capped_operations`` (distinct
        names sent to ``OTHER``) and ``reserved_operations``."""
        out = super().stats()
        with self._lock:
            out["max_operations"] = self._cap.max_operations
            out["capped_operations"] = self._cap.capped_names
            out["reserved_operations"] = len(self._cap.reserved())
        return out

    def reset(self) -> None:
        """Forget every operation, sample, counter and capped name (subscribers and
        reserved names stay)."""
        super().reset()
        with self._lock:
            self._cap.clear()

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

    def get_operation_metrics(
        self, name: str, time_range: TimeRange = "1h"
    ) -> MonoResult[OperationMetrics, APIError]:
        """Figures of operation ``name`` over the last ``time_range`` (awaitable, chainable).

        ``await collector.get_operation_metrics("user_retrieval", "1h").bind_result(fn)``.
        The Failure is a validation APIError for a bad ``time_range`` and a not_found
        APIError for an operation never recorded (in memory or in the archive).
        """
        return MonoResult.from_result(query.operation_metrics(self, name, time_range))

    def operation_metrics(
        self, name: str, time_range: TimeRange = "1h"
    ) -> Result[OperationMetrics, APIError]:
        """The synchronous form of ``get_operation_metrics``."""
        return query.operation_metrics(self, name, time_range)

    def overall(self, time_range: TimeRange = "1h") -> MonoResult[OperationMetrics, APIError]:
        """Figures of all operations together (``operation_name="*"``)."""
        return MonoResult.from_result(query.overall(self, time_range))

    def top_errors(
        self, limit: int = 10, time_range: TimeRange = "1h", operation: str | None = None
    ) -> MonoResult[list[ErrorSummary], APIError]:
        """The ``limit`` most frequent error groups (of ``operation``, or of all)."""
        return MonoResult.from_result(query.top_errors(self, limit, time_range, operation))

    def error_examples(
        self,
        time_range: TimeRange = "1h",
        *,
        operation: str | None = None,
        message: str | None = None,
        limit: int = 5,
    ) -> list[ErrorExample]:
        """The newest failures kept in the window, newest first (the last 5 of each error
        group of each operation: ``examples``); ``message`` is a group's
        ``ErrorSummary.message``.

        Raises:
            ConfigurationError: a bad argument, naming it.
        """
        return query.error_examples(self, time_range, operation, message, limit)

    # The rest of the ``MetricsSource`` interface (metrics/source.py) the router reads.

    def ranked_errors(
        self, limit: int = 10, time_range: TimeRange = "1h", operation: str | None = None
    ) -> Result[list[ErrorSummary], APIError]:
        """The synchronous form of ``top_errors``."""
        return query.top_errors(self, limit, time_range, operation)

    def window(self, time_range: TimeRange) -> Result[Window, APIError]:
        """The window ``time_range`` covers (memory retention, or the archive's)."""
        return query.window_of(self, time_range)

    def dashboard(
        self, time_range: TimeRange = "1h", names: Iterable[str] | None = None
    ) -> Result[query.Dashboard, APIError]:
        """Each operation's figures (of ``names``; None: all), all together and the error
        groups, from one read of each operation's buckets (``query.dashboard``)."""
        chosen = self.operation_names() if names is None else names
        return query.dashboard(self, chosen, time_range)

    def series(
        self, operation: str | None = None, time_range: TimeRange = "5m", *, points: int = 60
    ) -> list[SeriesPoint]:
        """The last ``time_range`` of ``operation`` (None: all together) as chart steps.

        Reads the second buckets when the window fits in them, else the minute buckets,
        else the hour buckets; consecutive buckets are grouped into at most ``points`` steps
        of whole bucket widths, oldest first, empty steps included, the last one holding
        the current bucket. Quantiles come from merging each step's sketches. An operation
        never recorded gives empty steps.

        Raises:
            ConfigurationError: a bad ``operation``, ``time_range`` (or one longer than the
                in-memory retention) or ``points``, naming the value.
        """
        return series_of(self, operation, time_range, points)

    def __repr__(self) -> str:
        return (
            f"ResultMetricsCollector(operations={len(self._ops)}, "
            f"retention={describe_duration(self.retention)})"
        )
