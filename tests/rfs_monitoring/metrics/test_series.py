"""ResultMetricsCollector.series: chart steps read from the collector's own buckets."""

from __future__ import annotations

import datetime as dt
import math
import random

import pytest

from rfs_monitoring import ConfigurationError
from rfs_monitoring.metrics import ResultMetricsCollector, SeriesPoint

T0 = 1_700_000_000.0 - 1_700_000_000.0 % 86400  # a UTC midnight


class FakeClock:
    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def collector(clock: FakeClock) -> ResultMetricsCollector:
    return ResultMetricsCollector(clock, resources=lambda: (None, None))


def at(
    clock: FakeClock, c: ResultMetricsCollector, t: float, name: str = "op", **kw: object
) -> None:
    clock.t = t
    ok = bool(kw.pop("ok", True))
    c.record(name, success=ok, duration_ms=float(kw.pop("ms", 10.0)))  # type: ignore[arg-type]


def utc(t: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc)


class TestSeriesPoint:
    def test_success_rate(self) -> None:
        point = SeriesPoint(utc(T0), 60.0, 4, 1, 1.0, 2.0, 3.0)
        assert point.success_rate == 0.75

    def test_no_requests_no_success_rate(self) -> None:
        assert SeriesPoint(utc(T0), 1.0, 0, 0, None, None, None).success_rate is None

    def test_frozen_and_slotted(self) -> None:
        point = SeriesPoint(utc(T0), 1.0, 0, 0, None, None, None)
        with pytest.raises(AttributeError):
            point.requests = 3  # type: ignore[misc]
        assert not hasattr(point, "__dict__")


