"""Result-aware assertions and service mocking for tests.

Assertions take any Result (``rfs_monitoring``, ``returns``, ``result``, ``rfs-framework``)
and fail with messages that show the whole outcome::

    expected Success(UserResponse), got Failure(APIError(code=NOT_FOUND, message=..., details=...))

``mock_result_service(target, method_name)`` replaces one method of a service with a
``ResultServiceMocker`` for the duration of a ``with`` block. The mocker mirrors the original
(``async def`` gives an awaitable, a ``-> MonoResult[...]`` annotation gives a MonoResult),
checks each call against the original signature, refuses to answer before it is configured,
records every call and restores the original on exit, also when the block raises.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import enum
import importlib
import inspect
import math
import pprint
import re
import sys
import time
import types
import typing
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Literal, TypeVar

import pytest

from rfs_monitoring.errors import APIError, ConfigurationError, ErrorCode, ResultAdapterError
from rfs_monitoring.flux import FluxResult
from rfs_monitoring.mono import MonoResult
from rfs_monitoring.result import Failure, Result, Success, is_result_like, to_result

__all__ = [
    "ResultServiceMocker",
    "assert_flux_result_stats",
    "assert_mono_result_error",
    "assert_mono_result_success",
    "assert_mono_result_timeout",
    "assert_result_error",
    "assert_result_success",
    "describe_result",
    "describe_value",
    "explain_result_comparison",
    "mock_result_service",
    "register_service",
    "unregister_service",
]

T = TypeVar("T")
E = TypeVar("E")

Matches: typing.TypeAlias = "Callable[[Any], object] | Mapping[str, object] | None"


class _Missing(enum.Enum):
    MISSING = enum.auto()


MISSING: typing.Final = _Missing.MISSING
"""Default of ``value=``: no expected value given."""

_MAX_REPR = 480
_MAX_LISTED = 20

# --------------------------------------------------------------------------- describing


def describe_value(value: object) -> str:
    """A short one-line description of a Result payload (APIError codes shown by name)."""
    if isinstance(value, APIError):
        return (
            f"APIError(code={value.code.value}, message={value.message!r}, "
            f"details={value.details!r})"
        )
    try:
        text = repr(value)
    except Exception as exc:  # noqa: BLE001 - a broken __repr__ must not hide the failure
        text = f"<{type(value).__name__} object (repr() raised {exc!r})>"
    if len(text) > _MAX_REPR:
        text = text[: _MAX_REPR - 3] + "..."
    return text


def describe_result(result: Result[Any, Any]) -> str:
    """``Success(<value>)`` or ``Failure(<error>)`` as shown in failure messages."""
    if result.is_success():
        return f"Success({describe_value(result.unwrap())})"
    return f"Failure({describe_value(result.unwrap_error())})"


def _type_names(expected: type[Any] | tuple[type[Any], ...]) -> str:
    if isinstance(expected, tuple):
        return " | ".join(t.__name__ for t in expected)
    return expected.__name__


def _a(expected: type[Any] | tuple[type[Any], ...]) -> str:
    """``a User`` / ``an APIError`` / ``a User | Admin``."""
    names = _type_names(expected)
    return f"{'an' if names[:1].lower() in 'aeio' else 'a'} {names}"


def _check_type_arg(expected: object, argument: str) -> None:
    items = expected if isinstance(expected, tuple) else (expected,)
    if not items or not all(isinstance(t, type) for t in items):
        msg = f"{argument} must be a type or a tuple of types, got {expected!r}"
        raise TypeError(msg)


def _code_text(code: object) -> str:
    if isinstance(code, enum.Enum):
        return str(code.value)
    return str(code)


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
            f"\n(same repr, but they compare unequal: expected is {_a(type(expected))},"
            f" actual is {_a(type(actual))})"
        )
    return text


def _as_result(value: object, expected: str) -> Result[Any, Any]:
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


def _cause(error: object) -> BaseException | None:
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
    expected = f"Success({_type_names(expected_type)})" if expected_type is not None else "Success"
    settled = _as_result(result, expected)
    if settled.is_failure():
        error = settled.unwrap_error()
        msg = f"expected {expected}, got {describe_result(settled)}"
        raise AssertionError(msg) from _cause(error)
    got = settled.unwrap()
    if expected_type is not None and not isinstance(got, expected_type):
        msg = (
            f"expected {expected}, got {describe_result(settled)}: the value is "
            f"{_a(type(got))}, not {_a(expected_type)}"
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
        parts.append(_type_names(expected_error_type))
    if code is not None:
        parts.append(f"code={_code_text(code)}")
    if message_contains is not None:
        parts.append(f"message containing {message_contains!r}")
    expected = f"Failure({', '.join(parts)})" if parts else "Failure"
    settled = _as_result(result, expected)
    got = describe_result(settled)
    if settled.is_success():
        msg = f"expected {expected}, got {got}"
        raise AssertionError(msg)
    error = settled.unwrap_error()
    if expected_error_type is not None and not isinstance(error, expected_error_type):
        msg = (
            f"expected {expected}, got {got}: the error is {_a(type(error))}, "
            f"not {_a(expected_error_type)}"
        )
        raise AssertionError(msg) from _cause(error)
    if code is not None:
        actual_code = getattr(error, "code", None)
        if actual_code is None or _code_text(actual_code) != _code_text(code):
            has = "has no code" if actual_code is None else f"has code {_code_text(actual_code)}"
            msg = f"expected {expected}, got {got}: the error {has}"
            raise AssertionError(msg) from _cause(error)
    if message_contains is not None:
        text = _error_message(error)
        if message_contains not in text:
            msg = f"expected {expected}, got {got}: the error message {text!r} does not contain it"
            raise AssertionError(msg) from _cause(error)
    return error


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


def assert_flux_result_stats(
    flux: FluxResult[Any, Any] | Iterable[object], expected_success: int, expected_failures: int
) -> FluxResult[Any, Any]:
    """Assert how many Successes and Failures a batch holds; returns the batch.

    Args:
        flux: a FluxResult, or an iterable of Results of any supported library.
        expected_success: the number of Successes expected.
        expected_failures: the number of Failures expected.
    """
    __tracebackhide__ = True
    batch = flux if isinstance(flux, FluxResult) else FluxResult(to_result(r) for r in flux)
    got_success, got_failures = batch.count_success(), batch.count_failures()
    if (got_success, got_failures) == (expected_success, expected_failures):
        return batch
    listed = [f"  [{i}] {describe_result(r)}" for i, r in enumerate(batch.results[:_MAX_LISTED])]
    if len(batch) > _MAX_LISTED:
        listed.append(f"  ... and {len(batch) - _MAX_LISTED} more")
    msg = (
        f"expected {_plural(expected_success, 'success', 'successes')} and "
        f"{_plural(expected_failures, 'failure', 'failures')}, got "
        f"{_plural(got_success, 'success', 'successes')} and "
        f"{_plural(got_failures, 'failure', 'failures')}:\n" + "\n".join(listed)
    )
    raise AssertionError(msg)


async def _await_result(mono: object) -> object:
    if isinstance(mono, MonoResult):
        return await mono.to_result()
    if inspect.isawaitable(mono):
        return await mono
    return mono


async def assert_mono_result_success(
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
    outcome = await _await_result(mono)
    return assert_result_success(outcome, expected_type, value=value, matches=matches)


async def assert_mono_result_error(
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
    outcome = await _await_result(mono)
    return assert_result_error(
        outcome, expected_error_type, code=code, message_contains=message_contains
    )


def _is_timeout(error: object) -> bool:
    if isinstance(error, (TimeoutError, asyncio.TimeoutError)):
        return True
    code = getattr(error, "code", None)
    return code is not None and _code_text(code) == ErrorCode.TIMEOUT.value


def _check_seconds(value: object, argument: str, *, allow_zero: bool) -> float:
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


async def assert_mono_result_timeout(
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
    timeout = _check_seconds(timeout_seconds, "timeout_seconds", allow_zero=False)
    tol = _check_seconds(tolerance, "tolerance", allow_zero=True)
    slack = _check_seconds(slack_seconds, "slack_seconds", allow_zero=True)
    expected = f"the MonoResult to time out after {timeout:g} s"
    started = time.perf_counter()
    outcome = await _await_result(mono)
    elapsed = time.perf_counter() - started
    settled = _as_result(outcome, f"a timeout Failure after {timeout:g} s")
    got = describe_result(settled)
    if settled.is_success():
        msg = f"expected {expected}, got {got} after {elapsed:.3f} s"
        raise AssertionError(msg)
    error = settled.unwrap_error()
    if not _is_timeout(error):
        msg = f"expected {expected}, got {got} after {elapsed:.3f} s, which is not a timeout"
        raise AssertionError(msg) from _cause(error)
    low, high = timeout * (1 - tol), timeout * (1 + tol) + slack
    if not low <= elapsed <= high:
        when = "earlier" if elapsed < low else "later"
        msg = (
            f"expected {expected}, but it timed out after {elapsed:.3f} s, {when} than allowed "
            f"({low:.3f} s to {high:.3f} s): {got}"
        )
        raise AssertionError(msg)
    return error


# --------------------------------------------------------------------------- == explanation


def _library(value: object) -> str:
    root = type(value).__module__.partition(".")[0]
    return {"rfs_monitoring": "rfs_monitoring", "returns": "returns", "result": "result"}.get(
        root, root
    )


def explain_result_comparison(
    left: object, right: object, explain_payload: Callable[[object, object], list[str] | None]
) -> list[str] | None:
    """Lines explaining why ``left == right`` failed for two Results, or None.

    ``explain_payload(a, b)`` gives pytest's own explanation of two payloads (the plugin
    passes its ``pytest_assertrepr_compare`` hook), so dicts, lists and dataclasses inside
    the Results get pytest's usual detailed diff.
    """
    if not (is_result_like(left) and is_result_like(right)):
        return None
    a, b = to_result(left), to_result(right)
    head = f"{describe_value(left)} == {describe_value(right)}"
    if _library(left) != _library(right):
        return [
            head,
            f"the Results come from different libraries ({_library(left)} vs "
            f"{_library(right)}) and never compare equal; convert both with "
            "rfs_monitoring.to_result() to compare their contents",
        ]
    if a.is_success() != b.is_success():
        left_kind = "Success" if a.is_success() else "Failure"
        right_kind = "Success" if b.is_success() else "Failure"
        return [head, f"left is a {left_kind}, right is a {right_kind}"]
    kind, lv, rv = (
        ("Success values", a.unwrap(), b.unwrap())
        if a.is_success()
        else ("Failure errors", a.unwrap_error(), b.unwrap_error())
    )
    lines = [head, f"{kind} differ: {describe_value(lv)} != {describe_value(rv)}"]
    if type(lv) is not type(rv):
        lines.append(f"  (left is {_a(type(lv))}, right is {_a(type(rv))})")
    detail = explain_payload(lv, rv)
    if detail:
        lines.extend(detail[1:])
    return lines


# --------------------------------------------------------------------------- services

_services: dict[str, object] = {}


def register_service(name: str, service: T) -> T:
    """Make ``service`` patchable as ``mock_result_service(name, method)``; returns it."""
    if not isinstance(name, str) or not name:
        msg = f"register_service() expects a non-empty service name, got {name!r}"
        raise ConfigurationError(msg)
    _services[name] = service
    return service


def unregister_service(name: str) -> object | None:
    """Forget a name registered with ``register_service``; returns its service, if any."""
    return _services.pop(name, None)


def _caller_frame() -> types.FrameType | None:
    """The innermost frame outside pytest_rfs: the user code naming a service."""
    frame: types.FrameType | None = sys._getframe(1)
    while frame is not None and (
        frame.f_globals.get("__name__") == "pytest_rfs"
        or str(frame.f_globals.get("__name__", "")).startswith("pytest_rfs.")
    ):
        frame = frame.f_back
    return frame


def _import_path(path: str) -> object:
    parts = path.split(".")
    for size in range(len(parts), 0, -1):
        module_name = ".".join(parts[:size])
        try:
            obj: object = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and module_name.startswith(exc.name):
                continue
            raise
        for attr in parts[size:]:
            obj = getattr(obj, attr)
        return obj
    raise LookupError(path)


def resolve_service(target: object, frame: types.FrameType | None) -> object:
    """The service object named by ``target``.

    A string is looked up, in order, among the names given to ``register_service``, in
    ``frame``'s local and global names (the first dotted part, then attributes), and as
    an import path. Any other value is the service itself.
    """
    if not isinstance(target, str):
        return target
    if target in _services:
        return _services[target]
    head, _, rest = target.partition(".")
    if frame is not None:
        for namespace in (frame.f_locals, frame.f_globals):
            if head in namespace:
                obj = namespace[head]
                try:
                    for attr in rest.split(".") if rest else ():
                        obj = getattr(obj, attr)
                except AttributeError as exc:
                    msg = f"cannot find the service {target!r}: {exc}"
                    raise ConfigurationError(msg) from None
                return obj
    try:
        return _import_path(target)
    except (LookupError, AttributeError):
        module = frame.f_globals.get("__name__", "?") if frame is not None else "?"
        msg = (
            f"cannot find the service {target!r}: it is not registered with register_service(), "
            f"not a name in the calling module {module!r} and not importable; pass the object "
            f"itself, an import path such as 'myapp.services.user_service', or register it with "
            f"register_service({target!r}, service)"
        )
        raise ConfigurationError(msg) from None


def _service_label(target: object) -> str:
    if isinstance(target, str):
        return target
    if isinstance(target, types.ModuleType):
        return target.__name__
    if isinstance(target, type):
        return target.__name__
    return type(target).__name__


# --------------------------------------------------------------------------- method shape

ReturnKind = Literal["result", "mono", "unknown"]
_RESULT_NAMES = frozenset({"Result", "Success", "Failure", "FastAPIResult", "ResultE", "Ok", "Err"})


class MethodShape:
    """What calling the original method gives: awaitable or not, Result / MonoResult, signature."""

    __slots__ = ("annotation", "is_async", "library", "returns", "signature")

    def __init__(
        self,
        *,
        is_async: bool,
        returns: ReturnKind,
        signature: inspect.Signature | None,
        library: str = "rfs_monitoring",
        annotation: str = "Result",
    ) -> None:
        self.is_async = is_async
        self.returns: ReturnKind = returns
        self.signature = signature
        self.library = library
        self.annotation = annotation

    @classmethod
    def of(cls, original: Callable[..., object], *, drop_first: bool = False) -> MethodShape:
        """The shape of ``original``; ``drop_first`` leaves ``self`` out of the signature."""
        known = getattr(original, "_rfs_shape", None)
        if isinstance(known, MethodShape):
            return known
        try:
            signature: inspect.Signature | None = inspect.signature(original)
        except (TypeError, ValueError):
            signature = None
        if signature is not None and drop_first:
            params = list(signature.parameters.values())[1:]
            signature = signature.replace(parameters=params)
        is_async = inspect.iscoroutinefunction(original) or inspect.iscoroutinefunction(
            inspect.unwrap(original)
        )
        returns, library, annotation = _classify_return(original)
        return cls(
            is_async=is_async,
            returns=returns,
            signature=signature,
            library=library,
            annotation=annotation,
        )

    def success(self, value: object) -> object:
        """``value`` wrapped as a Success of the original's Result library."""
        if self.library == "returns":
            from returns.result import Success as RSuccess

            return RSuccess(value)
        if self.library == "result":
            from result import Ok

            return Ok(value)
        return Success(value)

    def failure(self, error: object) -> object:
        """``error`` wrapped as a Failure of the original's Result library."""
        if self.library == "returns":
            from returns.result import Failure as RFailure

            return RFailure(error)
        if self.library == "result":
            from result import Err

            return Err(error)
        return Failure(error)


