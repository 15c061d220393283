"""``PrometheusSource``: the monitoring router and alerts answered from Prometheus.

    from rfs_monitoring import monitoring_router
    from rfs_monitoring.sources import PrometheusSource

    app.include_router(monitoring_router(source=PrometheusSource("http://127.0.0.1:9090")))

Every worker and host that exports ``rfs_monitoring.export``'s metrics to that Prometheus
shows up in one dashboard, one ``/monitoring/operations`` and one set of alerts. The PromQL is
built in ``promql`` (exact window counts, ``histogram_quantile`` over the exported buckets),
the records in ``figures``; the HTTP in ``client``. A Prometheus that cannot answer gives a
503 Failure (or ``SourceUnavailableError`` from the methods returning plain values), counted
in ``stats()``.
"""

from __future__ import annotations

import datetime as _dt
import math
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

from rfs_monitoring.errors import APIError, ConfigurationError
from rfs_monitoring.metrics.query import Dashboard
from rfs_monitoring.metrics.records import (
    ErrorExample,
    ErrorSummary,
    OperationMetrics,
    SeriesPoint,
)
from rfs_monitoring.metrics.series import check_series_arguments
from rfs_monitoring.metrics.source import SourceUnavailableError
from rfs_monitoring.metrics.time_range import TimeRange, Window, parse_time_range, resolve_window
from rfs_monitoring.mono import MonoResult
from rfs_monitoring.result import Failure, Result, Success
from rfs_monitoring.sources import promql
from rfs_monitoring.sources.client import PrometheusClient, VectorSample
from rfs_monitoring.sources.figures import Counts, Reading, error_summaries, metrics_of

__all__ = ["PrometheusSource"]

T = TypeVar("T")

_FIRST_SEEN_STEPS = 240  # the resolution of "where a window's data starts": window / 240
_HOUR = 3600