class TestTiers:
    def test_ten_minutes_read_minute_buckets(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        now = T0 + 3600 + 30.5
        for minute in range(12):
            at(clock, collector, T0 + 3600 - 11 * 60 + minute * 60 + 5)
        at(clock, collector, now, ok=False)  # the live second of the current minute
        points = collector.series(time_range=600)
        assert len(points) == 10
        assert {p.seconds for p in points} == {60.0}
        assert points[-1].start == utc(T0 + 3600)
        assert points[0].start == utc(T0 + 3600 - 9 * 60)
        assert [p.requests for p in points] == [1] * 9 + [2]
        assert points[-1].failures == 1

    def test_five_minutes_read_second_buckets_in_steps(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        for s in range(300):
            at(clock, collector, T0 + 1000 + s, ms=float(s + 1))
        points = collector.series()  # the default: the last 5 minutes in 60 steps
        assert len(points) == 60
        assert {p.seconds for p in points} == {5.0}
        assert points[-1].start == utc(T0 + 1295)
        assert [p.requests for p in points] == [5] * 60
        assert points[0].p50_ms == pytest.approx(3.0, rel=0.01)
        assert points[0].p99_ms == pytest.approx(4.0, rel=0.01)

    def test_a_minute_as_seconds(self, collector: ResultMetricsCollector, clock: FakeClock) -> None:
        at(clock, collector, T0 + 50.2)
        at(clock, collector, T0 + 59.9)
        points = collector.series("op", "1m", points=6)
        assert [p.seconds for p in points] == [10.0] * 6
        assert points[-1].start == utc(T0 + 50)
        assert [p.requests for p in points] == [0, 0, 0, 0, 0, 2]

    def test_an_hour_reads_minutes(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        at(clock, collector, T0 + 7200 - 3599)
        at(clock, collector, T0 + 7200 + 1)
        points = collector.series(time_range="1h")
        assert len(points) == 60
        assert points[0].start == utc(T0 + 7200 - 59 * 60)
        assert sum(p.requests for p in points) == 1  # the first sample is 61 minutes back

    def test_a_day_reads_hours(self, collector: ResultMetricsCollector, clock: FakeClock) -> None:
        for hour in range(30):
            at(clock, collector, T0 + hour * 3600 + 10, ms=float(hour + 1))
        clock.t = T0 + 29 * 3600 + 20
        points = collector.series(time_range="1d")
        assert len(points) == 24
        assert {p.seconds for p in points} == {3600.0}
        assert points[-1].start == utc(T0 + 29 * 3600)
        assert [p.requests for p in points] == [1] * 24
        assert points[-1].p90_ms == pytest.approx(30.0, rel=0.01)

    def test_a_week_groups_hours_into_at_most_the_points_asked(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        for hour in range(7 * 24):
            at(clock, collector, T0 + hour * 3600 + 10)
        points = collector.series(time_range="1w", points=60)
        assert len(points) == 56
        assert {p.seconds for p in points} == {3 * 3600.0}
        assert [p.requests for p in points] == [3] * 56

    def test_six_hours_are_too_many_minutes(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        at(clock, collector, T0 + 6 * 3600 + 5)
        points = collector.series(time_range="6h")
        assert [p.seconds for p in points] == [3600.0] * 6


class TestFigures:
    def test_empty_steps_are_included_with_no_quantiles(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        at(clock, collector, T0 + 100)
        clock.t = T0 + 130
        points = collector.series(time_range="1m", points=60)
        assert len(points) == 60
        assert points[-1].requests == 0
        assert (points[-1].p50_ms, points[-1].p90_ms, points[-1].p99_ms) == (None, None, None)
        assert points[-1].success_rate is None
        assert points[29].requests == 1

    def test_all_operations_together_or_one(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        at(clock, collector, T0 + 10, "a")
        at(clock, collector, T0 + 10, "b", ok=False)
        assert collector.series(time_range="1m")[-1].requests == 2
        assert collector.series("b", time_range="1m")[-1].failures == 1
        assert collector.series("a", time_range="1m")[-1].failures == 0

    def test_an_operation_never_recorded_has_empty_steps(
        self, collector: ResultMetricsCollector
    ) -> None:
        points = collector.series("ghost", "1m", points=3)
        assert [p.requests for p in points] == [0, 0, 0]

    def test_quantiles_are_within_one_percent_and_capped_by_the_max(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        rng = random.Random(3)
        values = [rng.lognormvariate(3, 1) for _ in range(2000)]
        for i, v in enumerate(values):
            at(clock, collector, T0 + 60 + i * 0.02, ms=v)
        clock.t = T0 + 100
        [point] = collector.series(time_range=60, points=1)
        assert point.requests == 2000
        ordered = sorted(values)
        for got, q in ((point.p50_ms, 0.5), (point.p90_ms, 0.9), (point.p99_ms, 0.99)):
            exact = ordered[math.floor(q * (len(ordered) - 1))]
            assert got is not None
            assert abs(got - exact) <= 0.01 * exact * (1 + 1e-9)
            assert got <= ordered[-1]

    def test_series_reads_do_not_change_the_figures(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        at(clock, collector, T0 + 5)
        collector.series(time_range="1h")
        at(clock, collector, T0 + 5.5)
        clock.t = T0 + 7
        assert collector.operation_metrics("op", "1m").unwrap().total_requests == 2
        assert collector.series(time_range="1m")[-3].requests == 2


class TestBadArguments:
    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            (
                {"time_range": "2h"},
                'time_range \'2h\' is not accepted; use "1m", "5m", "15m", "1h", "6h", '
                '"1d", "1w", "30d" (with an archive), a number of seconds >= 0.000001, or a '
                "datetime.timedelta > 0",
            ),
            (
                {"time_range": "30d"},
                "time_range '30d' is not accepted; it is longer than the in-memory retention "
                "(7 days) that series() reads",
            ),
            ({"points": 0}, "points must be an int >= 1, got 0"),
            ({"points": True}, "points must be an int >= 1, got True"),
            ({"points": "5"}, "points must be an int >= 1, got '5'"),
            ({"operation": 5}, "operation must be a str or None, got 5"),
        ],
    )
    def test_refused_naming_the_value(
        self, collector: ResultMetricsCollector, kwargs: dict[str, object], message: str
    ) -> None:
        with pytest.raises(ConfigurationError) as info:
            collector.series(**kwargs)  # type: ignore[arg-type]
        assert str(info.value) == message


class TestTierBuckets:
    def test_a_size_that_is_no_tier_is_refused(self, collector: ResultMetricsCollector) -> None:
        with pytest.raises(ConfigurationError) as info:
            collector.tier_buckets(30, 0, T0)
        assert str(info.value) == "size must be one of (1, 60, 3600) (seconds), got 30"

    def test_one_tier_from_a_start(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        for s in range(5):
            at(clock, collector, T0 + s, "a")
        at(clock, collector, T0 + 4, "b")
        got = collector.tier_buckets(1, int(T0) + 2, T0 + 4.5)
        # all operations: merged per bucket (the live seconds of both in one)
        assert sorted((b.start, b.count) for b in got) == [
            (T0 + 2, 1),
            (T0 + 3, 1),
            (T0 + 4, 2),
        ]
        assert len(collector.tier_buckets(60, int(T0), T0 + 4.5, "b")) == 1


class TestFinalStepsComputedOnce:
    """A step whose buckets are all closed is final: a chart polled again merges only the
    steps that can still change, and reads the same points as a fresh computation."""

    @pytest.mark.parametrize(("operation", "window"), [(None, "5m"), (None, "1h"), ("op-1", "1h")])
    def test_the_points_equal_a_fresh_computation(
        self,
        collector: ResultMetricsCollector,
        clock: FakeClock,
        operation: str | None,
        window: str,
    ) -> None:
        rng = random.Random(3)
        t = T0 + 0.4
        for _ in range(6):  # sporadic operations: some close their seconds late
            for _ in range(400):
                t += rng.uniform(0.01, 2.0)
                at(clock, collector, t, f"op-{rng.randrange(3)}", ms=rng.uniform(1, 90))
            kept = collector.series(operation, window)
            collector.point_cache.clear()
            assert kept == collector.series(operation, window)

    def test_only_the_steps_that_can_change_are_merged_again(
        self,
        collector: ResultMetricsCollector,
        clock: FakeClock,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        from rfs_monitoring.metrics import series as series_module

        for i in range(3600):
            at(clock, collector, T0 + i + 0.5, f"op-{i % 3}")
        merged: list[int] = []
        original = series_module._point

        def counting(start: int, width: int, buckets: list) -> SeriesPoint:  # type: ignore[type-arg]
            merged.append(start)
            return original(start, width, buckets)

        monkeypatch.setattr(series_module, "_point", counting)
        assert len(collector.series(None, "1h")) == 60
        assert len(merged) == 60
        merged.clear()
        clock.t += 0.3  # the same minute: only the open step again
        collector.series(None, "1h")
        assert merged == [T0 + 3540]
        merged.clear()
        clock.t += 60.0  # a minute later: the step that closed, and the open one
        collector.series(None, "1h")
        assert merged == [T0 + 3540, T0 + 3600]

    def test_reset_forgets_the_points(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        for i in range(600):
            at(clock, collector, T0 + i + 0.5)
        assert sum(p.requests for p in collector.series(None, "5m")) == 300
        collector.reset()
        assert collector.point_cache == {}
        assert sum(p.requests for p in collector.series(None, "5m")) == 0

    def test_the_cache_is_bounded(
        self,
        collector: ResultMetricsCollector,
        clock: FakeClock,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        from rfs_monitoring.metrics import series as series_module

        monkeypatch.setattr(series_module, "POINT_CACHE_SIZE", 50)
        for i in range(600):
            at(clock, collector, T0 + i + 0.5)
        first = collector.series(None, "5m")
        assert len(collector.point_cache) <= 50
        assert collector.series(None, "5m") == first
