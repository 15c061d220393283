"""The dashboard page's view-model: plain dataclasses built from the collector and alerts.

``build_view`` reads everything the page shows and formats it as text; the Jinja2 templates
under ``templates/`` only lay it out. Nothing here is markup, so nothing here escapes:
the templates autoescape every value.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import urllib.parse
from collections.abc import Iterable, Sequence

from rfs_monitoring.alerts import AlertManager, AlertStatus
from rfs_monitoring.dashboard.charts import LATENCY_SERIES, SUCCESS_SERIES, ChartView, chart_view
from rfs_monitoring.dashboard.health import HealthThresholds, overall_status
from rfs_monitoring.dashboard.models import HealthStatus
from rfs_monitoring.dashboard.threads import off_the_loop
from rfs_monitoring.metrics import (
    OTHER,
    ErrorSummary,
    OperationMetrics,
    ResultMetricsCollector,
    SeriesPoint,
    query,
)
from rfs_monitoring.result_logging import logging_stats

__all__ = [
    "DEFAULT_CHART_POINTS",
    "DEFAULT_CHART_RANGE",
    "MIN_CHART_POINTS",
    "TIME_RANGES",
    "AlertRow",
    "Card",
    "ChartRange",
    "DashboardView",
    "ErrorRow",
    "OperationRow",
    "Option",
    "build_view",
    "compose_view",
    "trim_leading_quiet",
]

TIME_RANGES: tuple[str, ...] = ("1m", "5m", "15m", "1h", "6h", "1d", "1w")
"""The windows offered in the page's selector (a requested other one is added)."""

MIN_CHART_POINTS = 30
"""Leading steps without requests are left off the charts down to this many steps."""

ChartRange = str | float | dt.timedelta
"""A span as ``rfs_monitoring.metrics.parse_time_range`` accepts it."""

DEFAULT_CHART_RANGE: ChartRange = "5m"
"""The charts' default span: the collector keeps its one-second buckets about that long."""

DEFAULT_CHART_POINTS = 30
"""The charts' default number of steps (10 s each over the default span)."""


@dataclasses.dataclass(frozen=True)
class Option:
    """One choice of a selector."""

    value: str
    selected: bool


@dataclasses.dataclass(frozen=True)
class Card:
    """One headline figure."""

    card_id: str
    label: str
    value: str


@dataclasses.dataclass(frozen=True)
class OperationRow:
    """One row of the operations table; ``link`` selects the operation's charts."""

    name: str
    link: str
    requests: str
    success: str
    p50: str
    p90: str
    p99: str
    rps: str
    status: HealthStatus
    reasons: str


@dataclasses.dataclass(frozen=True)
class ErrorRow:
    """One row of the top-errors table."""

    message: str
    code: str
    count: str
    last_seen: str
    operations: str


@dataclasses.dataclass(frozen=True)
class AlertRow:
    """One row of the firing-alerts table."""

    label: str
    severity: str
    operation: str
    condition: str
    value: str
    firing_since: str


@dataclasses.dataclass(frozen=True)
class DashboardView:
    """Everything the dashboard page shows."""

    title: str
    status: HealthStatus
    time_range: str
    generated: str
    generated_iso: str
    refresh_seconds: int
    range_options: list[Option]
    operation_options: list[Option]
    cards: list[Card]
    series_label: str
    bucket_note: str
    latency_chart: ChartView
    success_chart: ChartView
    alerts: list[AlertRow]
    operations: list[OperationRow]
    errors: list[ErrorRow]
    version: str
    api_base: str
    cap_warning: str = ""
    """Set when operations are over the collector's cardinality cap (shown as a warning)."""


def _pct(rate: float | None) -> str:
    return "–" if rate is None else f"{rate * 100:.2f}%"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f} ms"


def _when(moment: dt.datetime | None) -> str:
    if moment is None:
        return "–"
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _options(values: Iterable[str], selected: str) -> list[Option]:
    return [Option(v, v == selected) for v in values]


def _operation_row(
    metrics: OperationMetrics, judged: tuple[HealthStatus, list[str]], link_prefix: str
) -> OperationRow:
    status, reasons = judged
    return OperationRow(
        name=metrics.operation_name,
        link=f"{link_prefix}{urllib.parse.quote(metrics.operation_name, safe='')}",
        requests=f"{metrics.total_requests:,}",
        success=_pct(metrics.success_rate if metrics.total_requests else None),
        p50=_ms(metrics.p50_response_time_ms),
        p90=_ms(metrics.p90_response_time_ms),
        p99=_ms(metrics.p99_response_time_ms),
        rps=f"{metrics.requests_per_second:.2f}",
        status=status,
        reasons="; ".join(reasons),
    )


def _error_row(error: ErrorSummary) -> ErrorRow:
    return ErrorRow(
        message=error.message,
        code=error.error_code or "–",
        count=f"{error.count:,}",
        last_seen=_when(error.last_seen),
        operations=", ".join(error.operations),
    )


def _alert_row(alert: AlertStatus) -> AlertRow:
    config = alert.config
    return AlertRow(
        label=config.label,
        severity=config.severity,
        operation=config.operation,
        condition=f"{config.metric} {config.comparison} {config.threshold:g} over {config.window}",
        value=(f"no data: {alert.reason}" if alert.reason else "no data")
        if alert.value is None
        else f"{alert.value:.4g}",
        firing_since=_when(alert.fired_at),
    )


