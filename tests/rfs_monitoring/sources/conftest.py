"""Fixtures of the source tests: a fake Prometheus HTTP API on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .support import FakePrometheus, serve


@pytest.fixture
def prometheus() -> Iterator[FakePrometheus]:
    yield from serve()
