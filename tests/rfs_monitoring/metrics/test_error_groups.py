"""Error groups through the collector: normalisation, masking, ranking, caps."""

from __future__ import annotations

import pytest

from rfs_monitoring import APIError
from rfs_monitoring.metrics import (
    OTHER,
    ErrorSummary,
    ResultMetricsCollector,
    normalise_error_message,
)

from .support import T0, FakeClock, fail, metrics, ok, utc


class TestErrorGroups:
    @pytest.mark.parametrize(
        ("message", "normalised"),
        [
            ("user 123 not found", "user <n> not found"),
            ("user 456 not found", "user <n> not found"),
            ("order 9f8b2c1e-1a2b-4c3d-8e9f-0a1b2c3d4e5f missing", "order <uuid> missing"),
            ("object deadbeef42 at 0x7ffee1 gone", "object <hex> at <hex> gone"),
            ("key 'alice' and \"bob\" and `x` clash", "key <str> and <str> and <str> clash"),
            ("retry 3/5 after 2.5s  \n timeout", "retry <n>/<n> after <n>s timeout"),
            ("v2 api", "v<n> api"),
            ("", "<empty>"),
        ],
    )
    def test_normalisation(self, message: str, normalised: str) -> None:
        assert normalise_error_message(message) == normalised

    def test_messages_are_masked_before_they_are_stored(
        self, collector: ResultMetricsCollector
    ) -> None:
        jwt = (
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
            "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
        )
        fail(collector, message=f"login failed for alice@example.com with token {jwt}")
        fail(collector, message="password=hunter2 rejected")
        stored = " | ".join(msg for msg, _ in metrics(collector, "op").top_errors)
        for secret in ("alice@example.com", jwt, "hunter2"):
            assert secret not in stored

    @pytest.mark.asyncio
    async def test_top_errors_groups_and_ranks_across_operations(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        fail(collector, "get_user", "user 1 not found", "NOT_FOUND")
        clock.advance(5)
        fail(collector, "get_user", "user 2 not found", "NOT_FOUND")
        fail(collector, "del_user", "user 3 not found", "NOT_FOUND")
        fail(collector, "get_user", "db down")
        result = await collector.top_errors(limit=10, time_range="1h")
        assert result.unwrap() == [
            ErrorSummary(
                "user <n> not found", "NOT_FOUND", 3, utc(T0 + 5), ["del_user", "get_user"]
            ),
            ErrorSummary("db down", "INTERNAL_ERROR", 1, utc(T0 + 5), ["get_user"]),
        ]
        only = (await collector.top_errors(1, "1h", operation="del_user")).unwrap()
        assert [(s.message, s.count) for s in only] == [("user <n> not found", 1)]

    @pytest.mark.asyncio
    async def test_the_latest_code_of_a_group_wins(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        fail(collector, message="flaky", code="TIMEOUT")
        clock.advance(2)
        fail(collector, message="flaky", code="SERVICE_UNAVAILABLE")
        clock.advance(2)
        [summary] = (await collector.top_errors()).unwrap()
        assert (summary.error_code, summary.count) == ("SERVICE_UNAVAILABLE", 2)
        fail(collector, "other_op", message="flaky", code="TIMEOUT")
        clock.advance(120)
        fail(collector, message="flaky", code="TIMEOUT")
        [summary] = (await collector.top_errors()).unwrap()
        assert (summary.error_code, summary.count) == ("TIMEOUT", 4)

    @pytest.mark.asyncio
    async def test_top_errors_arguments_are_checked(
        self, collector: ResultMetricsCollector
    ) -> None:
        bad = (await collector.top_errors(limit=0)).unwrap_error()
        assert bad.message == "limit 0 is not accepted; use an int >= 1"
        missing = (await collector.top_errors(operation="ghost")).unwrap_error()
        assert missing == APIError.not_found("operation", "ghost")

    def test_the_message_cache_is_bounded(self, collector: ResultMetricsCollector) -> None:
        for i in range(5000):
            fail(collector, message=f"m{i}x")
        assert metrics(collector, "op").top_errors == [("m<n>x", 5000)]


class TestCardinality:
    def test_operations_beyond_the_cap_go_to_other(self, clock: FakeClock) -> None:
        c = ResultMetricsCollector(clock, max_operations=3, resources=lambda: (None, None))
        for name in ("a", "b", "c", "d", "e", "d"):
            ok(c, name)
        assert c.operation_names() == ["__other__", "a", "b", "c"]
        assert metrics(c, OTHER).total_requests == 3
        assert c.stats()["other_operation_samples"] == 3
        assert metrics(c, "*" if False else "a").total_requests == 1
        clock.advance(2)
        ok(c, "zzz")
        assert metrics(c, OTHER, "1m").total_requests == 4

    def test_error_groups_codes_and_types_beyond_the_cap_go_to_other(
        self, clock: FakeClock
    ) -> None:
        c = ResultMetricsCollector(clock, max_error_groups=2, resources=lambda: (None, None))
        for i in range(5):
            fail(c, message=f"failure kind {'abcde'[i]}", code=f"C{i}", kind=f"T{i}")
        m = metrics(c, "op")
        assert dict(m.top_errors) == {"failure kind a": 1, "failure kind b": 1, OTHER: 3}
        assert m.error_breakdown == {"C0": 1, "C1": 1, OTHER: 3}
        assert c.stats()["other_error_groups"] == 3

    def test_stale_error_groups_make_room_for_new_ones(self, clock: FakeClock) -> None:
        c = ResultMetricsCollector(clock, max_error_groups=2, resources=lambda: (None, None))
        fail(c, message="old a")
        fail(c, message="old b")
        clock.advance(2 * 3600)
        fail(c, message="new c")
        assert dict(metrics(c, "op", "1m").top_errors) == {"new c": 1}
        assert c.stats()["other_error_groups"] == 0
