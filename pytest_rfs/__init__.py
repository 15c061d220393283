"""pytest-rfs: the pytest plugin of rfs-monitoring (auto-loaded as ``-p rfs``).

The helpers are importable from here; the fixtures (``result_mocker``, ``rfs_logs``,
``rfs_metrics``, ``fake_clock``, ``correlation_id``, ``rfs_factory``) need no import.
Hypothesis strategies live in ``pytest_rfs.strategies``.
"""

from __future__ import annotations

import pytest

# Before the helper modules are imported, so that their plain ``assert`` statements get
# pytest's detailed explanations (an editable install is not found by pytest's own scan).
pytest.register_assert_rewrite(
    "pytest_rfs.assertions",
    "pytest_rfs.call_assertions",
    "pytest_rfs.fixtures",
    "pytest_rfs.mocking",
    "pytest_rfs.performance",
    "pytest_rfs.result_helpers",
)

from pytest_rfs.assertions import (  # noqa: E402
    assert_flux_result_stats,
    assert_mono_result_error,
    assert_mono_result_success,
    assert_mono_result_timeout,
    assert_result_error,
    assert_result_success,
)
from pytest_rfs.fixtures import FakeClock, LogCapture, ResultMocker  # noqa: E402
from pytest_rfs.generators import ResultFactory  # noqa: E402
from pytest_rfs.mocking import ResultServiceMocker, mock_result_service  # noqa: E402
from pytest_rfs.performance import TimingStats, ameasure, measure  # noqa: E402
from pytest_rfs.registry import register_service, unregister_service  # noqa: E402
from pytest_rfs.report import MetricsReport, ReportColumn  # noqa: E402

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