def trim_leading_quiet(points: Sequence[SeriesPoint], keep: int) -> list[SeriesPoint]:
    """``points`` without the leading steps that had no requests, keeping at least ``keep``.

    A young process thus gets a readable chart instead of a line squeezed to the right.
    """
    start = 0
    limit = max(0, len(points) - keep)
    while start < limit and points[start].requests == 0:
        start += 1
    return list(points[start:])


def _span_note(points: Sequence[SeriesPoint]) -> str:
    step = points[0].seconds if points else 0.0
    span = step * len(points)
    span_text = f"{span:g} s" if span < 120 else f"{span / 60:g} min"
    return f"last {span_text} in {step:g} s buckets"


def compose_view(
    collector: ResultMetricsCollector,
    alert_manager: AlertManager,
    thresholds: HealthThresholds,
    *,
    time_range: str | float = "1h",
    operation: str = "*",
    refresh_seconds: int = 5,
    api_base: str = "/monitoring",
    title: str = "rfs-monitoring",
    chart_range: ChartRange = DEFAULT_CHART_RANGE,
    chart_points: int = DEFAULT_CHART_POINTS,
    points: Sequence[SeriesPoint] | None = None,
    last_minute: OperationMetrics | None = None,
) -> DashboardView:
    """The dashboard's view-model for ``time_range``, charting ``operation`` ("*": all).

    Synchronous and CPU-bound: call it in a worker thread (``build_view`` does). An unknown
    ``operation`` charts all operations. The charts cover ``chart_range`` in
    ``chart_points`` steps of the collector (``ResultMetricsCollector.series``).

    ``points`` (the charted operation's series) and ``last_minute`` (every operation over
    "1m") do not depend on ``time_range``: a caller that already holds them (the router
    shares them between windows) passes them, else they are read here.
    """
    from rfs_monitoring import __version__

    names = collector.operation_names()
    # one read of each operation's buckets serves its row, the cards and the top errors
    read = query.dashboard(collector, names, time_range).unwrap()
    figures = list(read.operations)
    figures.sort(key=lambda m: (-m.total_requests, m.operation_name))
    firing = alert_manager.firing()
    link_prefix = (
        f"?time_range={urllib.parse.quote(str(time_range), safe='')}"
        f"&refresh={refresh_seconds}&operation="
    )
    judged = [thresholds.judge(m) for m in figures]
    chosen = operation if operation == "*" or operation in names else "*"
    if points is None:
        points = collector.series(
            None if chosen == "*" else chosen, chart_range, points=chart_points
        )
    points = trim_leading_quiet(points, min(len(points), MIN_CHART_POINTS))
    range_text = str(time_range)
    ranges = [*TIME_RANGES, *([] if range_text in TIME_RANGES else [range_text])]
    now = dt.datetime.now(tz=dt.timezone.utc)
    return DashboardView(
        title=title,
        status=overall_status([status for status, _ in judged], firing),
        time_range=range_text,
        generated=_when(now),
        generated_iso=now.isoformat(),
        refresh_seconds=refresh_seconds,
        range_options=_options(ranges, range_text),
        operation_options=_options(["*", *names], chosen),
        cards=_cards(collector, read.overall, len(firing), last_minute),
        series_label="all operations" if chosen == "*" else chosen,
        bucket_note=_span_note(points),
        latency_chart=chart_view(points, LATENCY_SERIES, chart_id="latency-svg", unit=" ms"),
        success_chart=chart_view(
            points, SUCCESS_SERIES, chart_id="success-svg", unit="%", y_max=100.0, scale=100.0
        ),
        alerts=[_alert_row(a) for a in firing],
        operations=[
            _operation_row(m, j, link_prefix) for m, j in zip(figures, judged, strict=True)
        ],
        errors=[_error_row(e) for e in read.errors[:10]],
        version=__version__,
        api_base=api_base,
        cap_warning=_cap_warning(collector),
    )


build_view = off_the_loop(
    compose_view, "``compose_view`` computed in a worker thread (never on the event loop)."
)


def _cap_warning(collector: ResultMetricsCollector) -> str:
    capped = collector.capped_count()
    if not capped:
        return ""
    return (
        f"{capped:,} operation name(s) over the cardinality cap "
        f"(max_operations={collector.max_operations:,}): their samples are counted under "
        f"{OTHER!r}"
    )


def _cards(
    collector: ResultMetricsCollector,
    overall: OperationMetrics,
    firing: int,
    last_minute: OperationMetrics | None,
) -> list[Card]:
    if last_minute is None:
        last_minute = query.dashboard(collector, collector.operation_names(), "1m").unwrap().overall
    log_counters = logging_stats()
    drops = int(log_counters.get("dropped", 0))
    reduced = int(log_counters.get("reduced", 0))
    seen = overall.total_requests > 0
    return [
        Card("requests", "requests", f"{overall.total_requests:,}"),
        Card("success", "success rate", _pct(overall.success_rate if seen else None)),
        Card("p99", "p99 latency", _ms(overall.p99_response_time_ms if seen else None)),
        Card("rps", "requests / s (last minute)", f"{last_minute.requests_per_second:.2f}"),
        Card("alerts", "firing alerts", str(firing)),
        Card("drops", "log entries dropped", f"{drops:,}"),
        Card("reduced", "log entries written reduced", f"{reduced:,}"),
    ]
