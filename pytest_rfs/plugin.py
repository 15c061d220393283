"""Hooks of the ``rfs`` pytest plugin: options, markers, fixture registration, report wiring.

Logic lives in the sibling modules; this module only wires it into pytest.
"""

from __future__ import annotations

import pytest

GROUP = "rfs"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ``rfs`` option group."""
    parser.getgroup(GROUP, "rfs-monitoring: Result-pattern testing and metrics")


def pytest_configure(config: pytest.Config) -> None:
    """Register the plugin's markers."""
