"""Bounded memory: the collector's memory follows operations x time buckets, not records;
distinct operation names, error messages, codes and types are capped with an OTHER bucket.

The 10,000,000-record figure is measured by ``python -m benchmarks reliability`` (see
RELIABILITY.md); here the same property is proven with sizes that fit the suite's budget:
``OPERATIONS`` operations over ``SPAN`` simulated seconds fed ``SPARSE`` and then ``DENSE``
records (four times as many) retain the same memory within ``FLAT_BOUND``.
"""

from __future__ import annotations

import gc
import random
import string
import tracemalloc

import pytest

from rfs_monitoring.metrics import OTHER, ResultMetricsCollector

OPERATIONS = 1_000
SPAN = 10
SPARSE = 100_000
DENSE = 400_000
FLAT_BOUND = 0.05  # relative difference of retained memory, sparse vs dense


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def retained_bytes(records: int) -> tuple[int, ResultMetricsCollector]:
    """Memory retained by a collector fed ``records`` over OPERATIONS x SPAN seconds."""
    clock = FakeClock()
    names = [f"memory.op.{i}" for i in range(OPERATIONS)]
    durations = [float(i % 97) for i in range(OPERATIONS)]
    # one raw message per operation: the normalisation cache (4,096 entries, cleared when
    # full) then holds the same entries in both runs; distinct messages: see the cap test
    messages = [f"user {i} not found" for i in range(OPERATIONS)]
    per_second = records // SPAN
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        collector = ResultMetricsCollector(clock=clock, resources=lambda: (None, None))
        record = collector.record
        for second in range(SPAN):
            first = second * per_second
            for k in range(first, first + per_second):
                i = k % OPERATIONS
                if k % 10:
                    record(names[i], success=True, duration_ms=durations[i])
                else:
                    record(
                        names[i],
                        success=False,
                        duration_ms=durations[i],
                        error_code="NOT_FOUND",
                        error_message=messages[i],
                    )
            clock.now += 1.0
        collector.totals()  # fold the live second
        gc.collect()
        used = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    return used, collector


def test_memory_does_not_grow_with_the_number_of_records() -> None:
    sparse, sparse_collector = retained_bytes(SPARSE)
    dense, dense_collector = retained_bytes(DENSE)
    assert sum(t.total for t in dense_collector.totals()) == DENSE
    assert sum(t.total for t in sparse_collector.totals()) == SPARSE
    assert abs(dense - sparse) < FLAT_BOUND * sparse, (sparse, dense)
    # the collector's own estimate stays in the same range as what tracemalloc sees
    estimate = dense_collector.stats()["memory_bytes"]
    assert estimate < dense < 4 * estimate


def test_distinct_operation_names_are_capped() -> None:
    collector = ResultMetricsCollector(max_operations=100)
    for i in range(5_000):
        collector.record(f"dynamic/{i}", success=i % 2 == 0, duration_ms=1.0)
    names = collector.operation_names()
    assert len(names) == 101
    assert OTHER in names
    stats = collector.stats()
    assert stats["operations"] == 101
    assert stats["other_operation_samples"] == 4_900
    totals = {t.operation: t for t in collector.totals()}
    assert sum(t.total for t in totals.values()) == 5_000
    assert totals[OTHER].total == 4_900


def test_the_default_cap_is_a_thousand_operations() -> None:
    collector = ResultMetricsCollector()
    for i in range(2_500):
        collector.record(f"dynamic/{i}", success=True, duration_ms=1.0)
    assert len(collector.operation_names()) == 1_001
    assert collector.stats()["other_operation_samples"] == 1_500


def random_words(rng: random.Random) -> str:
    return " ".join("".join(rng.choice(string.ascii_lowercase) for _ in range(6)) for _ in range(3))


@pytest.mark.asyncio
async def test_distinct_error_messages_codes_and_types_are_capped() -> None:
    rng = random.Random(7)
    collector = ResultMetricsCollector(max_error_groups=50)
    failures = 10_000
    for i in range(failures):
        collector.record(
            "errors.op",
            success=False,
            duration_ms=1.0,
            error_code=f"CODE_{rng.choice(string.ascii_uppercase)}{i}",
            error_type=f"Error{rng.choice(string.ascii_uppercase)}{i}",
            error_message=random_words(rng),  # no two normalise to the same group
        )
    figures = (await collector.get_operation_metrics("errors.op", "1h")).unwrap()
    assert figures.failed_requests == failures
    assert len(figures.error_breakdown) <= 51
    assert figures.error_breakdown[OTHER] == failures - 50
    summaries = (await collector.top_errors(limit=100, time_range="1h")).unwrap()
    assert len(summaries) <= 51
    other = [s for s in summaries if s.message == OTHER]
    assert other
    assert other[0].count == failures - 50
    assert sum(s.count for s in summaries) == failures
    assert collector.stats()["other_error_groups"] == failures - 50
    # the retained memory stays small: 50 groups, not 10,000 messages
    assert collector.stats()["memory_bytes"] < 200_000
