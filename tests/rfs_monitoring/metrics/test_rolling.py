"""Rolling merges: the windows of closed minutes, the last minute's seconds, all operations."""

from __future__ import annotations

import pytest

from rfs_monitoring.metrics import LatencySketch, MetricBucket, ResultMetricsCollector
from rfs_monitoring.metrics import everything as everything_module
from rfs_monitoring.metrics import examples as examples_module
from rfs_monitoring.metrics.everything import AllOperations
from rfs_monitoring.metrics.figures import Recent
from rfs_monitoring.metrics.rolling import RecentSeconds, RollingMinutes, RollingTotal

from .support import T0, FakeClock, fail, metrics, ok


def _minute(start: int, *durations: float, failed: int = 0) -> MetricBucket:
    bucket = MetricBucket(start)
    bucket.add_durations(list(durations))
    bucket.first = float(start)
    if failed:
        bucket.failed = failed
        bucket.codes = {"NOT_FOUND": failed}
        bucket.types = {"APIError": failed}
        bucket.groups = {"user <n> not found": [failed, float(start), "NOT_FOUND"]}
    return bucket


class TestSketchSubtract:
    def test_subtracting_what_was_added_gives_the_sketch_back(self) -> None:
        a, b = LatencySketch(), LatencySketch()
        a.add_many([1.0, 5.0, 0.0])
        b.add_many([200.0, 0.0])
        total = LatencySketch.merged([a, b])
        total.compact()  # a closed bucket's 4-byte counts are widened first
        total.subtract(b)
        assert total == a

    def test_values_it_does_not_hold_are_refused(self) -> None:
        a, b = LatencySketch(), LatencySketch()
        a.add_many([5.0])
        b.add_many([5000.0])
        with pytest.raises(ValueError, match="cannot subtract"):
            a.subtract(b)
        zeros = LatencySketch()
        zeros.add_many([0.0])
        with pytest.raises(ValueError, match="holds values this one does not"):
            a.subtract(zeros)
        a.subtract(LatencySketch())  # nothing to take away
        assert a.count == 1


class TestTakeAway:
    def test_counts_codes_and_groups_are_taken_away(self) -> None:
        total = MetricBucket(0)
        one, two = _minute(0, 1.0, 2.0, failed=1), _minute(60, 3.0, failed=2)
        total.merge(one)
        total.merge(two)
        total.take_away(one)
        assert (total.count, total.failed, total.timed) == (1, 2, 1)
        assert total.codes == {"NOT_FOUND": 2}
        assert total.groups == {"user <n> not found": [2, 60.0, "NOT_FOUND"]}
        total.take_away(two)
        assert (total.codes, total.types, total.groups) == ({}, {}, {})
        total.take_away(one)  # a group it no longer holds is skipped
        assert total.groups == {}


