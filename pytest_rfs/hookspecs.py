"""Hooks of the ``rfs`` plugin that a conftest file or another plugin may implement.

Added to pytest with ``pluginmanager.add_hookspecs`` from ``pytest_addhooks``. They are
called only where the session report is built: in a serial run, or on the pytest-xdist
controller (never on its workers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_rfs.report import MetricsReport, ReportColumn

__all__ = ["pytest_rfs_report_columns", "pytest_rfs_report_ready"]


@pytest.hookspec
def pytest_rfs_report_columns(config: pytest.Config) -> list[ReportColumn]:  # type: ignore[empty-body]
    """Return extra columns for the terminal table of ``--rfs-metrics-report``.

    Each implementation returns a list of ``pytest_rfs.report.ReportColumn``; the columns
    of all implementations are appended after the built-in ones, in hook call order.

    Args:
        config: the pytest config.
    """


@pytest.hookspec
def pytest_rfs_report_ready(report: MetricsReport, config: pytest.Config) -> None:
    """Receive the session's metrics report once every test has finished.

    Called from ``pytest_sessionfinish`` before the JSON files are written and the terminal
    table is printed: ship ``report.to_dict()`` elsewhere, or check it.

    Args:
        report: the ``pytest_rfs.report.MetricsReport`` of the session.
        config: the pytest config.
    """
