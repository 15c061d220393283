"""What a broken law raises, and how the two sides of a law are computed and compared."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from typing import Any

from rfs_monitoring.mono import MonoResult
from rfs_monitoring.result import Failure, Result, to_result

__all__ = ["LawViolation", "NotAResultStep", "check_law", "outcome", "run_mono", "same"]


class LawViolation(AssertionError):
    """A law did not hold.

    Attributes:
        law: the law's name, e.g. ``"bind_associativity"``.
        statement: the equation that failed.
        given: the input, as ``{"m": Success(0)}``.
        left: what the left-hand side computed.
        right: what the right-hand side computed.
    """

    def __init__(
        self, law: str, statement: str, given: dict[str, Any], left: object, right: object
    ) -> None:
        inputs = ", ".join(f"{name}={value!r}" for name, value in given.items())
        msg = (
            f"law {law} does not hold: {statement}\n"
            f"  for {inputs}\n"
            f"  left side:  {left!r}\n"
            f"  right side: {right!r}"
        )
        super().__init__(msg)
        self.law = law
        self.statement = statement
        self.given = given
        self.left = left
        self.right = right


class NotAResultStep(TypeError):
    """A bind step returned a plain value: no law can be checked with it.

    Without this, both sides of a law would become the same adapter Failure and the law
    would "hold" whatever the step does.

    Attributes:
        step: the step's name.
        value: what it returned.
    """

    def __init__(self, step: str, value: object) -> None:
        super().__init__(
            f"the step {step} returned {type(value).__name__}: {value!r}, not a Result; "
            "a bind step must return Success(...) / Failure(...) (of any supported library), "
            "so the laws cannot be checked with it"
        )
        self.step = step
        self.value = value


def same(left: object, right: object) -> bool:
    """Equality for law checks: exceptions match by type and args, Results by payload."""
    if isinstance(left, BaseException) or isinstance(right, BaseException):
        return type(left) is type(right) and getattr(left, "args", None) == getattr(
            right, "args", None
        )
    if isinstance(left, Result) and isinstance(right, Result):
        if left.is_success() != right.is_success():
            return False
        if left.is_success():
            return same(left.unwrap(), right.unwrap())
        return same(left.unwrap_error(), right.unwrap_error())
    try:
        return bool(left == right)
    except Exception:  # noqa: BLE001 - a value whose == raises is simply not equal
        return False


def outcome(compute: Callable[[], object]) -> Result[Any, Any]:
    """Run one side of a law; an exception becomes ``Failure(exception)`` as in a MonoResult."""
    try:
        return to_result(compute())
    except NotAResultStep:
        raise
    except Exception as exc:  # noqa: BLE001 - a raising step yields Failure, as in a MonoResult
        return Failure(exc)


def check_law(law: str, statement: str, given: dict[str, Any], left: object, right: object) -> None:
    """Raise ``LawViolation`` unless ``left`` and ``right`` are the ``same``."""
    __tracebackhide__ = True
    if not same(left, right):
        raise LawViolation(law, statement, given, left, right)


def run_mono(mono: MonoResult[Any, Any]) -> Result[Any, Any]:
    """The Result of ``mono``, also when called from inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(mono.to_result())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(mono.to_result())).result()
