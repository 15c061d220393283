"""Small facts about callables, each stated once for the whole package."""

from __future__ import annotations

import inspect

__all__ = ["is_async_callable"]


def is_async_callable(fn: object) -> bool:
    """Whether calling ``fn`` returns a coroutine: an ``async def`` or an async ``__call__``.

    ``functools.partial`` and methods are seen through (``inspect`` unwraps them).
    """
    if inspect.iscoroutinefunction(fn):
        return True
    call = getattr(fn, "__call__", None)  # noqa: B004 - an instance with an async __call__
    return inspect.iscoroutinefunction(call)
