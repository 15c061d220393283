"""Wiring the report into pytest: the marker, the options read, the hook objects registered.

Per-test hooks are registered only when needed: without a report and without an
``rfs_budget`` marker in the collected tests the plugin adds no per-test work at all.
"""

from __future__ import annotations

import pytest

from pytest_rfs.report.budgets import BUDGET_MARKER, BUDGET_MARKER_HELP
from pytest_rfs.report.settings import SETTINGS_KEY, ReportSettings, settings_from_config

__all__ = ["BudgetWatcher", "configure"]


def configure(config: pytest.Config) -> None:
    """Read the options, register the ``rfs_budget`` marker and the report's hook objects.

    Raises:
        pytest.UsageError: an option or ini value is bad.
    """
    config.addinivalue_line("markers", BUDGET_MARKER_HELP)
    settings = settings_from_config(config)
    config.stash[SETTINGS_KEY] = settings
    _register(config, BudgetWatcher(config, settings), "rfs-metrics-budget-watcher")
    if not settings.enabled:
        return
    # Imported here: a run without the report never loads the recording modules.
    from pytest_rfs.report.baseline import load_baseline
    from pytest_rfs.report.collection import DurationsCarrier, MetricsRecorder, MetricsReporter

    recorder = MetricsRecorder(settings)
    _register(config, recorder, "rfs-metrics-recorder")
    if hasattr(config, "workerinput"):
        _register(config, DurationsCarrier(recorder), "rfs-metrics-durations")
    else:
        baseline = None
        if settings.compare_path is not None:  # read once, where the comparison runs
            baseline = load_baseline(settings.compare_path, source=_compare_source(config))
        reporter = MetricsReporter(config, settings, recorder, baseline)
        _register(config, reporter, "rfs-metrics-reporter")


def _compare_source(config: pytest.Config) -> str:
    cli_path: str | None = config.getoption("rfs_metrics_compare")
    return "ini rfs_metrics_compare" if cli_path is None else "--rfs-metrics-compare"


def _register(config: pytest.Config, plugin: object, name: str) -> None:
    config.pluginmanager.register(plugin, name)
    config.add_cleanup(lambda: config.pluginmanager.unregister(plugin))


class BudgetWatcher:
    """Registers the budget hooks once collection shows a test with an ``rfs_budget``."""

    def __init__(self, config: pytest.Config, settings: ReportSettings) -> None:
        self.config = config
        self.settings = settings

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Look for ``rfs_budget`` markers once, after collection."""
        if not any(item.get_closest_marker(BUDGET_MARKER) for item in items):
            return
        from pytest_rfs.report.budgets import BudgetValidator
        from pytest_rfs.report.collection import MetricsRecorder

        _register(self.config, BudgetValidator(), "rfs-metrics-budgets")
        if not self.settings.enabled:
            _register(self.config, MetricsRecorder(self.settings), "rfs-metrics-recorder")
