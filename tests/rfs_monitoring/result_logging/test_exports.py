"""The package's public names: every name of the former module stays importable."""

from __future__ import annotations

import rfs_monitoring
import rfs_monitoring.result_logging as result_logging

FORMER_NAMES = [
    "CorrelationIdFilter",
    "ResultLogEntry",
    "add_entry_listener",
    "configure_logging",
    "flush_logs",
    "get_log_level",
    "log_flux_result",
    "log_result_operation",
    "logging_stats",
    "reset_logging",
    "result_log_entry_schema",
    "set_log_level",
]


def test_every_former_name_is_exported() -> None:
    assert set(FORMER_NAMES) <= set(result_logging.__all__)
    assert all(hasattr(result_logging, name) for name in result_logging.__all__)


def test_the_top_level_package_exports_the_same_objects() -> None:
    for name in ("ResultLogEntry", "configure_logging", "log_result_operation", "set_log_level"):
        assert getattr(rfs_monitoring, name) is getattr(result_logging, name)
