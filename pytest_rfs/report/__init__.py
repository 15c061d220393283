"""The per-test metrics report of the ``rfs`` plugin: ``--rfs-metrics-report``.

What is recorded: while a test's *call* phase runs (the test body, not its fixtures'
setup or teardown), every sample recorded into ``ResultMetricsCollector.instance()`` is
received through the collector's subscription seam. The instance is looked up when the
call phase starts, that is after the fixtures are set up, so a fixture that swaps the
default collector for an isolated one (``rfs_metrics``) is followed; a swap made inside the
test body is not (the subscription stays on the instance current at call start), nor are
samples recorded into a collector that is not the default instance. Setup and teardown
are left out on purpose: fixtures that seed data through Result operations would
otherwise blur both the figures and the ``rfs_budget`` checks of the test itself.

How it travels: the process that runs the test adds the figures to the test's
``user_properties``: one ``rfs_metrics`` JSON entry, read back by the report, and one
readable ``rfs.<operation>`` entry per operation for JUnit XML consumers. A pytest-xdist
worker also puts the raw durations (needed for the session percentiles) on the teardown
report as its ``rfs_metrics_durations`` attribute; xdist carries both to the controller,
which builds the session report from the same data as a serial run.

When no report is asked for, nothing is recorded, except for tests marked ``rfs_budget``
(the marker needs the figures of its own test).

Modules: ``settings`` (options), ``figures`` (per operation / test / session, the JSON
document), ``budgets`` (the ``rfs_budget`` marker), ``collection`` (recording, xdist,
the session report), ``terminal`` (the table), ``wiring`` (``configure``).
"""

from __future__ import annotations

from pytest_rfs.report.budgets import BUDGET_MARKER, Budget
from pytest_rfs.report.collection import (
    DURATIONS_ATTRIBUTE,
    PROPERTY_NAME,
    MetricsRecorder,
    MetricsReporter,
    figures_from_report,
)
from pytest_rfs.report.figures import (
    SCHEMA_VERSION,
    MetricsReport,
    OperationFigures,
    OperationSummary,
    TestMetrics,
    load_schema,
    percentile,
    summarize_samples,
)
from pytest_rfs.report.settings import (
    DEFAULT_TOP,
    SETTINGS_KEY,
    ReportSettings,
    add_options,
    parse_formats,
    parse_top,
)
from pytest_rfs.report.terminal import ReportColumn, render_terminal
from pytest_rfs.report.wiring import configure

__all__ = [
    "BUDGET_MARKER",
    "DEFAULT_TOP",
    "DURATIONS_ATTRIBUTE",
    "PROPERTY_NAME",
    "SCHEMA_VERSION",
    "SETTINGS_KEY",
    "Budget",
    "MetricsRecorder",
    "MetricsReport",
    "MetricsReporter",
    "OperationFigures",
    "OperationSummary",
    "ReportColumn",
    "ReportSettings",
    "TestMetrics",
    "add_options",
    "configure",
    "figures_from_report",
    "load_schema",
    "parse_formats",
    "parse_top",
    "percentile",
    "render_terminal",
    "summarize_samples",
]