class PrometheusSource:
    """A ``MetricsSource`` reading the exported metrics from a Prometheus HTTP API.

    Args:
        url: the API's base URL (``http://127.0.0.1:9090``; a path prefix is allowed).
        timeout: seconds one query may take (connecting included); past it, a 503.
        namespace: the exporter's metric name prefix (``PrometheusExporter(namespace=)``).
        retention: the longest window answered (Prometheus's own retention: 15 days by
            default).
        headers: extra request headers (e.g. ``Authorization``).
        clock: the current time in epoch seconds (queries are evaluated at it).

    Raises:
        ConfigurationError: a bad url, timeout, namespace, retention or headers (naming it).
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 5.0,
        namespace: str = "rfs",
        retention: _dt.timedelta = _dt.timedelta(days=15),
        headers: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = PrometheusClient(url, timeout=timeout, headers=headers)
        if not isinstance(namespace, str) or not namespace.isidentifier():
            msg = (
                f"PrometheusSource namespace must be an identifier such as 'rfs', got {namespace!r}"
            )
            raise ConfigurationError(msg)
        given: object = retention
        if not isinstance(given, _dt.timedelta) or retention.total_seconds() < 60:
            msg = (
                "PrometheusSource retention must be a timedelta of at least a minute, "
                f"got {retention!r}"
            )
            raise ConfigurationError(msg)
        self.names = promql.MetricNames.of(namespace)
        self.retention = retention
        self.archive = None
        self.clock = clock

    @property
    def url(self) -> str:
        """The API's base URL."""
        return self.client.url

    @property
    def max_operations(self) -> int:
        """No cap of ours: the exporters cap their own operation names."""
        return 0

    def capped_count(self) -> int:
        """Always 0: names turned away by an exporter's cap are counted there."""
        return 0

    def stats(self) -> dict[str, int]:
        """The client's counters: ``queries``, ``failures``, ``timeouts``."""
        return self.client.stats()

    # ------------------------------------------------------------------ names and windows

    def operation_names(self) -> list[str]:
        """Every operation exported within the retention, sorted.

        Raises:
            SourceUnavailableError: Prometheus could not answer.
        """
        now = self.clock()
        start = now - self.retention.total_seconds()
        return self.client.label_values("operation", [self.names.requests], start, now)

    def window(self, time_range: TimeRange) -> Result[Window, APIError]:
        """The window ``time_range`` covers, ending now (a 422 past the retention)."""
        return resolve_window(
            time_range, retention=self.retention, archive_retention=None, clock=self.clock
        )

    # ------------------------------------------------------------------ figures

    def dashboard(
        self, time_range: TimeRange = "1h", names: Iterable[str] | None = None
    ) -> Result[Dashboard, APIError]:
        """Each operation's figures (of ``names``; None: all exported in the window), all of
        them together, and the error groups, of one window."""
        return self._guarded(lambda: self._dashboard(time_range, names))

    def _dashboard(
        self, time_range: TimeRange, names: Iterable[str] | None
    ) -> Result[Dashboard, APIError]:
        window = self.window(time_range)
        if isinstance(window, Failure):
            return window
        reading = self._read(window.unwrap(), None)
        chosen = sorted(reading.operations) if names is None else list(names)
        figures = [
            metrics_of(n, reading.operations[n], reading) for n in chosen if n in reading.operations
        ]
        everything = Counts()
        for name in chosen:
            if name in reading.operations:
                everything.merge(reading.operations[name])
        everything.quantiles_s = reading.overall_quantiles_s
        overall = metrics_of("*", everything, reading)
        return Success(Dashboard(figures, overall, error_summaries(reading, chosen)))

    def operation_metrics(
        self, name: str, time_range: TimeRange = "1h"
    ) -> Result[OperationMetrics, APIError]:
        """Figures of operation ``name`` (a not_found Failure when never exported)."""
        return self._guarded(lambda: self._one(name, time_range))

    def _one(self, name: str, time_range: TimeRange) -> Result[OperationMetrics, APIError]:
        given: object = name
        if not isinstance(given, str):
            return Failure(APIError.validation_error(f"operation must be a str, got {name!r}"))
        window = self.window(time_range)
        if isinstance(window, Failure):
            return window
        reading = self._read(window.unwrap(), name)
        if name not in reading.operations and name not in self.operation_names():
            return Failure(APIError.not_found("operation", name))
        return Success(metrics_of(name, reading.operations.get(name, Counts()), reading))

    def get_operation_metrics(
        self, name: str, time_range: TimeRange = "1h"
    ) -> MonoResult[OperationMetrics, APIError]:
        """``operation_metrics`` as an awaitable MonoResult (computed when called)."""
        return MonoResult.from_result(self.operation_metrics(name, time_range))

    def overall(self, time_range: TimeRange = "1h") -> MonoResult[OperationMetrics, APIError]:
        """Figures of all operations together (``operation_name="*"``)."""
        return MonoResult.from_result(self.dashboard(time_range).map(lambda d: d.overall))

    def ranked_errors(
        self, limit: int = 10, time_range: TimeRange = "1h", operation: str | None = None
    ) -> Result[list[ErrorSummary], APIError]:
        """The ``limit`` most frequent error groups (of ``operation``, or of all)."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            return Failure(
                APIError.validation_error(
                    f"limit {limit!r} is not accepted; use an int >= 1", field="limit"
                )
            )
        read = self.dashboard(time_range, None if operation is None else [operation])
        if isinstance(read, Failure):
            return read
        if operation is not None and not read.unwrap().operations:
            return Failure(APIError.not_found("operation", operation))
        return Success(read.unwrap().errors[:limit])

    def top_errors(
        self, limit: int = 10, time_range: TimeRange = "1h", operation: str | None = None
    ) -> MonoResult[list[ErrorSummary], APIError]:
        """``ranked_errors`` as an awaitable MonoResult."""
        return MonoResult.from_result(self.ranked_errors(limit, time_range, operation))

    def error_examples(
        self,
        time_range: TimeRange = "1h",
        *,
        operation: str | None = None,
        message: str | None = None,
        limit: int = 5,
    ) -> list[ErrorExample]:
        """Always empty: Prometheus keeps counts, not individual failures (their examples
        stay in each worker's logs and collector)."""
        del time_range, operation, message, limit
        return []

    @staticmethod
    def _guarded(compute: Callable[[], Result[T, APIError]]) -> Result[T, APIError]:
        try:
            return compute()
        except SourceUnavailableError as exc:
            return Failure(exc.error)

    # ------------------------------------------------------------------ queries

    def _read(self, window: Window, operation: str | None) -> Reading:
        """Every figure of ``window`` (of one operation, or of all), per operation."""
        label, start, end = window
        seconds = end - start
        n, match = self.names, promql.selector(operation)
        q = self.client.query
        ops: dict[str, Counts] = {}

        def each(samples: list[VectorSample]) -> Iterable[tuple[Counts, dict[str, str], float]]:
            for s in samples:
                name = s.labels.get("operation")
                if name is not None and math.isfinite(s.value):
                    yield ops.setdefault(name, Counts()), s.labels, s.value

        by_outcome = ["operation", "outcome"]
        for counts, labels, v in each(
            q(promql.window_count(n.requests, match, by_outcome, seconds), end)
        ):
            counts.outcomes[labels.get("outcome", "")] = round(v)
        for counts, labels, v in each(
            q(promql.window_count(n.errors, match, ["operation", "error_code"], seconds), end)
        ):
            counts.codes[labels.get("error_code", "")] = round(v)
        for counts, labels, v in each(
            q(promql.window_count(n.groups, match, ["operation", "error_group"], seconds), end)
        ):
            counts.groups[labels.get("error_group", "")] = round(v)
        for counts, _, v in each(
            q(promql.window_count(n.duration + "_sum", match, ["operation"], seconds), end)
        ):
            counts.duration_sum_s = v
        for counts, labels, v in each(
            q(promql.quantiles(n.duration, match, ["operation"], seconds), end)
        ):
            counts.quantiles_s[float(labels.get("quantile", "nan"))] = v
        for counts, _, v in each(
            q(promql.window_count(n.requests, match, ["operation"], min(60.0, seconds)), end)
        ):
            counts.last_minute = round(v)
        step = max(1.0, seconds / _FIRST_SEEN_STEPS)
        for counts, _, v in each(
            q(promql.first_seen(n.requests, match, ["operation"], seconds, step), end)
        ):
            counts.first_seen = v
        overall: dict[float, float] = {}
        for s in q(promql.quantiles(n.duration, match, [], seconds), end):
            overall[float(s.labels.get("quantile", "nan"))] = s.value
        self._hourly(ops, match, start, end)
        return Reading(label, start, end, ops, overall)

    def _hourly(self, ops: dict[str, Counts], match: str, start: float, end: float) -> None:
        """Requests per UTC hour of day, in whole hours (as the collector's hour buckets)."""
        current = math.floor(end / _HOUR) * _HOUR
        by = ["operation"]
        for s in self.client.query(
            promql.window_count(self.names.requests, match, by, max(end - current, 0.001)), end
        ):
            if s.labels.get("operation") in ops and s.value > 0:
                ops[s.labels["operation"]].hourly[_hour_of(end - 1e-9)] = round(s.value)
        first_end = math.floor(start / _HOUR) * _HOUR + _HOUR
        if first_end > current:
            return
        expr = promql.window_count(self.names.requests, match, by, _HOUR)
        for series in self.client.query_range(expr, first_end, current, _HOUR):
            counts = ops.get(series.labels.get("operation", ""))
            if counts is None:
                continue
            for t, v in series.values:
                if math.isfinite(v) and v > 0:
                    hour = _hour_of(t - 1)
                    counts.hourly[hour] = counts.hourly.get(hour, 0) + round(v)

    # ------------------------------------------------------------------ charts

    def series(
        self, operation: str | None = None, time_range: TimeRange = "5m", *, points: int = 60
    ) -> list[SeriesPoint]:
        """The last ``time_range`` of ``operation`` (None: all) in ``points`` steps of
        ``time_range / points`` (at least a second), oldest first, ending now.

        Raises:
            ConfigurationError: a bad ``operation``, ``time_range`` or ``points``.
            SourceUnavailableError: Prometheus could not answer.
        """
        check_series_arguments(operation, points)
        parsed = parse_time_range(time_range)
        if isinstance(parsed, Failure):
            raise ConfigurationError(parsed.unwrap_error().message)
        seconds = parsed.unwrap().total_seconds()
        width = max(1.0, math.ceil(seconds / points))
        steps = max(1, math.ceil(seconds / width))
        end = self.clock()
        first = end - (steps - 1) * width
        return self._points(operation, first, end, width, steps)

    def _points(
        self, operation: str | None, first: float, end: float, width: float, steps: int
    ) -> list[SeriesPoint]:
        match = promql.selector(operation)
        rows: dict[float, dict[str, float]] = {first + i * width: {} for i in range(steps)}

        def put(expr: str, key: Callable[[dict[str, str]], str]) -> None:
            for series in self.client.query_range(expr, first, end, width):
                for t, v in series.values:
                    row = rows.get(_nearest(rows, t))
                    if row is not None and math.isfinite(v):
                        row[key(series.labels)] = row.get(key(series.labels), 0.0) + v

        put(
            promql.window_count(self.names.requests, match, ["outcome"], width),
            lambda labels: labels.get("outcome", ""),
        )
        put(
            promql.quantiles(self.names.duration, match, [], width, (0.5, 0.9, 0.99)),
            lambda labels: "q" + labels.get("quantile", ""),
        )
        return [_point(t - width, width, row) for t, row in sorted(rows.items())]


def _hour_of(t: float) -> int:
    """The UTC hour of day of epoch second ``t``."""
    return int(t // _HOUR) % 24


def _nearest(rows: Mapping[float, object], t: float) -> float:
    # Prometheus returns the evaluation times it was asked for, printed with ms precision.
    return min(rows, key=lambda r: abs(r - t))


def _point(start: float, width: float, row: Mapping[str, float]) -> SeriesPoint:
    outcomes = {k: round(row.get(k, 0.0)) for k in promql.OUTCOMES}
    total = sum(outcomes.values())

    def ms(key: str) -> float | None:
        value = row.get(key)
        return None if value is None or not total else value * 1000.0

    return SeriesPoint(
        start=_dt.datetime.fromtimestamp(start, _dt.timezone.utc),
        seconds=width,
        requests=total,
        failures=total - outcomes["success"],
        p50_ms=ms("q0.5"),
        p90_ms=ms("q0.9"),
        p99_ms=ms("q0.99"),
        client_errors=outcomes["client_error"],
        server_errors=outcomes["server_error"],
        timeouts=outcomes["timeout"],
        cancelled=outcomes["cancelled"],
    )
