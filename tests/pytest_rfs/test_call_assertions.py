"""Parity with pytest-mock: call records, ``assert_has_calls``, awaits (call_assertions)."""

from __future__ import annotations

from typing import Any
from unittest.mock import call

import pytest

from pytest_rfs.mocking import mock_result_service
from rfs_monitoring import MonoResult, Result, Success


class Repo:
    async def load(self, key: str, *, fresh: bool = False) -> Result[str, str]:
        raise AssertionError("the real method must not run")

    def load_sync(self, key: str) -> Result[str, str]:
        raise AssertionError("the real method must not run")

    def load_mono(self, key: str) -> MonoResult[str, str]:
        raise AssertionError("the real method must not run")


repo = Repo()


def failure_message(fn: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(AssertionError) as info:
        fn(*args, **kwargs)
    return str(info.value)


class TestCallRecords:
    def test_call_args_and_call_args_list(self) -> None:
        with mock_result_service(repo, "load_sync") as mocker:
            mocker.return_success("v")
            assert mocker.call_args is None
            repo.load_sync("a")
            repo.load_sync(key="b")
        assert mocker.call_args == call(key="b")
        assert mocker.call_args is not None
        assert mocker.call_args.kwargs == {"key": "b"}
        assert mocker.call_args_list == [call("a"), call(key="b")]

    def test_assert_called_once(self) -> None:
        with mock_result_service(repo, "load_sync") as mocker:
            mocker.return_success("v")
            message = failure_message(mocker.assert_called_once)
            assert message == "expected Repo.load_sync to be called once; it was not called"
            repo.load_sync("a")
            mocker.assert_called_once()
            repo.load_sync("b")
        assert failure_message(mocker.assert_called_once) == (
            "expected Repo.load_sync to be called once; it was called 2 times:\n"
            "  1. load_sync('a')\n"
            "  2. load_sync('b')"
        )


class TestAssertHasCalls:
    def test_in_order_matches_keyword_and_positional_forms(self) -> None:
        with mock_result_service(repo, "load_sync") as mocker:
            mocker.return_success("v")
            for key in ("a", "b", "c"):
                repo.load_sync(key)
        mocker.assert_has_calls([call("b"), call(key="c")])
        mocker.assert_has_calls([call("c"), call("a")], any_order=True)

    def test_wrong_order_lists_both_sides(self) -> None:
        with mock_result_service(repo, "load_sync") as mocker:
            mocker.return_success("v")
            repo.load_sync("a")
            repo.load_sync("b")
        assert failure_message(mocker.assert_has_calls, [call("b"), call("a")]) == (
            "expected Repo.load_sync to have the calls (in this order, one after the other):\n"
            "  1. load_sync('b')\n"
            "  2. load_sync('a')\n"
            "calls made:\n"
            "  1. load_sync('a')\n"
            "  2. load_sync('b')"
        )

    def test_any_order_missing_call(self) -> None:
        with mock_result_service(repo, "load_sync") as mocker:
            mocker.return_success("v")
        message = failure_message(mocker.assert_has_calls, [call("z")], any_order=True)
        assert message == (
            "expected Repo.load_sync to have the calls (in any order):\n"
            "  1. load_sync('z')\n"
            "it was not called"
        )


class TestAwaits:
    """A call whose coroutine was never awaited is told apart from an awaited one."""

    @pytest.mark.asyncio
    async def test_awaited_calls_are_counted(self) -> None:
        with mock_result_service(repo, "load") as mocker:
            mocker.return_success("v")
            mocker.assert_not_awaited()
            assert await repo.load("a", fresh=True) == Success("v")
        assert mocker.await_count == 1
        mocker.assert_awaited()
        mocker.assert_awaited_once()
        mocker.assert_awaited_with("a", fresh=True)
        mocker.assert_awaited_once_with(key="a", fresh=True)
        assert mocker.await_args == call("a", fresh=True)
        assert mocker.await_args_list == [call("a", fresh=True)]

    @pytest.mark.asyncio
    async def test_a_call_never_awaited_is_named(self) -> None:
        with mock_result_service(repo, "load") as mocker:
            mocker.return_success("v")
            await repo.load("a")
            pending = repo.load("b")
        assert mocker.call_count == 2
        assert mocker.await_count == 1
        message = failure_message(mocker.assert_awaited_with, "b")
        assert message == (
            "the last await of Repo.load had different arguments\n"
            "expected: load('b')\n"
            "actual:   load('a')\n"
            "(it was called 2 times, and the coroutine of call 2 was never awaited)"
        )
        await pending
        assert mocker.await_count == 2

    def test_not_awaited_at_all(self) -> None:
        with mock_result_service(repo, "load") as mocker:
            mocker.return_success("v")
            pending = repo.load("a")
        expected = (
            "expected Repo.load to be awaited; it was not awaited; it was called 1 time, "
            "and the coroutine of call 1 was never awaited"
        )
        assert failure_message(mocker.assert_awaited) == expected
        assert failure_message(mocker.assert_awaited_once) == expected.replace(
            "awaited;", "awaited once;", 1
        )
        assert failure_message(mocker.assert_awaited_once_with, "a") == (
            "expected Repo.load to be awaited once with load('a'); it was not awaited; it was "
            "called 1 time, and the coroutine of call 1 was never awaited"
        )
        assert failure_message(mocker.assert_awaited_with, "a") == (
            "expected Repo.load to be awaited with load('a'); it was not awaited; it was "
            "called 1 time, and the coroutine of call 1 was never awaited"
        )
        pending.close()

    @pytest.mark.asyncio
    async def test_last_await_differs(self) -> None:
        with mock_result_service(repo, "load") as mocker:
            mocker.return_success("v")
            await repo.load("a")
            await repo.load("b")
        assert failure_message(mocker.assert_awaited_with, "a") == (
            "the last await of Repo.load had different arguments\n"
            "expected: load('a')\n"
            "actual:   load('b')"
        )

    @pytest.mark.asyncio
    async def test_awaited_too_often(self) -> None:
        with mock_result_service(repo, "load") as mocker:
            mocker.return_success("v")
            await repo.load("a")
            await repo.load("b")
        listing = "\n  1. load('a')\n  2. load('b')"
        assert failure_message(mocker.assert_awaited_once) == (
            f"expected Repo.load to be awaited once; it was awaited 2 times:{listing}"
        )
        assert failure_message(mocker.assert_not_awaited) == (
            f"expected Repo.load not to be awaited; it was awaited 2 times:{listing}"
        )

    @pytest.mark.asyncio
    async def test_a_mono_counts_as_awaited_when_it_runs(self) -> None:
        with mock_result_service(repo, "load_mono") as mocker:
            mocker.return_success("v")
            mono = repo.load_mono("a")
            mocker.assert_not_awaited()
            assert await mono == Success("v")
        mocker.assert_awaited_once_with("a")

    def test_a_sync_method_has_nothing_to_await(self) -> None:
        with mock_result_service(repo, "load_sync") as mocker:
            mocker.return_success("v")
            repo.load_sync("a")
        assert failure_message(mocker.assert_awaited) == (
            "expected Repo.load_sync to be awaited; it was not awaited; Repo.load_sync is not "
            "async: its calls give nothing to await"
        )

    @pytest.mark.asyncio
    async def test_reset_calls_forgets_awaits(self) -> None:
        with mock_result_service(repo, "load") as mocker:
            mocker.return_success("v")
            await repo.load("a")
            mocker.reset_calls()
        assert (mocker.call_count, mocker.await_count) == (0, 0)
