"""Result-aware assertions: ``assert_result_*``, batch counts (async ones: ``mono_assertions``).

Assertions take any Result (``rfs_monitoring``, ``returns``, ``result``, ``rfs-framework``)
and fail with messages that show the whole outcome::

    expected Success(UserResponse), got Failure(APIError(code=NOT_FOUND, message=..., details=...))

Each sets ``__tracebackhide__`` so that a failure points at the user's line.
"""

from __future__ import annotations

import difflib
import enum
import inspect
import math
import pprint
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from pytest_rfs.explain import a_type, describe_result, describe_value, plural, type_names
from rfs_monitoring.errors import (
    ConfigurationError,
    ErrorCode,
    ResultAdapterError,
    code_text,
)
from rfs_monitoring.flux import FluxResult
from rfs_monitoring.mono import MonoResult
from rfs_monitoring.result import Result, to_result

__all__ = [
    "MISSING",
    "assert_flux_result_stats",
    "assert_result_error",
    "assert_result_success",
    "check_seconds",
    "error_cause",
    "expect_result",
]

T = TypeVar("T")
E = TypeVar("E")

Matches: typing.TypeAlias = "Callable[[Any], object] | Mapping[str, object] | None"


class _Missing(enum.Enum):
    MISSING = enum.auto()


MISSING: typing.Final = _Missing.MISSING
"""Default of ``value=``: no expected value given."""
_MAX_LISTED = 20


def _check_type_arg(expected: object, argument: str) -> None:
    items = expected if isinstance(expected, tuple) else (expected,)
    if not items or not all(isinstance(t, type) for t in items):
        msg = f"{argument} must be a type or a tuple of types, got {expected!r}"
        raise TypeError(msg)


def _error_message(error: object) -> str:
    message = getattr(error, "message", None)
    return message if isinstance(message, str) else str(error)


def _diff(expected: object, actual: object) -> str:
    exp_lines = pprint.pformat(expected, width=88).splitlines()
    act_lines = pprint.pformat(actual, width=88).splitlines()
    lines = [line.rstrip() for line in difflib.ndiff(exp_lines, act_lines)]
    text = "\n".join(lines)
    if exp_lines == act_lines:
        text += (
            f"\n(same repr, but they compare unequal: expected is {a_type(type(expected))},"
            f" actual is {a_type(type(actual))})"
        )
    return text


def expect_result(value: object, expected: str) -> Result[Any, Any]:
    """``value`` as a Result; an AssertionError naming ``expected`` when it is none."""
    __tracebackhide__ = True
    if isinstance(value, MonoResult):
        msg = (
            f"expected {expected}, got a MonoResult: await it first, or use "
            "assert_mono_result_success() / assert_mono_result_error()"
        )
        raise AssertionError(msg)
    if inspect.isawaitable(value):
        if inspect.iscoroutine(value):
            value.close()  # no "coroutine was never awaited" warning on top of this failure
        msg = (
            f"expected {expected}, got an awaitable ({type(value).__name__}): did you forget await?"
        )
        raise AssertionError(msg)
    try:
        return to_result(value)
    except ResultAdapterError:
        kind = type(value).__name__
        msg = f"expected {expected}, got {kind}: {describe_value(value)} (not a Result)"
        raise AssertionError(msg) from None


def error_cause(error: object) -> BaseException | None:
    """``error`` when it is an exception (to chain it to the AssertionError), else None."""
    return error if isinstance(error, BaseException) else None


# --------------------------------------------------------------------------- assertions


def _check_matches(value: object, matches: object) -> None:
    __tracebackhide__ = True
    if isinstance(matches, Mapping):
        problems: list[str] = []
        for field, wanted in matches.items():
            if isinstance(value, Mapping):
                present, got = field in value, value.get(field)
            else:
                present, got = hasattr(value, field), getattr(value, field, None)
            if not present:
                problems.append(f"  {field}: missing (expected {wanted!r})")
            elif got != wanted:
                problems.append(f"  {field}: expected {wanted!r}, got {got!r}")
        if problems:
            detail = "\n".join(problems)
            msg = f"Success value {describe_value(value)} does not match:\n{detail}"
            raise AssertionError(msg)
        return
    if not callable(matches):
        msg = (
            "matches must be a predicate (value -> bool) or a mapping of field -> expected "
            f"value, got {type(matches).__name__}: {matches!r}"
        )
        raise TypeError(msg)
    if not matches(value):
        name = getattr(matches, "__qualname__", None) or repr(matches)
        msg = f"Success value {describe_value(value)} does not satisfy {name}"
        raise AssertionError(msg)


