"""Prometheus answers turned into the collector's records: ``OperationMetrics``,
``ErrorSummary`` and ``SeriesPoint``, with the same definitions as the collector's figures.

``Reading`` holds what the queries of one window returned, per operation; ``metrics_of``
builds an operation's (or, merged, every operation's) figures from it. Durations arrive in
seconds and leave in milliseconds. What Prometheus does not keep is said, not invented:
``avg_memory_usage_mb`` / ``avg_cpu_usage_percent`` are 0.0 (per-process resources are not
exported), ``max_response_time_ms`` is the upper bound of the highest histogram bucket that
holds a call, an error group's ``last_seen`` is the end of the window it was counted in and
its ``error_code`` None (the group label carries the message only).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from typing import TypeVar

from rfs_monitoring.metrics.records import (
    ErrorSummary,
    OperationMetrics,
    availability_of,
    utc,
)

__all__ = ["Counts", "Reading", "error_summaries", "metrics_of"]

K = TypeVar("K", str, int)

_MIN_SPAN = 1.0  # seconds: a window's throughput is never read over less (as the collector)


@dataclasses.dataclass
class Counts:
    """One operation's figures over a window, as the queries returned them."""

    outcomes: dict[str, int] = dataclasses.field(default_factory=dict)
    codes: dict[str, int] = dataclasses.field(default_factory=dict)
    groups: dict[str, int] = dataclasses.field(default_factory=dict)
    duration_sum_s: float = 0.0
    quantiles_s: dict[float, float] = dataclasses.field(default_factory=dict)
    first_seen: float | None = None
    last_minute: int = 0
    hourly: dict[int, int] = dataclasses.field(default_factory=dict)

    @property
    def total(self) -> int:
        """Every call counted."""
        return sum(self.outcomes.values())

    def merge(self, other: Counts) -> None:
        """Add ``other``'s counts (quantiles are not additive: the caller sets them)."""
        for mine, theirs in (
            (self.outcomes, other.outcomes),
            (self.codes, other.codes),
            (self.groups, other.groups),
        ):
            _add(mine, theirs)
        _add(self.hourly, other.hourly)
        self.duration_sum_s += other.duration_sum_s
        self.last_minute += other.last_minute
        if other.first_seen is not None:
            first = self.first_seen
            self.first_seen = other.first_seen if first is None else min(first, other.first_seen)


def _add(into: dict[K, int], other: dict[K, int]) -> None:
    for key, n in other.items():
        into[key] = into.get(key, 0) + n


@dataclasses.dataclass
class Reading:
    """The answers of one window: per operation, plus every operation together."""

    label: str
    start: float
    end: float
    operations: dict[str, Counts]
    overall_quantiles_s: dict[float, float]


def _ms(seconds: float | None) -> float:
    if seconds is None or not math.isfinite(seconds):
        return 0.0
    return seconds * 1000.0


def metrics_of(name: str, counts: Counts, reading: Reading) -> OperationMetrics:
    """The ``OperationMetrics`` of ``counts`` (one operation, or ``"*"`` merged)."""
    total = counts.total
    ok = counts.outcomes.get("success", 0)
    client = counts.outcomes.get("client_error", 0)
    server = counts.outcomes.get("server_error", 0)
    timeouts = counts.outcomes.get("timeout", 0)
    covered = reading.start
    if counts.first_seen is not None:
        covered = max(covered, counts.first_seen)
    span = max(reading.end - covered, _MIN_SPAN)
    q = counts.quantiles_s
    ranked = sorted(counts.groups.items(), key=lambda kv: (-kv[1], kv[0]))
    return OperationMetrics(
        operation_name=name,
        time_window=reading.label,
        total_requests=total,
        successful_requests=ok,
        failed_requests=total - ok,
        success_rate=ok / total if total else 0.0,
        avg_response_time_ms=_ms(counts.duration_sum_s) / total if total else 0.0,
        p50_response_time_ms=_ms(q.get(0.5)),
        p90_response_time_ms=_ms(q.get(0.9)),
        p99_response_time_ms=_ms(q.get(0.99)),
        max_response_time_ms=_ms(q.get(1.0)),
        error_breakdown=dict(sorted((k, v) for k, v in counts.codes.items() if v)),
        top_errors=[(message, n) for message, n in ranked[:10] if n],
        avg_memory_usage_mb=0.0,
        avg_cpu_usage_percent=0.0,
        hourly_distribution=dict(sorted(counts.hourly.items())),
        requests_per_second=total / span,
        window_start=utc(covered),
        window_end=utc(reading.end),
        client_errors=client,
        server_errors=server,
        timeouts=timeouts,
        cancelled=counts.outcomes.get("cancelled", 0),
        availability=availability_of(total, server, timeouts),
        client_error_rate=client / total if total else 0.0,
        current_requests_per_second=counts.last_minute / 60.0,
    )


def error_summaries(
    reading: Reading, operations: Iterable[str] | None = None
) -> list[ErrorSummary]:
    """Every error group counted in the window (of ``operations``; None: all), most
    frequent first, then by message."""
    chosen = reading.operations if operations is None else operations
    totals: dict[str, int] = {}
    seen_in: dict[str, list[str]] = {}
    for name in chosen:
        counts = reading.operations.get(name)
        if counts is None:
            continue
        for message, n in counts.groups.items():
            if n <= 0:
                continue
            totals[message] = totals.get(message, 0) + n
            seen_in.setdefault(message, []).append(name)
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    end = utc(reading.end)
    return [ErrorSummary(message, None, n, end, sorted(seen_in[message])) for message, n in ranked]
