"""MetricBucket (one field declaration) and BucketTiers (an operation's rollups)."""

from __future__ import annotations

import math

from rfs_monitoring.metrics.bucket import (
    BUCKET_FIELDS,
    BucketTiers,
    MetricBucket,
    close_bucket,
    copy_bucket,
)

T0 = 1_700_000_000 - 1_700_000_000 % 86400  # a UTC midnight
RETENTION_HOURS = 7 * 24


class TestFields:
    def test_the_slots_are_the_declared_fields(self) -> None:
        assert MetricBucket.__slots__ == (*BUCKET_FIELDS, "first")  # first: not archived

    def test_a_fresh_bucket_sets_every_field(self) -> None:
        bucket = MetricBucket(5)
        for name in BUCKET_FIELDS:
            getattr(bucket, name)
        assert bucket.start == 5


class TestMetricBucket:
    def test_add_durations_counts_invalid_ones_as_requests(self) -> None:
        bucket = MetricBucket(0)
        invalid = bucket.add_durations([10.0, math.nan, -3.0, "x", 30.0])  # type: ignore[list-item]
        assert invalid == 2
        assert (bucket.count, bucket.timed, bucket.total_ms, bucket.max_ms) == (5, 3, 40.0, 30.0)

    def test_a_copy_is_independent(self) -> None:
        bucket = MetricBucket(0)
        bucket.add_durations([1.0])
        bucket.groups["boom"] = [1, 5.0, "X"]
        twin = copy_bucket(bucket)
        twin.add_durations([2.0])
        twin.groups["boom"][0] += 1
        assert (bucket.count, bucket.groups["boom"][0]) == (1, 1)
        assert (twin.count, twin.groups["boom"][0]) == (2, 2)

    def test_closing_shares_the_empty_maps(self) -> None:
        a, b = close_bucket(MetricBucket(0)), close_bucket(MetricBucket(1))
        assert (a.codes, a.types, a.groups) == ({}, {}, {})
        assert a.codes is b.codes
        assert a.groups is b.groups
        assert a.sketch.counts.typecode == "I"


class TestTiers:
    def test_an_idle_second_with_a_resource_reading_still_counts(self) -> None:
        tiers = BucketTiers(T0)
        tiers.live.mem_sum, tiers.live.mem_n = 50.0, 1  # a reading, no sample
        assert tiers.advance(T0 + 1, RETENTION_HOURS) == []
        tiers.live.add_durations([1.0])
        minute = tiers.current(60)
        assert minute.mem_sum / minute.mem_n == 50.0
        assert minute.count == 1
        assert tiers.seconds == {}  # the idle second is not kept

    def test_advancing_to_the_live_second_changes_nothing(self) -> None:
        tiers = BucketTiers(T0 + 5)
        live = tiers.live
        assert tiers.advance(T0 + 5, RETENTION_HOURS) == []
        assert tiers.advance(T0 + 2, RETENTION_HOURS) == []
        assert tiers.live is live

    def test_seconds_roll_into_minutes_hours_and_days(self) -> None:
        tiers = BucketTiers(T0)
        for second in (T0, T0 + 61, T0 + 3601, T0 + 86401):
            tiers.advance(second, RETENTION_HOURS)
            tiers.live.add_durations([1.0])
        tiers.advance(T0 + 86402, RETENTION_HOURS)
        assert tiers.minutes == {}  # more than MINUTE_SLOTS minutes ago
        assert sorted(tiers.hours) == [T0, T0 + 3600]
        assert list(tiers.days) == [T0]
        assert tiers.days[T0].count == 3
        assert tiers.lifetime.count == 4

    def test_current_holds_the_open_buckets_so_far(self) -> None:
        tiers = BucketTiers(T0 + 3600 + 120)
        tiers.live.add_durations([1.0])
        tiers.advance(T0 + 3600 + 121, RETENTION_HOURS)
        tiers.live.add_durations([2.0, 3.0])
        assert [tiers.current(size).count for size in (1, 60, 3600)] == [2, 3, 3]
        assert tiers.current(3600).start == T0 + 3600
        assert tiers.current(60, groups=False).start == T0 + 3600 + 120

    def test_recent_reads_one_tier_from_a_start(self) -> None:
        tiers = BucketTiers(T0)
        for second in range(5):
            tiers.advance(T0 + second, RETENTION_HOURS)
            tiers.live.add_durations([1.0])
        recent = tiers.recent(1, T0 + 2)
        assert [b.start for b in recent] == [T0 + 2, T0 + 3, T0 + 4]
        assert recent[-1] is not tiers.live

    def test_hours_past_the_retention_are_returned_for_the_archive(self) -> None:
        tiers = BucketTiers(T0)
        tiers.live.add_durations([1.0])
        assert tiers.advance(T0 + 3600, 1) == []
        evicted = tiers.advance(T0 + 3 * 3600, 1)
        assert [b.start for b in evicted] == [T0]
        assert tiers.horizon(1) == T0 + 2 * 3600
