"""The collector reads the monitoring API and the dashboard share, and their argument checks."""

from __future__ import annotations

import math

from rfs_monitoring.errors import APIError
from rfs_monitoring.metrics import OperationMetrics, ResultMetricsCollector, parse_time_range
from rfs_monitoring.result import Failure, Result, Success

__all__ = ["all_metrics", "check_time_range", "is_finite_number"]


def is_finite_number(value: object) -> bool:
    """True for an int or float (not a bool) that is neither infinite nor NaN."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_time_range(raw: str) -> Result[str | float, APIError]:
    """A time range given as query text: a plain number means seconds.

    Returns the value to pass to the collector, or the 422 APIError naming ``raw`` as the
    client sent it.
    """
    value: str | float = raw
    try:
        number = float(raw)
    except ValueError:
        pass
    else:
        if math.isfinite(number):
            value = number
    if parse_time_range(value).is_failure():
        return Failure(parse_time_range(raw).unwrap_error())
    return Success(value)


async def all_metrics(
    collector: ResultMetricsCollector, time_range: str | float
) -> list[OperationMetrics]:
    """The metrics of every operation the collector knows, over ``time_range``."""
    figures = []
    for name in collector.operation_names():
        result = await collector.get_operation_metrics(name, time_range=time_range)
        if result.is_success():  # else it expired between the two calls
            figures.append(result.unwrap())
    return figures