def _classify_return(fn: Callable[..., object]) -> tuple[ReturnKind, str, str]:
    try:
        annotation: object = typing.get_type_hints(fn).get("return", inspect.Signature.empty)
    except Exception:  # noqa: BLE001 - unresolvable names: fall back to the raw annotation
        try:
            annotation = inspect.signature(fn).return_annotation
        except (TypeError, ValueError):
            annotation = inspect.Signature.empty
    if isinstance(annotation, str):
        head = annotation.strip("'\" ").partition("[")[0].rpartition(".")[2]
        if head == "MonoResult":
            return "mono", "rfs_monitoring", annotation
        if head in _RESULT_NAMES:
            return "result", "rfs_monitoring", annotation
        return "unknown", "rfs_monitoring", annotation
    text = annotation.__name__ if isinstance(annotation, type) else repr(annotation)
    text = re.sub(r"\b(?:[A-Za-z_]\w*\.)+([A-Za-z_]\w*)", r"\1", text)
    origin = typing.get_origin(annotation) or annotation
    is_union = origin is typing.Union or origin is types.UnionType
    candidates = typing.get_args(annotation) if is_union else (annotation,)
    classes = [typing.get_origin(c) or c for c in candidates]
    if classes and all(isinstance(c, type) for c in classes):
        if all(issubclass(c, MonoResult) for c in classes):
            return "mono", "rfs_monitoring", text
        if all(issubclass(c, Result) for c in classes):
            return "result", "rfs_monitoring", text
        roots = {c.__module__.partition(".")[0] for c in classes}
        names = {c.__name__ for c in classes}
        if roots <= {"returns", "result"} and len(roots) == 1 and names <= _RESULT_NAMES:
            return "result", roots.pop(), text
    return "unknown", "rfs_monitoring", text


