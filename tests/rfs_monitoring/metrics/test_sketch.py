"""LatencySketch: 1% relative accuracy, merging, serialisation."""

from __future__ import annotations

import math
import random
from array import array

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rfs_monitoring.metrics.sketch import MAX_COUNT
from rfs_monitoring.sketch import (
    MAX_TRACKED_MS,
    RELATIVE_ACCURACY,
    ZERO_THRESHOLD_MS,
    LatencySketch,
)

durations = st.floats(min_value=1e-3, max_value=1e7, allow_nan=False, allow_infinity=False)


def exact(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[math.floor(q * (len(ordered) - 1))]


def merged_as_one_by_one(sketches: list[LatencySketch]) -> LatencySketch:
    """``LatencySketch.merged(sketches)``, checked against merging them one by one."""
    one_by_one = LatencySketch()
    for s in sketches:
        one_by_one.merge(s)
    merged = LatencySketch.merged(sketches)
    assert merged == one_by_one
    assert merged.quantiles((0.5, 0.9, 0.99)) == one_by_one.quantiles((0.5, 0.9, 0.99))
    return merged


def within(estimate: float, truth: float) -> bool:
    return abs(estimate - truth) <= RELATIVE_ACCURACY * truth * (1 + 1e-9)


class TestAccuracy:
    @settings(max_examples=200, deadline=None)
    @given(st.lists(durations, min_size=1, max_size=300), st.floats(min_value=0, max_value=1))
    def test_every_quantile_is_within_one_percent_of_the_exact_value(
        self, values: list[float], q: float
    ) -> None:
        sketch = LatencySketch()
        sketch.add_many(values)
        assert within(sketch.quantile(q), exact(values, q))

    @settings(max_examples=50, deadline=None)
    @given(st.lists(st.lists(durations, min_size=1, max_size=50), min_size=1, max_size=8))
    def test_merged_sketches_keep_the_accuracy(self, parts: list[list[float]]) -> None:
        sketches = []
        for part in parts:
            s = LatencySketch()
            s.add_many(part)
            sketches.append(s)
        merged = LatencySketch.merged(sketches)
        values = [v for part in parts for v in part]
        for q in (0.0, 0.5, 0.9, 0.99, 1.0):
            assert within(merged.quantile(q), exact(values, q))

    def test_lognormal_p50_p90_p99(self) -> None:
        rng = random.Random(7)
        values = [rng.lognormvariate(3, 1) for _ in range(50_000)]
        sketch = LatencySketch()
        sketch.add_many(values)
        estimates = sketch.quantiles((0.5, 0.9, 0.99))
        for q, estimate in zip((0.5, 0.9, 0.99), estimates, strict=True):
            assert within(estimate, exact(values, q))

    def test_an_empty_sketch_answers_zero(self) -> None:
        assert LatencySketch().quantiles((0.5, 0.99)) == [0.0, 0.0]

    def test_a_quantile_outside_0_1_is_refused(self) -> None:
        with pytest.raises(ValueError, match=r"^quantile 1\.5 is outside \[0, 1\]$"):
            LatencySketch().quantile(1.5)


class TestOddValues:
    def test_zero_and_negative_durations_count_as_zero(self) -> None:
        sketch = LatencySketch()
        assert sketch.add_many([0.0, -3.0, ZERO_THRESHOLD_MS / 2, 10.0]) == 0
        assert sketch.zeros == 3
        assert sketch.count == 4
        assert sketch.quantile(0.5) == 0.0
        assert within(sketch.quantile(1.0), 10.0)

    def test_non_numbers_nan_and_infinity_are_skipped_and_counted(self) -> None:
        sketch = LatencySketch()
        bad: list[object] = [math.nan, math.inf, "slow", None, True, 5.0]
        assert sketch.add_many(bad) == 5  # type: ignore[arg-type]
        assert sketch.count == 1

    def test_huge_durations_are_clamped(self) -> None:
        sketch = LatencySketch()
        sketch.add(MAX_TRACKED_MS * 1000)
        assert within(sketch.quantile(1.0), MAX_TRACKED_MS)

    def test_adding_nothing_changes_nothing(self) -> None:
        sketch = LatencySketch()
        assert sketch.add_many([]) == 0
        assert sketch == LatencySketch()


class TestMerging:
    def test_merge_equals_adding_everything_to_one_sketch(self) -> None:
        a, b, both = LatencySketch(), LatencySketch(), LatencySketch()
        a.add_many([1.0, 2.0, 0.0])
        b.add_many([1000.0, 0.5])
        both.add_many([1.0, 2.0, 0.0, 1000.0, 0.5])
        a.merge(b)
        assert a == both
        assert LatencySketch.merged([a]) == both

    def test_merging_an_empty_sketch_adds_only_its_zeros(self) -> None:
        a, b = LatencySketch(), LatencySketch()
        a.add(3.0)
        b.add(0.0)
        a.merge(b)
        assert (a.count, a.zeros) == (2, 1)

    @settings(max_examples=100, deadline=None)
    @given(st.lists(st.lists(durations, max_size=30), max_size=6))
    def test_merged_equals_merging_one_by_one(self, parts: list[list[float]]) -> None:
        sketches = []
        for part in parts:
            s = LatencySketch()
            s.add_many(part)
            sketches.append(s)
        merged_as_one_by_one(sketches)

    @settings(max_examples=60, deadline=None)
    @given(
        st.lists(st.lists(durations, min_size=1, max_size=40), min_size=7, max_size=24),
        st.sets(st.integers(min_value=0, max_value=23)),
        st.booleans(),
    )
    def test_merged_of_many_wide_or_narrow_or_compacted_equals_one_by_one(
        self, parts: list[list[float]], compacted: set[int], wide: bool
    ) -> None:
        # more than a few sketches: the dashboard's operations totals (mostly as wide as
        # their union) or a window's seconds (narrow), added as one integer of lanes
        sketches = []
        for i, part in enumerate(parts):
            s = LatencySketch()
            s.add_many([*part, 0.01, 5e6] if wide else part)
            if i in compacted:
                s.compact()
            sketches.append(s)
        assert merged_as_one_by_one(sketches).counts.typecode == "q"

    @settings(max_examples=60, deadline=None)
    @given(
        st.lists(
            st.tuples(
                st.integers(min_value=-40, max_value=40),  # where the range starts
                st.integers(min_value=100, max_value=200),  # how many counts it holds
                st.integers(min_value=1, max_value=2**40),  # their pattern's step
                st.booleans(),  # compacted to 4-byte counts
            ),
            min_size=7,
            max_size=24,
        )
    )
    def test_many_wide_ranges_add_lane_by_lane_exactly(
        self, ranges: list[tuple[int, int, int, bool]]
    ) -> None:
        # ranges added as one integer of 8-byte lanes: large counts next to zeros, at
        # every offset, compacted or not (none carries into its neighbour)
        sketches, expected = [], {}
        for shift, size, step, compact in ranges:
            counts = [0 if i % 7 == 3 else (step * (i + 1)) % 2**40 for i in range(size)]
            sketch = LatencySketch()
            sketch.offset = 1000 + shift
            sketch.counts = (
                array("I", [n % 2**32 for n in counts]) if compact else array("q", counts)
            )
            for i, n in enumerate(sketch.counts):
                expected[sketch.offset + i] = expected.get(sketch.offset + i, 0) + n
            sketches.append(sketch)
        merged = LatencySketch.merged(sketches)
        assert merged.counts.typecode == "q"
        assert merged.offset == min(expected)
        assert len(merged.counts) == max(expected) - min(expected) + 1
        assert {merged.offset + i: n for i, n in enumerate(merged.counts)} == expected

    @settings(max_examples=60, deadline=None)
    @given(st.lists(st.integers(min_value=0, max_value=2**32 - 1), max_size=300))
    def test_a_compacted_sketch_widens_to_the_same_counts(self, counts: list[int]) -> None:
        sketch = LatencySketch()
        sketch.offset = 10
        sketch.counts = array("I", counts)
        twin = sketch.copy()
        sketch.merge(LatencySketch())  # nothing to add: stays compacted
        grown = LatencySketch.merged([sketch, LatencySketch()])
        assert grown.counts.typecode == "q"
        assert list(grown.counts) == counts
        assert LatencySketch.from_bytes(twin.to_bytes()) == twin

    @settings(max_examples=80, deadline=None)
    @given(
        st.lists(st.integers(min_value=0, max_value=2**40), min_size=1, max_size=300),
        st.lists(st.integers(min_value=0, max_value=2**40), min_size=1, max_size=300),
        st.integers(min_value=-50, max_value=50),
        st.booleans(),
    )
    def test_a_range_adds_lane_by_lane_exactly(
        self, mine: list[int], theirs: list[int], shift: int, compact: bool
    ) -> None:
        a, b = LatencySketch(), LatencySketch()
        a.offset, a.counts = 100, array("q", mine)
        b.offset, b.counts = (
            100 + shift,
            array("I" if compact else "q", [n % 2**32 for n in theirs]),
        )
        expected: dict[int, int] = {}
        for sketch in (a, b):
            for i, n in enumerate(sketch.counts):
                expected[sketch.offset + i] = expected.get(sketch.offset + i, 0) + n
        a.merge(b)
        got = {a.offset + i: n for i, n in enumerate(a.counts) if n}
        assert got == {k: n for k, n in expected.items() if n}

    def test_subtracting_what_it_does_not_hold_stops_at_zero(self) -> None:
        a, b = LatencySketch(), LatencySketch()
        a.add_many([5.0, 5.0, 50.0])
        b.add_many([5.0, 50.0, 50.0, 50.0])
        a.subtract(b)
        assert min(a.counts) == 0
        assert a.count == 1  # one 5.0 left; the 50.0 bin stopped at zero, not at -2
        a.merge(b)  # and adds up exactly again
        assert a.count == 5

    def test_an_encoding_with_a_negative_count_is_refused(self) -> None:
        sketch = LatencySketch()
        sketch.add_many([5.0, 6.0])
        data = bytearray(sketch.to_bytes())
        data[-8:] = (-1).to_bytes(8, "little", signed=True)
        with pytest.raises(ValueError, match="negative count"):
            LatencySketch.from_bytes(bytes(data))

    def test_an_encoding_with_a_count_above_the_bound_is_refused(self) -> None:
        # a decoded count could otherwise carry into its neighbour's lane when merged
        sketch = LatencySketch()
        sketch.add_many([5.0, 6.0])
        data = bytearray(sketch.to_bytes())
        data[-8:] = (MAX_COUNT + 1).to_bytes(8, "little")
        with pytest.raises(ValueError, match=r"a count above 281,474,976,710,656 \(2\*\*48\)$"):
            LatencySketch.from_bytes(bytes(data))
        data[8 * 2 : 8 * 3] = (MAX_COUNT + 1).to_bytes(8, "little")  # the zeros
        data[-8:] = (1).to_bytes(8, "little")
        with pytest.raises(ValueError, match=r"a count above"):
            LatencySketch.from_bytes(bytes(data))
        data[8 * 2 : 8 * 3] = MAX_COUNT.to_bytes(8, "little")
        data[-8:] = MAX_COUNT.to_bytes(8, "little")
        assert LatencySketch.from_bytes(bytes(data)).count == 2 * MAX_COUNT + 1

    def test_merged_of_nothing_or_only_zeros(self) -> None:
        assert LatencySketch.merged([]).count == 0
        zeros = LatencySketch()
        zeros.add(0.0)
        assert LatencySketch.merged([zeros, LatencySketch()]).zeros == 1

    def test_a_compacted_sketch_merges_and_grows_back_to_8_bytes(self) -> None:
        small = LatencySketch()
        small.add_many([5.0, 50.0])
        small.compact()
        assert small.counts.typecode == "I"
        other = LatencySketch()
        other.add_many([0.5, 5000.0])
        small.merge(other)
        assert small.counts.typecode == "q"
        assert small.count == 4
        big = LatencySketch()
        big.add(1.0)
        big.counts[0] = 2**33
        big.compact()
        assert big.counts.typecode == "q"

    def test_copy_is_independent(self) -> None:
        a = LatencySketch()
        a.add(1.0)
        b = a.copy()
        b.add(2.0)
        assert (a.count, b.count) == (1, 2)


class TestReading:
    def test_count_at_or_below_a_bound(self) -> None:
        sketch = LatencySketch()
        sketch.add_many([0.0, 1.0, 10.0, 100.0])
        assert sketch.count_at_or_below(-1) == 0
        assert sketch.count_at_or_below(0.0) == 1
        assert sketch.count_at_or_below(0.5) == 1
        assert sketch.count_at_or_below(1.02) == 2
        assert sketch.count_at_or_below(50.0) == 3
        assert sketch.count_at_or_below(1e9) == 4
        assert LatencySketch().count_at_or_below(5.0) == 0

    def test_repr_len_and_size(self) -> None:
        sketch = LatencySketch()
        sketch.add_many([1.0, 2.0])
        assert len(sketch) == 2
        assert repr(sketch) == f"LatencySketch(count=2, buckets={len(sketch.counts)})"
        assert sketch.nbytes == 8 * len(sketch.counts)
        assert sketch.__eq__(object()) is NotImplemented

    def test_equality_ignores_empty_edge_buckets(self) -> None:
        a, b = LatencySketch(), LatencySketch()
        a.add_many([1.0, 100.0])
        b.add_many([1.0, 100.0])
        b.counts = array("q", [0, *b.counts, 0])
        b.offset -= 1
        assert a == b
        empty = LatencySketch()
        empty.counts = array("q", [0, 0])
        assert empty == LatencySketch()


class TestSerialisation:
    def test_round_trip(self) -> None:
        sketch = LatencySketch()
        sketch.add_many([0.0, 1.5, 2.5, 3000.0])
        sketch.compact()
        back = LatencySketch.from_bytes(sketch.to_bytes())
        assert back == sketch
        assert back.quantiles((0.5, 1.0)) == sketch.quantiles((0.5, 1.0))

    def test_garbage_is_refused(self) -> None:
        with pytest.raises(ValueError, match=r"^not a LatencySketch encoding: 5 bytes$"):
            LatencySketch.from_bytes(b"12345")

    def test_another_version_is_refused(self) -> None:
        data = bytearray(LatencySketch().to_bytes())
        data[0] = 9
        with pytest.raises(
            ValueError, match=r"^LatencySketch encoding version 9 is not supported \(expected 1\)$"
        ):
            LatencySketch.from_bytes(bytes(data))
