"""Fixtures of the metrics tests: a collector on a fake clock."""

from __future__ import annotations

import pytest

from rfs_monitoring.metrics import ResultMetricsCollector

from .support import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def collector(clock: FakeClock) -> ResultMetricsCollector:
    return ResultMetricsCollector(clock, resources=lambda: (120.0, 7.5))
