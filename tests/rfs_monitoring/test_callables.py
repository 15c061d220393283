"""The one "is this callable async" check."""

from __future__ import annotations

import functools
from typing import Any

from rfs_monitoring.callables import is_async_callable


async def coroutine_function() -> int:
    return 1


def plain_function() -> int:
    return 1


class AsyncCallable:
    async def __call__(self) -> int:
        return 1


class SyncCallable:
    def __call__(self) -> int:
        return 1


class TestIsAsyncCallable:
    def test_async_def_and_async_dunder_call_are_async(self) -> None:
        assert is_async_callable(coroutine_function)
        assert is_async_callable(AsyncCallable())

    def test_partials_are_seen_through(self) -> None:
        def takes(x: int) -> Any:
            return coroutine_function()

        assert is_async_callable(functools.partial(coroutine_function))
        assert not is_async_callable(functools.partial(takes, 1))

    def test_plain_callables_and_values_are_not(self) -> None:
        assert not is_async_callable(plain_function)
        assert not is_async_callable(SyncCallable())
        assert not is_async_callable(42)