@typing.overload
def assert_result_success(
    result: Result[T, Any],
    expected_type: None = None,
    *,
    value: object = MISSING,
    matches: Matches = None,
) -> T: ...


@typing.overload
def assert_result_success(
    result: object,
    expected_type: type[T],
    *,
    value: object = MISSING,
    matches: Matches = None,
) -> T: ...


@typing.overload
def assert_result_success(
    result: object,
    expected_type: tuple[type[Any], ...] | None = None,
    *,
    value: object = MISSING,
    matches: Matches = None,
) -> Any: ...


def assert_result_success(
    result: object,
    expected_type: type[T] | tuple[type[Any], ...] | None = None,
    *,
    value: object = MISSING,
    matches: Callable[[Any], object] | Mapping[str, object] | None = None,
) -> Any:
    """Assert that ``result`` is a Success and return its value.

    Args:
        result: a Result of any supported library.
        expected_type: the value must be an instance of this type (or one of these types).
        value: the value must equal this.
        matches: a predicate the value must satisfy, or a mapping of attribute (or key)
            names to the values they must equal.

    Returns:
        The unwrapped success value.

    Raises:
        AssertionError: naming what was expected and showing what the Result holds.
    """
    __tracebackhide__ = True
    if expected_type is not None:
        _check_type_arg(expected_type, "expected_type")
    expected = f"Success({type_names(expected_type)})" if expected_type is not None else "Success"
    settled = expect_result(result, expected)
    if settled.is_failure():
        error = settled.unwrap_error()
        msg = f"expected {expected}, got {describe_result(settled)}"
        raise AssertionError(msg) from error_cause(error)
    got = settled.unwrap()
    if expected_type is not None and not isinstance(got, expected_type):
        msg = (
            f"expected {expected}, got {describe_result(settled)}: the value is "
            f"{a_type(type(got))}, not {a_type(expected_type)}"
        )
        raise AssertionError(msg)
    if value is not MISSING and not bool(got == value):
        diff = _diff(value, got)
        msg = f"Success value differs from the expected value (-expected +actual):\n{diff}"
        raise AssertionError(msg)
    if matches is not None:
        _check_matches(got, matches)
    return got


@typing.overload
def assert_result_error(
    result: Result[Any, E],
    expected_error_type: ErrorCode | None = None,
    *,
    code: ErrorCode | str | None = None,
    message_contains: str | None = None,
) -> E: ...


@typing.overload
def assert_result_error(
    result: object,
    expected_error_type: type[E],
    *,
    code: ErrorCode | str | None = None,
    message_contains: str | None = None,
) -> E: ...


@typing.overload
def assert_result_error(
    result: object,
    expected_error_type: tuple[type[Any], ...] | ErrorCode | None = None,
    *,
    code: ErrorCode | str | None = None,
    message_contains: str | None = None,
) -> Any: ...


def assert_result_error(
    result: object,
    expected_error_type: type[Any] | tuple[type[Any], ...] | ErrorCode | None = None,
    *,
    code: ErrorCode | str | None = None,
    message_contains: str | None = None,
) -> Any:
    """Assert that ``result`` is a Failure and return its error.

    Args:
        result: a Result of any supported library.
        expected_error_type: the error must be an instance of this type (an ErrorCode
            here is taken as ``code=``).
        code: the error's ``code`` attribute must equal this (ErrorCode or its string).
        message_contains: the error's ``message`` (or ``str(error)``) must contain this.

    Returns:
        The error held by the Failure.

    Raises:
        AssertionError: naming what was expected and showing what the Result holds.
    """
    __tracebackhide__ = True
    if isinstance(expected_error_type, ErrorCode):
        code, expected_error_type = code or expected_error_type, None
    if expected_error_type is not None:
        _check_type_arg(expected_error_type, "expected_error_type")
    parts: list[str] = []
    if expected_error_type is not None:
        parts.append(type_names(expected_error_type))
    if code is not None:
        parts.append(f"code={code_text(code)}")
    if message_contains is not None:
        parts.append(f"message containing {message_contains!r}")
    expected = f"Failure({', '.join(parts)})" if parts else "Failure"
    settled = expect_result(result, expected)
    got = describe_result(settled)
    if settled.is_success():
        msg = f"expected {expected}, got {got}"
        raise AssertionError(msg)
    error = settled.unwrap_error()
    if expected_error_type is not None and not isinstance(error, expected_error_type):
        msg = (
            f"expected {expected}, got {got}: the error is {a_type(type(error))}, "
            f"not {a_type(expected_error_type)}"
        )
        raise AssertionError(msg) from error_cause(error)
    if code is not None:
        actual_code = getattr(error, "code", None)
        if actual_code is None or code_text(actual_code) != code_text(code):
            has = "has no code" if actual_code is None else f"has code {code_text(actual_code)}"
            msg = f"expected {expected}, got {got}: the error {has}"
            raise AssertionError(msg) from error_cause(error)
    if message_contains is not None:
        text = _error_message(error)
        if message_contains not in text:
            msg = f"expected {expected}, got {got}: the error message {text!r} does not contain it"
            raise AssertionError(msg) from error_cause(error)
    return error