# --------------------------------------------------------------------------- the mocker

# Python 3.12+ lets a sync function returning a coroutine declare itself a coroutine function.
_mark_coroutine_function: Callable[[Any], Any] = getattr(
    inspect, "markcoroutinefunction", lambda fn: fn
)

Outcome = tuple[Literal["value", "raise", "call"], Any]


def _format_call(method: str, args: Sequence[object], kwargs: Mapping[str, object]) -> str:
    parts = [describe_value(a) for a in args]
    parts.extend(f"{k}={describe_value(v)}" for k, v in kwargs.items())
    return f"{method}({', '.join(parts)})"


class _Patch:
    __slots__ = ("attribute", "had_own", "old", "replacement", "target")

    def __init__(self, target: object, attribute: str, replacement: object) -> None:
        self.target = target
        self.attribute = attribute
        self.replacement = replacement
        own = vars(target) if hasattr(target, "__dict__") else {}
        self.had_own = attribute in own
        self.old = own.get(attribute)

    def apply(self) -> None:
        try:
            setattr(self.target, self.attribute, self.replacement)
        except (AttributeError, TypeError) as exc:
            msg = (
                f"cannot patch {self.attribute!r} on {self.target!r}: {exc}; patch its class "
                "or register a patchable service with register_service()"
            )
            raise ConfigurationError(msg) from None

    def undo(self) -> None:
        if self.had_own:
            setattr(self.target, self.attribute, self.old)
        else:
            delattr(self.target, self.attribute)


