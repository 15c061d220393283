"""SnapshotCache: answers are kept for a while, failures never, and the cache is bounded."""

from __future__ import annotations

from typing import Any

import pytest

from rfs_monitoring.dashboard.cache import SnapshotCache


class TestSnapshotCache:
    @pytest.mark.asyncio
    async def test_the_cache_is_bounded(self) -> None:
        from rfs_monitoring.result import Success

        cache = SnapshotCache(60, max_entries=2)
        calls: list[int] = []

        async def compute() -> Any:
            calls.append(1)
            return Success(len(calls))

        for key in ("a", "b", "c", "a"):
            await cache.get((key,), compute)
        assert len(calls) == 4
        assert len(cache) == 2