class TestRollingMinutes:
    def test_the_window_follows_the_closed_minutes(self) -> None:
        closed = {s: _minute(s, float(s // 60 + 1)) for s in range(0, 600, 60)}
        window = RollingMinutes(4, 0)
        assert repr(window) == (
            "RollingMinutes(minutes=4, end=0, total=MetricBucket(start=-240, count=0, failed=0))"
        )
        window.advance(closed, 60)  # one minute closed: the window holds minute 0
        assert (window.total.count, window.total.start, window.total.max_ms) == (1, -180, 1.0)
        for end in range(120, 600, 60):
            window.advance(closed, end)
        assert (window.total.count, window.total.start) == (4, 300)
        assert window.total.total_ms == 6.0 + 7.0 + 8.0 + 9.0
        assert isinstance(window.total, RollingTotal)
        assert window.total.hourly == {0: 4}
        window.advance(closed, 540)  # an older end: nothing moves
        assert window.end == 540

    def test_a_window_idle_for_its_width_starts_over(self) -> None:
        closed = {0: _minute(0, 1.0), 600: _minute(600, 2.0)}
        window = RollingMinutes(4, 60)
        window.advance(closed, 60)
        window.advance(closed, 660)
        assert (window.total.count, window.total.start, window.total.max_ms) == (1, 420, 2.0)

    def test_an_emptied_window_is_a_fresh_bucket(self) -> None:
        closed = {0: _minute(0, 1.0)}
        window = RollingMinutes(1, 0)
        window.advance(closed, 60)
        assert window.total.count == 1
        window.advance(closed, 120)
        assert (window.total.count, window.total.total_ms, window.total.hourly) == (0, 0.0, {})

    def test_a_published_total_never_changes(self) -> None:
        closed = {s: _minute(s, 1.0) for s in range(0, 300, 60)}
        window = RollingMinutes(2, 60)
        window.advance(closed, 120)
        held = window.total
        window.advance(closed, 180)
        assert held.count == 1
        assert window.total is not held


class TestRecentSeconds:
    def test_seconds_leave_after_a_minute(self) -> None:
        recent = RecentSeconds()
        for s in (0, 30, 59):
            recent.push(_minute(s, 1.0, 2.0))
        live = _minute(61, 1.0)
        assert recent.read(live, 61) == Recent(5, 30.0, 1.0)
        assert recent.read(live, 200) == Recent(1, 61.0, 140.0)

    def test_a_second_a_query_opened_learns_its_first_sample_at_the_fold(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        ok(collector)
        clock.t = T0 + 5.0
        metrics(collector, "op", "1m")  # opens second T0 + 5 without a sample
        clock.t = T0 + 5.5
        ok(collector)  # the fast path: the fold takes the second's start
        clock.t = T0 + 6.0
        figures = metrics(collector, "op", "1m")
        assert figures.current_requests_per_second == 2 / 6.0


class TestAllOperations:
    def test_every_operations_seconds_sum_per_bucket(self) -> None:
        every = AllOperations()
        every.push(_minute(61, 1.0), 70, 1)
        every.push(_minute(61, 2.0, failed=1), 70, 1)
        every.push(_minute(3, 4.0), 70, 1)
        every.settle(70, 1)
        [second] = every.read(1, 61, 61)  # still open at 61: a copy, without groups
        assert (second.count, second.failed, second.groups) == (2, 1, {})
        assert second is not every.tiers[1][61]
        [second] = every.read(1, 61, 70)  # ended by 70: final, shared
        assert second is every.tiers[1][61]
        assert second.groups == {"user <n> not found": [1, 61.0, "NOT_FOUND"]}
        assert [(b.start, b.count) for b in every.read(60, 0, 70)] == [(60, 2), (0, 1)]
        every.settle(7920, 3)  # seconds and minutes that no query reads are dropped
        assert every.read(1, 0, 7920) == every.read(60, 0, 7920) == []
        assert [b.count for b in every.read(3600, 0, 7920)] == [3]
        every.clear()
        assert every.read(3600, 0, 7920) == []

    def test_a_long_queue_merges_its_oldest_as_it_grows(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(everything_module, "PENDING_LIMIT", 2)
        monkeypatch.setattr(everything_module, "SETTLE_BATCH", 1)
        every = AllOperations()
        for s in range(4):
            every.push(_minute(s, 1.0), s + 1, 1)
        assert [b.start for b in every.pending] == [2, 3]
        assert [b.count for b in every.read(60, 0, 4)] == [2]

    def test_a_full_tier_drops_what_no_query_reads(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(everything_module, "PENDING_LIMIT", 4)
        monkeypatch.setattr(everything_module, "SETTLE_BATCH", 4)
        every = AllOperations()
        for s in range(1000):  # nothing queries: the pushes keep the tiers bounded
            every.push(_minute(s, 1.0), s + 1, 1)
        assert len(every.tiers[1]) <= 2 * 310 + 2
        assert min(every.tiers[1]) > 0
        every.settle(1000, 1)
        assert min(b.start for b in every.read(1, 0, 1000)) == 1000 - 310

    def test_the_charts_of_all_operations_equal_the_sum_of_each(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        for i in range(900):
            clock.t = T0 + i * 1.7
            ok(collector, f"op-{i % 3}", ms=1.0 + i % 50)
            if i % 9 == 0:
                fail(collector, f"op-{i % 3}", code="TIMEOUT")
        clock.t = T0 + 1600.5
        every = collector.series(None, "15m", points=15)
        each = [collector.series(f"op-{k}", "15m", points=15) for k in range(3)]
        for i, point in enumerate(every):
            parts = [points[i] for points in each]
            assert point.requests == sum(p.requests for p in parts)
            assert point.timeouts == sum(p.timeouts for p in parts)
            assert point.failures == sum(p.failures for p in parts)
            assert (point.p50_ms is None) == all(p.p50_ms is None for p in parts)


class TestFailureIds:
    def test_a_broken_tracer_leaves_the_trace_id_unset(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import rfs_monitoring.tracing as tracing

        def boom() -> None:
            raise RuntimeError("tracer down")

        monkeypatch.setattr(tracing, "current_ids", boom)
        assert examples_module.failure_ids() == (None, None)


class TestOverallFromAllOperations:
    """``overall`` reads the merged tiers of all operations; the figures are those of the
    operations' own buckets merged (``dashboard``'s overall)."""

    @pytest.mark.parametrize("time_range", [0.2, 0.5, "1m", "5m", "15m", "1h", "6h", "1d", 5000])
    def test_the_same_figures_as_each_operation_merged(self, time_range: object) -> None:
        from rfs_monitoring.metrics import query

        clock = FakeClock()
        collector = ResultMetricsCollector(clock, resources=lambda: (None, None))
        for i in range(4000):
            clock.t = T0 + i * 9.1
            ok(collector, f"op-{i % 4}", ms=float(1 + i % 40))
            if i % 13 == 0:
                fail(collector, f"op-{i % 3}", code="NOT_FOUND", message=f"user {i} not found")
        clock.t = T0 + 4000 * 9.1 + 3.3
        merged = query.overall(collector, time_range).unwrap()
        each = collector.dashboard(time_range).unwrap().overall
        assert merged.total_requests > 0 or time_range in (0.2, 0.5)
        for field in (
            "total_requests",
            "failed_requests",
            "client_errors",
            "max_response_time_ms",
            "p50_response_time_ms",
            "p99_response_time_ms",
            "window_start",
            "top_errors",
            "error_breakdown",
            "requests_per_second",
            "current_requests_per_second",
        ):
            assert getattr(merged, field) == getattr(each, field), field
        assert merged.avg_response_time_ms == pytest.approx(each.avg_response_time_ms)
        assert sum(merged.hourly_distribution.values()) == merged.total_requests
        if time_range != "1d":  # an operation's open day has no hours: all in its first
            assert merged.hourly_distribution == each.hourly_distribution

    def test_nothing_recorded(self, collector: ResultMetricsCollector, clock: FakeClock) -> None:
        from rfs_monitoring.metrics import query

        figures = query.overall(collector, "1h").unwrap()
        assert (figures.total_requests, figures.window_start.timestamp()) == (0, clock.t)
