"""The collector reads the monitoring API and the dashboard share, and their argument checks.

Everything here is synchronous on purpose: the endpoints run it in a worker thread (through
``SnapshotCache``), never on the event loop.
"""

from __future__ import annotations

import math

from rfs_monitoring.errors import APIError
from rfs_monitoring.metrics import NAMED_RANGES, MetricsSource, OperationMetrics, parse_time_range
from rfs_monitoring.metrics.source import source_value
from rfs_monitoring.result import Failure, Result, Success

__all__ = ["all_metrics", "canonical_time_range", "check_time_range", "is_finite_number"]

_NAME_OF_SECONDS: dict[float, str] = {float(s): name for name, s in NAMED_RANGES.items()}


def is_finite_number(value: object) -> bool:
    """True for an int or float (not a bool) that is neither infinite nor NaN."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def canonical_time_range(value: object) -> Result[str | float, APIError]:
    """One spelling per window: its name when it has one ("1h" for 3600, "3600.0", " 1h"),
    else its number of seconds as a float.

    So equal windows share one cache entry and one label, whichever way a client wrote them.
    The Failure is the validation APIError of ``parse_time_range``.
    """
    parsed = parse_time_range(value)
    if isinstance(parsed, Failure):
        return parsed
    seconds = parsed.unwrap().total_seconds()
    return Success(_NAME_OF_SECONDS.get(seconds, seconds))


def check_time_range(raw: str) -> Result[str | float, APIError]:
    """A time range given as query text (a plain number means seconds), canonicalised.

    Returns the canonical window (``canonical_time_range``) to pass to the collector, or the
    422 APIError naming ``raw`` as the client sent it.
    """
    value: str | float = raw
    try:
        number = float(raw)
    except ValueError:
        pass
    else:
        if math.isfinite(number):
            value = number
    canonical = canonical_time_range(value)
    if canonical.is_failure():
        return Failure(parse_time_range(raw).unwrap_error())
    return canonical


def all_metrics(collector: MetricsSource, time_range: str | float) -> list[OperationMetrics]:
    """The metrics of every operation the source knows, over ``time_range``, from one read
    (synchronous: call it in a worker thread from async code).

    Raises:
        SourceUnavailableError: the source cannot answer (served as its 503).
    """
    return source_value(collector.dashboard(time_range)).operations
