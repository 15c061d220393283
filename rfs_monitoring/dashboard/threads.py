"""The one way the dashboard moves work off the event loop: into a worker thread."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

import anyio.to_thread

__all__ = ["composed", "off_the_loop"]

P = ParamSpec("P")
A = TypeVar("A")
R = TypeVar("R")


def off_the_loop(fn: Callable[P, R], doc: str) -> Callable[P, Awaitable[R]]:
    """``fn`` as a coroutine function running it in a worker thread, with ``fn``'s signature.

    Args:
        fn: the synchronous, CPU-bound function.
        doc: the docstring of the coroutine function.
    """

    async def in_a_worker_thread(*args: P.args, **kwargs: P.kwargs) -> R:
        return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))

    in_a_worker_thread.__doc__ = doc
    in_a_worker_thread.__name__ = in_a_worker_thread.__qualname__ = f"{fn.__name__}_off_the_loop"
    return in_a_worker_thread


def composed(fn: Callable[P, A], then: Callable[[A], R]) -> Callable[P, R]:
    """``then(fn(...))``, with ``fn``'s signature."""

    def both(*args: P.args, **kwargs: P.kwargs) -> R:
        return then(fn(*args, **kwargs))

    both.__name__ = both.__qualname__ = f"{then.__name__}_of_{fn.__name__}"
    return both