def assert_flux_result_stats(
    flux: FluxResult[Any, Any] | Iterable[object],
    *positional: object,
    expected_success: int | None = None,
    expected_failures: int | None = None,
) -> FluxResult[Any, Any]:
    """Assert how many Successes and Failures a batch holds; returns the batch.

    Args:
        flux: a FluxResult, or an iterable of Results of any supported library.
        expected_success: the number of Successes expected (keyword only).
        expected_failures: the number of Failures expected (keyword only).

    Raises:
        AssertionError: the counts differ (every Result of the batch is listed).
        TypeError: a count given by position, missing, or not an int.
    """
    __tracebackhide__ = True
    expected_success, expected_failures = _check_counts(
        positional, expected_success, expected_failures
    )
    batch = flux if isinstance(flux, FluxResult) else FluxResult(to_result(r) for r in flux)
    got_success, got_failures = batch.count_success(), batch.count_failures()
    if (got_success, got_failures) == (expected_success, expected_failures):
        return batch
    listed = [f"  [{i}] {describe_result(r)}" for i, r in enumerate(batch.results[:_MAX_LISTED])]
    if len(batch) > _MAX_LISTED:
        listed.append(f"  ... and {len(batch) - _MAX_LISTED} more")
    msg = (
        f"expected {plural(expected_success, 'success', 'successes')} and "
        f"{plural(expected_failures, 'failure', 'failures')}, got "
        f"{plural(got_success, 'success', 'successes')} and "
        f"{plural(got_failures, 'failure', 'failures')}:\n" + "\n".join(listed)
    )
    raise AssertionError(msg)


_COUNTS_USAGE = "assert_flux_result_stats(flux, expected_success=2, expected_failures=1)"


def _check_counts(
    positional: tuple[object, ...], success: object, failures: object
) -> tuple[int, int]:
    if positional:
        given = ", ".join(map(repr, positional))
        msg = (
            f"assert_flux_result_stats() takes the counts by keyword, got {given} by position; "
            f"write {_COUNTS_USAGE}"
        )
        raise TypeError(msg)
    for name, count in (("expected_success", success), ("expected_failures", failures)):
        if count is None:
            msg = f"assert_flux_result_stats() needs {name}=...; write {_COUNTS_USAGE}"
            raise TypeError(msg)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            msg = f"assert_flux_result_stats() expects {name} to be an int >= 0, got {count!r}"
            raise TypeError(msg)
    return success, failures  # type: ignore[return-value]


def check_seconds(value: object, argument: str, *, allow_zero: bool) -> float:
    """``value`` as seconds: a finite number, > 0 (or >= 0 with ``allow_zero``).

    Raises:
        ConfigurationError: naming ``argument`` and the value.
    """
    ok = (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and (value >= 0 if allow_zero else value > 0)
    )
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        msg = f"{argument} must be a finite number of seconds {bound}, got {value!r}"
        raise ConfigurationError(msg)
    return float(value)  # type: ignore[arg-type]


_ASYNC_HELPERS = frozenset(
    {"assert_mono_result_error", "assert_mono_result_success", "assert_mono_result_timeout"}
)


def __getattr__(name: str) -> Any:
    """The async helpers, which live in ``mono_assertions`` (it imports this module)."""
    if name in _ASYNC_HELPERS:
        from pytest_rfs import mono_assertions

        return getattr(mono_assertions, name)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
