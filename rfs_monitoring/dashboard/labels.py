"""Human labels of the dashboard's spans: "last 2 min", "10 s steps", never "2.03333 min".

One rule for every label the page shows (selector, chart captions, throughput cards); the
browser script only displays what the server labelled.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["duration_label", "step_label", "window_label"]


def _seconds(span: float | dt.timedelta) -> float:
    seconds = span.total_seconds() if isinstance(span, dt.timedelta) else float(span)
    if not seconds >= 0:  # also refuses NaN
        msg = f"a span must be a number of seconds >= 0 or a timedelta, got {span!r}"
        raise ValueError(msg)
    return seconds


def duration_label(span: float | dt.timedelta) -> str:
    """``span`` in words, rounded to whole units: "45 s", "2 min", "1 h 30 min", "7 days".

    Under a minute: whole seconds. Under an hour: whole minutes. Under a day: hours and
    minutes (minutes left out when zero). From a day: days and hours.

    Raises:
        ValueError: ``span`` is negative or not a number, naming it.
    """
    seconds = round(_seconds(span))
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 24 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} h" + (f" {rest} min" if rest else "")
    hours = round(seconds / 3600)
    days, rest = divmod(hours, 24)
    day_word = "day" if days == 1 else "days"
    return f"{days} {day_word}" + (f" {rest} h" if rest else "")


def window_label(span: float | dt.timedelta) -> str:
    """The label of a window ending now: "last 2 min", "last 1 h", "last 7 days"."""
    return "last " + duration_label(span)


def step_label(span: float | dt.timedelta) -> str:
    """The label of a chart step's width: "10 s steps", "2 min steps"."""
    return duration_label(span) + " steps"
