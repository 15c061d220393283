"""Error examples: the last few failures of each group, with their ids, masked, bounded."""

from __future__ import annotations

import pytest

from rfs_monitoring.context import correlation_context, get_correlation_id
from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.metrics import ErrorExample, ResultMetricsCollector
from rfs_monitoring.metrics.examples import EXAMPLES_PER_GROUP, ExampleBook

from .support import T0, FakeClock, fail, ok, utc


class TestErrorExamples:
    def test_each_group_keeps_its_newest_failures(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        for i in range(8):
            clock.t = T0 + i
            fail(collector, message=f"user {i} not found", code="NOT_FOUND")
        clock.t = T0 + 8.5
        fail(collector, message="database down", code="SERVICE_UNAVAILABLE")
        clock.t = T0 + 20
        found = collector.error_examples("1h", limit=100)
        assert EXAMPLES_PER_GROUP == 5
        assert [e.message for e in found] == [
            "database down",
            "user 7 not found",
            "user 6 not found",
            "user 5 not found",
            "user 4 not found",
            "user 3 not found",
        ]
        assert found[0] == ErrorExample(
            utc(T0 + 8.5), "op", "SERVICE_UNAVAILABLE", "database down", None, None
        )

    def test_a_group_is_chosen_by_its_normalised_message(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        fail(collector, message="user 1 not found", code="NOT_FOUND")
        fail(collector, message="database down")
        clock.advance(2)
        [group] = [s for s in collector.ranked_errors(10, "1h").unwrap() if "user" in s.message]
        assert group.message == "user <n> not found"
        found = collector.error_examples(message=group.message)
        assert [(e.message, e.error_code) for e in found] == [("user 1 not found", "NOT_FOUND")]
        assert collector.error_examples(message="never seen") == []

    def test_ids_come_from_the_failing_calls_context_without_binding(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        with correlation_context("req-42"):
            fail(collector)
        assert get_correlation_id() is None
        fail(collector)
        clock.advance(1)
        first, second = sorted(collector.error_examples(), key=lambda e: e.correlation_id or "")
        assert (first.correlation_id, second.correlation_id) == (None, "req-42")
        assert first.trace_id is None

    def test_messages_are_masked(self, collector: ResultMetricsCollector, clock: FakeClock) -> None:
        fail(collector, message="login failed for password=hunter2")
        clock.advance(1)
        [example] = collector.error_examples()
        assert "hunter2" not in example.message
        assert example.message.startswith("login failed for password=")

    def test_filters_window_and_limit(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        fail(collector, "a", message="old")
        clock.advance(600)
        fail(collector, "a", message="new a")
        fail(collector, "b", message="new b")
        ok(collector, "c")
        clock.advance(1)
        assert [e.message for e in collector.error_examples("5m")] in (
            ["new a", "new b"],
            ["new b", "new a"],
        )
        assert [e.message for e in collector.error_examples(operation="a")] == ["new a", "old"]
        assert collector.error_examples(operation="c") == []
        assert collector.error_examples(operation="never") == []
        assert len(collector.error_examples(limit=1)) == 1

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"limit": 0}, "limit must be an int >= 1, got 0"),
            ({"limit": True}, "limit must be an int >= 1, got True"),
            ({"operation": 3}, "operation must be a str or None, got 3"),
            ({"message": b"x"}, "message must be a str or None, got b'x'"),
        ],
    )
    def test_bad_arguments_are_named(
        self, collector: ResultMetricsCollector, kwargs: dict[str, object], message: str
    ) -> None:
        with pytest.raises(ConfigurationError) as info:
            collector.error_examples(**kwargs)  # type: ignore[arg-type]
        assert str(info.value) == message

    def test_a_bad_time_range_is_named(self, collector: ResultMetricsCollector) -> None:
        with pytest.raises(ConfigurationError, match="'soon'"):
            collector.error_examples("soon")


class TestExampleBook:
    def test_the_book_is_bounded_by_the_tracked_groups(self) -> None:
        book = ExampleBook(max_groups=2)
        for group in ("a", "b", "c", "d"):
            book.add(group, 1.0, None, group, (None, None))
        book.trim({"c": 1.0, "d": 1.0})
        assert sorted(book.groups) == ["c", "d"]
        book.trim({})  # within its size: nothing to drop
        assert sorted(book.groups) == ["c", "d"]
        assert book.since(0.0, "zzz") == []
        assert [e.message for e in book.since(0.0, "c")] == ["c"]

    def test_the_collector_keeps_no_more_groups_than_its_cap(self, clock: FakeClock) -> None:
        collector = ResultMetricsCollector(clock, max_error_groups=3)
        for i in range(10):
            fail(collector, message=f"kind {'abcdefghij'[i]} failed")
            fail(collector, message=f"kind {'abcdefghij'[i]} failed")
        clock.advance(1)
        found = collector.error_examples(limit=1000)
        # three groups keep both their failures; OTHER (the seven past the cap) its last five
        assert len(found) == 3 * 2 + EXAMPLES_PER_GROUP
        assert {e.message for e in found} == {
            "kind a failed",
            "kind b failed",
            "kind c failed",
            "kind h failed",
            "kind i failed",
            "kind j failed",
        }
