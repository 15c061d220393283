"""Any window at the cost of a rolling one: ad-hoc rolling windows and ten-second buckets.

A window whose closed minutes no standing rolling window holds (``3517.25`` or ``1800`` s) gets
an ad-hoc one, built once off the lock and moved on as minutes close; the head edge of short
windows is read ten seconds at a time. The figures are those of the minutes and seconds
merged one by one, which the reference collector (ad-hoc windows switched off) still does.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from rfs_monitoring.metrics import SECOND_SLOTS, ResultMetricsCollector, query, rolling
from rfs_monitoring.metrics.bucket import MetricBucket

from .support import T0, FakeClock, fail, ok

WINDOWS = (1799.5, 2711.75, 3517.25, 1800, "15m", 2700, 1234, 61.5, "1m")
FIELDS = (
    "total_requests",
    "failed_requests",
    "client_errors",
    "server_errors",
    "max_response_time_ms",
    "p50_response_time_ms",
    "p90_response_time_ms",
    "p99_response_time_ms",
    "window_start",
    "top_errors",
    "error_breakdown",
    "requests_per_second",
    "hourly_distribution",
)


def _traffic(collectors: list[ResultMetricsCollector], clock: FakeClock, seconds: float) -> None:
    """The same calls into every collector: 3 operations, 2-12 calls a second, failures."""
    rng = random.Random(int(clock.t))
    end = clock.t + seconds
    while clock.t < end:
        clock.t += rng.uniform(0.05, 0.5)
        name = f"op-{rng.randrange(3)}"
        failed = rng.random() < 0.1
        code = rng.choice(["NOT_FOUND", "INTERNAL_ERROR"])
        ms = rng.lognormvariate(3.0, 1.0)
        for c in collectors:
            if failed:
                fail(c, name, code=code, message=f"{code} x")
            else:
                ok(c, name, ms=ms)


def _pair(clock: FakeClock) -> tuple[ResultMetricsCollector, ResultMetricsCollector]:
    return (
        ResultMetricsCollector(clock, resources=lambda: (None, None)),
        ResultMetricsCollector(clock, resources=lambda: (None, None)),
    )


def _reference(reference: ResultMetricsCollector, time_range: object) -> Any:
    """The dashboard of ``reference`` read without ad-hoc windows (minute by minute)."""
    saved = query.ADHOC_MAX_MINUTES
    query.ADHOC_MAX_MINUTES = 0
    try:
        return reference.dashboard(time_range).unwrap()
    finally:
        query.ADHOC_MAX_MINUTES = saved


def _same(ours: Any, theirs: Any) -> None:
    for mine, other in zip(
        [*ours.operations, ours.overall], [*theirs.operations, theirs.overall], strict=True
    ):
        for field in FIELDS:
            assert getattr(mine, field) == getattr(other, field), (mine.operation_name, field)
        assert mine.avg_response_time_ms == pytest.approx(other.avg_response_time_ms)
    assert ours.errors == theirs.errors


class Builds(list[int]):
    """The widths of the windows made anew: built whole (merging every minute of one) or
    resized from a window of a near width (``resized``: those, as (from, to) widths); and
    of those moved on (``moved``: the minutes that closed in, those that left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.moved: list[int] = []
        self.resized: list[tuple[int, int]] = []


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> Builds:
    seen = Builds()
    original = rolling.RollingMinutes.build.__func__  # type: ignore[attr-defined]

    def counting(cls: type, minutes: int, closed: Any, end: int, base: Any = None) -> Any:
        if base is not None and base.minutes != minutes:
            seen.resized.append((base.minutes, minutes))
        (seen if base is None or base.minutes != minutes else seen.moved).append(minutes)
        return original(cls, minutes, closed, end, base)

    monkeypatch.setattr(rolling.RollingMinutes, "build", classmethod(counting))
    return seen


class TestAdhocWindows:
    @pytest.mark.parametrize("time_range", WINDOWS)
    def test_the_figures_are_those_of_the_minutes_merged(self, time_range: object) -> None:
        clock = FakeClock(T0 + 17.3)
        ours, reference = _pair(clock)
        _traffic([ours, reference], clock, 2 * 3600)
        for _ in range(4):  # built, then moved on as minutes close, under new traffic
            _same(ours.dashboard(time_range).unwrap(), _reference(reference, time_range))
            _traffic([ours, reference], clock, 47.0)

    def test_a_window_is_built_once_and_then_moved_on(self, builds: Builds) -> None:
        clock = FakeClock(T0 + 17.3)
        collector, _ = _pair(clock)
        _traffic([collector], clock, 3600)
        minutes = set()
        for _ in range(5):
            collector.dashboard(1799.5).unwrap()
            collector.operation_metrics("op-1", 1799.5).unwrap()
            minutes.add(clock.t // 60)
            _traffic([collector], clock, 40.0)
        assert builds == [30, 30, 30]  # once per operation, whatever the polls and minutes
        # then moved on by the first query of each later minute, once per operation
        assert builds.moved == [30] * 3 * (len(minutes) - 1)

    def test_recording_never_moves_a_window_on(self, builds: Builds) -> None:
        clock = FakeClock(T0 + 17.3)
        collector, _ = _pair(clock)
        _traffic([collector], clock, 3600)
        collector.operation_metrics("op-0", 1800).unwrap()
        _traffic([collector], clock, 150.0)  # minutes close while only recording
        assert (builds, builds.moved) == ([30], [])
        collector.operation_metrics("op-0", 1800).unwrap()
        assert (builds, builds.moved) == ([30], [30])

    def test_the_standing_windows_move_on_when_read_and_are_never_dropped(
        self, builds: Builds
    ) -> None:
        clock = FakeClock(T0 + 17.3)
        collector, _ = _pair(clock)
        _traffic([collector], clock, 3600)  # recorded only: no window moved on
        assert (builds, builds.moved) == ([], [])
        for _ in range(2):
            for time_range in ("5m", "15m", "1h", "6h", "1d"):
                collector.dashboard(time_range).unwrap()
        # the first read builds each (left behind for longer than its width), once
        assert sorted(builds) == sorted([4, 15, 60] * 3)
        _traffic([collector], clock, 2 * rolling.ADHOC_IDLE_SECONDS)  # unread, long
        assert all(
            set(state.rolling) == set(rolling.ROLLING_MINUTES) for state in collector._ops.values()
        )
        collector.dashboard("1h").unwrap()
        assert sorted(builds.moved) == [60] * 3  # 6 minutes behind: moved on, not rebuilt

    def test_at_most_so_many_widths_the_least_recently_read_goes(self, builds: Builds) -> None:
        clock = FakeClock(T0 + 17.3)
        collector, _ = _pair(clock)
        _traffic([collector], clock, 3600)
        widths = range(20, 20 + rolling.ADHOC_WINDOWS + 1)
        for minutes in widths:
            collector.operation_metrics("op-0", minutes * 60).unwrap()
        assert builds == list(widths)
        collector.operation_metrics("op-0", widths[-1] * 60).unwrap()  # kept
        collector.operation_metrics("op-0", widths[1] * 60).unwrap()  # kept
        assert builds == list(widths)
        collector.operation_metrics("op-0", widths[0] * 60).unwrap()  # made room: again
        assert builds == [*widths, widths[0]]

    def test_a_near_width_is_resized_from_its_neighbour_not_merged_whole(
        self, builds: Builds, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        clock = FakeClock(T0 + 17.3)
        collector, reference = _pair(clock)
        _traffic([collector, reference], clock, 2 * 3600)
        added: list[int] = []
        adding = rolling.RollingTotal.add

        def counted(total: rolling.RollingTotal, minute: MetricBucket) -> None:
            added.append(minute.start)
            adding(total, minute)

        monkeypatch.setattr(rolling.RollingTotal, "add", counted)
        made = {}
        for time_range in ("1h", 3517.25, 3420, 1740, 1800):
            added.clear()
            ours = collector.dashboard(time_range).unwrap()
            _same(ours, _reference(reference, time_range))
            made[time_range] = (len(added), builds.resized[-1] if builds.resized else None)
        # "1h" and 1740 (29 minutes) had no neighbour: every minute merged (3 operations)
        assert made["1h"][0] == 3 * 60
        assert made[1740][0] == 3 * 29
        # the others: their neighbour's total with a minute or two taken away or added
        for time_range in (3517.25, 3420, 1800):
            minutes_added, (had, wanted) = made[time_range]
            assert 0 < abs(had - wanted) <= 3, (time_range, had, wanted)
            assert minutes_added <= 3 * 3, (time_range, minutes_added)
        assert builds.resized[-1] == (29, 30)  # grown by its oldest minute
        assert sorted(builds) == sorted([60, 29] * 3 + [w for _, w in builds.resized])
        assert len(builds.resized) == 3 * 3  # once per operation
        _traffic([collector, reference], clock, 130.0)  # minutes close: each moves on alone
        for time_range in ("1h", 3517.25, 3420, 1800, 1740):
            _same(collector.dashboard(time_range).unwrap(), _reference(reference, time_range))

    def test_a_window_no_query_reads_is_dropped(self, builds: Builds) -> None:
        clock = FakeClock(T0 + 17.3)
        collector, _ = _pair(clock)
        _traffic([collector], clock, 3600)
        collector.operation_metrics("op-0", 1800).unwrap()
        _traffic([collector], clock, rolling.ADHOC_IDLE_SECONDS - 70)
        collector.operation_metrics("op-0", 1800).unwrap()  # read in time: kept
        assert builds == [30]
        _traffic([collector], clock, rolling.ADHOC_IDLE_SECONDS + 70)
        collector.operation_metrics("op-0", 1800).unwrap()
        assert builds == [30, 30]

    def test_a_window_built_for_a_minute_gone_is_not_kept(self) -> None:
        clock = FakeClock(T0 + 17.3)
        collector, _ = _pair(clock)
        _traffic([collector], clock, 600)
        state = collector._ops["op-0"]
        pieces = [MetricBucket(0)]
        late = query.Wanted(7, state.minute.start - 60, dict(state.minutes), 0)
        collector._keep_adhoc(state, pieces, late)
        assert 7 not in state.rolling
        assert pieces[0].count > 0  # the query still gets its minutes


class TestTenSeconds:
    @pytest.mark.parametrize("time_range", ["5m", 250.5, 299.9, 61.5, 125, "1m"])
    def test_the_head_edge_is_read_ten_seconds_at_a_time(self, time_range: object) -> None:
        clock = FakeClock(T0)
        collector, _ = _pair(clock)
        stamps = []
        for i in range(1200):
            clock.t = T0 + i * 0.71 + 0.05
            ok(collector, "op", ms=float(1 + i % 50))
            stamps.append(clock.t)
        clock.t = T0 + 1200 * 0.71 + 0.37
        figures = collector.operation_metrics("op", time_range).unwrap()
        start = figures.window_start.timestamp()
        assert start == int(start)  # windows start on a whole second
        assert figures.total_requests == sum(1 for t in stamps if t >= start)
        collector.operation_metrics("op", 300).unwrap()  # moves the 4-minute window on
        state = collector._ops["op"]
        pieces: list[MetricBucket] = []
        query.cover(state, clock.t - 300, state.horizon(168), pieces, state.rolling)
        # head, the closed minutes, at most 5 ten-second and 9 one-second buckets
        assert len(pieces) <= 2 + 5 + 9
        assert sum(p.count for p in pieces) == sum(1 for t in stamps if t >= clock.t - 300 // 1)

    def test_ten_seconds_close_with_their_seconds_and_leave_with_them(self) -> None:
        clock = FakeClock(T0)
        collector, _ = _pair(clock)
        for i in range(900):
            clock.t = T0 + i
            ok(collector, "op")
        state = collector._ops["op"]
        assert all(b.count == 10 for b in state.tens.values())
        assert min(state.tens) >= clock.t - SECOND_SLOTS - 1
        assert max(state.tens) == clock.t - clock.t % 10 - 10


class TestUnderConcurrentQueries:
    def test_two_query_threads_and_a_recorder_leave_the_same_figures(self) -> None:
        """Queries build and move ad-hoc windows off the lock while another thread records
        and another queries: what they keep still reads as the minutes merged."""
        import threading

        clock = FakeClock(T0 + 17.3)
        collector, _ = _pair(clock)
        _traffic([collector], clock, 3600)
        stop = threading.Event()
        errors: list[BaseException] = []

        def query(time_range: object) -> None:
            try:
                while not stop.is_set():
                    collector.dashboard(time_range).unwrap()
            except BaseException as exc:  # reported by the test
                errors.append(exc)

        threads = [threading.Thread(target=query, args=(w,)) for w in (1799.5, 1800, 2711.75)]
        for thread in threads:
            thread.start()
        try:
            for _ in range(200):  # minutes close while the queries run
                _traffic([collector], clock, 3.0)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        assert errors == []
        for time_range in (1799.5, 1800, 2711.75):
            _same(collector.dashboard(time_range).unwrap(), _reference(collector, time_range))
