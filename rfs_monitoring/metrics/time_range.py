"""Time ranges: the one parser of "1h"-style windows, and the window a query covers.

``parse_time_range`` is the rule every module uses (the collector, the alerts, the exporters,
the dashboard): a named range (``NAMED_RANGES``), a number of seconds of at least a
microsecond, or a ``timedelta`` > 0. ``resolve_window`` adds what a query needs: the
retention limit and the window's label, start and end.
"""

from __future__ import annotations

import datetime as _dt
import math
import types
from collections.abc import Callable, Mapping
from typing import NamedTuple

from rfs_monitoring.errors import APIError
from rfs_monitoring.result import Failure, Result, Success

__all__ = [
    "ACCEPTED_TIME_RANGES",
    "MIN_SECONDS",
    "NAMED_RANGES",
    "TimeRange",
    "Window",
    "describe_duration",
    "parse_time_range",
    "resolve_window",
    "time_range_error",
]

NAMED_RANGES: Mapping[str, int] = types.MappingProxyType(
    {
        "1m": 60,
        "5m": 300,
        "15m": 900,
        "1h": 3600,
        "6h": 6 * 3600,
        "1d": 86400,
        "1w": 7 * 86400,
        "30d": 30 * 86400,
    }
)
"""The named time ranges and their length in seconds."""

MIN_SECONDS = 1e-6
"""The shortest numeric time range: a microsecond (a ``timedelta``'s resolution)."""

ACCEPTED_TIME_RANGES = (
    '"1m", "5m", "15m", "1h", "6h", "1d", "1w", "30d" (with an archive), '
    "a number of seconds >= 0.000001, or a datetime.timedelta > 0"
)
"""The accepted forms, as error messages name them."""

_MAX_SECONDS = 10 * 365 * 86400

TimeRange = str | float | int | _dt.timedelta


class Window(NamedTuple):
    """The span a query covers: its label (``"1h"``, ``"90s"``), start and end (epoch s)."""

    label: str
    start: float
    end: float


def parse_time_range(value: object) -> Result[_dt.timedelta, APIError]:
    """Parse a time range into a timedelta.

    Accepted: "1m", "5m", "15m", "1h", "6h", "1d", "1w", "30d" (the collector accepts
    windows longer than its retention only with an archive), a number of seconds of at least
    ``MIN_SECONDS`` (a microsecond, the finest a ``timedelta`` holds: less would be an empty
    window), or a ``timedelta`` > 0. Anything else is a ``Failure`` with a validation
    APIError that names the accepted forms.
    """
    if isinstance(value, _dt.timedelta):
        if value > _dt.timedelta(0):
            return Success(value)
    elif isinstance(value, str):
        seconds = NAMED_RANGES.get(value.strip())
        if seconds is not None:
            return Success(_dt.timedelta(seconds=seconds))
    elif (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and MIN_SECONDS <= value <= _MAX_SECONDS
    ):
        return Success(_dt.timedelta(seconds=value))
    return Failure(time_range_error(value, f"use {ACCEPTED_TIME_RANGES}"))


def time_range_error(value: object, hint: str) -> APIError:
    """The validation APIError for a time range that is not accepted, with a ``hint``."""
    return APIError.validation_error(
        f"time_range {value!r} is not accepted; {hint}",
        field="time_range",
        details={"value": repr(value)},
    )


def describe_duration(delta: _dt.timedelta) -> str:
    """``delta`` in its largest whole unit: "7 days", "3 hours", "90 seconds"."""
    seconds = int(delta.total_seconds())
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} seconds"


def resolve_window(
    value: object,
    *,
    retention: _dt.timedelta,
    archive_retention: _dt.timedelta | None,
    clock: Callable[[], float],
) -> Result[Window, APIError]:
    """The window ``value`` covers, ending at ``clock()``, within the retention.

    Args:
        value: the time range.
        retention: how far back memory reaches.
        archive_retention: how far back the archive reaches (None: no archive).
        clock: read once, after the range is accepted.
    """
    parsed = parse_time_range(value)
    if isinstance(parsed, Failure):
        return parsed
    window = parsed.unwrap()
    limit = retention if archive_retention is None else max(retention, archive_retention)
    if window > limit:
        if archive_retention is None:
            hint = (
                f"it is longer than the in-memory retention ({describe_duration(limit)}); "
                "configure an archive (rfs_monitoring.archive.MetricsArchive) to query "
                f"further back, or use {ACCEPTED_TIME_RANGES}"
            )
        else:
            hint = f"it is longer than the archive retention ({describe_duration(limit)})"
        return Failure(time_range_error(value, hint))
    now = clock()
    label = value.strip() if isinstance(value, str) else f"{window.total_seconds():g}s"
    return Success(Window(label, now - window.total_seconds(), now))
