"""The dashboard's one rule for moving work off the event loop."""

from __future__ import annotations

import asyncio
import threading

from rfs_monitoring.dashboard.threads import composed, off_the_loop


def where(tag: str, *, suffix: str = "") -> tuple[str, str]:
    return (threading.current_thread().name, tag + suffix)


class TestOffTheLoop:
    def test_runs_in_a_worker_thread_with_the_arguments_given(self) -> None:
        remote = off_the_loop(where, "where, off the loop")

        async def call() -> tuple[str, str]:
            return await remote("x", suffix="!")

        thread, value = asyncio.run(call())
        assert value == "x!"
        assert thread != threading.main_thread().name
        assert remote.__doc__ == "where, off the loop"
        assert remote.__name__ == "where_off_the_loop"


class TestComposed:
    def test_applies_then_to_the_result(self) -> None:
        both = composed(where, lambda pair: pair[1].upper())
        assert both("a", suffix="b") == "AB"
        assert both.__name__ == "<lambda>_of_where"
