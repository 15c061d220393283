"""``SnapshotCache``: answers computed off the event loop, once per key in flight, kept a moment.

A dashboard polled by many clients thus reads the collector at most once per query and
period, and never on the event loop: a synchronous ``compute`` runs on the cache's own worker
thread. While one computation of a key runs, every other request for that key awaits the
same answer (single flight), so a burst of N requests costs one computation
(``stats()["computations"]``). The computations of different keys run one at a time on that
one thread: however many queries a burst asks for, the host gives them one thread, which
(with the queries' pauses, ``metrics.pauses``) leaves the event loop its share of the GIL.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import os
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, cast

from rfs_monitoring.callables import is_async_callable
from rfs_monitoring.errors import APIError
from rfs_monitoring.metrics.source import SourceUnavailableError
from rfs_monitoring.result import Failure, Result

__all__ = ["Compute", "SnapshotCache"]

Compute = Callable[[], "Result[Any, APIError] | Awaitable[Result[Any, APIError]]"]
"""What computes an answer: a sync callable (run on the worker thread) or an async one."""

_COUNTERS = ("computations", "hits", "joined", "errors")


class SnapshotCache:
    """Keeps successful answers for ``seconds`` (0: not kept), per key; one computation in flight.

    Failures are never kept; when ``max_entries`` are held, the next new answer starts over
    from an empty cache. Whatever ``seconds`` is, concurrent requests for one key share one
    computation. The cache may be shared by several event loops (threads).

    Args:
        seconds: how long an answer is served from memory.
        clock: monotonic seconds (a fake one in tests).
        max_entries: the most answers held at once.
    """

    __slots__ = (
        "_clock",
        "_counters",
        "_entries",
        "_inflight",
        "_lock",
        "_pid",
        "_tasks",
        "_worker",
        "max_entries",
        "seconds",
    )

    def __init__(
        self, seconds: float, *, clock: Callable[[], float] = time.monotonic, max_entries: int = 256
    ) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[tuple[object, ...], tuple[float, Result[Any, APIError]]] = {}
        self._counters = dict.fromkeys(_COUNTERS, 0)
        self._tasks: set[asyncio.Future[Any]] = set()
        self._fresh_process_state()

    def _fresh_process_state(self) -> None:
        """The lock, the computations in flight and the worker thread of this process.

        A forked child (gunicorn with ``--preload``, a test harness) inherits a worker whose
        thread does not exist there and computations that will never finish: it starts
        over with its own.
        """
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._inflight: dict[tuple[object, ...], concurrent.futures.Future[Any]] = {}
        self._worker: concurrent.futures.ThreadPoolExecutor | None = None

    def __len__(self) -> int:
        """How many answers are held (expired ones included until replaced)."""
        return len(self._entries)

    def stats(self) -> dict[str, int]:
        """Counters: ``computations`` started, ``hits`` served from memory, ``joined``
        (requests that awaited a computation already in flight), ``errors`` (computations
        that raised), ``entries`` held and ``in_flight`` computations."""
        with self._lock:
            return {
                **self._counters,
                "entries": len(self._entries),
                "in_flight": len(self._inflight),
            }

    async def get(self, key: tuple[object, ...], compute: Compute) -> Result[Any, APIError]:
        """The answer kept for ``key``, else the one being computed, else ``compute()``'s.

        A sync ``compute`` runs on the cache's worker thread; an async one is a task on the
        running loop. A Success is kept for ``seconds``. An exception raised by ``compute``
        reaches every request that awaited it (and is counted in ``errors``), but for a
        ``SourceUnavailableError`` (a metrics source that cannot answer), which becomes
        their ``Failure`` of its 503 APIError. A request
        that is cancelled leaves the computation running for the others.
        """
        if self._pid != os.getpid():
            self._fresh_process_state()
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit[0] > self._clock():
                self._counters["hits"] += 1
                return hit[1]
            pending = self._inflight.get(key)
            start = pending is None
            if pending is None:
                pending = self._inflight[key] = concurrent.futures.Future()
                pending.set_running_or_notify_cancel()  # no waiter can cancel it for all
                self._counters["computations"] += 1
            else:
                self._counters["joined"] += 1
        if start:
            self._start(key, pending, compute)
        answer = await asyncio.shield(asyncio.wrap_future(pending))
        return cast(Result[Any, APIError], answer)

    def _start(
        self, key: tuple[object, ...], pending: concurrent.futures.Future[Any], compute: Compute
    ) -> None:
        def publish(done: concurrent.futures.Future[Any] | asyncio.Future[Any]) -> None:
            self._tasks.discard(done)
            try:
                result = done.result()
            except SourceUnavailableError as exc:  # the source is down: its 503, not a 500
                with self._lock:
                    self._counters["errors"] += 1
                    del self._inflight[key]
                pending.set_result(Failure(exc.error))
                return
            except BaseException as exc:  # noqa: BLE001 - handed to every waiter
                with self._lock:
                    self._counters["errors"] += 1
                    del self._inflight[key]
                pending.set_exception(exc)
                return
            with self._lock:
                del self._inflight[key]
                if self.seconds > 0 and result.is_success():
                    if len(self._entries) >= self.max_entries:
                        self._entries.clear()
                    self._entries[key] = (self._clock() + self.seconds, result)
            pending.set_result(result)

        if is_async_callable(compute):
            coroutine = cast(Callable[[], Awaitable[Result[Any, APIError]]], compute)()
            task = asyncio.ensure_future(coroutine)
            self._tasks.add(task)  # a strong reference until it is done
            task.add_done_callback(publish)
            return
        context = contextvars.copy_context()
        self._executor().submit(context.run, compute).add_done_callback(publish)

    def _executor(self) -> concurrent.futures.ThreadPoolExecutor:
        with self._lock:
            if self._worker is None:
                self._worker = concurrent.futures.ThreadPoolExecutor(
                    max_workers=1, thread_name_prefix="rfs-monitoring-query"
                )
            return self._worker
