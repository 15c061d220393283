"""Comparing the session with a baseline: ``--rfs-metrics-compare=PATH``.

The baseline is an earlier JSON report (``--rfs-metrics-report=json:PATH``); its session
figures (``operations``) are compared operation by operation with this run's. The
comparison runs where the session report is built (a serial run, or the pytest-xdist
controller after every worker's figures arrived), so it sees the same totals either way.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

import pytest

from pytest_rfs.report.thresholds import CompareRule

__all__ = [
    "COMPARED_FIGURES",
    "Comparison",
    "OperationDelta",
    "Regression",
    "compared_figures",
    "load_baseline",
]

COMPARED_FIGURES: Final = (
    "count",
    "failures",
    "failure_rate",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "max_ms",
    "total_ms",
)
"""The figures of an operation that are compared (``failure_rate`` = failures / count)."""
_READ_FIGURES: Final = tuple(f for f in COMPARED_FIGURES if f != "failure_rate")


def compared_figures(data: Mapping[str, Any]) -> dict[str, float]:
    """The compared figures of one operation, from its JSON form (``to_dict()``).

    Raises:
        ValueError: a figure is missing or is not a finite number >= 0.
    """
    figures: dict[str, float] = {}
    for name in _READ_FIGURES:
        value = data.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            msg = f"{name} is {value!r}, not a number"
            raise ValueError(msg)
        if not (math.isfinite(value) and value >= 0):
            msg = f"{name} is {value!r}, not a finite number >= 0"
            raise ValueError(msg)
        figures[name] = value
    count = figures["count"]
    figures["failure_rate"] = figures["failures"] / count if count else 0.0
    return {name: figures[name] for name in COMPARED_FIGURES}


def load_baseline(path: Path, *, source: str) -> dict[str, dict[str, float]]:
    """The session figures of an earlier JSON report, by operation name.

    Raises:
        pytest.UsageError: the file cannot be read or is no JSON report of this plugin.
    """
    from pytest_rfs.report.figures import SCHEMA_VERSION

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
            msg = f'it has no "schema_version": {SCHEMA_VERSION}'
            raise ValueError(msg)
        operations = data.get("operations")
        if not isinstance(operations, dict):
            msg = 'it has no "operations" object'
            raise ValueError(msg)
        baseline: dict[str, dict[str, float]] = {}
        for name, figures in operations.items():
            if not isinstance(figures, dict):
                msg = f"operation {name!r} is {figures!r}, not an object"
                raise ValueError(msg)
            try:
                baseline[name] = compared_figures(figures)
            except ValueError as exc:
                msg = f"operation {name!r}: {exc}"
                raise ValueError(msg) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is one
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        msg = (
            f"{source}: cannot use {str(path)!r} as a baseline: {reason}; expected a JSON "
            "report written by --rfs-metrics-report=json:PATH"
        )
        raise pytest.UsageError(msg) from None
    return baseline


@dataclasses.dataclass(frozen=True)
class OperationDelta:
    """One operation in both runs, or in one of them (``new`` / ``removed``)."""

    operation: str
    baseline: Mapping[str, float] | None
    current: Mapping[str, float] | None

    @property
    def status(self) -> str:
        """``compared`` (in both runs), ``new`` (this run only) or ``removed``."""
        if self.baseline is None:
            return "new"
        return "removed" if self.current is None else "compared"

    @property
    def delta(self) -> dict[str, float] | None:
        """Current minus baseline, figure by figure (None unless in both runs)."""
        if self.baseline is None or self.current is None:
            return None
        return {name: self.current[name] - self.baseline[name] for name in COMPARED_FIGURES}

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "status": self.status,
            "baseline": None if self.baseline is None else dict(self.baseline),
            "current": None if self.current is None else dict(self.current),
            "delta": self.delta,
        }


@dataclasses.dataclass(frozen=True)
class Regression:
    """A rule that a compared operation broke."""

    operation: str
    rule: CompareRule
    baseline: float
    current: float

    @property
    def change(self) -> float:
        """The increase the rule measured (percent or the figure's unit)."""
        return self.rule.change(self.baseline, self.current)

    @property
    def message(self) -> str:
        """``fetch: p99 8.000 ms -> 12.000 ms (+50.0%), above p99:10%``."""
        label = self.rule.text.split(":", 1)[0]
        before, after = (
            _show(self.rule.figure, self.baseline),
            _show(self.rule.figure, self.current),
        )
        change = self.change
        if self.rule.relative:
            shown = f"{change:+.1f}%"
        elif self.rule.figure == "failure_rate":
            shown = f"{(self.current - self.baseline) * 100:+.1f} points"
        else:
            shown = _show(self.rule.figure, change, sign=True)
        return f"{self.operation}: {label} {before} -> {after} ({shown}), above {self.rule.text}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (an infinite change, from a baseline of 0, is null)."""
        return {
            "operation": self.operation,
            "figure": self.rule.figure,
            "rule": self.rule.text,
            "baseline": self.baseline,
            "current": self.current,
            "change": None if math.isinf(self.change) else self.change,
            "message": self.message,
        }


def _show(figure: str, value: float, *, sign: bool = False) -> str:
    plus = "+" if sign else ""
    if figure.endswith("_ms"):
        return f"{value:{plus}.3f} ms"
    if figure == "failure_rate":
        return f"{value:.1%}"
    return f"{value:{plus}g}"


@dataclasses.dataclass(frozen=True)
class Comparison:
    """This run against a baseline: a delta per operation and the rules broken."""

    baseline_path: str
    rules: tuple[CompareRule, ...]
    operations: tuple[OperationDelta, ...]
    regressions: tuple[Regression, ...]

    @classmethod
    def build(
        cls,
        current: Mapping[str, Mapping[str, float]],
        baseline: Mapping[str, Mapping[str, float]],
        *,
        rules: Iterable[CompareRule] = (),
        baseline_path: str = "",
    ) -> Comparison:
        """Compare figures by operation (both as ``compared_figures`` returns them)."""
        rules = tuple(rules)
        deltas = tuple(
            OperationDelta(name, baseline.get(name), current.get(name))
            for name in sorted({*current, *baseline})
        )
        regressions = tuple(
            Regression(d.operation, rule, d.baseline[rule.figure], d.current[rule.figure])
            for d in deltas
            if d.baseline is not None and d.current is not None
            for rule in rules
            if rule.fails(d.baseline[rule.figure], d.current[rule.figure])
        )
        return cls(baseline_path, rules, deltas, regressions)

    def to_dict(self) -> dict[str, Any]:
        """The ``comparison`` object of the JSON report."""
        return {
            "baseline": self.baseline_path,
            "rules": [rule.text for rule in self.rules],
            "operations": {d.operation: d.to_dict() for d in self.operations},
            "regressions": [r.to_dict() for r in self.regressions],
        }
