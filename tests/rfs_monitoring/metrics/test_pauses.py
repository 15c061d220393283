"""Pauses in long queries: the interval adapts to whether another thread wants the GIL."""

from __future__ import annotations

import threading
import time

import pytest

from rfs_monitoring.metrics import pauses, query, series
from rfs_monitoring.metrics.pauses import (
    PAUSE_EVERY,
    PAUSE_MOST,
    SHARE,
    UNUSED_STREAK,
    USED,
    Pauses,
)

QUICK = 70e-6  # a pause no other thread used: the timer slack's sleep
TAKEN = 400e-6  # a pause during which another thread held the GIL


class Machine:
    """A fake clock and sleep: each sleep lasts the next of ``lasting`` (else ``QUICK``)."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []
        self.lasting: list[float] = []

    def clock(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        assert seconds == 0
        self.sleeps.append(self.t)
        self.t += self.lasting.pop(0) if self.lasting else QUICK


def due(pacing: Pauses, machine: Machine, lasting: float = QUICK) -> float:
    """Run until the next pause is due, pause (lasting ``lasting``); the next interval."""
    machine.t = pacing.last + pacing.every + 1e-9  # just past it (float sums round)
    machine.lasting = [lasting]
    pacing.pause()
    return pacing.every


@pytest.fixture
def machine() -> Machine:
    return Machine()


@pytest.fixture
def pacing(machine: Machine) -> Pauses:
    return Pauses(machine.clock, machine.sleep)


class TestPacing:
    def test_no_pause_before_the_interval(self, machine: Machine, pacing: Pauses) -> None:
        pacing.last = machine.t
        machine.t += PAUSE_EVERY - 1e-6
        pacing.pause()
        assert machine.sleeps == []
        assert due(pacing, machine) == PAUSE_EVERY
        assert machine.sleeps == [pytest.approx(1000.0 + PAUSE_EVERY)]
        assert pacing.last == pytest.approx(1000.0 + PAUSE_EVERY + QUICK)

    def test_each_streak_of_unused_pauses_doubles_the_interval_up_to_the_most(
        self, machine: Machine, pacing: Pauses
    ) -> None:
        assert UNUSED_STREAK == 3
        assert [due(pacing, machine) for _ in range(9)] == [
            PAUSE_EVERY,
            PAUSE_EVERY,
            2 * PAUSE_EVERY,
            2 * PAUSE_EVERY,
            2 * PAUSE_EVERY,
            PAUSE_MOST,
            PAUSE_MOST,
            PAUSE_MOST,
            PAUSE_MOST,
        ]

    def test_a_pause_another_thread_used_brings_the_interval_back(
        self, machine: Machine, pacing: Pauses
    ) -> None:
        lasting = [QUICK, QUICK, QUICK, TAKEN, QUICK, QUICK, USED - 1e-6, USED + 1e-6]
        assert [due(pacing, machine, t) for t in lasting] == [
            PAUSE_EVERY,
            PAUSE_EVERY,
            2 * PAUSE_EVERY,
            PAUSE_EVERY,  # used: back, and the streak starts again
            PAUSE_EVERY,
            PAUSE_EVERY,
            2 * PAUSE_EVERY,  # up to ``USED``: no other thread took the GIL
            PAUSE_EVERY,
        ]

    def test_where_every_pause_lasts_long_the_interval_stays_short(
        self, machine: Machine, pacing: Pauses
    ) -> None:
        # a larger timer slack than ``USED``: every pause counts as used (the fixed pacing)
        assert [due(pacing, machine, TAKEN) for _ in range(7)] == [PAUSE_EVERY] * 7

    def test_after_a_long_used_pause_the_query_runs_a_share_of_it(
        self, machine: Machine, pacing: Pauses
    ) -> None:
        # a thread that kept the GIL for milliseconds (a loop that never waits): the query
        # may run a tenth of that, not 0.2 ms per 5 ms or more it waits
        assert SHARE == 0.1
        lasting = [0.003, 0.005, 0.05, TAKEN, 0.0019, QUICK, QUICK, QUICK, 0.004]
        assert [due(pacing, machine, t) for t in lasting] == [
            pytest.approx(0.0003),
            pytest.approx(0.0005),
            PAUSE_MOST,  # never over the most: the loop waits no longer than after a lull
            PAUSE_EVERY,  # a request's turn: the short interval, as before
            PAUSE_EVERY,  # under 2 ms, a tenth is shorter than the short interval
            PAUSE_EVERY,
            PAUSE_EVERY,
            2 * PAUSE_EVERY,  # unused pauses still double it
            pytest.approx(0.0004),  # and a used one sets it by its length, even shorter
        ]

    def test_the_module_pause_is_the_process_pacing(self) -> None:
        assert query.pause == pauses.PAUSES.pause
        assert series.pause == pauses.PAUSES.pause
        assert query.PAUSE_EVERY == PAUSE_EVERY


class TestRealThreads:
    """With the real clock and sleep, beside a thread that wants the GIL (a pure-Python
    loop): each pause hands the GIL over and lasts longer than ``USED``; the interval is
    then ``SHARE`` of the pause, within the short one and the most."""

    def test_beside_a_busy_thread_each_pause_is_used_and_sets_the_interval(self) -> None:
        readings: list[float] = []  # the pacing's own clock reads
        slept_after: list[int] = []  # how many reads there were when each pause slept

        def clock() -> float:
            readings.append(time.perf_counter())
            return readings[-1]

        def sleep(seconds: float) -> None:
            slept_after.append(len(readings))
            time.sleep(seconds)

        pacing = Pauses(clock, sleep)
        pacing.every = PAUSE_MOST  # as after a quiet stretch
        pacing.unused = UNUSED_STREAK - 1  # an unused pause now would show: it doubles
        stop = threading.Event()

        def spin() -> None:
            while not stop.is_set():
                pass

        other = threading.Thread(target=spin, daemon=True)
        other.start()
        try:
            seen = []
            for _ in range(5):
                before = pacing.last
                while pacing.last == before:
                    pacing.pause()
                seen.append(pacing.every)
        finally:
            stop.set()
            other.join(5)
        # each pause as the pacing measured it: from the read before its sleep to the next
        lasted = [readings[n] - readings[n - 1] for n in slept_after]
        assert len(lasted) == 5
        assert min(lasted) > USED  # each pause waited for the other thread's turn
        assert seen == [min(max(PAUSE_EVERY, SHARE * each), PAUSE_MOST) for each in lasted]
