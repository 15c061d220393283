"""``Chain``: the steps of a Result chain, applicable to a Result and to a MonoResult."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

from pytest_rfs.laws.comparing import NotAResultStep, outcome
from rfs_monitoring.mono import MonoResult
from rfs_monitoring.result import Result, is_result_like, to_result

__all__ = ["Chain", "Step", "check_callable", "name_of", "step_result"]

Step = Callable[[Any], Any]
"""A chain step: ``value -> Result`` (of any supported library) or ``value -> value``."""


def check_callable(fn: object, what: str) -> None:
    """Raise TypeError (``what``, then the value) unless ``fn`` is callable."""
    if not callable(fn):
        msg = f"{what}, got {type(fn).__name__}: {fn!r}"
        raise TypeError(msg)


def step_result(fn: Step, value: object) -> Result[Any, Any]:
    """``fn(value)`` as a Result.

    Raises:
        NotAResultStep: ``fn`` returned something that is no Result, naming ``fn``.
    """
    returned = fn(value)
    if not is_result_like(returned):
        raise NotAResultStep(name_of(fn), returned)
    return to_result(returned)


def name_of(fn: object) -> str:
    """How a step is named in messages: its qualified name, else its repr."""
    return str(getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn))


_MONO_METHODS = {
    "map": "map",
    "map_error": "map_error",
    "bind": "bind_result",
    "or_else": "on_error_return_result",
}


class Chain:
    """The steps of a Result chain, applicable to a plain Result and to a MonoResult.

    ``Chain().bind(validate).map_error(to_api_error)`` applied with ``apply(result)`` is
    ``result.bind(validate).map_error(to_api_error)``; with ``apply_mono(mono)`` it is
    ``mono.bind_result(validate).map_error(to_api_error)``. Steps may return the Results of
    other libraries (adapted with ``to_result``).
    """

    __slots__ = ("_steps",)

    def __init__(self, steps: tuple[tuple[str, Step], ...] = ()) -> None:
        self._steps = steps

    def _add(self, operation: str, fn: Step) -> Chain:
        check_callable(fn, f"Chain.{operation}() expects a callable")
        return Chain((*self._steps, (operation, fn)))

    def map(self, fn: Step) -> Chain:
        """Add a ``map(fn)`` step."""
        return self._add("map", fn)

    def map_error(self, fn: Step) -> Chain:
        """Add a ``map_error(fn)`` step."""
        return self._add("map_error", fn)

    def bind(self, fn: Step) -> Chain:
        """Add a ``bind(fn)`` step (``bind_result`` on a MonoResult)."""
        return self._add("bind", fn)

    def or_else(self, fn: Step) -> Chain:
        """Add an ``or_else(fn)`` step (``on_error_return_result`` on a MonoResult)."""
        return self._add("or_else", fn)

    def __iter__(self) -> Iterator[tuple[str, Step]]:
        return iter(self._steps)

    def apply(
        self, result: Result[Any, Any], *, capture_exceptions: bool = False
    ) -> Result[Any, Any]:
        """Run the steps on a plain Result.

        An exception raised by a step propagates, or with ``capture_exceptions=True`` becomes
        ``Failure(exception)`` at that step and the later steps see it, as in a MonoResult.
        """
        current = to_result(result)
        for operation, fn in self._steps:
            step = fn
            if operation in ("bind", "or_else"):
                step = functools.partial(step_result, fn)
            if capture_exceptions:
                current = outcome(functools.partial(getattr(current, operation), step))
            else:
                current = getattr(current, operation)(step)
        return current

    def apply_mono(self, mono: MonoResult[Any, Any]) -> MonoResult[Any, Any]:
        """Add the steps to ``mono`` (lazily, as MonoResult operators)."""
        for operation, fn in self._steps:
            mono = getattr(mono, _MONO_METHODS[operation])(fn)
        return mono

    def __repr__(self) -> str:
        steps = "".join(f".{operation}({name_of(fn)})" for operation, fn in self._steps)
        return f"Chain(){steps}"
