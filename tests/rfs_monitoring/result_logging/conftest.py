"""Fixtures of the result_logging tests: a clean pipeline, entries, metric samples, lines."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rfs_monitoring import ResultMetricsCollector
from rfs_monitoring.metrics import MetricSample
from rfs_monitoring.result_logging import (
    ResultLogEntry,
    add_entry_listener,
    configure_logging,
    reset_logging,
)

from .support import Lines


@pytest.fixture(autouse=True)
def _clean_logging() -> Iterator[None]:
    """Every test starts unconfigured at INFO and leaves it so."""
    reset_logging()
    yield
    reset_logging()


@pytest.fixture
def entries() -> Iterator[list[ResultLogEntry]]:
    got: list[ResultLogEntry] = []
    remove = add_entry_listener(got.append)
    yield got
    remove()


@pytest.fixture
def samples() -> Iterator[list[MetricSample]]:
    collector = ResultMetricsCollector()
    previous = ResultMetricsCollector.set_instance(collector)
    got: list[MetricSample] = []
    collector.subscribe(got.append)
    yield got
    ResultMetricsCollector.set_instance(previous)


@pytest.fixture
def lines() -> Lines:
    sink = Lines()
    configure_logging(sink=sink.buffer, background=False, service_name="svc", environment="test")
    return sink
