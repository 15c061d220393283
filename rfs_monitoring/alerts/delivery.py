"""Calling notifiers: each with a timeout, a hang abandoned, a fault counted, never raised.

An async notifier is awaited under ``asyncio.wait_for``; a sync one runs on its own daemon
thread so that a hang can be timed out and left behind (the event loop is never blocked). A
sync notifier that returns an awaitable has it awaited too.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import threading
from collections.abc import Awaitable, Iterable, MutableMapping
from typing import Any, cast

from rfs_monitoring.alerts.events import AlertNotification
from rfs_monitoring.alerts.notifiers import Notifier
from rfs_monitoring.callables import is_async_callable

__all__ = ["call_in_daemon_thread", "call_notifier", "deliver"]

_logger = logging.getLogger("rfs_monitoring.alerts")


async def deliver(
    targets: Iterable[tuple[str, Notifier]],
    notification: AlertNotification,
    timeout: float,
    stats: MutableMapping[str, int],
) -> None:
    """Call every ``(name, notifier)`` at once; counts ``notifications`` in ``stats``."""
    stats["notifications"] += 1
    await asyncio.gather(
        *(call_notifier(name, fn, notification, timeout, stats) for name, fn in targets)
    )


async def call_notifier(
    name: str,
    fn: Notifier,
    notification: AlertNotification,
    timeout: float,
    stats: MutableMapping[str, int],
) -> None:
    """Call one notifier; counts notifier_calls, notifier_timeouts and notifier_failures."""
    stats["notifier_calls"] += 1
    try:
        if is_async_callable(fn):
            await asyncio.wait_for(cast(Awaitable[object], fn(notification)), timeout)
        else:
            outcome = await asyncio.wait_for(call_in_daemon_thread(fn, notification), timeout)
            if inspect.isawaitable(outcome):
                await asyncio.wait_for(outcome, timeout)
    except asyncio.TimeoutError:
        stats["notifier_timeouts"] += 1
        _logger.warning(
            "alert notifier %s timed out after %gs for %s", name, timeout, notification.alert_id
        )
    except Exception as exc:  # noqa: BLE001 - a notifier never breaks evaluation
        stats["notifier_failures"] += 1
        _logger.warning("alert notifier %s failed for %s: %r", name, notification.alert_id, exc)


def call_in_daemon_thread(fn: Notifier, notification: AlertNotification) -> asyncio.Future[Any]:
    """Run a sync notifier on its own daemon thread so a hang can be timed out and abandoned."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def finish(value: object, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)

    def target() -> None:
        try:
            value, error = fn(notification), None
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting side
            value, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop closed while we hung
            loop.call_soon_threadsafe(finish, value, error)

    threading.Thread(target=target, name="rfs-alert-notifier", daemon=True).start()
    return future
