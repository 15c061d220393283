"""Call assertions of the service mocker, with messages that list the calls.

``unittest.mock`` decides whether calls match (binding both sides to the original's
signature, so keyword and positional forms match alike); ``CallAssertions`` only turns its
verdict into a message naming the service, the expected call and every recorded call.
"""

from __future__ import annotations

from typing import Any

from pytest_rfs.explain import format_call, plural

__all__ = ["CallAssertions"]


class CallAssertions:
    """``assert_called``, ``assert_called_once_with``... of a mocker holding a ``mock``.

    The class using it sets ``service_name``, ``method_name`` and ``mock`` (the
    ``unittest.mock`` object recording the calls, arguments without ``self``/``cls``).
    """

    service_name: str
    method_name: str
    mock: Any

    @property
    def name(self) -> str:
        """``service.method`` as shown in messages."""
        return f"{self.service_name}.{self.method_name}"

    @property
    def call_count(self) -> int:
        """Number of calls so far."""
        count: int = self.mock.call_count
        return count

    @property
    def call_args_history(self) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        """``(args, kwargs)`` of each call (without ``self``/``cls``)."""
        return [(tuple(c.args), dict(c.kwargs)) for c in self.mock.call_args_list]

    def _listing(self) -> str:
        return "\n".join(
            f"  {i}. {format_call(self.method_name, a, k)}"
            for i, (a, k) in enumerate(self.call_args_history, start=1)
        )

    def _different(
        self, which: str, call: tuple[tuple[Any, ...], dict[str, Any]], args: Any, kwargs: Any
    ) -> AssertionError:
        msg = (
            f"{which} to {self.name} had different arguments\n"
            f"expected: {format_call(self.method_name, args, kwargs)}\n"
            f"actual:   {format_call(self.method_name, *call)}"
        )
        if self.call_count > 1:
            msg += f"\nall calls:\n{self._listing()}"
        return AssertionError(msg)

    def assert_called(self) -> None:
        """Assert at least one call."""
        __tracebackhide__ = True
        try:
            self.mock.assert_called()
        except AssertionError:
            msg = f"expected {self.name} to be called; it was not called"
            raise AssertionError(msg) from None

    def assert_not_called(self) -> None:
        """Assert no call at all."""
        __tracebackhide__ = True
        try:
            self.mock.assert_not_called()
        except AssertionError:
            msg = (
                f"expected {self.name} not to be called; it was called "
                f"{plural(self.call_count, 'time', 'times')}:\n{self._listing()}"
            )
            raise AssertionError(msg) from None

    def assert_called_once_with(self, *args: Any, **kwargs: Any) -> None:
        """Assert exactly one call, with these arguments (matched through the signature)."""
        __tracebackhide__ = True
        try:
            self.mock.assert_called_once_with(*args, **kwargs)
        except AssertionError:
            pass
        else:
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
        try:
            self.mock.assert_called_with(*args, **kwargs)
        except AssertionError:
            pass
        else:
            return
        if not self.call_count:
            expected = format_call(self.method_name, args, kwargs)
            msg = f"expected {self.name} to be called with {expected}; it was not called"
            raise AssertionError(msg)
        raise self._different("the last call", self.call_args_history[-1], args, kwargs)

    def assert_any_call(self, *args: Any, **kwargs: Any) -> None:
        """Assert that some call had these arguments (matched through the signature)."""
        __tracebackhide__ = True
        try:
            self.mock.assert_any_call(*args, **kwargs)
        except AssertionError:
            pass
        else:
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
