"""Helpers of the metrics tests: a settable clock and short ways to record and query."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rfs_monitoring.metrics import OperationMetrics, ResultMetricsCollector, TierSizes

T0 = 1_700_000_000.0 - 1_700_000_000.0 % 86400  # a UTC midnight


class FakeClock:
    """A settable clock (epoch seconds)."""

    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def metrics(c: ResultMetricsCollector, name: str, time_range: Any = "1h") -> OperationMetrics:
    return c.operation_metrics(name, time_range).unwrap()


def ok(c: ResultMetricsCollector, name: str = "op", ms: float = 10.0) -> None:
    c.record(name, success=True, duration_ms=ms)


def fail(
    c: ResultMetricsCollector,
    name: str = "op",
    message: str | None = "boom",
    code: str | None = "INTERNAL_ERROR",
    kind: str | None = "RuntimeError",
) -> None:
    c.record(
        name,
        success=False,
        duration_ms=5.0,
        error_code=code,
        error_type=kind,
        error_message=message,
    )


def utc(t: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc)


def sizes(c: ResultMetricsCollector, name: str = "op") -> TierSizes:
    held = c.tier_sizes(name)
    assert held is not None
    return held
