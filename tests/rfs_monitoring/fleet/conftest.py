"""Fixtures of the fleet tests: a multiprocess directory and worker processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .support import Worker


@pytest.fixture
def multiproc_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "multiproc"
    folder.mkdir()
    return folder


@pytest.fixture
def workers(multiproc_dir: Path) -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.exit()
