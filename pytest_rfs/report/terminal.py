"""The terminal summary of the report (pytest-benchmark's table layout)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Final, TypeVar

from pytest_rfs.explain import plural
from pytest_rfs.report.figures import MetricsReport, OperationSummary
from pytest_rfs.report.settings import DEFAULT_TOP

__all__ = ["ReportColumn", "render_terminal"]

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


def render_terminal(
    report: MetricsReport, *, top: int = DEFAULT_TOP, columns: Sequence[ReportColumn] = ()
) -> list[str]:
    """The terminal summary, as lines (pytest-benchmark's table layout)."""
    if not report.operations:
        return ["rfs metrics: no Result operations were recorded"]
    ordered = report.by_total_time()
    shown = _limit(ordered, top)
    lines = _table(report, shown, (*_BUILTIN_COLUMNS, *columns))
    if len(shown) < len(ordered):
        lines.append(
            f"({len(ordered) - len(shown)} more operations; --rfs-metrics-top=0 shows all)"
        )
    lines.append("Slowest p99:")
    lines += [
        f"  {op.operation}: p99 {op.p99_ms:.3f} ms, max {op.max_ms:.3f} ms ({_calls(op.count)})"
        for op in _limit(report.slowest_p99(), top)
    ]
    failing = report.highest_failure_rate()
    lines.append("Highest failure rate:" + ("" if failing else " no operation failed"))
    for op in _limit(failing, top):
        errors = ", ".join(f"{code} x{n}" for code, n in op.errors.items())
        lines.append(
            f"  {op.operation}: {op.failure_rate:.1%} ({op.failures} of "
            f"{_calls(op.count)}; {errors})"
        )
    lines.append("Tests that exercised each operation:")
    lines += _exercised_by(report, shown, top)
    return lines


def _table(
    report: MetricsReport, shown: Sequence[OperationSummary], columns: Sequence[ReportColumn]
) -> list[str]:
    """The title, the table of ``shown`` operations and its rules."""
    header = ["Operation (time in ms)", *(c.header for c in columns)]
    rows = [[op.operation, *(str(c.value(op)) for c in columns)] for op in shown]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(w) for cell, w in zip(cells[1:], widths[1:], strict=True))
        return "  ".join((first, *rest)).rstrip()

    width = len(line(header))
    title = (
        f" rfs metrics: {plural(len(report.operations), 'operation', 'operations')}, "
        f"{_calls(report.total_calls)} in {plural(len(report.tests), 'test', 'tests')} "
    )
    lines = [title.center(max(width, len(title) + 4), "-"), line(header), "-" * width]
    lines += [line(row) for row in rows]
    lines.append("-" * width)
    return lines


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
