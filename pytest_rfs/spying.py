"""``ResultSpy``: a pass-through stand-in that records the calls and the Results returned.

``result_mocker.spy(service, "method")`` replaces the method with a spy that calls the
real one and keeps what it returned (``results``, ``spy_return``): for ``async def``
methods the Result once awaited, for MonoResult methods the Result the Mono settles to.
The call and await assertions are the mocker's (``assert_called_once_with``,
``assert_awaited_once`` ...).
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Awaitable
from typing import Any

from pytest_rfs.call_assertions import CallAssertions
from pytest_rfs.mocking import recorder, signature_mismatch
from pytest_rfs.patching import Patchable, PatchPlan, plan_patch
from pytest_rfs.registry import caller_frame
from rfs_monitoring.mono import MonoResult

__all__ = ["ResultSpy", "spy_on"]


def _no_answer(*args: Any, **kwargs: Any) -> None:
    """The recording mocks' side effect: the spy answers through the real method."""


class ResultSpy(Patchable, CallAssertions):
    """Records the calls of one method and what the real method returned.

    Attributes:
        results: each Result (or value) the real method returned, in order; for async
            methods once awaited, for MonoResult methods the settled Result.
        spy_exception: the last exception the real method raised, or None.
    """

    def __init__(self, plan: PatchPlan) -> None:
        self.plan = plan
        self._original = plan.original
        self.shape = plan.shape
        self.service_name = plan.label
        self.method_name = plan.method_name
        self.mock: Any = recorder(plan.shape.signature, _no_answer)
        self.await_mock: Any = recorder(plan.shape.signature, _no_answer)
        self.awaited_calls: set[int] = set()
        self.awaitable = plan.shape.is_async or plan.shape.returns == "mono"
        self.results: list[Any] = []
        self.spy_exception: BaseException | None = None
        self._patcher = None

    def __repr__(self) -> str:
        return f"<ResultSpy {self.name} calls={self.call_count}>"

    @property
    def spy_return(self) -> Any:
        """The last Result the real method returned (None before any)."""
        return self.results[-1] if self.results else None

    @property
    def spy_return_list(self) -> list[Any]:
        """Every Result the real method returned (``results``; pytest-mock's name)."""
        return list(self.results)

    def reset_calls(self) -> None:
        """Forget the recorded calls, awaits and results."""
        self.mock.reset_mock()
        self.await_mock.reset_mock()
        self.awaited_calls.clear()
        self.results.clear()
        self.spy_exception = None

    def enter(self, args: tuple[Any, ...], kwargs: dict[str, Any], strip: int) -> Any:
        """Record the call, then call the real method with the same arguments."""
        __tracebackhide__ = True
        try:
            self.mock(*args[strip:], **kwargs)
        except TypeError as exc:  # the call does not fit: fail before the real method runs
            raise signature_mismatch(self.name, self.shape.signature, exc) from None
        number = self.call_count
        try:
            value = self._original(*args, **kwargs)
        except Exception as exc:
            self.spy_exception = exc
            raise
        recorded = (number, args[strip:], kwargs)
        if isinstance(value, MonoResult):
            return MonoResult.from_async_result(lambda: self._settle(recorded, value.to_result()))
        if inspect.isawaitable(value):
            return self._settle(recorded, value)
        self.results.append(value)
        return value

    async def _settle(
        self, recorded: tuple[int, tuple[Any, ...], dict[str, Any]], value: Awaitable[Any]
    ) -> Any:
        number, args, kwargs = recorded
        self.awaited_calls.add(number)
        self.await_mock(*args, **kwargs)
        try:
            result = await value
        except Exception as exc:
            self.spy_exception = exc
            raise
        self.results.append(result)
        return result


def spy_on(target: object, method_name: str, *, frame: types.FrameType | None = None) -> ResultSpy:
    """A spy (not started) on ``method_name`` of the service ``target`` names."""
    return ResultSpy(plan_patch(target, method_name, frame if frame else caller_frame()))
