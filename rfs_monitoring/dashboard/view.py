"""The dashboard page's view-model: plain dataclasses built from the collector and alerts.

``compose_view`` reads everything the page shows and formats it as text; the Jinja2
templates under ``templates/`` lay out the first paint, and the page's script
(``static/dashboard.js``) lays out the same view-model, read as JSON from
``GET <prefix>/dashboard/data``, at each poll. Nothing here is markup, so nothing here
escapes: the templates autoescape every value and the script only sets text.

Throughput is shown under both definitions of ``OperationMetrics``, each labelled: the
average over the part of the window holding data (``requests_per_second``) and the current
rate over the last minute (``current_requests_per_second``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import urllib.parse

from rfs_monitoring.alerts import AlertManager
from rfs_monitoring.dashboard.charts import ChartData, chart_data
from rfs_monitoring.dashboard.health import HealthThresholds, overall_status
from rfs_monitoring.dashboard.labels import window_label
from rfs_monitoring.dashboard.models import HealthStatus
from rfs_monitoring.dashboard.rows import (
    AlertRow,
    ErrorRow,
    HistoryRow,
    OperationRow,
    alert_row,
    error_row,
    history_row,
    operation_row,
    pct,
    when,
)
from rfs_monitoring.dashboard.threads import off_the_loop
from rfs_monitoring.metrics import (
    NAMED_RANGES,
    OTHER,
    MetricsSource,
    OperationMetrics,
    SeriesPoint,
    parse_time_range,
)
from rfs_monitoring.metrics.source import source_value
from rfs_monitoring.result_logging import logging_stats

__all__ = [
    "DEFAULT_CHART_POINTS",
    "DEFAULT_CHART_RANGE",
    "HISTORY_ROWS",
    "TIME_RANGES",
    "AlertRow",
    "Card",
    "ChartRange",
    "DashboardView",
    "ErrorRow",
    "HistoryRow",
    "OperationRow",
    "Option",
    "build_view",
    "chart_span",
    "compose_view",
]

TIME_RANGES: tuple[str, ...] = ("1m", "5m", "15m", "1h", "6h", "1d", "1w")
"""The windows offered in the page's selector (a requested other one is added)."""

ChartRange = str | float | dt.timedelta
"""A span as ``rfs_monitoring.metrics.parse_time_range`` accepts it."""

DEFAULT_CHART_RANGE: ChartRange = "5m"
"""The default span of ``GET /timeseries`` (the page's charts follow its window)."""

DEFAULT_CHART_POINTS = 30
"""The charts' default number of steps (10 s each over five minutes)."""

HISTORY_ROWS = 20
"""The latest alert events the page lists."""


@dataclasses.dataclass(frozen=True)
class Option:
    """One choice of a selector: its value, the text shown, whether it is chosen."""

    value: str
    label: str
    selected: bool


@dataclasses.dataclass(frozen=True)
class Card:
    """One headline figure; ``note`` says what exactly it shows."""

    card_id: str
    label: str
    value: str
    note: str = ""


@dataclasses.dataclass(frozen=True)
class DashboardView:
    """Everything the dashboard page shows (also its JSON at ``/dashboard/data``)."""

    title: str
    status: HealthStatus
    time_range: str
    window_label: str
    operation: str
    generated: str
    generated_iso: str
    refresh_seconds: int
    range_options: list[Option]
    operation_options: list[Option]
    cards: list[Card]
    chart: ChartData
    chart_caption: str
    alerts: list[AlertRow]
    history: list[HistoryRow]
    operations: list[OperationRow]
    errors: list[ErrorRow]
    version: str
    api_base: str
    can_act: bool = False
    """Whether the page offers acknowledge / silence (the router has ``auth``)."""
    cap_warning: str = ""
    """Set when operations are over the collector's cardinality cap (shown as a warning)."""


def _range_label(value: str) -> str:
    """The label of a window the router accepted (a named range, or seconds): "last 1 h"
    for "1h", "last 10 min" for "600.0"."""
    parsed = parse_time_range(value if value in NAMED_RANGES else float(value))
    return window_label(parsed.unwrap())


def _options(values: list[str], selected: str, *, labelled: bool) -> list[Option]:
    return [Option(v, _range_label(v) if labelled else v, v == selected) for v in values]


def chart_span(collector: MetricsSource, time_range: str | float) -> float:
    """The seconds the charts of ``time_range`` cover: the window, at most the collector's
    in-memory retention (the charts read its buckets, not the archive)."""
    window = parse_time_range(time_range).unwrap().total_seconds()
    return min(window, collector.retention.total_seconds())


