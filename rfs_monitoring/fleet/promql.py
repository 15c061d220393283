"""PromQL over the exported metrics: one place for the expressions rules and panels use.

Every figure an ``AlertConfiguration`` can watch has its PromQL here, over the families of
``rfs_monitoring.export`` summed across workers and hosts (``sum(...)`` keeps no instance
label): the fleet's figure, as the in-process collector computes it for one process.
"""

from __future__ import annotations

import json
import math

from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.metrics import parse_time_range

__all__ = [
    "LATENCY_QUANTILES",
    "duration",
    "matcher",
    "metric_expression",
    "requests_expression",
]

LATENCY_QUANTILES = {"p50_latency": 0.5, "p90_latency": 0.9, "p99_latency": 0.99}
"""The quantile of each latency metric (``max_latency`` reads quantile 1)."""


def duration(window: str | float) -> str:
    """A time range (``"5m"``, seconds ...) as a PromQL duration (``"300s"``).

    Raises:
        ConfigurationError: ``window`` is no accepted time range, naming it.
    """
    parsed = parse_time_range(window)
    if parsed.is_failure():
        raise ConfigurationError(parsed.unwrap_error().message)
    ms = round(parsed.unwrap().total_seconds() * 1000)
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"


def matcher(operation: str, *extra: str) -> str:
    """The label matcher of ``operation`` (``"*"``: every operation) and ``extra`` ones."""
    parts = [] if operation == "*" else [f"operation={json.dumps(operation)}"]
    parts.extend(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def requests_expression(ns: str, operation: str, window: str, *extra: str) -> str:
    """Requests of ``operation`` over ``window`` (matching ``extra``), summed over the fleet."""
    selector = f"{ns}_operation_requests_total{matcher(operation, *extra)}"
    return f"sum(increase({selector}[{duration(window)}]))"


def metric_expression(ns: str, metric: str, operation: str, window: str) -> str:
    """The PromQL of an alert metric (rates in 0..1, latencies in ms, rps per second).

    Outcomes as exported: ``availability`` is the share of calls without a server error or
    timeout, ``client_error_rate`` the share of client errors, ``success_rate`` /
    ``error_rate`` / ``error_count`` count every failure.

    Raises:
        ConfigurationError: an unknown metric, naming it.
    """
    total = requests_expression(ns, operation, window)
    failed = requests_expression(ns, operation, window, 'outcome!="success"')
    succeeded = requests_expression(ns, operation, window, 'outcome="success"')
    faults = requests_expression(ns, operation, window, 'outcome=~"server_error|timeout"')
    refused = requests_expression(ns, operation, window, 'outcome="client_error"')
    hist = f"{ns}_operation_duration_seconds"
    span = duration(window)
    where = matcher(operation)
    quantile = LATENCY_QUANTILES.get(metric, 1.0 if metric == "max_latency" else math.nan)
    if metric == "availability":  # cancelled calls count, and are not unavailable
        return f"1 - {faults} / {total}"
    if metric == "client_error_rate":
        return f"{refused} / {total}"
    if metric == "success_rate":
        return f"{succeeded} / {total}"
    if metric == "error_rate":
        return f"{failed} / {total}"
    if metric == "error_count":
        return failed
    if metric == "rps":
        return f"sum(rate({ns}_operation_requests_total{where}[{span}]))"
    if metric == "avg_latency":
        return (
            f"1000 * sum(rate({hist}_sum{where}[{span}])) / sum(rate({hist}_count{where}[{span}]))"
        )
    if not math.isnan(quantile):
        buckets = f"sum by (le) (rate({hist}_bucket{where}[{span}]))"
        return f"1000 * histogram_quantile({quantile:g}, {buckets})"
    msg = f"no PromQL for alert metric {metric!r}"
    raise ConfigurationError(msg)