class ResultServiceMocker:
    """A Result-aware stand-in for one service method.

    Configure it with one of ``return_success``, ``return_error``, ``return_sequence``,
    ``raise_exception`` or ``side_effect`` (each returns the mocker, so calls chain); a
    call before that fails the test naming the service and method.

    Args:
        service_name: how the service is named in messages.
        method_name: the method being replaced.
        shape: how the original behaves; without one the mocker is an ``async`` callable
            returning Results (the plan's mocker) and accepts any arguments.

    Attributes:
        call_count: number of calls so far.
        call_args_history: ``(args, kwargs)`` of each call (without ``self``/``cls``).
        results_history: each value handed back (for async methods: once awaited).
    """

    def __init__(
        self, service_name: str, method_name: str, *, shape: MethodShape | None = None
    ) -> None:
        self.service_name = service_name
        self.method_name = method_name
        self.shape = shape or MethodShape(is_async=True, returns="result", signature=None)
        self.call_count = 0
        self.call_args_history: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
        self.results_history: list[Any] = []
        self._outcome: Outcome | None = None
        self._sequence: list[Outcome] | None = None
        self._sequence_index = 0
        self._delay = 0.0
        self._patch: _Patch | None = None
        self._pending: tuple[object, str, int, str] | None = None
        self._full_signature: inspect.Signature | None = None

    @property
    def name(self) -> str:
        """``service.method`` as shown in messages."""
        return f"{self.service_name}.{self.method_name}"

    def __repr__(self) -> str:
        return f"<ResultServiceMocker {self.name} calls={self.call_count}>"

    # ---------------------------------------------------------------- configuration

    def _check_result(self, value: object, what: str) -> None:
        if self.shape.returns == "unknown" or is_result_like(value):
            return
        msg = (
            f"{self.name}: {what} is {type(value).__name__}: {describe_value(value)}, not a "
            f"Result; {self.method_name} is annotated to return {self.shape.annotation}: "
            "use Success(...) / Failure(...) (or return_success / return_error)"
        )
        raise ConfigurationError(msg)

    def _reject_result(self, value: object, method: str, takes: str) -> None:
        if is_result_like(value) or isinstance(value, MonoResult):
            msg = (
                f"{self.name}: {method}() takes the {takes} itself, got the Result "
                f"{describe_value(value)}; pass its content, or use return_sequence([...]) "
                "to return Results as they are"
            )
            raise ConfigurationError(msg)

    def _configure(self, outcome: Outcome | None, sequence: list[Outcome] | None) -> None:
        self._outcome, self._sequence, self._sequence_index = outcome, sequence, 0

    def return_success(self, value: object) -> ResultServiceMocker:
        """Every call returns ``Success(value)``."""
        self._reject_result(value, "return_success", "success value")
        self._configure(("value", self.shape.success(value)), None)
        return self

    def return_error(self, error: object) -> ResultServiceMocker:
        """Every call returns ``Failure(error)``."""
        self._reject_result(error, "return_error", "error")
        self._configure(("value", self.shape.failure(error)), None)
        return self

    def return_sequence(self, results: Iterable[object]) -> ResultServiceMocker:
        """Call N returns ``results[N-1]``; an exception in the list is raised instead.

        Raises:
            ConfigurationError: an item is no Result while the original is annotated to
                return one.
        """
        outcomes: list[Outcome] = []
        for index, item in enumerate(results):
            if isinstance(item, BaseException):
                outcomes.append(("raise", item))
                continue
            self._check_result(item, f"return_sequence item {index}")
            outcomes.append(("value", item))
        self._configure(None, outcomes)
        return self

    def raise_exception(
        self, exception: BaseException | type[BaseException]
    ) -> ResultServiceMocker:
        """Every call raises ``exception``.

        For ``async def`` methods the awaitable raises when awaited; for MonoResult methods
        the returned Mono yields ``Failure(exception)``, as a failing source does.
        """
        is_class = isinstance(exception, type) and issubclass(exception, BaseException)
        if not (isinstance(exception, BaseException) or is_class):
            msg = f"{self.name}: raise_exception() expects an exception, got {exception!r}"
            raise TypeError(msg)
        self._configure(("raise", exception), None)
        return self

    def side_effect(self, fn: Callable[..., object]) -> ResultServiceMocker:
        """Every call returns ``fn(*args, **kwargs)`` (awaited when it is awaitable)."""
        candidate: object = fn
        if not callable(candidate):
            msg = f"{self.name}: side_effect() expects a callable, got {fn!r}"
            raise TypeError(msg)
        self._configure(("call", fn), None)
        return self

    def with_delay(self, seconds: float) -> ResultServiceMocker:
        """Wait ``seconds`` before answering (``asyncio.sleep`` for async methods)."""
        self._delay = _check_seconds(seconds, f"{self.name}: with_delay() seconds", allow_zero=True)
        return self

    def reset_calls(self) -> None:
        """Forget the recorded calls and results; the configuration stays."""
        self.call_count = 0
        self.call_args_history.clear()
        self.results_history.clear()
        self._sequence_index = 0

    # ---------------------------------------------------------------- calling

    def _bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> inspect.BoundArguments | None:
        signature = self.shape.signature
        if signature is None:
            return None
        return signature.bind(*args, **kwargs)

    def _next_outcome(self) -> Outcome:
        __tracebackhide__ = True
        if self._sequence is not None:
            if self._sequence_index >= len(self._sequence):
                pytest.fail(
                    f"{self.name} was called {self.call_count} times, but return_sequence() "
                    f"configured only {_plural(len(self._sequence), 'result', 'results')} "
                    f"(call {self.call_count} has none)"
                )
            outcome = self._sequence[self._sequence_index]
            self._sequence_index += 1
            return outcome
        if self._outcome is None:
            pytest.fail(
                f"{self.name} was called but not configured: call return_success(), "
                "return_error(), return_sequence(), raise_exception() or side_effect() on "
                "the mocker before the code under test calls it"
            )
        return self._outcome

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Answer one call as configured (the patched method calls this)."""
        __tracebackhide__ = True
        try:
            self._bind(args, kwargs)
        except TypeError as exc:
            msg = (
                f"{self.name}() was called with arguments that do not fit its signature "
                f"{self.shape.signature}: {exc}"
            )
            raise TypeError(msg) from None
        self.call_count += 1
        self.call_args_history.append((args, dict(kwargs)))
        outcome = self._next_outcome()
        if self.shape.returns == "mono":
            mono = MonoResult.from_async_result(lambda: self._answer_async(outcome, args, kwargs))
            if self.shape.is_async:
                return self._wrap_awaitable(mono)
            return mono
        if self.shape.is_async:
            return self._answer_async(outcome, args, kwargs)
        if self._delay:
            time.sleep(self._delay)
        return self._finish(self._produce(outcome, args, kwargs))

    async def _wrap_awaitable(self, value: object) -> object:
        return value

    def _produce(self, outcome: Outcome, args: tuple[Any, ...], kwargs: dict[str, Any]) -> object:
        kind, payload = outcome
        if kind == "raise":
            raise payload
        if kind == "call":
            return payload(*args, **kwargs)
        return payload

    def _finish(self, value: object) -> object:
        if self.shape.returns != "unknown" and not is_result_like(value):
            msg = (
                f"{self.name}: side_effect returned {type(value).__name__}: "
                f"{describe_value(value)}, not a Result; {self.method_name} is annotated to "
                f"return {self.shape.annotation}"
            )
            raise TypeError(msg)
        self.results_history.append(value)
        return value

    async def _answer_async(
        self, outcome: Outcome, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        if self._delay:
            await asyncio.sleep(self._delay)
        value = self._produce(outcome, args, kwargs)
        if inspect.isawaitable(value):
            value = await value
        return self._finish(value)

    # ---------------------------------------------------------------- call assertions

    def _matches(
        self,
        call: tuple[tuple[Any, ...], dict[str, Any]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> bool:
        try:
            actual, expected = self._bind(*call), self._bind(args, kwargs)
        except TypeError:
            actual = expected = None
        if actual is not None and expected is not None:
            return bool(actual.arguments == expected.arguments)
        return bool(call == (args, kwargs))

    def _listing(self) -> str:
        return "\n".join(
            f"  {i}. {_format_call(self.method_name, a, k)}"
            for i, (a, k) in enumerate(self.call_args_history, start=1)
        )

    def assert_called(self) -> None:
        """Assert at least one call."""
        __tracebackhide__ = True
        if not self.call_count:
            msg = f"expected {self.name} to be called; it was not called"
            raise AssertionError(msg)

    def assert_not_called(self) -> None:
        """Assert no call at all."""
        __tracebackhide__ = True
        if self.call_count:
            msg = (
                f"expected {self.name} not to be called; it was called "
                f"{_plural(self.call_count, 'time', 'times')}:\n{self._listing()}"
            )
            raise AssertionError(msg)

    def assert_called_once_with(self, *args: Any, **kwargs: Any) -> None:
        """Assert exactly one call, with these arguments (matched through the signature)."""
        __tracebackhide__ = True
        expected = _format_call(self.method_name, args, kwargs)
        if self.call_count != 1:
            if not self.call_count:
                msg = f"expected {self.name} to be called once with {expected}; it was not called"
            else:
                msg = (
                    f"expected {self.name} to be called once with {expected}; it was called "
                    f"{self.call_count} times:\n{self._listing()}"
                )
            raise AssertionError(msg)
        self._assert_call(self.call_args_history[0], args, kwargs, "the call")

    def assert_called_with(self, *args: Any, **kwargs: Any) -> None:
        """Assert the last call had these arguments (matched through the signature)."""
        __tracebackhide__ = True
        if not self.call_count:
            expected = _format_call(self.method_name, args, kwargs)
            msg = f"expected {self.name} to be called with {expected}; it was not called"
            raise AssertionError(msg)
        self._assert_call(self.call_args_history[-1], args, kwargs, "the last call")

    def _assert_call(
        self,
        call: tuple[tuple[Any, ...], dict[str, Any]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        which: str,
    ) -> None:
        __tracebackhide__ = True
        if self._matches(call, args, kwargs):
            return
        msg = (
            f"{which} to {self.name} had different arguments\n"
            f"expected: {_format_call(self.method_name, args, kwargs)}\n"
            f"actual:   {_format_call(self.method_name, *call)}"
        )
        if self.call_count > 1:
            msg += f"\nall calls:\n{self._listing()}"
        raise AssertionError(msg)

    def assert_any_call(self, *args: Any, **kwargs: Any) -> None:
        """Assert that some call had these arguments (matched through the signature)."""
        __tracebackhide__ = True
        expected = _format_call(self.method_name, args, kwargs)
        if not self.call_count:
            msg = f"expected {self.name} to have been called with {expected}; it was not called"
            raise AssertionError(msg)
        if any(self._matches(call, args, kwargs) for call in self.call_args_history):
            return
        msg = (
            f"expected {self.name} to have been called with {expected}; none of its "
            f"{_plural(self.call_count, 'call', 'calls')} matched:\n{self._listing()}"
        )
        raise AssertionError(msg)

    # ---------------------------------------------------------------- patching

    @property
    def active(self) -> bool:
        """True while the original method is replaced."""
        return self._patch is not None

    def _replacement(
        self, strip: int, install: str, full_signature: inspect.Signature | None
    ) -> object:
        mocker = self

        def replacement(*args: Any, **kwargs: Any) -> Any:
            __tracebackhide__ = True
            return mocker(*args[strip:], **kwargs)

        replacement.__name__ = self.method_name
        replacement.__qualname__ = f"{self.service_name}.{self.method_name}"
        replacement.__doc__ = f"ResultServiceMocker for {self.name}"
        if full_signature is not None:
            replacement.__signature__ = full_signature  # type: ignore[attr-defined]
        replacement._rfs_shape = self.shape  # type: ignore[attr-defined]
        replacement.mocker = self  # type: ignore[attr-defined]
        if self.shape.is_async and self.shape.returns != "mono":
            _mark_coroutine_function(replacement)
        if install == "static":
            return staticmethod(replacement)
        if install == "class":
            return classmethod(replacement)
        return replacement

    def start(self) -> ResultServiceMocker:
        """Replace the original method (``with`` does this); returns the mocker.

        Raises:
            ConfigurationError: already started, or built without a service to patch.
        """
        if self._patch is not None:
            msg = f"{self.name} is already patched"
            raise ConfigurationError(msg)
        if self._pending is None:
            msg = f"{self.name} has no service to patch: create it with mock_result_service()"
            raise ConfigurationError(msg)
        target, attribute, strip, install = self._pending
        full = None if install == "class" else self._full_signature
        patch = _Patch(target, attribute, self._replacement(strip, install, full))
        patch.apply()
        self._patch = patch
        return self

    def stop(self) -> None:
        """Put the original method back (idempotent)."""
        patch, self._patch = self._patch, None
        if patch is not None:
            patch.undo()

    def __enter__(self) -> ResultServiceMocker:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @classmethod
    def for_service(
        cls, target: object, method_name: str, *, frame: types.FrameType | None = None
    ) -> ResultServiceMocker:
        """A mocker (not started) for ``method_name`` of the service ``target`` names.

        Raises:
            ConfigurationError: the service or the method cannot be found.
        """
        service = resolve_service(target, frame)
        label = _service_label(target)
        if not isinstance(method_name, str) or not hasattr(service, method_name):
            names = [n for n in dir(service) if not n.startswith("_")]
            close = difflib.get_close_matches(str(method_name), names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            msg = (
                f"service {label!r} ({type(service).__name__}) has no method {method_name!r}{hint}"
            )
            raise ConfigurationError(msg)
        original = getattr(service, method_name)
        if not callable(original):
            msg = (
                f"{label}.{method_name} is not callable ({_a(type(original))}); "
                "mock_result_service() replaces methods"
            )
            raise ConfigurationError(msg)
        strip, install, drop_first = 0, "plain", False
        if isinstance(service, type):
            raw = inspect.getattr_static(service, method_name)
            if isinstance(raw, classmethod):
                strip, install = 1, "class"
            elif inspect.isfunction(raw):
                strip, drop_first = 1, True
            else:
                install = "static"
        mocker = cls(label, method_name, shape=MethodShape.of(original, drop_first=drop_first))
        with contextlib.suppress(TypeError, ValueError):
            mocker._full_signature = inspect.signature(original)
        mocker._pending = (service, method_name, strip, install)
        return mocker


def mock_result_service(target: object, method_name: str) -> ResultServiceMocker:
    """Replace ``target.method_name`` with a ``ResultServiceMocker`` inside a ``with`` block.

    Args:
        target: the service object, a dotted import path, a name given to
            ``register_service``, or a name in the calling module (``"user_service"``).
        method_name: the method to replace.

    Example::

        with mock_result_service("user_service", "get_user_async") as mock_svc:
            mock_svc.return_success(sample_user)
            ...
            mock_svc.assert_called_once_with("123")
    """
    return ResultServiceMocker.for_service(target, method_name, frame=_caller_frame())
