"""Call and await assertions of the service mocker and spy, with messages that list the calls.

``unittest.mock`` decides whether calls match (binding both sides to the original's
signature, so keyword and positional forms match alike); ``CallAssertions`` only turns its
verdict into a message naming the service, the expected call and every recorded call.
Awaits are recorded on a second mock (``await_mock``) when a call's coroutine starts, so a
call whose coroutine was never awaited is told apart from an awaited one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pytest_rfs.explain import format_call, plural

__all__ = ["CallAssertions"]

Args = tuple[tuple[Any, ...], dict[str, Any]]


class CallAssertions:
    """``assert_called*``, ``assert_has_calls``, ``assert_awaited*`` of a mocker or spy.

    The class using it sets ``service_name``, ``method_name``, ``mock`` (recording the
    calls), ``await_mock`` (recording the awaits), ``awaited_calls`` (the numbers of the
    calls whose coroutine was awaited) and ``awaitable`` (whether calls give something to
    await); arguments are recorded without ``self``/``cls``.
    """

    service_name: str
    method_name: str
    mock: Any
    await_mock: Any
    awaited_calls: set[int]
    awaitable: bool

    @property
    def name(self) -> str:
        """``service.method`` as shown in messages."""
        return f"{self.service_name}.{self.method_name}"

    # ---------------------------------------------------------------- records

    @property
    def call_count(self) -> int:
        """Number of calls so far."""
        count: int = self.mock.call_count
        return count

    @property
    def call_args(self) -> Any:
        """The last call (a ``unittest.mock.call``: ``.args``, ``.kwargs``), or None."""
        return self.mock.call_args

    @property
    def call_args_list(self) -> list[Any]:
        """Every call, in order (``unittest.mock.call`` objects)."""
        return list(self.mock.call_args_list)

    @property
    def call_args_history(self) -> list[Args]:
        """``(args, kwargs)`` of each call (without ``self``/``cls``)."""
        return [(tuple(c.args), dict(c.kwargs)) for c in self.mock.call_args_list]

    @property
    def await_count(self) -> int:
        """Number of calls whose coroutine (or MonoResult) was awaited."""
        count: int = self.await_mock.call_count
        return count

    @property
    def await_args(self) -> Any:
        """The arguments of the last awaited call, or None."""
        return self.await_mock.call_args

    @property
    def await_args_list(self) -> list[Any]:
        """The arguments of each awaited call, in the order they were awaited."""
        return list(self.await_mock.call_args_list)

    # ---------------------------------------------------------------- messages

    def _listing(self, mock: Any = None) -> str:
        calls = (mock if mock is not None else self.mock).call_args_list
        return "\n".join(
            f"  {i}. {format_call(self.method_name, c.args, c.kwargs)}"
            for i, c in enumerate(calls, start=1)
        )

    def _different(self, which: str, call: Args, args: Any, kwargs: Any) -> AssertionError:
        msg = (
            f"{which} to {self.name} had different arguments\n"
            f"expected: {format_call(self.method_name, args, kwargs)}\n"
            f"actual:   {format_call(self.method_name, *call)}"
        )
        if self.call_count > 1:
            msg += f"\nall calls:\n{self._listing()}"
        return AssertionError(msg)

    def _not_awaited_note(self) -> str:
        if not self.awaitable:
            return f"; {self.name} is not async: its calls give nothing to await"
        missing = [n for n in range(1, self.call_count + 1) if n not in self.awaited_calls]
        if not missing:
            return ""
        numbers = ", ".join(map(str, missing))
        return (
            f"; it was called {plural(self.call_count, 'time', 'times')}, and the coroutine "
            f"of call {numbers} was never awaited"
        )

    @staticmethod
    def _matches(check: Any, *args: Any, **kwargs: Any) -> bool:
        try:
            check(*args, **kwargs)
        except AssertionError:
            return False
        return True

    # ---------------------------------------------------------------- calls

    def assert_called(self) -> None:
        """Assert at least one call."""
        __tracebackhide__ = True
        if not self.call_count:
            msg = f"expected {self.name} to be called; it was not called"
            raise AssertionError(msg)

    def assert_called_once(self) -> None:
        """Assert exactly one call."""
        __tracebackhide__ = True
        if self.call_count != 1:
            msg = f"expected {self.name} to be called once; it was not called"
            if self.call_count:
                msg = (
                    f"expected {self.name} to be called once; it was called "
                    f"{self.call_count} times:\n{self._listing()}"
                )
            raise AssertionError(msg)

    def assert_not_called(self) -> None:
        """Assert no call at all."""
        __tracebackhide__ = True
        if self.call_count:
            msg = (
                f"expected {self.name} not to be called; it was called "
                f"{plural(self.call_count, 'time', 'times')}:\n{self._listing()}"
            )
            raise AssertionError(msg)

    def assert_called_once_with(self, *args: Any, **kwargs: Any) -> None:
        """Assert exactly one call, with these arguments (matched through the signature)."""
        __tracebackhide__ = True
        if self._matches(self.mock.assert_called_once_with, *args, **kwargs):
            return
        expected = format_call(self.method_name, args, kwargs)
        if not self.call_count:
            msg = f"expected {self.name} to be called once with {expected}; it was not called"
        elif self.call_count > 1:
            msg = (
                f"expected {self.name} to be called once with {expected}; it was called "
                f"{self.call_count} times:\n{self._listing()}"
            )
        else:
            raise self._different("the call", self.call_args_history[0], args, kwargs)
        raise AssertionError(msg)

    def assert_called_with(self, *args: Any, **kwargs: Any) -> None:
        """Assert the last call had these arguments (matched through the signature)."""
        __tracebackhide__ = True
        if self._matches(self.mock.assert_called_with, *args, **kwargs):
            return
        if not self.call_count:
            expected = format_call(self.method_name, args, kwargs)
            msg = f"expected {self.name} to be called with {expected}; it was not called"
            raise AssertionError(msg)
        raise self._different("the last call", self.call_args_history[-1], args, kwargs)

    def assert_any_call(self, *args: Any, **kwargs: Any) -> None:
        """Assert that some call had these arguments (matched through the signature)."""
        __tracebackhide__ = True
        if self._matches(self.mock.assert_any_call, *args, **kwargs):
            return
        expected = format_call(self.method_name, args, kwargs)
        if not self.call_count:
            msg = f"expected {self.name} to have been called with {expected}; it was not called"
        else:
            msg = (
                f"expected {self.name} to have been called with {expected}; none of its "
                f"{plural(self.call_count, 'call', 'calls')} matched:\n{self._listing()}"
            )
        raise AssertionError(msg)

    def assert_has_calls(self, calls: Iterable[Any], any_order: bool = False) -> None:
        """Assert these calls (``unittest.mock.call(...)``) were made, in a row or in any order.

        As ``Mock.assert_has_calls``: without ``any_order`` the calls must be consecutive and
        in this order; other calls may come before or after.
        """
        __tracebackhide__ = True
        expected = list(calls)
        if self._matches(self.mock.assert_has_calls, expected, any_order=any_order):
            return
        how = "in any order" if any_order else "in this order, one after the other"
        wanted = "\n".join(
            f"  {i}. {format_call(self.method_name, c.args, c.kwargs)}"
            for i, c in enumerate(expected, start=1)
        )
        actual = f"calls made:\n{self._listing()}" if self.call_count else "it was not called"
        msg = f"expected {self.name} to have the calls ({how}):\n{wanted}\n{actual}"
        raise AssertionError(msg)

    # ---------------------------------------------------------------- awaits

    def assert_awaited(self) -> None:
        """Assert at least one call's coroutine was awaited."""
        __tracebackhide__ = True
        if not self.await_count:
            raise AssertionError(self._await_count_message("awaited"))

    def assert_awaited_once(self) -> None:
        """Assert exactly one await."""
        __tracebackhide__ = True
        if self.await_count != 1:
            raise AssertionError(self._await_count_message("awaited once"))

    def assert_not_awaited(self) -> None:
        """Assert no call's coroutine was awaited."""
        __tracebackhide__ = True
        if self.await_count:
            msg = (
                f"expected {self.name} not to be awaited; it was awaited "
                f"{plural(self.await_count, 'time', 'times')}:\n{self._listing(self.await_mock)}"
            )
            raise AssertionError(msg)

    def assert_awaited_with(self, *args: Any, **kwargs: Any) -> None:
        """Assert the last await was of a call with these arguments."""
        __tracebackhide__ = True
        if self._matches(self.await_mock.assert_called_with, *args, **kwargs):
            return
        expected = format_call(self.method_name, args, kwargs)
        if not self.await_count:
            msg = (
                f"expected {self.name} to be awaited with {expected}; it was not awaited"
                f"{self._not_awaited_note()}"
            )
            raise AssertionError(msg)
        last = self.await_args
        msg = (
            f"the last await of {self.name} had different arguments\n"
            f"expected: {expected}\n"
            f"actual:   {format_call(self.method_name, last.args, last.kwargs)}"
        )
        note = self._not_awaited_note()
        if note:
            msg += f"\n({note[2:]})"
        raise AssertionError(msg)

    def assert_awaited_once_with(self, *args: Any, **kwargs: Any) -> None:
        """Assert exactly one await, of a call with these arguments."""
        __tracebackhide__ = True
        if self.await_count != 1:
            expected = format_call(self.method_name, args, kwargs)
            raise AssertionError(self._await_count_message(f"awaited once with {expected}"))
        self.assert_awaited_with(*args, **kwargs)

    def _await_count_message(self, wanted: str) -> str:
        if not self.await_count:
            note = self._not_awaited_note()
            return f"expected {self.name} to be {wanted}; it was not awaited{note}"
        return (
            f"expected {self.name} to be {wanted}; it was awaited "
            f"{self.await_count} times:\n{self._listing(self.await_mock)}"
        )
