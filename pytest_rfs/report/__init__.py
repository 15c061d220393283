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
``user_properties``: one ``rfs_metrics`` JSON entry, read back by the report, and (with
``junit``, or with ``--junitxml`` and any other format) one ``rfs.<operation>.<figure>``
entry per figure for JUnit XML consumers. A pytest-xdist
worker also puts the raw durations (needed for the session percentiles) on the teardown
report as its ``rfs_metrics_durations`` attribute; xdist carries both to the controller,
which builds the session report from the same data as a serial run, and compares it with
the baseline of ``--rfs-metrics-compare`` there, after every worker's figures arrived.

When no report is asked for, nothing is recorded, except for tests marked ``rfs_budget``
(the marker needs the figures of its own test).

Modules: ``settings`` (options), ``thresholds`` (the rules of
``--rfs-metrics-compare-fail``), ``figures`` (per operation / test / session, the JSON
document), ``baseline`` (the comparison with an earlier report), ``budgets`` (the
``rfs_budget`` marker), ``collection`` (recording, xdist, the session report), ``layout``
(fitting lines into the terminal width), ``terminal`` (the tables), ``schema_doc`` (the
JSON schema as Markdown tables), ``wiring`` (``configure``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rfs_monitoring.lazy import lazy_exports

if TYPE_CHECKING:
    from pytest_rfs.report.baseline import Comparison, OperationDelta, Regression, load_baseline
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
    from pytest_rfs.report.terminal import (
        ReportColumn,
        render_comparison,
        render_regressions,
        render_terminal,
    )
    from pytest_rfs.report.thresholds import CompareRule, parse_rules
    from pytest_rfs.report.wiring import configure

# Names served on first access: the plugin loads ``settings`` and ``wiring`` only, so a run
# without ``--rfs-metrics-report`` does not import the recording and rendering modules.
_MODULES = {
    **dict.fromkeys(("Comparison", "OperationDelta", "Regression", "load_baseline"), "baseline"),
    **dict.fromkeys(("BUDGET_MARKER", "Budget"), "budgets"),
    **dict.fromkeys(
        (
            "DURATIONS_ATTRIBUTE",
            "PROPERTY_NAME",
            "MetricsRecorder",
            "MetricsReporter",
            "figures_from_report",
        ),
        "collection",
    ),
    **dict.fromkeys(
        (
            "SCHEMA_VERSION",
            "MetricsReport",
            "OperationFigures",
            "OperationSummary",
            "TestMetrics",
            "load_schema",
            "percentile",
            "summarize_samples",
        ),
        "figures",
    ),
    **dict.fromkeys(
        (
            "DEFAULT_TOP",
            "SETTINGS_KEY",
            "ReportSettings",
            "add_options",
            "parse_formats",
            "parse_top",
        ),
        "settings",
    ),
    **dict.fromkeys(
        ("ReportColumn", "render_comparison", "render_regressions", "render_terminal"), "terminal"
    ),
    **dict.fromkeys(("CompareRule", "parse_rules"), "thresholds"),
    "configure": "wiring",
}


__getattr__ = lazy_exports(__name__, globals(), _MODULES)


__all__ = [
    "BUDGET_MARKER",
    "DEFAULT_TOP",
    "DURATIONS_ATTRIBUTE",
    "PROPERTY_NAME",
    "SCHEMA_VERSION",
    "SETTINGS_KEY",
    "Budget",
    "CompareRule",
    "Comparison",
    "MetricsRecorder",
    "MetricsReport",
    "MetricsReporter",
    "OperationDelta",
    "OperationFigures",
    "OperationSummary",
    "Regression",
    "ReportColumn",
    "ReportSettings",
    "TestMetrics",
    "add_options",
    "configure",
    "figures_from_report",
    "load_baseline",
    "load_schema",
    "parse_formats",
    "parse_rules",
    "parse_top",
    "percentile",
    "render_comparison",
    "render_regressions",
    "render_terminal",
    "summarize_samples",
]