def compose_view(
    collector: MetricsSource,
    alert_manager: AlertManager,
    thresholds: HealthThresholds,
    *,
    time_range: str | float = "1h",
    operation: str = "*",
    refresh_seconds: int = 5,
    api_base: str = "/monitoring",
    title: str = "rfs-monitoring",
    chart_points: int = DEFAULT_CHART_POINTS,
    points: list[SeriesPoint] | None = None,
    can_act: bool = False,
) -> DashboardView:
    """The dashboard's view-model for ``time_range``, charting ``operation`` ("*": all).

    Synchronous and CPU-bound: call it in a worker thread (``build_view`` does). An unknown
    ``operation`` charts all operations. The charts cover the window (``chart_span``) in
    ``chart_points`` steps of the collector (``ResultMetricsCollector.series``); a caller
    already holding them passes ``points``.
    """
    from rfs_monitoring import __version__

    names = collector.operation_names()
    # one read of each operation's buckets serves its row, the cards and the top errors
    read = source_value(collector.dashboard(time_range, names))  # 503: raised, served
    figures = sorted(read.operations, key=lambda m: (-m.total_requests, m.operation_name))
    firing = alert_manager.firing()
    range_text = str(time_range)
    link_prefix = (
        f"?time_range={urllib.parse.quote(range_text, safe='')}"
        f"&refresh={refresh_seconds}&operation="
    )
    judged = [thresholds.judge(m) for m in figures]
    chosen = operation if operation == "*" or operation in names else "*"
    if points is None:
        span = chart_span(collector, time_range)
        points = collector.series(None if chosen == "*" else chosen, span, points=chart_points)
    chart = chart_data(points, "all operations" if chosen == "*" else chosen)
    ranges = [*TIME_RANGES, *([] if range_text in TIME_RANGES else [range_text])]
    now = dt.datetime.now(tz=dt.timezone.utc)
    history = alert_manager.history(limit=HISTORY_ROWS)
    return DashboardView(
        title=title,
        status=overall_status([status for status, _ in judged], firing),
        time_range=range_text,
        window_label=_range_label(range_text),
        operation=chosen,
        generated=when(now),
        generated_iso=now.isoformat(),
        refresh_seconds=refresh_seconds,
        range_options=_options(ranges, range_text, labelled=True),
        operation_options=_options(["*", *names], chosen, labelled=False),
        cards=_cards(read.overall, len(firing), _range_label(range_text)),
        chart=chart,
        chart_caption=chart.caption,
        alerts=[alert_row(a) for a in firing],
        history=[history_row(e) for e in reversed(history)],
        operations=[operation_row(m, j, link_prefix) for m, j in zip(figures, judged, strict=True)],
        errors=[error_row(e) for e in read.errors[:10]],
        version=__version__,
        api_base=api_base,
        can_act=can_act,
        cap_warning=_cap_warning(collector),
    )


build_view = off_the_loop(
    compose_view, "``compose_view`` computed in a worker thread (never on the event loop)."
)


def _cap_warning(collector: MetricsSource) -> str:
    capped = collector.capped_count()
    if not capped:
        return ""
    return (
        f"{capped:,} operation name(s) over the cardinality cap "
        f"(max_operations={collector.max_operations:,}): their samples are counted under "
        f"{OTHER!r}"
    )


def _cards(overall: OperationMetrics, firing: int, window: str) -> list[Card]:
    log_counters = logging_stats()
    drops = int(log_counters.get("dropped", 0))
    reduced = int(log_counters.get("reduced", 0))
    seen = overall.total_requests > 0
    p99 = overall.p99_response_time_ms
    return [
        Card("requests", "requests", f"{overall.total_requests:,}", window),
        Card(
            "availability",
            "availability",
            pct(overall.availability if seen else None),
            "calls without a server fault or timeout",
        ),
        Card(
            "client-errors",
            "client errors",
            pct(overall.client_error_rate if seen else None),
            "4xx answers: shown, not judged",
        ),
        Card("success", "success rate", pct(overall.success_rate if seen else None), window),
        Card("p99", "p99 latency", "–" if not seen else f"{p99:,.1f} ms", window),
        Card(
            "rps",
            "requests / s",
            f"{overall.requests_per_second:.2f}",
            f"average over the {window} (the part holding data)",
        ),
        Card(
            "rps-now",
            "requests / s now",
            f"{overall.current_requests_per_second:.2f}",
            "current: the last minute",
        ),
        Card("alerts", "firing alerts", str(firing)),
        Card("drops", "log entries dropped", f"{drops:,}"),
        Card("reduced", "log entries written reduced", f"{reduced:,}"),
    ]
