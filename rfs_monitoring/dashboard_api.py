"""Moved: the monitoring API and dashboard now live in the ``rfs_monitoring.dashboard`` package.

This module keeps the old import path working; import from ``rfs_monitoring.dashboard``.
"""

from __future__ import annotations

from rfs_monitoring.dashboard import (
    HealthThresholds,
    LogLevelRequest,
    LogLevelState,
    OperationHealth,
    OperationSummary,
    ResultPatternHealth,
    SeriesPoint,
    api_key_auth,
    monitoring_router,
    render_dashboard,
)

__all__ = [
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
