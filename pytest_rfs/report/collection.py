"""Collecting the figures: recording a test's samples, carrying them across pytest-xdist.

``MetricsRecorder`` runs where the test runs; ``DurationsCarrier`` puts the raw durations
on a worker's teardown report; ``MetricsReporter`` builds the session report (serial run or
xdist controller), hands it to ``pytest_rfs_report_ready``, writes the JSON files and
prints the terminal table.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Generator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pytest

from pytest_rfs.report.baseline import Comparison, compared_figures
from pytest_rfs.report.budgets import BUDGETS_KEY
from pytest_rfs.report.figures import (
    COMPACT_JSON,
    MetricsReport,
    OperationFigures,
    TestMetrics,
    summarize_samples,
)
from pytest_rfs.report.layout import fold
from pytest_rfs.report.settings import ReportSettings
from pytest_rfs.report.terminal import render_comparison, render_regressions, render_terminal

if TYPE_CHECKING:
    from rfs_monitoring.metrics import MetricSample, ResultMetricsCollector

__all__ = [
    "DURATIONS_ATTRIBUTE",
    "PROPERTY_NAME",
    "DurationsCarrier",
    "MetricsRecorder",
    "MetricsReporter",
    "figures_from_report",
]

#: Name of the ``user_properties`` entry carrying one test's figures as JSON.
PROPERTY_NAME: Final = "rfs_metrics"
#: Attribute of the teardown report carrying one test's raw durations.
DURATIONS_ATTRIBUTE: Final = "rfs_metrics_durations"


class MetricsRecorder:
    """Records each test's operations (in the process that runs the test)."""

    def __init__(self, settings: ReportSettings) -> None:
        self.settings = settings
        self.figures: dict[str, dict[str, OperationFigures]] = {}

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, object, object]:
        """Subscribe to the current collector while the test body runs."""
        budgets = item.stash.get(BUDGETS_KEY, ())
        if not budgets and not self.settings.enabled:
            return (yield)
        samples: list[MetricSample] = []
        unsubscribe = self._collector_class().instance().subscribe(samples.append)
        try:
            result = yield
        except BaseException:
            unsubscribe()
            self._attach(item, summarize_samples(samples))
            raise
        unsubscribe()
        figures = summarize_samples(samples)
        self._attach(item, figures)
        messages = [m for budget in budgets for m in budget.violations(figures)]
        if messages:
            pytest.fail("\n".join(messages), pytrace=False)
        return result

    @staticmethod
    @functools.cache
    def _collector_class() -> type[ResultMetricsCollector]:
        from rfs_monitoring.metrics import ResultMetricsCollector

        return ResultMetricsCollector

    def _attach(self, item: pytest.Item, figures: dict[str, OperationFigures]) -> None:
        if not self.settings.enabled or not figures:
            return
        payload = {"operations": {name: f.to_dict() for name, f in figures.items()}}
        item.user_properties.append((PROPERTY_NAME, COMPACT_JSON.encode(payload)))
        if self.settings.junit:
            item.user_properties += [p for f in figures.values() for p in f.junit_properties()]
        self.figures[item.nodeid] = figures


