"""Pauses in long queries, so that other threads (the application's event loop) get the GIL.

Queries run in worker threads (the monitoring router's, alert evaluation's). Without a
pause a long merge keeps the GIL for whole switch intervals (5 ms), and every wake-up of the
application's event loop waits that long. ``pause()``, called by a query's loops between
operations, releases the GIL with ``time.sleep(0)`` once the query has run long enough since
its last pause. That sleep lasts the kernel's timer slack (50 µs by default on Linux; 30-90
µs measured on the benchmark VM), which is what a woken thread needs to take the GIL: each
pause costs that much, whether or not another thread wanted the GIL.

So how long is long enough adapts: a pause that lasted more than ``USED`` was used by another
thread (it held the GIL when this one woke), and the interval goes back to ``PAUSE_EVERY``,
or to ``SHARE`` of the pause when that is longer (a thread that kept the GIL for
milliseconds: an event loop running Python without a wait), never over ``PAUSE_MOST``;
``UNUSED_STREAK`` pauses in a row that no thread used double it, up to ``PAUSE_MOST``. So
the application waits for the GIL at most ``PAUSE_MOST`` at a time: after a quiet stretch,
or after it had the GIL for ten times that; while its requests keep using the pauses,
``PAUSE_EVERY`` at a time. Beside an idle application a query pauses about a third as
often; beside a saturated one (each pause lasts a switch interval, 5 ms, or more) a query
runs four times as long per pause, so that it still finishes. Where an unused pause lasts
longer than ``USED`` (a larger timer slack), every pause counts as used and the interval
stays ``PAUSE_EVERY``. Measured in ``bench_event_loop`` and ``bench_dashboard``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = [
    "PAUSES",
    "PAUSE_EVERY",
    "PAUSE_MOST",
    "SHARE",
    "UNUSED_STREAK",
    "USED",
    "Pauses",
    "pause",
]

PAUSE_EVERY = 0.0002
"""Seconds a query may hold the GIL between two pauses while other threads use them (0.2
ms: with 2 ms the app's own endpoint's p99 rose 2.4x over the same poller on a trivial
endpoint, with 0.2 ms 1.3-1.4x; ``bench_event_loop``)."""

PAUSE_MOST = 0.0008
"""The longest interval between two pauses, reached after pauses no other thread used."""

UNUSED_STREAK = 3
"""Pauses in a row no other thread used after which the interval doubles (an application
serving requests one after another uses a pause in every few: it keeps the short one)."""

USED = 0.00015
"""A pause that lasted longer than this (seconds) was used by another thread: three times
Linux's default timer slack (unused pauses lasted 30-90 µs on the benchmark VM; a used one
lasts the other thread's turn, 0.2 ms and more for a request)."""

SHARE = 0.1
"""After a used pause, the query may run this share of the pause's length before the next
(at least ``PAUSE_EVERY``, at most ``PAUSE_MOST``): the other thread gets ten times the
query's turns. Beside an event loop that never waits (each pause lasted 5-60 ms on the
benchmark VM) the fixed 0.2 ms left a 5 ms page computing for 0.5-1 s; ``bench_dashboard``'s
rows with the loop saturated. A used pause under 2 ms keeps ``PAUSE_EVERY``."""


class Pauses:
    """The pacing of ``pause()``: when the last pause ended, the interval until the next
    and how many pauses in a row no other thread used.

    Args:
        clock: seconds, monotonic (``time.perf_counter``).
        sleep: releases the GIL for a moment (``time.sleep``; called with 0).
    """

    __slots__ = ("clock", "every", "last", "sleep", "unused")

    def __init__(
        self,
        clock: Callable[[], float] = time.perf_counter,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self.last = 0.0
        self.every = PAUSE_EVERY
        self.unused = 0

    def pause(self) -> None:
        """Release the GIL if this query has run ``every`` seconds since the last pause."""
        now = self.clock()
        if now - self.last < self.every:
            return
        self.sleep(0)
        after = self.clock()
        if after - now > USED:  # another thread held the GIL when this one woke
            self.every = min(max(PAUSE_EVERY, SHARE * (after - now)), PAUSE_MOST)
            self.unused = 0
        else:
            self.unused += 1
            if self.unused >= UNUSED_STREAK:
                self.every = min(2.0 * self.every, PAUSE_MOST)
                self.unused = 0
        self.last = after


PAUSES = Pauses()
"""The process's pacing (shared by the threads that query: a pause one of them makes is
used by the other when it is waiting)."""

pause = PAUSES.pause
"""``PAUSES.pause``: what the queries' loops call between operations."""
