"""Specification of pytest_rfs.assertions: assert_result_*, assert_mono_result_*, messages."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from typing import Any

# Kept in sys.modules for pytester's in-process runs (see test_plugin.py).
import hypothesis  # noqa: F401
import pytest
import result as rustedpy
from returns.result import Failure as RFailure
from returns.result import Result as RResult
from returns.result import Success as RSuccess

from pytest_rfs.assertions import (
    assert_flux_result_stats,
    assert_mono_result_error,
    assert_mono_result_success,
    assert_mono_result_timeout,
    assert_result_error,
    assert_result_success,
)
from pytest_rfs.explain import describe_value
from rfs_monitoring import (
    APIError,
    ConfigurationError,
    ErrorCode,
    Failure,
    FluxResult,
    MonoResult,
    Result,
    ResultTimeoutError,
    Success,
)


@dataclasses.dataclass
class User:
    user_id: str


@dataclasses.dataclass
class UserResponse:
    user_id: str


NOT_FOUND = APIError.not_found("user", "123")
NOT_FOUND_TEXT = (
    "APIError(code=NOT_FOUND, message='user 123 not found', "
    "details={'resource': 'user', 'id': '123'})"
)


def failure_message(fn: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(AssertionError) as info:
        fn(*args, **kwargs)
    return str(info.value)


async def async_failure_message(fn: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(AssertionError) as info:
        await fn(*args, **kwargs)
    return str(info.value)


# --------------------------------------------------------------------------- assert_result_success


class TestAssertResultSuccess:
    def test_returns_the_value(self) -> None:
        assert assert_result_success(Success(User("1")), User) == User("1")

    def test_failure_message_shows_the_whole_error(self) -> None:
        message = failure_message(assert_result_success, Failure(NOT_FOUND), UserResponse)
        assert message == f"expected Success(UserResponse), got Failure({NOT_FOUND_TEXT})"

    def test_failure_without_type(self) -> None:
        assert failure_message(assert_result_success, Failure("boom")) == (
            "expected Success, got Failure('boom')"
        )

    def test_exception_error_is_chained_as_cause(self) -> None:
        error = ValueError("bad")
        with pytest.raises(AssertionError) as info:
            assert_result_success(Failure(error))
        assert info.value.__cause__ is error
        assert str(info.value) == "expected Success, got Failure(ValueError('bad'))"

    def test_wrong_type(self) -> None:
        message = failure_message(assert_result_success, Success(User("1")), UserResponse)
        assert message == (
            "expected Success(UserResponse), got Success(User(user_id='1')): "
            "the value is a User, not a UserResponse"
        )

    def test_tuple_of_types(self) -> None:
        assert assert_result_success(Success(1), (str, int)) == 1
        message = failure_message(assert_result_success, Success(1.5), (str, int))
        assert message == (
            "expected Success(str | int), got Success(1.5): the value is a float, not a str | int"
        )

    def test_value_diff(self) -> None:
        message = failure_message(assert_result_success, Success({"a": 1}), value={"a": 2})
        assert message == (
            "Success value differs from the expected value (-expected +actual):\n"
            "- {'a': 2}\n"
            "?       ^\n"
            "+ {'a': 1}\n"
            "?       ^"
        )

    def test_value_diff_str_vs_int(self) -> None:
        message = failure_message(assert_result_success, Success("1"), value=1)
        assert message == (
            "Success value differs from the expected value (-expected +actual):\n- 1\n+ '1'"
        )

    def test_value_same_repr_but_unequal(self) -> None:
        class Opaque:
            def __repr__(self) -> str:
                return "Opaque"

        message = failure_message(assert_result_success, Success(Opaque()), value=Opaque())
        assert message == (
            "Success value differs from the expected value (-expected +actual):\n"
            "  Opaque\n"
            "(same repr, but they compare unequal: expected is an Opaque, actual is an Opaque)"
        )

    def test_value_equal_passes(self) -> None:
        assert assert_result_success(Success([1, 2]), value=[1, 2]) == [1, 2]

    def test_matches_predicate(self) -> None:
        def is_admin(user: User) -> bool:
            return user.user_id == "admin"

        assert assert_result_success(Success(User("admin")), matches=is_admin) == User("admin")
        message = failure_message(assert_result_success, Success(User("1")), matches=is_admin)
        assert message == (
            "Success value User(user_id='1') does not satisfy "
            "TestAssertResultSuccess.test_matches_predicate.<locals>.is_admin"
        )

    def test_matches_mapping_of_attributes(self) -> None:
        assert_result_success(Success(User("1")), matches={"user_id": "1"})
        message = failure_message(
            assert_result_success, Success(User("1")), matches={"user_id": "2", "email": "x"}
        )
        assert message == (
            "Success value User(user_id='1') does not match:\n"
            "  user_id: expected '2', got '1'\n"
            "  email: missing (expected 'x')"
        )

    def test_matches_mapping_of_keys(self) -> None:
        assert_result_success(Success({"id": 1}), matches={"id": 1})
        message = failure_message(assert_result_success, Success({"id": 1}), matches={"x": 1})
        assert message == "Success value {'id': 1} does not match:\n  x: missing (expected 1)"

    def test_matches_bad_argument(self) -> None:
        with pytest.raises(TypeError, match=r"^matches must be a predicate"):
            assert_result_success(Success(1), matches=5)  # type: ignore[arg-type]

    def test_bad_expected_type(self) -> None:
        with pytest.raises(
            TypeError, match=r"^expected_type must be a type or a tuple of types, got 'User'$"
        ):
            assert_result_success(Success(1), "User")  # type: ignore[arg-type]

    def test_not_a_result(self) -> None:
        assert failure_message(assert_result_success, 5) == (
            "expected Success, got int: 5 (not a Result)"
        )

    def test_a_mono_needs_awaiting(self) -> None:
        message = failure_message(assert_result_success, MonoResult.from_value(1))
        assert message == (
            "expected Success, got a MonoResult: await it first, or use "
            "assert_mono_result_success() / assert_mono_result_error()"
        )

    def test_a_coroutine_needs_awaiting(self) -> None:
        async def fetch() -> Result[int, str]:
            return Success(1)

        message = failure_message(assert_result_success, fetch())
        assert message == "expected Success, got an awaitable (coroutine): did you forget await?"

    def test_other_awaitable(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            future = loop.create_future()
            message = failure_message(assert_result_success, future)
        finally:
            loop.close()
        assert message == "expected Success, got an awaitable (Future): did you forget await?"

    def test_long_values_are_shortened(self) -> None:
        message = failure_message(assert_result_success, Failure("x" * 1000))
        assert message.endswith("...)")
        assert len(message) < 520

    def test_broken_repr(self) -> None:
        class Broken:
            def __repr__(self) -> str:
                raise RuntimeError("no repr")

        assert describe_value(Broken()) == (
            "<Broken object (repr() raised RuntimeError('no repr'))>"
        )

    def test_helpers_hide_their_frames(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(
            """
            from pytest_rfs import assert_result_success
            from rfs_monitoring import Failure

            def test_points_at_the_user_line():
                assert_result_success(Failure("nope"))
            """
        )
        result = pytester.runpytest_inprocess(
            "-p", "no:cacheprovider", "-o", "asyncio_default_fixture_loop_scope=function"
        )
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(
            [
                '>       assert_result_success(Failure("nope"))',
                "E       AssertionError: expected Success, got Failure('nope')",
            ]
        )
        result.stdout.no_fnmatch_line("*pytest_rfs/assertions.py*")


# --------------------------------------------------------------------------- assert_result_error


class TestAssertResultError:
    def test_returns_the_error(self) -> None:
        assert assert_result_error(Failure(NOT_FOUND), APIError) is NOT_FOUND

    def test_success_message(self) -> None:
        message = failure_message(assert_result_error, Success(User("1")), APIError)
        assert message == "expected Failure(APIError), got Success(User(user_id='1'))"

    def test_success_without_type(self) -> None:
        assert failure_message(assert_result_error, Success(1)) == (
            "expected Failure, got Success(1)"
        )

    def test_wrong_error_type(self) -> None:
        message = failure_message(assert_result_error, Failure(KeyError("k")), APIError)
        assert message == (
            "expected Failure(APIError), got Failure(KeyError('k')): "
            "the error is a KeyError, not an APIError"
        )

    def test_code(self) -> None:
        assert assert_result_error(Failure(NOT_FOUND), code=ErrorCode.NOT_FOUND) is NOT_FOUND
        assert assert_result_error(Failure(NOT_FOUND), code="NOT_FOUND") is NOT_FOUND
        message = failure_message(
            assert_result_error, Failure(NOT_FOUND), APIError, code=ErrorCode.CONFLICT
        )
        assert message == (
            f"expected Failure(APIError, code=CONFLICT), got Failure({NOT_FOUND_TEXT}): "
            "the error has code NOT_FOUND"
        )

    def test_error_code_given_as_type(self) -> None:
        assert assert_result_error(Failure(NOT_FOUND), ErrorCode.NOT_FOUND) is NOT_FOUND

    def test_code_missing(self) -> None:
        message = failure_message(assert_result_error, Failure("plain"), code="NOT_FOUND")
        assert message == (
            "expected Failure(code=NOT_FOUND), got Failure('plain'): the error has no code"
        )

    def test_message_contains(self) -> None:
        assert_result_error(Failure(NOT_FOUND), message_contains="not found")
        assert_result_error(Failure(ValueError("bad input")), message_contains="bad")
        message = failure_message(
            assert_result_error, Failure(NOT_FOUND), message_contains="forbidden"
        )
        assert message == (
            f"expected Failure(message containing 'forbidden'), got Failure({NOT_FOUND_TEXT}): "
            "the error message 'user 123 not found' does not contain it"
        )

    def test_bad_expected_error_type(self) -> None:
        with pytest.raises(TypeError, match=r"^expected_error_type must be a type"):
            assert_result_error(Failure(1), ())


# --------------------------------------------------------------------------- flux


class TestAssertFluxResultStats:
    def test_counts_match(self) -> None:
        flux = FluxResult.from_results([Success(1), Failure("x"), Success(2)])
        assert assert_flux_result_stats(flux, expected_success=2, expected_failures=1) is flux

    def test_plain_iterable_of_foreign_results(self) -> None:
        batch = assert_flux_result_stats(
            [RSuccess(1), rustedpy.Err("e")], expected_success=1, expected_failures=1
        )
        assert batch.errors() == ["e"]

    def test_message_lists_the_results(self) -> None:
        flux = FluxResult.from_results([Success(1), Failure("x")])
        message = failure_message(
            assert_flux_result_stats, flux, expected_success=2, expected_failures=0
        )
        assert message == (
            "expected 2 successes and 0 failures, got 1 success and 1 failure:\n"
            "  [0] Success(1)\n"
            "  [1] Failure('x')"
        )

    def test_long_batches_are_cut(self) -> None:
        flux = FluxResult.from_values(range(25))
        message = failure_message(
            assert_flux_result_stats, flux, expected_success=0, expected_failures=1
        )
        assert message.splitlines()[0] == (
            "expected 0 successes and 1 failure, got 25 successes and 0 failures:"
        )
        assert message.splitlines()[-1] == "  ... and 5 more"

    def test_counts_by_position_are_refused_naming_the_keywords(self) -> None:
        flux = FluxResult.from_values([1])
        with pytest.raises(TypeError) as info:
            assert_flux_result_stats(flux, 1, 0)
        assert str(info.value) == (
            "assert_flux_result_stats() takes the counts by keyword, got 1, 0 by position; "
            "write assert_flux_result_stats(flux, expected_success=2, expected_failures=1)"
        )

    def test_a_missing_count_is_named(self) -> None:
        with pytest.raises(TypeError) as info:
            assert_flux_result_stats([], expected_success=0)
        assert str(info.value) == (
            "assert_flux_result_stats() needs expected_failures=...; "
            "write assert_flux_result_stats(flux, expected_success=2, expected_failures=1)"
        )

    @pytest.mark.parametrize("bad", [-1, 1.0, True, "1"])
    def test_a_count_that_is_no_int_is_refused(self, bad: object) -> None:
        with pytest.raises(TypeError) as info:
            assert_flux_result_stats([], expected_success=bad, expected_failures=0)  # type: ignore[arg-type]
        assert str(info.value) == (
            f"assert_flux_result_stats() expects expected_success to be an int >= 0, got {bad!r}"
        )


# --------------------------------------------------------------------------- mono assertions


async def slow_value(seconds: float) -> Result[str, str]:
    await asyncio.sleep(seconds)
    return Success("late")


class TestMonoAssertions:
    @pytest.mark.asyncio
    async def test_success(self) -> None:
        assert await assert_mono_result_success(MonoResult.from_value(3), int, value=3) == 3

    @pytest.mark.asyncio
    async def test_success_of_a_plain_awaitable_and_a_result(self) -> None:
        assert await assert_mono_result_success(slow_value(0)) == "late"
        assert await assert_mono_result_success(Success(1)) == 1

    @pytest.mark.asyncio
    async def test_a_value_that_is_no_result_is_named(self) -> None:
        async def plain() -> int:
            return 5

        message = await async_failure_message(assert_mono_result_success, plain())
        assert message == "expected Success, got int: 5 (not a Result)"
        message = await async_failure_message(assert_mono_result_error, 5)
        assert message == "expected Failure, got int: 5 (not a Result)"

    @pytest.mark.asyncio
    async def test_an_awaitable_of_a_mono_is_run(self) -> None:
        async def deferred() -> MonoResult[int, str]:
            return MonoResult.from_value(4)

        assert await assert_mono_result_success(deferred(), int) == 4

    @pytest.mark.asyncio
    async def test_success_failure_message(self) -> None:
        message = await async_failure_message(
            assert_mono_result_success, MonoResult.from_error(NOT_FOUND), User
        )
        assert message == f"expected Success(User), got Failure({NOT_FOUND_TEXT})"

    @pytest.mark.asyncio
    async def test_error(self) -> None:
        mono = MonoResult.from_error(NOT_FOUND)
        assert await assert_mono_result_error(mono, APIError, code="NOT_FOUND") is NOT_FOUND

    @pytest.mark.asyncio
    async def test_error_message(self) -> None:
        message = await async_failure_message(
            assert_mono_result_error, MonoResult.from_value(1), code=ErrorCode.TIMEOUT
        )
        assert message == "expected Failure(code=TIMEOUT), got Success(1)"


ELAPSED = r"\d+\.\d{3}"


class TestAssertMonoResultTimeout:
    @pytest.mark.asyncio
    async def test_a_real_timeout_passes(self) -> None:
        mono = MonoResult.from_async_result(lambda: slow_value(10)).timeout(0.05)
        error = await assert_mono_result_timeout(mono, 0.05)
        assert error == ResultTimeoutError(0.05)

    @pytest.mark.asyncio
    async def test_fails_when_the_mono_does_not_time_out(self) -> None:
        mono = MonoResult.from_async_result(lambda: slow_value(0)).timeout(1.0)
        message = await async_failure_message(assert_mono_result_timeout, mono, 1.0)
        assert re.fullmatch(
            rf"expected the MonoResult to time out after 1 s, got Success\('late'\) "
            rf"after {ELAPSED} s",
            message,
        ), message

    @pytest.mark.asyncio
    async def test_fails_on_another_failure(self) -> None:
        message = await async_failure_message(
            assert_mono_result_timeout, MonoResult.from_error(NOT_FOUND), 1.0
        )
        assert re.fullmatch(
            rf"expected the MonoResult to time out after 1 s, got Failure\(.*\) after "
            rf"{ELAPSED} s, which is not a timeout",
            message,
        ), message

    @pytest.mark.asyncio
    async def test_fails_when_it_times_out_much_earlier(self) -> None:
        mono = MonoResult.from_error(ResultTimeoutError(2.0))
        message = await async_failure_message(assert_mono_result_timeout, mono, 2.0)
        assert re.fullmatch(
            rf"expected the MonoResult to time out after 2 s, but it timed out after "
            rf"{ELAPSED} s, earlier than allowed \(1\.800 s to 2\.700 s\): "
            r"Failure\(ResultTimeoutError\(seconds=2\.0, operation=None\)\)",
            message,
        ), message

    @pytest.mark.asyncio
    async def test_fails_when_it_times_out_much_later(self) -> None:
        async def late_timeout() -> Result[Any, Any]:
            await asyncio.sleep(0.2)
            return Failure(APIError.timeout())

        message = await async_failure_message(
            assert_mono_result_timeout,
            MonoResult.from_async_result(late_timeout),
            0.01,
            slack_seconds=0,
        )
        assert re.fullmatch(
            rf"expected the MonoResult to time out after 0\.01 s, but it timed out after "
            rf"{ELAPSED} s, later than allowed \(0\.009 s to 0\.011 s\): Failure\(.*TIMEOUT.*\)",
            message,
        ), message

    @pytest.mark.asyncio
    async def test_asyncio_timeout_error_counts(self) -> None:
        async def times_out() -> Result[Any, Any]:
            await asyncio.sleep(0.02)
            return Failure(asyncio.TimeoutError())

        error = await assert_mono_result_timeout(times_out(), 0.02)
        assert isinstance(error, asyncio.TimeoutError)

    @pytest.mark.asyncio
    @pytest.mark.parametrize(
        ("kwargs", "expected"),
        [
            ({"timeout_seconds": 0}, "timeout_seconds must be a finite number of seconds > 0"),
            ({"timeout_seconds": True}, "timeout_seconds must be a finite number"),
            ({"timeout_seconds": 1, "tolerance": -1}, "tolerance must be a finite number"),
            ({"timeout_seconds": 1, "slack_seconds": float("inf")}, "slack_seconds must be"),
        ],
    )
    async def test_bad_arguments(self, kwargs: dict[str, Any], expected: str) -> None:
        with pytest.raises(ConfigurationError, match=re.escape(expected)):
            await assert_mono_result_timeout(MonoResult.from_value(1), **kwargs)


# --------------------------------------------------------------------------- other libraries


class TestOtherResultLibraries:
    """Every helper takes the Result types of ``returns`` and ``result`` too."""

    def test_returns(self) -> None:
        assert assert_result_success(RSuccess(User("1")), User) == User("1")
        assert assert_result_error(RFailure(NOT_FOUND), APIError, code="NOT_FOUND") is NOT_FOUND
        message = failure_message(assert_result_success, RFailure(NOT_FOUND), User)
        assert message == f"expected Success(User), got Failure({NOT_FOUND_TEXT})"
        assert_flux_result_stats(
            [RSuccess(1), RFailure("x")], expected_success=1, expected_failures=1
        )

    def test_rustedpy_result(self) -> None:
        assert assert_result_success(rustedpy.Ok(5), int, value=5) == 5
        assert assert_result_error(rustedpy.Err("boom"), str, message_contains="bo") == "boom"
        message = failure_message(assert_result_error, rustedpy.Ok(5))
        assert message == "expected Failure, got Success(5)"

    @pytest.mark.asyncio
    async def test_mono_helpers_with_foreign_awaitables(self) -> None:
        async def returns_result() -> RResult[int, str]:
            return RSuccess(1)

        async def rustedpy_result() -> rustedpy.Result[int, str]:
            return rustedpy.Err("e")

        assert await assert_mono_result_success(returns_result(), int) == 1
        assert await assert_mono_result_error(rustedpy_result(), str) == "e"
