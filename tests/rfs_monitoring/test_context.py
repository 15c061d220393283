"""Correlation ids, request ids and the log context (contextvars)."""

from __future__ import annotations

import asyncio
import contextvars
import re

import pytest

from rfs_monitoring import ConfigurationError
from rfs_monitoring.context import (
    bind_log_context,
    correlation_context,
    get_correlation_id,
    get_log_context,
    get_request_id,
    is_valid_correlation_id,
    log_context,
    new_correlation_id,
    peek_correlation_id,
    reset_correlation_id,
    reset_log_context,
    reset_request_id,
    set_correlation_id,
    set_request_id,
)

REJECTED = (
    "correlation id {!r} is not accepted: use 1 to 128 characters "
    "from A-Z, a-z, 0-9, '.', '_' and '-'"
)


def in_fresh_context(fn: object) -> object:
    return contextvars.Context().run(fn)  # type: ignore[arg-type]


class TestValidation:
    @pytest.mark.parametrize("value", ["a", "A-z_0.9", "x" * 128, "550e8400-e29b-41d4"])
    def test_accepted(self, value: str) -> None:
        assert is_valid_correlation_id(value)

    @pytest.mark.parametrize(
        "value", ["", "x" * 129, "a b", "a\r\nb", "a\nb", "é", "a/b", None, 12, b"ab"]
    )
    def test_rejected(self, value: object) -> None:
        assert not is_valid_correlation_id(value)

    def test_new_ids_are_32_hex_and_unique(self) -> None:
        ids = {new_correlation_id() for _ in range(100)}
        assert len(ids) == 100
        assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)


class TestCorrelationId:
    def test_peek_does_not_generate(self) -> None:
        assert in_fresh_context(peek_correlation_id) is None

    def test_get_never_binds_an_id_implicitly(self) -> None:
        def body() -> tuple[str | None, str | None, str | None]:
            return get_correlation_id(), get_correlation_id(), peek_correlation_id()

        assert in_fresh_context(body) == (None, None, None)

    def test_get_returns_the_bound_id(self) -> None:
        def body() -> str | None:
            with correlation_context("bound-1"):
                return get_correlation_id()

        assert in_fresh_context(body) == "bound-1"

    def test_set_and_reset(self) -> None:
        def body() -> list[str | None]:
            seen = [peek_correlation_id()]
            token = set_correlation_id("abc")
            seen.append(get_correlation_id())
            reset_correlation_id(token)
            seen.append(peek_correlation_id())
            return seen

        assert in_fresh_context(body) == [None, "abc", None]

    def test_set_none_unbinds(self) -> None:
        def body() -> str | None:
            set_correlation_id("abc")
            set_correlation_id(None)
            return peek_correlation_id()

        assert in_fresh_context(body) is None

    def test_set_refuses_invalid_ids(self) -> None:
        with pytest.raises(ConfigurationError) as info:
            set_correlation_id("a\r\nSet-Cookie: x")
        assert str(info.value) == REJECTED.format("a\r\nSet-Cookie: x")

    def test_correlation_context_binds_for_the_block(self) -> None:
        def body() -> list[str | None]:
            seen: list[str | None] = []
            with correlation_context("outer") as outer:
                seen.append(outer)
                with correlation_context() as inner:
                    seen.append(peek_correlation_id() == inner and len(inner) == 32 and "gen")
                seen.append(peek_correlation_id())
            seen.append(peek_correlation_id())
            return seen

        assert in_fresh_context(body) == ["outer", "gen", "outer", None]

    def test_correlation_context_refuses_invalid_ids(self) -> None:
        with pytest.raises(ConfigurationError) as info, correlation_context("x" * 129):
            pass  # pragma: no cover
        assert str(info.value) == REJECTED.format("x" * 129)

    @pytest.mark.asyncio
    async def test_tasks_inherit_but_do_not_leak_back(self) -> None:
        async def child() -> str:
            inherited = get_correlation_id()
            set_correlation_id("child")
            return inherited

        with correlation_context("parent"):
            assert await asyncio.create_task(child()) == "parent"
            assert get_correlation_id() == "parent"

    @pytest.mark.asyncio
    async def test_concurrent_requests_stay_apart(self) -> None:
        async def request(cid: str) -> list[str]:
            with correlation_context(cid):
                seen = []
                for _ in range(3):
                    await asyncio.sleep(0)
                    seen.append(get_correlation_id())
                return seen

        a, b = await asyncio.gather(request("a"), request("b"))
        assert a == ["a"] * 3
        assert b == ["b"] * 3


class TestRequestId:
    def test_set_get_reset(self) -> None:
        def body() -> list[str | None]:
            seen = [get_request_id()]
            token = set_request_id("r-1")
            seen.append(get_request_id())
            reset_request_id(token)
            seen.append(get_request_id())
            return seen

        assert in_fresh_context(body) == [None, "r-1", None]


class TestLogContext:
    def test_empty_by_default(self) -> None:
        assert in_fresh_context(lambda: dict(get_log_context())) == {}

    def test_bind_merges_and_reset_undoes(self) -> None:
        def body() -> list[dict[str, object]]:
            seen = []
            first = bind_log_context(user_id="u1")
            second = bind_log_context(tenant="t", user_id="u2")
            seen.append(dict(get_log_context()))
            reset_log_context(second)
            seen.append(dict(get_log_context()))
            reset_log_context(first)
            seen.append(dict(get_log_context()))
            return seen

        assert in_fresh_context(body) == [
            {"user_id": "u2", "tenant": "t"},
            {"user_id": "u1"},
            {},
        ]

    def test_log_context_block(self) -> None:
        def body() -> list[dict[str, object]]:
            seen = []
            with log_context(user_id="u"):
                seen.append(dict(get_log_context()))
            seen.append(dict(get_log_context()))
            return seen

        assert in_fresh_context(body) == [{"user_id": "u"}, {}]

    def test_the_context_is_read_only(self) -> None:
        def body() -> None:
            bind_log_context(a=1)
            get_log_context()["b"] = 2  # type: ignore[index]

        with pytest.raises(TypeError):
            in_fresh_context(body)
