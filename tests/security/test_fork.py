"""A forked worker (gunicorn ``--preload``, a forking test harness) gets working pools.

The attack: use the monitoring query cache and the alert delivery pool in the parent, so
their worker threads exist, then fork. The child inherits thread objects whose threads do
not exist there; work handed to them would wait for ever. Each child must answer.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import sys
from typing import Any

import pytest

from rfs_monitoring.alerts.delivery import DeliveryPool
from rfs_monitoring.dashboard.cache import SnapshotCache
from rfs_monitoring.result import Success

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="fork is POSIX only"),
    # Python 3.12+ warns about fork() in a process with threads: forking it is the attack
    pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning"),
]

CHILD_TIMEOUT = 30.0


def _cache_in_child(cache: SnapshotCache, queue: Any) -> None:
    answer = asyncio.run(asyncio.wait_for(cache.get(("child",), lambda: Success(2)), 10.0))
    queue.put(answer.unwrap())


def _pool_in_child(pool: DeliveryPool, queue: Any) -> None:
    async def deliver() -> object:
        return await asyncio.wait_for(pool.submit(lambda n: f"sent {n}", "note"), 10.0)  # type: ignore[arg-type]

    queue.put((asyncio.run(deliver()), pool.stats()["busy"]))


def _in_forked_child(target: Any, *args: Any) -> Any:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=target, args=(*args, queue))
    child.start()
    try:
        return queue.get(timeout=CHILD_TIMEOUT)
    finally:
        child.join(CHILD_TIMEOUT)
        if child.is_alive():  # pragma: no cover - only when the child hangs
            child.kill()


class TestForkedChildren:
    def test_the_query_cache_computes_in_a_forked_child(self) -> None:
        cache = SnapshotCache(0.0)
        assert asyncio.run(cache.get(("parent",), lambda: Success(1))) == Success(1)
        assert _in_forked_child(_cache_in_child, cache) == 2

    def test_the_delivery_pool_delivers_in_a_forked_child(self) -> None:
        pool = DeliveryPool(max_threads=1)

        async def deliver() -> object:
            return await pool.submit(lambda n: f"sent {n}", "note")  # type: ignore[arg-type]

        assert asyncio.run(deliver()) == "sent note"
        try:
            assert _in_forked_child(_pool_in_child, pool) == ("sent note", 0)
        finally:
            pool.shutdown()
