"""The rules of ``--rfs-metrics-compare-fail``: when a change against the baseline fails.

The syntax mirrors pytest-benchmark's ``--benchmark-compare-fail``: ``FIGURE:N%`` fails on
an increase of more than N percent over the baseline, ``FIGURE:N`` on an increase of more
than N in the figure's own unit (``ms`` may be written for the durations). For
``failure_rate``, itself a percentage, ``N%`` is a rise of N percentage points and a plain
``N`` a rise of N as a fraction (``failure_rate:1%`` == ``failure_rate:0.01``). Only
increases fail: a figure that went down never does.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable
from typing import Final

import pytest

__all__ = ["ACCEPTED_RULES", "FIGURES", "CompareRule", "parse_rules", "relative_change"]

FIGURES: Final = {
    "count": "count",
    "failure_rate": "failure_rate",
    "p50": "p50_ms",
    "p90": "p90_ms",
    "p99": "p99_ms",
    "max": "max_ms",
    "total": "total_ms",
}
"""Rule names -> the figure of the JSON report they watch (``p99_ms`` is accepted too)."""

ACCEPTED_RULES: Final = (
    "FIGURE:N% (an increase of more than N percent) or FIGURE:N (more than N in the "
    "figure's unit), FIGURE one of p50, p90, p99, max, total (N in ms, 'ms' optional), "
    "count (N calls) or failure_rate (N% in percentage points, or N as a fraction); "
    "several comma-separated or repeated, e.g. p99:10%,failure_rate:1%"
)

_RULE: Final = re.compile(
    r"^(?P<name>[a-z0-9_]+):(?P<number>[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)(?P<unit>%|ms)?$"
)


def relative_change(baseline: float, current: float) -> float:
    """The change from ``baseline`` to ``current`` in percent (inf from 0 to more than 0)."""
    if baseline == 0:
        return math.inf if current > 0 else 0.0
    return (current - baseline) / baseline * 100


@dataclasses.dataclass(frozen=True)
class CompareRule:
    """One parsed rule: fail when ``figure`` rises by more than ``threshold``.

    Attributes:
        figure: the JSON report's figure (``p99_ms``, ``count``, ``failure_rate``...).
        threshold: the allowed increase (percent when ``percent``, else the figure's unit).
        percent: the threshold is a percentage (relative, or points for failure_rate).
        text: the rule as written, normalized (``p99:10%``).
    """

    figure: str
    threshold: float
    percent: bool
    text: str

    @property
    def relative(self) -> bool:
        """True when the change is measured relative to the baseline (``N%``, not a rate)."""
        return self.percent and self.figure != "failure_rate"

    def change(self, baseline: float, current: float) -> float:
        """The increase the rule measures (percent when ``percent``, else absolute)."""
        if self.relative:
            return relative_change(baseline, current)
        scale = 100 if self.percent else 1  # failure_rate:N% counts percentage points
        return (current - baseline) * scale

    def fails(self, baseline: float, current: float) -> bool:
        """True when ``current`` rose by more than the threshold over ``baseline``."""
        return self.change(baseline, current) > self.threshold


def parse_rules(values: Iterable[str], *, source: str) -> tuple[CompareRule, ...]:
    """Parse rules, each value holding one or several comma-separated ones.

    Raises:
        pytest.UsageError: a rule is malformed, names an unknown figure or puts ``ms`` on
            a figure that is no duration.
    """
    rules: list[CompareRule] = []
    for value in values:
        for part in value.split(","):
            rule = _parse_one(part.strip(), value=value, source=source)
            if rule not in rules:
                rules.append(rule)
    return tuple(rules)


def _parse_one(text: str, *, value: str, source: str) -> CompareRule:
    match = _RULE.match(text)
    name = match["name"] if match else ""
    figure = FIGURES.get(name) or (name if name in FIGURES.values() else None)
    unit = match["unit"] if match else None
    if match is None or figure is None or (unit == "ms" and not figure.endswith("_ms")):
        shown = repr(value) if text == value.strip() else f"{text!r} (in {value!r})"
        msg = f"{source}: bad value {shown}; accepted: {ACCEPTED_RULES}"
        raise pytest.UsageError(msg)
    threshold = float(match["number"])
    short = next(key for key, field in FIGURES.items() if field == figure)
    return CompareRule(
        figure=figure,
        threshold=threshold,
        percent=unit == "%",
        text=f"{short}:{match['number']}{unit or ''}",
    )
