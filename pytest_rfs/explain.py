"""How Results and values read in failure messages, and why two Results are not ``==``.

``describe_value`` / ``describe_result`` give the one-line texts every assertion and the
mocker show; ``explain_result_comparison`` backs the plugin's ``pytest_assertrepr_compare``
hook (payload diff, variant, library).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rfs_monitoring.errors import APIError
from rfs_monitoring.result import Result, is_result_like, to_result

__all__ = [
    "a_type",
    "describe_result",
    "describe_value",
    "explain_result_comparison",
    "format_call",
    "plural",
    "type_names",
]

_MAX_REPR = 480


def describe_value(value: object) -> str:
    """A short one-line description of a Result payload (APIError codes shown by name)."""
    # an exception that is also an APIError (ResultTimeoutError) keeps its own repr
    if isinstance(value, APIError) and not isinstance(value, BaseException):
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


def format_call(method: str, args: Sequence[object], kwargs: Mapping[str, object]) -> str:
    """``get_user('1', verbose=True)``: one call as shown in the mocker's messages."""
    parts = [describe_value(a) for a in args]
    parts.extend(f"{k}={describe_value(v)}" for k, v in kwargs.items())
    return f"{method}({', '.join(parts)})"


def type_names(expected: type[Any] | tuple[type[Any], ...]) -> str:
    """``User`` or ``User | Admin``."""
    if isinstance(expected, tuple):
        return " | ".join(t.__name__ for t in expected)
    return expected.__name__


def a_type(expected: type[Any] | tuple[type[Any], ...]) -> str:
    """``a User`` / ``an APIError`` / ``a User | Admin``."""
    names = type_names(expected)
    return f"{'an' if names[:1].lower() in 'aeio' else 'a'} {names}"


def plural(count: int, singular: str, plural_form: str) -> str:
    """``1 call`` / ``2 calls``."""
    return f"{count} {singular if count == 1 else plural_form}"


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
        lines.append(f"  (left is {a_type(type(lv))}, right is {a_type(type(rv))})")
    detail = explain_payload(lv, rv)
    if detail:
        lines.extend(detail[1:])
    return lines