class DurationsCarrier:
    """On a pytest-xdist worker: puts the raw durations on the teardown report."""

    def __init__(self, recorder: MetricsRecorder) -> None:
        self.recorder = recorder

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Attach before xdist serializes the report for the controller."""
        if report.when == "teardown":
            figures = self.recorder.figures.pop(report.nodeid, None)
            if figures is not None:
                durations = {name: f.durations_ms for name, f in figures.items()}
                setattr(report, DURATIONS_ATTRIBUTE, durations)


@dataclasses.dataclass
class _Pending:
    outcome: str = ""
    duration_s: float = 0.0


class MetricsReporter:
    """Builds the session report from test reports (serial run or xdist controller)."""

    def __init__(
        self,
        config: pytest.Config,
        settings: ReportSettings,
        recorder: MetricsRecorder,
        baseline: Mapping[str, Mapping[str, float]] | None = None,
    ) -> None:
        self.config = config
        self.settings = settings
        self.recorder = recorder
        self.baseline = baseline
        self.tests: list[TestMetrics] = []
        self.report: MetricsReport | None = None
        self.written: list[Path] = []
        self.write_errors: list[str] = []
        self._pending: dict[str, _Pending] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Fold each phase into its test; the teardown phase completes the test."""
        pending = self._pending.setdefault(report.nodeid, _Pending())
        pending.duration_s += report.duration
        if report.passed and (report.when != "call" or not hasattr(report, "wasxfail")):
            category = "passed" if report.when == "call" else ""  # what the hook would say
        else:
            status = self.config.hook.pytest_report_teststatus(report=report, config=self.config)
            category = status[0] if status else report.outcome
        if category and pending.outcome in ("", "passed"):
            pending.outcome = category
        if report.when != "teardown":
            return
        del self._pending[report.nodeid]
        durations = getattr(report, DURATIONS_ATTRIBUTE, None)
        if durations is not None:  # from a pytest-xdist worker: rebuilt from the report
            operations = figures_from_report(report, durations)
        else:  # run in this process: the figures the report's properties were made of
            operations = self.recorder.figures.pop(report.nodeid, {})
        self.tests.append(
            TestMetrics(
                nodeid=report.nodeid,
                outcome=pending.outcome or report.outcome,
                duration_s=pending.duration_s,
                operations=operations,
            )
        )

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Build the report, compare it, hand it to ``pytest_rfs_report_ready``, write JSON.

        A regression against the baseline (``--rfs-metrics-compare-fail``) turns a
        passing run into a failing one (exit status 1).
        """
        report = MetricsReport.from_tests(self.tests, raw=self.settings.raw)
        if self.baseline is not None:
            current = {
                name: compared_figures(op.to_dict()) for name, op in report.operations.items()
            }
            report.comparison = Comparison.build(
                current,
                self.baseline,
                rules=self.settings.compare_rules,
                baseline_path=str(self.settings.compare_path),
            )
            if report.comparison.regressions and session.exitstatus == pytest.ExitCode.OK:
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
        self.report = report
        self.config.hook.pytest_rfs_report_ready(report=report, config=self.config)
        if not self.settings.json_paths:
            return
        text = report.to_json()
        for path in self.settings.json_paths:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
            except OSError as exc:
                self.write_errors.append(f"could not write the JSON report to {path}: {exc}")
            else:
                self.written.append(path)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """Print the table (``term``), the comparison, where the JSON went."""
        if self.report is None:
            return
        width = self.config.get_terminal_writer().fullwidth
        top = self.settings.top
        if self.settings.terminal:
            extra = [
                c
                for cols in self.config.hook.pytest_rfs_report_columns(config=self.config)
                for c in cols
            ]
            for line in render_terminal(self.report, top=top, columns=extra, width=width):
                terminalreporter.write_line(line)
        comparison = self.report.comparison
        if comparison is not None:
            for line in render_comparison(comparison, top=top, width=width):
                terminalreporter.write_line(line)
        for path in self.written:
            for line in fold(f"rfs metrics: JSON report written to {path}", width):
                terminalreporter.write_line(line)
        for error in self.write_errors:
            for line in fold(f"rfs metrics: {error}", width):
                terminalreporter.write_line(line, red=True, bold=True)
        if comparison is not None and comparison.regressions:
            for line in render_regressions(comparison, width=width):
                terminalreporter.write_line(line, red=True, bold=True)


def figures_from_report(
    report: pytest.TestReport, durations: Mapping[str, Sequence[float]]
) -> dict[str, OperationFigures]:
    """One test's figures rebuilt from its report (``PROPERTY_NAME``) and raw durations.

    Empty when the report carries no figures.
    """
    payload: str | None = None
    for name, value in report.user_properties:
        if name == PROPERTY_NAME:
            payload = str(value)  # the last one wins (a rerun test appends again)
    if payload is None:
        return {}
    figures: dict[str, OperationFigures] = {}
    for name, data in json.loads(payload)["operations"].items():
        fields = {k: v for k, v in data.items() if k not in ("success_rate", "durations_ms")}
        figures[name] = OperationFigures(
            operation=name, **fields, durations_ms=sorted(durations.get(name, ()))
        )
    return figures
