"""Result-aware service mocking, built on ``unittest.mock``.

``mock_result_service(target, method_name)`` replaces one method of a service with a
``ResultServiceMocker`` for the duration of a ``with`` block (``unittest.mock.patch.object``
does the replacing and the restoring, also when the block raises). The mocker mirrors the
original (``async def`` gives an awaitable, a ``-> MonoResult[...]`` annotation gives a
MonoResult), records each call on a ``create_autospec`` mock of the original's signature
(so a call that does not fit fails at once, and call assertions match keyword and
positional forms alike), refuses to answer before it is configured, and answers with the
Results of the original's library.
"""

from __future__ import annotations

import asyncio
import inspect
import time
import types
from collections.abc import Callable, Iterable
from typing import Any, Literal

import pytest

from pytest_rfs.assertions import check_seconds
from pytest_rfs.call_assertions import CallAssertions
from pytest_rfs.explain import describe_value, format_call, plural
from pytest_rfs.patching import Patchable, PatchPlan, plan_patch
from pytest_rfs.registry import caller_frame
from pytest_rfs.shape import MethodShape
from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.mono import MonoResult
from rfs_monitoring.result import is_result_like

__all__ = [
    "Refusal",
    "ResultServiceMocker",
    "mock_result_service",
    "recorder",
    "signature_mismatch",
]

Outcome = tuple[Literal["value", "raise", "call"], Any]


class Refusal:
    """A call the mocker refused (not configured, or past ``return_sequence``'s end).

    Attributes:
        call: the call as shown in messages, e.g. ``get_user('1')``.
        number: which call it was (1 for the first).
        exception: what the refusal raised (``pytest.fail.Exception``).
    """

    __slots__ = ("call", "exception", "number")

    def __init__(self, call: str, number: int, exception: BaseException) -> None:
        self.call = call
        self.number = number
        self.exception = exception

    def __repr__(self) -> str:
        return f"Refusal(call {self.number}: {self.call})"


def signature_mismatch(name: str, signature: inspect.Signature | None, exc: TypeError) -> TypeError:
    """The error for a call of ``name`` that does not fit ``signature``."""
    msg = f"{name}() was called with arguments that do not fit its signature {signature}: {exc}"
    return TypeError(msg)


def _no_answer(*args: Any, **kwargs: Any) -> None:
    """The side effect of the mock recording awaits: nothing to answer."""


def recorder(signature: inspect.Signature | None, answer: Callable[..., Any]) -> Any:
    """A mock that records each call and answers through ``answer``.

    With a signature it is a ``create_autospec`` of it: a call that does not fit raises
    TypeError before it is recorded, and call assertions bind both sides to the signature.
    The mock stays synchronous even for ``async def`` originals: the outcome is chosen
    (and an unconfigured call refused) at the call, the awaitable comes from ``answer``.
    """
    from unittest.mock import Mock, create_autospec  # lazy: loading the plugin stays cheap

    if signature is None:
        return Mock(side_effect=answer)

    def original(*args: Any, **kwargs: Any) -> Any:
        """Stands for the original method's signature."""

    original.__signature__ = signature  # type: ignore[attr-defined]
    return create_autospec(original, side_effect=answer)


