"""The async assertions: ``assert_mono_result_success`` / ``_error`` / ``_timeout``.

Each returns a ``PendingHelper`` (``pytest_rfs.misuse``): a coroutine to await, which fails
the test ("did you forget await?") when it never is.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from pytest_rfs.assertions import (
    MISSING,
    assert_result_error,
    assert_result_success,
    check_seconds,
    error_cause,
    expect_result,
)
from pytest_rfs.explain import describe_result
from pytest_rfs.misuse import PendingHelper, track
from rfs_monitoring.errors import ErrorCode, is_timeout
from rfs_monitoring.mono import MonoResult, settle
from rfs_monitoring.result import is_result_like

__all__ = [
    "assert_mono_result_error",
    "assert_mono_result_success",
    "assert_mono_result_timeout",
]

T = TypeVar("T")

# Python 3.12+ lets a function returning a coroutine declare itself a coroutine function.
_mark: Callable[[Any], Any] = getattr(inspect, "markcoroutinefunction", lambda fn: fn)


async def _settled(value: object) -> object:
    """``settle(value)``, except that a value that is no Result is handed back as it is.

    The assertion then names that value ("got int: 5 (not a Result)") instead of the
    ``ResultAdapterError`` Failure ``settle`` would make of it.
    """
    if inspect.isawaitable(value) and not isinstance(value, MonoResult):
        value = await value
    if isinstance(value, MonoResult) or is_result_like(value):
        return await settle(value)
    return value


async def _assert_mono_result_success(
    mono: MonoResult[Any, Any] | Awaitable[object],
    expected_type: type[T] | tuple[type[Any], ...] | None = None,
    *,
    value: object = MISSING,
    matches: Callable[[Any], object] | Mapping[str, object] | None = None,
) -> Any:
    """Await ``mono`` (a MonoResult or any awaitable of a Result) and assert a Success.

    Same checks and return value as ``assert_result_success``.
    """
    __tracebackhide__ = True
    outcome = await _settled(mono)
    return assert_result_success(outcome, expected_type, value=value, matches=matches)


async def _assert_mono_result_error(
    mono: MonoResult[Any, Any] | Awaitable[object],
    expected_error_type: type[Any] | tuple[type[Any], ...] | ErrorCode | None = None,
    *,
    code: ErrorCode | str | None = None,
    message_contains: str | None = None,
) -> Any:
    """Await ``mono`` (a MonoResult or any awaitable of a Result) and assert a Failure.

    Same checks and return value as ``assert_result_error``.
    """
    __tracebackhide__ = True
    outcome = await _settled(mono)
    return assert_result_error(
        outcome, expected_error_type, code=code, message_contains=message_contains
    )


async def _assert_mono_result_timeout(
    mono: MonoResult[Any, Any] | Awaitable[object],
    timeout_seconds: float,
    *,
    tolerance: float = 0.1,
    slack_seconds: float = 0.5,
) -> Any:
    """Await ``mono`` and assert that it timed out after about ``timeout_seconds``.

    The outcome must be a Failure holding a timeout (a ``TimeoutError`` such as
    ``ResultTimeoutError``, or an error with code TIMEOUT), reached no earlier than
    ``timeout_seconds * (1 - tolerance)`` and no later than
    ``timeout_seconds * (1 + tolerance) + slack_seconds``.

    Returns:
        The timeout error.

    Raises:
        AssertionError: the Mono succeeded, failed otherwise, or timed out too early or late.
        ConfigurationError: a bad ``timeout_seconds``, ``tolerance`` or ``slack_seconds``.
    """
    __tracebackhide__ = True
    timeout = check_seconds(timeout_seconds, "timeout_seconds", allow_zero=False)
    tol = check_seconds(tolerance, "tolerance", allow_zero=True)
    slack = check_seconds(slack_seconds, "slack_seconds", allow_zero=True)
    expected = f"the MonoResult to time out after {timeout:g} s"
    started = time.perf_counter()
    outcome = await _settled(mono)
    elapsed = time.perf_counter() - started
    settled = expect_result(outcome, f"a timeout Failure after {timeout:g} s")
    got = describe_result(settled)
    if settled.is_success():
        msg = f"expected {expected}, got {got} after {elapsed:.3f} s"
        raise AssertionError(msg)
    error = settled.unwrap_error()
    if not is_timeout(error):
        msg = f"expected {expected}, got {got} after {elapsed:.3f} s, which is not a timeout"
        raise AssertionError(msg) from error_cause(error)
    low, high = timeout * (1 - tol), timeout * (1 + tol) + slack
    if not low <= elapsed <= high:
        when = "earlier" if elapsed < low else "later"
        msg = (
            f"expected {expected}, but it timed out after {elapsed:.3f} s, {when} than allowed "
            f"({low:.3f} s to {high:.3f} s): {got}"
        )
        raise AssertionError(msg)
    return error


@_mark
def assert_mono_result_success(
    mono: MonoResult[Any, Any] | Awaitable[object],
    expected_type: type[T] | tuple[type[Any], ...] | None = None,
    *,
    value: object = MISSING,
    matches: Callable[[Any], object] | Mapping[str, object] | None = None,
) -> PendingHelper[Any]:
    """Await ``mono`` (a MonoResult or any awaitable of a Result) and assert a Success.

    Same checks and return value as ``assert_result_success``; to be awaited.
    """
    coro = _assert_mono_result_success(mono, expected_type, value=value, matches=matches)
    return track(coro, "assert_mono_result_success")


@_mark
def assert_mono_result_error(
    mono: MonoResult[Any, Any] | Awaitable[object],
    expected_error_type: type[Any] | tuple[type[Any], ...] | ErrorCode | None = None,
    *,
    code: ErrorCode | str | None = None,
    message_contains: str | None = None,
) -> PendingHelper[Any]:
    """Await ``mono`` (a MonoResult or any awaitable of a Result) and assert a Failure.

    Same checks and return value as ``assert_result_error``; to be awaited.
    """
    coro = _assert_mono_result_error(
        mono, expected_error_type, code=code, message_contains=message_contains
    )
    return track(coro, "assert_mono_result_error")


@_mark
def assert_mono_result_timeout(
    mono: MonoResult[Any, Any] | Awaitable[object],
    timeout_seconds: float,
    *,
    tolerance: float = 0.1,
    slack_seconds: float = 0.5,
) -> PendingHelper[Any]:
    """Await ``mono`` and assert that it timed out after about ``timeout_seconds``.

    The outcome must be a Failure holding a timeout (a ``TimeoutError`` such as
    ``ResultTimeoutError``, or an error with code TIMEOUT), reached no earlier than
    ``timeout_seconds * (1 - tolerance)`` and no later than
    ``timeout_seconds * (1 + tolerance) + slack_seconds``; to be awaited.

    Returns:
        (once awaited) The timeout error.

    Raises:
        AssertionError: the Mono succeeded, failed otherwise, or timed out too early or late.
        ConfigurationError: a bad ``timeout_seconds``, ``tolerance`` or ``slack_seconds``.
    """
    coro = _assert_mono_result_timeout(
        mono, timeout_seconds, tolerance=tolerance, slack_seconds=slack_seconds
    )
    return track(coro, "assert_mono_result_timeout")
