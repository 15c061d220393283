"""Queries: quantile accuracy through the buckets, cost by window."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from rfs_monitoring.metrics import (
    ResultMetricsCollector,
    parse_time_range,
)

from .support import T0, FakeClock, metrics, ok


class TestQuantileAccuracy:
    @settings(max_examples=60, deadline=None)
    @given(
        st.lists(
            st.tuples(
                st.floats(min_value=0.01, max_value=1e6, allow_nan=False),
                st.integers(min_value=0, max_value=3599),
            ),
            min_size=1,
            max_size=200,
        )
    )
    def test_quantiles_through_the_buckets_are_within_one_percent(
        self, samples: list[tuple[float, int]]
    ) -> None:
        clock = FakeClock(T0)
        c = ResultMetricsCollector(clock, resources=lambda: (None, None))
        for duration, offset in sorted(samples, key=lambda s: s[1]):
            clock.t = T0 + offset + 0.5
            c.record("op", success=True, duration_ms=duration)
        clock.t = T0 + 3600
        m = metrics(c, "op", "1h")
        ordered = sorted(d for d, _ in samples)
        assert m.total_requests == len(ordered)
        for q, got in (
            (0.5, m.p50_response_time_ms),
            (0.9, m.p90_response_time_ms),
            (0.99, m.p99_response_time_ms),
        ):
            exact = ordered[math.floor(q * (len(ordered) - 1))]
            assert abs(got - exact) <= 0.01 * exact * (1 + 1e-9)
        assert m.max_response_time_ms == ordered[-1]


class TestQueryCost:
    def test_the_buckets_merged_depend_on_the_window_not_the_samples(
        self, clock: FakeClock
    ) -> None:
        def pieces(samples_per_minute: int) -> dict[str, int]:
            clock = FakeClock(T0)
            c = ResultMetricsCollector(clock, resources=lambda: (None, None))
            assert c.clock is clock
            for minute in range(8 * 24 * 60):
                for i in range(samples_per_minute):
                    clock.t = T0 + minute * 60 + i * (60 / samples_per_minute)
                    ok(c)
            sizes = {}
            for window in ("1h", "1w"):
                t0 = clock.t - parse_time_range(window).unwrap().total_seconds()
                got = c.snapshot(["op"], t0, clock.t).buckets
                sizes[window] = len(got["op"])
            return sizes

        sparse = pieces(1)
        dense = pieces(5)
        assert sparse == dense
        assert sparse["1h"] <= 3 + 60 + 60
        # live second, current minute, hour and day, 6 whole days, <= 24 hours at the head
        assert sparse["1w"] <= 4 + 6 + 24
