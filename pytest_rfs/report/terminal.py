"""The terminal summary of the report (pytest-benchmark's table layout), fitted to a width.

Every function takes the terminal's ``width`` (None: no limit): the tables fold their first
column or stack their rows, the lists fold their lines (see ``layout``), so no line is
longer than the terminal.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Final, TypeVar

from pytest_rfs.explain import plural
from pytest_rfs.report.baseline import Comparison, OperationDelta
from pytest_rfs.report.figures import MetricsReport, OperationSummary
from pytest_rfs.report.layout import fit_table, fold
from pytest_rfs.report.settings import DEFAULT_TOP
from pytest_rfs.report.thresholds import relative_change

__all__ = ["ReportColumn", "render_comparison", "render_regressions", "render_terminal"]

_T = TypeVar("_T")


@dataclasses.dataclass(frozen=True)
class ReportColumn:
    """An extra column of the terminal table, contributed by ``pytest_rfs_report_columns``.

    Attributes:
        header: the column title.
        value: called with each row's OperationSummary; its ``str()`` is shown.
    """

    header: str
    value: Callable[[OperationSummary], object]


_BUILTIN_COLUMNS: Final[tuple[ReportColumn, ...]] = (
    ReportColumn("Calls", lambda op: op.count),
    ReportColumn("Failed", lambda op: op.failures),
    ReportColumn("Fail%", lambda op: f"{op.failure_rate:.1%}"),
    ReportColumn("Total", lambda op: f"{op.total_ms:.3f}"),
    ReportColumn("p50", lambda op: f"{op.p50_ms:.3f}"),
    ReportColumn("p90", lambda op: f"{op.p90_ms:.3f}"),
    ReportColumn("p99", lambda op: f"{op.p99_ms:.3f}"),
    ReportColumn("Max", lambda op: f"{op.max_ms:.3f}"),
    ReportColumn("Tests", lambda op: len(op.tests)),
)


def _limit(items: Sequence[_T], top: int) -> Sequence[_T]:
    return items if top == 0 else items[:top]


def _calls(count: int) -> str:
    return plural(count, "call", "calls")


def _title(text: str, table_width: int, width: int | None) -> list[str]:
    """`` text `` centred in a rule as wide as the table, or folded when it cannot be."""
    text = f" {text} "
    if width is not None and len(text) + 4 > width:
        return fold(text.strip(), width)
    return [text.center(max(table_width, len(text) + 4), "-")]


def render_terminal(
    report: MetricsReport,
    *,
    top: int = DEFAULT_TOP,
    columns: Sequence[ReportColumn] = (),
    width: int | None = None,
) -> list[str]:
    """The terminal summary, as lines no longer than ``width`` (None: no limit)."""
    if not report.operations:
        return ["rfs metrics: no Result operations were recorded"]
    ordered = report.by_total_time()
    shown = _limit(ordered, top)
    lines = _table(report, shown, (*_BUILTIN_COLUMNS, *columns), width)
    if len(shown) < len(ordered):
        lines += fold(
            f"({len(ordered) - len(shown)} more operations; --rfs-metrics-top=0 shows all)", width
        )
    lines.append("Slowest p99:")
    for op in _limit(report.slowest_p99(), top):
        text = (
            f"  {op.operation}: p99 {op.p99_ms:.3f} ms, max {op.max_ms:.3f} ms ({_calls(op.count)})"
        )
        lines += fold(text, width)
    failing = report.highest_failure_rate()
    lines.append("Highest failure rate:" + ("" if failing else " no operation failed"))
    for op in _limit(failing, top):
        errors = ", ".join(f"{code} x{n}" for code, n in op.errors.items())
        share = f"{op.failures} of {_calls(op.count)}"
        text = f"  {op.operation}: {op.failure_rate:.1%} ({share}; {errors})"
        lines += fold(text, width)
    lines.append("Tests that exercised each operation:")
    for text in _exercised_by(report, shown, top):
        lines += fold(text, width)
    return lines


def _table(
    report: MetricsReport,
    shown: Sequence[OperationSummary],
    columns: Sequence[ReportColumn],
    width: int | None,
) -> list[str]:
    """The title, the table of ``shown`` operations and its rules."""
    header = ["Operation", *(c.header for c in columns)]
    rows = [[op.operation, *(str(c.value(op)) for c in columns)] for op in shown]
    body, table_width = fit_table(header, rows, width)
    title = (
        f"rfs metrics: {plural(len(report.operations), 'operation', 'operations')}, "
        f"{_calls(report.total_calls)} in {plural(len(report.tests), 'test', 'tests')} "
        "(times in ms)"
    )
    return [*_title(title, table_width, width), *body, "-" * table_width]


def _exercised_by(report: MetricsReport, shown: Sequence[OperationSummary], top: int) -> list[str]:
    """For each shown operation, the tests that called it, most total time first."""
    per_test = {
        (name, test.nodeid): figures
        for test in report.tests
        for name, figures in test.operations.items()
    }
    lines = []
    for op in shown:
        tests = sorted(
            op.tests, key=lambda nodeid: (-per_test[op.operation, nodeid].total_ms, nodeid)
        )
        listed = ", ".join(
            f"{nodeid} ({_calls(per_test[op.operation, nodeid].count)})"
            for nodeid in _limit(tests, top)
        )
        more = "" if top == 0 or len(tests) <= top else f", and {len(tests) - top} more"
        lines.append(f"  {op.operation}: {listed}{more}")
    return lines


# --------------------------------------------------------------------------- baseline


def _percent_change(before: float, after: float) -> str:
    return f"{relative_change(before, after):+.1f}%"


def _delta_row(delta: OperationDelta) -> list[str]:
    now, then = delta.current, delta.baseline
    if now is None:
        return [delta.operation, "removed", "-", "-", "-"]
    if then is None:
        return [
            delta.operation,
            f"{now['count']:g} (new)",
            f"{now['p50_ms']:.3f}",
            f"{now['p99_ms']:.3f}",
            f"{now['failure_rate']:.1%}",
        ]
    return [
        delta.operation,
        f"{now['count']:g} ({now['count'] - then['count']:+g})",
        f"{now['p50_ms']:.3f} ({_percent_change(then['p50_ms'], now['p50_ms'])})",
        f"{now['p99_ms']:.3f} ({_percent_change(then['p99_ms'], now['p99_ms'])})",
        f"{now['failure_rate']:.1%} ({(now['failure_rate'] - then['failure_rate']) * 100:+.1f})",
    ]


def _delta_order(comparison: Comparison) -> list[OperationDelta]:
    """Regressed operations first, then the biggest p99 changes, new and removed last."""
    regressed = {r.operation for r in comparison.regressions}

    def key(delta: OperationDelta) -> tuple[bool, int, float, str]:
        change = 0.0
        if delta.baseline is not None and delta.current is not None:
            before, after = delta.baseline["p99_ms"], delta.current["p99_ms"]
            change = abs(relative_change(before, after))
        rank = {"compared": 0, "new": 1, "removed": 2}[delta.status]
        return (delta.operation not in regressed, rank, -change, delta.operation)

    return sorted(comparison.operations, key=key)


def render_comparison(
    comparison: Comparison, *, top: int = DEFAULT_TOP, width: int | None = None
) -> list[str]:
    """The per-operation deltas against the baseline, as lines no longer than ``width``."""
    ordered = _delta_order(comparison)
    shown = _limit(ordered, top)
    header = ["Operation", "Calls", "p50 ms", "p99 ms", "Fail% (points)"]
    body, table_width = fit_table(header, [_delta_row(d) for d in shown], width)
    title = f"rfs metrics: compared with {comparison.baseline_path}"
    lines = [*_title(title, table_width, width), *body, "-" * table_width]
    if len(shown) < len(ordered):
        lines += fold(
            f"({len(ordered) - len(shown)} more operations; --rfs-metrics-top=0 shows all)", width
        )
    if not comparison.operations:
        lines = fold(f"rfs metrics: compared with {comparison.baseline_path}: no operations", width)
    return lines


def render_regressions(comparison: Comparison, *, width: int | None = None) -> list[str]:
    """The summary of the rules the run broke (empty when it broke none)."""
    regressions = comparison.regressions
    if not regressions:
        return []
    rules = ",".join(rule.text for rule in comparison.rules)
    lines = fold(
        f"rfs metrics: FAILED: {plural(len(regressions), 'regression', 'regressions')} "
        f"against {comparison.baseline_path} (--rfs-metrics-compare-fail={rules}):",
        width,
    )
    for regression in regressions:
        lines += fold(f"  {regression.message}", width, indent="      ")
    return lines