class ResultServiceMocker(Patchable, CallAssertions):
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
        mock: the ``unittest.mock`` object recording the calls (``call_args_list``,
            ``assert_has_calls``...), arguments without ``self``/``cls``.
        results_history: each value handed back (for async methods: once awaited).
    """

    def __init__(
        self, service_name: str, method_name: str, *, shape: MethodShape | None = None
    ) -> None:
        self.service_name = service_name
        self.method_name = method_name
        self.shape = shape or MethodShape(is_async=True, returns="result", signature=None)
        self.mock: Any = recorder(self.shape.signature, self._answer)
        self.await_mock: Any = recorder(self.shape.signature, _no_answer)
        self.awaited_calls: set[int] = set()
        self.awaitable = self.shape.is_async or self.shape.returns == "mono"
        self._refusals: list[Refusal] = []
        self.results_history: list[Any] = []
        self._outcome: Outcome | None = None
        self._sequence: list[Outcome] | None = None
        self._sequence_index = 0
        self._delay = 0.0
        self._patcher: Any = None
        self.plan: PatchPlan | None = None

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
        self._delay = check_seconds(seconds, f"{self.name}: with_delay() seconds", allow_zero=True)
        return self

    def reset_calls(self) -> None:
        """Forget the recorded calls, awaits, results and refusals; the configuration stays."""
        self.mock.reset_mock()
        self.await_mock.reset_mock()
        self.awaited_calls.clear()
        self.results_history.clear()
        self._refusals.clear()
        self._sequence_index = 0

    @property
    def refusals(self) -> tuple[Refusal, ...]:
        """The calls refused so far (``result_mocker`` fails the test on any it did not see)."""
        return tuple(self._refusals)

    def _refuse(self, message: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        __tracebackhide__ = True
        try:
            pytest.fail(message)
        except pytest.fail.Exception as exc:
            call = format_call(self.method_name, args, kwargs)
            self._refusals.append(Refusal(call, self.call_count, exc))
            raise

    # ---------------------------------------------------------------- calling

    def _next_outcome(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Outcome:
        __tracebackhide__ = True
        if self._sequence is not None:
            if self._sequence_index >= len(self._sequence):
                self._refuse(
                    f"{self.name} was called {self.call_count} times, but return_sequence() "
                    f"configured only {plural(len(self._sequence), 'result', 'results')} "
                    f"(call {self.call_count} has none)",
                    args,
                    kwargs,
                )
            outcome = self._sequence[self._sequence_index]
            self._sequence_index += 1
            return outcome
        if self._outcome is None:
            self._refuse(
                f"{self.name} was called but not configured: call return_success(), "
                "return_error(), return_sequence(), raise_exception() or side_effect() on "
                "the mocker before the code under test calls it",
                args,
                kwargs,
            )
        return self._outcome  # type: ignore[return-value]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Answer one call as configured (the patched method calls this)."""
        __tracebackhide__ = True
        calls_before = self.call_count
        try:
            return self.mock(*args, **kwargs)
        except TypeError as exc:
            if self.call_count != calls_before:  # raised while answering, not by the signature
                raise
            raise signature_mismatch(self.name, self.shape.signature, exc) from None

    def _answer(self, *args: Any, **kwargs: Any) -> Any:
        """The recording mock's side effect: the configured answer to one call."""
        __tracebackhide__ = True
        outcome = self._next_outcome(args, kwargs)
        number = self.call_count
        if self.shape.returns == "mono":
            mono = MonoResult.from_async_result(
                lambda: self._answer_async(outcome, args, kwargs, number)
            )
            if self.shape.is_async:
                return self._wrap_awaitable(mono)
            return mono
        if self.shape.is_async:
            return self._answer_async(outcome, args, kwargs, number)
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

    def _record_await(self, number: int, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Call ``number``'s coroutine (or MonoResult) started: one await."""
        self.awaited_calls.add(number)
        self.await_mock(*args, **kwargs)

    async def _answer_async(
        self, outcome: Outcome, args: tuple[Any, ...], kwargs: dict[str, Any], number: int
    ) -> Any:
        self._record_await(number, args, kwargs)
        if self._delay:
            await asyncio.sleep(self._delay)
        value = self._produce(outcome, args, kwargs)
        if inspect.isawaitable(value):
            value = await value
        return self._finish(value)

    def enter(self, args: tuple[Any, ...], kwargs: dict[str, Any], strip: int) -> Any:
        """A call of the patched method (``args`` with ``self``/``cls``, ``strip`` of them)."""
        __tracebackhide__ = True
        return self(*args[strip:], **kwargs)

    @classmethod
    def for_service(
        cls, target: object, method_name: str, *, frame: types.FrameType | None = None
    ) -> ResultServiceMocker:
        """A mocker (not started) for ``method_name`` of the service ``target`` names.

        Raises:
            ConfigurationError: the service or the method cannot be found.
        """
        plan = plan_patch(target, method_name, frame)
        mocker = cls(plan.label, method_name, shape=plan.shape)
        mocker.plan = plan
        return mocker

    def __enter__(self) -> ResultServiceMocker:
        return self.start()  # type: ignore[no-any-return]


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
    return ResultServiceMocker.for_service(target, method_name, frame=caller_frame())
