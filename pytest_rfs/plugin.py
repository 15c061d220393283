"""Hooks of the ``rfs`` pytest plugin: options, markers, fixture registration, report wiring.

Logic lives in the sibling modules; this module only wires it into pytest.
"""

from __future__ import annotations

import pytest

from pytest_rfs import report as _report
from pytest_rfs.explain import explain_result_comparison
from pytest_rfs.fixtures import (  # fixtures are registered by being names of this module
    base_seed_key,
    correlation_id,
    fake_clock,
    result_mocker,
    rfs_factory,
    rfs_logs,
    rfs_metrics,
)

__all__ = [
    "correlation_id",
    "fake_clock",
    "result_mocker",
    "rfs_factory",
    "rfs_logs",
    "rfs_metrics",
]

GROUP = "rfs"


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Add the plugin's own hooks (``pytest_rfs_report_columns``, ``pytest_rfs_report_ready``)."""
    from pytest_rfs import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ``rfs`` option group."""
    group = parser.getgroup(GROUP, "rfs-monitoring: Result-pattern testing and metrics")
    group.addoption(
        "--rfs-seed",
        dest="rfs_seed",
        default=None,
        metavar="INT",
        help="base seed of the rfs_factory fixture (default: ini rfs_seed, else 0)",
    )
    parser.addini("rfs_seed", "base seed of the rfs_factory fixture", default="0")
    _report.add_options(parser, GROUP)


def pytest_configure(config: pytest.Config) -> None:
    """Register the plugin's markers."""
    _report.configure(config)  # marker rfs_budget, --rfs-metrics-report recorder/reporter
    raw = config.getoption("rfs_seed")
    if raw is None:
        raw = config.getini("rfs_seed")
    try:
        config.stash[base_seed_key] = int(raw)
    except ValueError:
        msg = f"--rfs-seed / rfs_seed must be an integer, got {raw!r}"
        raise pytest.UsageError(msg) from None


def pytest_assertrepr_compare(
    config: pytest.Config, op: str, left: object, right: object
) -> list[str] | None:
    """Explain a failed ``==`` between two Results (payload diff, variant, library)."""
    if op != "==":
        return None

    def explain_payload(a: object, b: object) -> list[str] | None:
        answers = config.hook.pytest_assertrepr_compare(config=config, op=op, left=a, right=b)
        return next((list(lines) for lines in answers if lines), None)

    return explain_result_comparison(left, right, explain_payload)
