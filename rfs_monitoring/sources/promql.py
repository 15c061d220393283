"""The PromQL ``PrometheusSource`` sends: one builder per kind of figure, pure functions.

The metrics are the ones ``rfs_monitoring.export`` publishes (namespace ``rfs``):
``rfs_operation_requests_total{operation, outcome}``, ``rfs_operation_errors_total{operation,
error_code}``, ``rfs_operation_error_groups_total{operation, error_group}`` and the histogram
``rfs_operation_duration_seconds{operation}``.

Counts over a window are exact: a counter's value now minus its value a window ago,
summed over every worker and host (a series born inside the window counts from zero; a
counter that went back, i.e. a restarted single-process exporter, counts from its reset)::

    (sum by (L) (m) - sum by (L) (m offset 3600000ms)) >= 0 or sum by (L) (m)

``increase()`` would extrapolate to the window's edges and give fractions of requests.
Quantiles are ``histogram_quantile`` over those bucket counts, so they carry the
histogram's bucket error (the true value lies in the bucket the estimate falls in).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import NamedTuple

__all__ = [
    "OUTCOMES",
    "QUANTILE_LEVELS",
    "MetricNames",
    "duration",
    "first_seen",
    "quantiles",
    "selector",
    "window_count",
]

OUTCOMES = ("success", "client_error", "server_error", "timeout", "cancelled")
"""The ``outcome`` label values of the requests counter."""
QUANTILE_LEVELS = (0.5, 0.9, 0.99, 1.0)
"""The quantiles read; 1.0 is the upper bound of the highest bucket holding a call."""


class MetricNames(NamedTuple):
    """The exported metric names under one namespace."""

    requests: str
    errors: str
    groups: str
    duration: str

    @classmethod
    def of(cls, namespace: str) -> MetricNames:
        """The names ``PrometheusExporter(namespace=namespace)`` publishes."""
        return cls(
            requests=f"{namespace}_operation_requests_total",
            errors=f"{namespace}_operation_errors_total",
            groups=f"{namespace}_operation_error_groups_total",
            duration=f"{namespace}_operation_duration_seconds",
        )


def duration(seconds: float) -> str:
    """A PromQL duration in whole milliseconds (``3600000ms``), at least 1 ms."""
    return f"{max(1, round(seconds * 1000))}ms"


def selector(operation: str | None) -> str:
    """The label matcher of one operation (``{operation="..."}``), or none for all.

    The value is a JSON string literal, which PromQL reads the same way (quotes,
    backslashes and control characters escaped), so no name can change the query.
    """
    if operation is None:
        return ""
    return "{operation=" + json.dumps(operation) + "}"


def _aggregate(operator: str, expr: str, by: Sequence[str]) -> str:
    grouping = f" by ({', '.join(by)})" if by else ""
    return f"{operator}{grouping} ({expr})"


def _sum(metric: str, by: Sequence[str], offset: str = "") -> str:
    return _aggregate("sum", metric + offset, by)


def window_count(metric: str, match: str, by: Sequence[str], seconds: float) -> str:
    """The exact count a counter gained over the last ``seconds``, per ``by`` label set."""
    now = _sum(metric + match, by)
    before = _sum(metric + match, by, f" offset {duration(seconds)}")
    return f"({now} - {before}) >= 0 or {now}"


def quantiles(
    histogram: str,
    match: str,
    by: Sequence[str],
    seconds: float,
    levels: Sequence[float] = QUANTILE_LEVELS,
) -> str:
    """``histogram_quantile`` of each level over the last ``seconds`` (seconds), per ``by``
    label set, in one vector whose ``quantile`` label names the level."""
    buckets = window_count(f"{histogram}_bucket", match, [*by, "le"], seconds)
    parts = [
        f'label_replace(histogram_quantile({q:g}, {buckets}), "quantile", "{q:g}", "", "")'
        for q in levels
    ]
    return " or ".join(parts)


def first_seen(metric: str, match: str, by: Sequence[str], seconds: float, step: float) -> str:
    """The time of the oldest sample in the last ``seconds`` (read every ``step``), per
    ``by`` label set: where a window's data starts when it is younger than the window.

    A series younger than one ``step`` has no subquery step yet: its latest sample's time
    stands in (``or timestamp(...)``).
    """
    latest = f"timestamp({metric}{match})"
    inner = f"min_over_time({latest}[{duration(seconds)}:{duration(step)}]) or {latest}"
    return _aggregate("min", inner, by)
