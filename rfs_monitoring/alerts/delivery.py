"""Calling notifiers: in parallel, each with a timeout, on a bounded shared thread pool.

An async notifier is awaited under ``asyncio.wait_for`` (cancelled when it takes too long).
A sync one runs on a ``DeliveryPool``: a ``ThreadPoolExecutor`` with a fixed number of
threads, shared by every ``AlertManager`` unless one is given its own. A sync notifier that
hangs is abandoned after the timeout and keeps only its own slot of the pool until it
returns; when every slot is taken, further deliveries are dropped and counted
(``notifier_dropped``), never queued without bound, so the thread count stays flat whatever
the notifiers do. A sync notifier that returns an awaitable has it awaited too. Nothing here
ever raises into the evaluation: faults are counted and logged.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import inspect
import os
import threading
from collections.abc import Awaitable, Coroutine, Iterable, MutableMapping
from typing import Any, cast

from rfs_monitoring.alerts.events import AlertNotification
from rfs_monitoring.alerts.notifiers import Notifier
from rfs_monitoring.callables import is_async_callable
from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.masking import masked_logger

__all__ = [
    "DEFAULT_MAX_THREADS",
    "DeliveryPool",
    "PoolFullError",
    "call_notifier",
    "default_pool",
    "deliver",
    "deliver_all",
]

DEFAULT_MAX_THREADS = 32
"""Threads of the shared pool: sync notifiers delivered at once, across all managers."""

_logger = masked_logger("rfs_monitoring.alerts")


class PoolFullError(Exception):
    """Every slot of the delivery pool is taken (internal: the delivery is dropped, counted)."""


class DeliveryPool:
    """A bounded pool of threads for sync notifiers; a full pool refuses at once.

    Args:
        max_threads: the most sync notifiers running at once (and threads ever created).

    Raises:
        ConfigurationError: ``max_threads`` is no int >= 1.
    """

    def __init__(self, max_threads: int = DEFAULT_MAX_THREADS) -> None:
        if isinstance(max_threads, bool) or not isinstance(max_threads, int) or max_threads < 1:
            msg = f"DeliveryPool max_threads must be an int >= 1, got {max_threads!r}"
            raise ConfigurationError(msg)
        self.max_threads = max_threads
        self._dropped = 0
        self._fresh_process_state()

    def _fresh_process_state(self) -> None:
        """Threads, slots and the lock of this process: a forked child inherits neither
        the parent's threads nor its busy slots, so it starts over with its own."""
        self._pid = os.getpid()
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=self.max_threads, thread_name_prefix="rfs-alert-notifier"
        )
        self._slots = threading.BoundedSemaphore(self.max_threads)
        self._lock = threading.Lock()
        self._busy = 0

    def __repr__(self) -> str:
        return f"DeliveryPool(max_threads={self.max_threads})"

    def stats(self) -> dict[str, int]:
        """``max_threads``, ``busy`` (slots taken, hung notifiers included) and ``dropped``
        (deliveries refused because every slot was taken)."""
        with self._lock:
            return {"max_threads": self.max_threads, "busy": self._busy, "dropped": self._dropped}

    def submit(self, fn: Notifier, notification: AlertNotification) -> asyncio.Future[Any]:
        """Run ``fn(notification)`` on a free slot; the future of its return value.

        Raises:
            PoolFullError: every slot is taken (counted in ``dropped``).
        """
        if self._pid != os.getpid():
            self._fresh_process_state()
        if not self._slots.acquire(blocking=False):
            with self._lock:
                self._dropped += 1
            raise PoolFullError
        with self._lock:
            self._busy += 1
        context = contextvars.copy_context()

        def run() -> object:
            try:
                return context.run(fn, notification)
            finally:
                self._release()

        try:
            future = self._executor.submit(run)
        except RuntimeError:  # the interpreter is shutting down
            self._release()
            raise
        # cancelled before it started (timed out at once): ``run`` never frees its slot
        future.add_done_callback(lambda done: self._release() if done.cancelled() else None)
        return asyncio.wrap_future(future)

    def _release(self) -> None:
        with self._lock:
            self._busy -= 1
        self._slots.release()

    def shutdown(self) -> None:
        """Stop accepting work; running notifiers are not waited for."""
        self._executor.shutdown(wait=False, cancel_futures=True)


_default_pool: DeliveryPool | None = None
_default_lock = threading.Lock()


def default_pool() -> DeliveryPool:
    """The pool shared by every ``AlertManager`` not given its own (created on first use)."""
    global _default_pool  # one process-wide pool, created lazily
    with _default_lock:
        if _default_pool is None:
            _default_pool = DeliveryPool()
        return _default_pool


async def deliver(
    targets: Iterable[tuple[str, Notifier]],
    notification: AlertNotification,
    timeout: float,
    stats: MutableMapping[str, int],
    pool: DeliveryPool | None = None,
) -> None:
    """Call every ``(name, notifier)`` at once; counts ``notifications`` in ``stats``."""
    await deliver_all([(notification, targets)], timeout, stats, pool)


async def deliver_all(
    deliveries: Iterable[tuple[AlertNotification, Iterable[tuple[str, Notifier]]]],
    timeout: float,
    stats: MutableMapping[str, int],
    pool: DeliveryPool | None = None,
) -> None:
    """Call every notifier of every notification at once (``pool``: the shared one when
    None); counts ``notifications``. Takes about one ``timeout`` at most, whatever their
    number."""
    chosen = pool if pool is not None else default_pool()
    calls: list[Coroutine[Any, Any, None]] = []
    for notification, targets in deliveries:
        stats["notifications"] += 1
        calls.extend(
            call_notifier(name, fn, notification, timeout, stats, chosen) for name, fn in targets
        )
    await asyncio.gather(*calls)


async def call_notifier(
    name: str,
    fn: Notifier,
    notification: AlertNotification,
    timeout: float,
    stats: MutableMapping[str, int],
    pool: DeliveryPool | None = None,
) -> None:
    """Call one notifier; counts notifier_calls, notifier_timeouts, notifier_failures and
    notifier_dropped (every thread of ``pool`` was taken)."""
    stats["notifier_calls"] += 1
    pool = pool if pool is not None else default_pool()
    try:
        if is_async_callable(fn):
            await asyncio.wait_for(cast(Awaitable[object], fn(notification)), timeout)
        else:
            outcome = await asyncio.wait_for(pool.submit(fn, notification), timeout)
            if inspect.isawaitable(outcome):
                await asyncio.wait_for(outcome, timeout)
    except asyncio.TimeoutError:
        stats["notifier_timeouts"] += 1
        _logger.warning(
            "alert notifier %s timed out after %gs for %s", name, timeout, notification.alert_id
        )
    except PoolFullError:
        stats["notifier_dropped"] = stats.get("notifier_dropped", 0) + 1
        _logger.warning(
            "alert notifier %s skipped for %s: all %d delivery threads are busy",
            name,
            notification.alert_id,
            pool.max_threads,
        )
    except Exception as exc:  # noqa: BLE001 - a notifier never breaks evaluation
        stats["notifier_failures"] += 1
        _logger.warning("alert notifier %s failed for %s: %r", name, notification.alert_id, exc)
