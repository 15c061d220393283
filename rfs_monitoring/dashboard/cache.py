"""``SnapshotCache``: successful answers kept for a moment, so many viewers cost one read."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from rfs_monitoring.errors import APIError
from rfs_monitoring.result import Result

__all__ = ["SnapshotCache"]


class SnapshotCache:
    """Keeps successful answers for ``seconds`` (0: off), per key.

    A dashboard polled by many clients thus reads the collector at most once per query and
    period. Failures are never kept; when ``max_entries`` are held, the next new answer
    starts over from an empty cache.

    Args:
        seconds: how long an answer is served from memory.
        clock: monotonic seconds (a fake one in tests).
        max_entries: the most answers held at once.
    """

    __slots__ = ("_clock", "_entries", "max_entries", "seconds")

    def __init__(
        self, seconds: float, *, clock: Callable[[], float] = time.monotonic, max_entries: int = 256
    ) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[tuple[object, ...], tuple[float, Result[Any, APIError]]] = {}

    def __len__(self) -> int:
        """How many answers are held (expired ones included until replaced)."""
        return len(self._entries)

    async def get(
        self,
        key: tuple[object, ...],
        compute: Callable[[], Awaitable[Result[Any, APIError]]],
    ) -> Result[Any, APIError]:
        """The answer kept for ``key``, else ``await compute()`` (kept when a Success)."""
        if self.seconds <= 0:
            return await compute()
        now = self._clock()
        hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        result = await compute()
        if result.is_success():
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (now + self.seconds, result)
        return result
