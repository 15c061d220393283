"""pytest-rfs: the pytest plugin of rfs-monitoring (auto-loaded as ``-p rfs``).

The helpers are importable from here; the fixtures (``result_mocker``, ``rfs_logs``,
``rfs_metrics``, ``rfs_clock``, ``rfs_correlation_id``, ``rfs_factory``) need no import.
Hypothesis strategies live in ``pytest_rfs.strategies``.

Names are served on first access (module ``__getattr__``): loading the plugin imports no
helper module, so a test run that uses none of them never loads structlog, the logging or
the metrics modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from rfs_monitoring.lazy import lazy_exports

# Before the helper modules are imported, so that their plain ``assert`` statements get
# pytest's detailed explanations (an editable install is not found by pytest's own scan).
pytest.register_assert_rewrite(
    "pytest_rfs.assertions",
    "pytest_rfs.call_assertions",
    "pytest_rfs.fixtures",
    "pytest_rfs.log_capture",
    "pytest_rfs.mocking",
    "pytest_rfs.mono_assertions",
    "pytest_rfs.performance",
    "pytest_rfs.result_helpers",
)

if TYPE_CHECKING:
    from pytest_rfs.assertions import (
        assert_flux_result_stats,
        assert_mono_result_error,
        assert_mono_result_success,
        assert_mono_result_timeout,
        assert_result_error,
        assert_result_success,
    )
    from pytest_rfs.fixtures import FakeClock, LogCapture, ResultMocker
    from pytest_rfs.generators import ResultFactory
    from pytest_rfs.mocking import ResultServiceMocker, mock_result_service
    from pytest_rfs.performance import TimingStats, ameasure, measure
    from pytest_rfs.registry import register_service, unregister_service
    from pytest_rfs.report import MetricsReport, ReportColumn

_MODULES = {
    **dict.fromkeys(
        (
            "assert_flux_result_stats",
            "assert_mono_result_error",
            "assert_mono_result_success",
            "assert_mono_result_timeout",
            "assert_result_error",
            "assert_result_success",
        ),
        "assertions",
    ),
    **dict.fromkeys(("FakeClock", "LogCapture", "ResultMocker"), "fixtures"),
    "ResultFactory": "generators",
    **dict.fromkeys(("ResultServiceMocker", "mock_result_service"), "mocking"),
    **dict.fromkeys(("TimingStats", "ameasure", "measure"), "performance"),
    **dict.fromkeys(("register_service", "unregister_service"), "registry"),
    **dict.fromkeys(("MetricsReport", "ReportColumn"), "report"),
}


__getattr__ = lazy_exports(__name__, globals(), _MODULES)


__all__ = [
    "FakeClock",
    "LogCapture",
    "MetricsReport",
    "ReportColumn",
    "ResultFactory",
    "ResultMocker",
    "ResultServiceMocker",
    "TimingStats",
    "ameasure",
    "assert_flux_result_stats",
    "assert_mono_result_error",
    "assert_mono_result_success",
    "assert_mono_result_timeout",
    "assert_result_error",
    "assert_result_success",
    "measure",
    "mock_result_service",
    "register_service",
    "unregister_service",
]
