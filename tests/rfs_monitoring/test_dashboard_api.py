"""The old import path ``rfs_monitoring.dashboard_api`` serves the dashboard package's names.

The dashboard's own tests live in ``tests/rfs_monitoring/dashboard/``.
"""

from __future__ import annotations

import rfs_monitoring
import rfs_monitoring.dashboard as package
import rfs_monitoring.dashboard_api as shim


def test_every_name_of_the_old_module_is_served_from_the_package() -> None:
    assert shim.__all__ == [
        "HealthThresholds",
        "LogLevelRequest",
        "LogLevelState",
        "OperationHealth",
        "OperationSummary",
        "ResultPatternHealth",
        "SeriesPoint",
        "api_key_auth",
        "monitoring_router",
        "render_dashboard",
    ]
    for name in shim.__all__:
        assert getattr(shim, name) is getattr(package, name), name


def test_the_lazy_top_level_names_are_the_package_ones() -> None:
    assert rfs_monitoring.monitoring_router is package.monitoring_router
    assert rfs_monitoring.api_key_auth is package.api_key_auth
