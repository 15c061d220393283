"""The rows of ``bench_logging``: one variant's calls, bound as the variant says, timed.

A row runs its function ``number`` times per round in one of three bindings: inside one
correlation context, outside any, or per simulated request (as ``CorrelationIdMiddleware``
binds a request: a fresh correlation id as the correlation and request id, plus the same
in structlog's contextvars for the anchor; the request's user id passed to each call).
"""

from __future__ import annotations

import contextlib
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import structlog

from rfs_monitoring import correlation_context, flush_logs
from rfs_monitoring.context import (
    new_correlation_id,
    reset_correlation_id,
    reset_request_id,
    set_correlation_id,
    set_request_id,
)
from rfs_monitoring.result_logging.state import STATE

__all__ = ["MANY_USERS", "REQUEST_CALLS", "USERS", "Call", "Figures", "Variant", "writer_cpu"]

Call = Callable[..., Any]
Figures = tuple[float, float, float]
REQUEST_CALLS = 4
"""Calls per simulated request in the (r) rows (a request id and correlation id each)."""
USERS = 1000
"""Distinct user ids the (r) rows' requests are spread over."""
MANY_USERS = 100_000
"""Distinct user ids of the (r) row whose users outnumber the masked-id cache (4,096):
each request's first call masks its id afresh."""


def writer_cpu() -> float:
    """CPU seconds of the writer thread so far (0.0 without one)."""
    writer = STATE.writer
    thread = writer.thread if writer is not None else None
    if thread is None or thread.ident is None:
        return 0.0
    return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))


class Variant:
    """One row: a function, whether it is async, whether it logs (flush before CPU), and
    how the calls are bound: ``"context"`` (one correlation context for the round),
    ``"none"``, or ``"request"`` (a new request every ``REQUEST_CALLS`` calls, the user id
    passed to each call, one of ``users``)."""

    def __init__(
        self, name: str, fn: Call, *, is_async: bool, logs: bool, mode: str, users: int = USERS
    ) -> None:
        self.name, self.fn, self.is_async, self.logs, self.mode = name, fn, is_async, logs, mode
        self.users = users
        self.kind = "async" if is_async else "sync"
        self.samples: list[tuple[float, float, float]] = []

    @property
    def baseline(self) -> tuple[str, str]:
        """The names of the (a) and (b) rows this row is compared with."""
        suffix = ", per request" if self.mode == "request" else ""
        return f"(a) bare, {self.kind}{suffix}", f"(b) anchor, {self.kind}{suffix}"

    async def run(self, number: int) -> Figures:
        """Per call: (caller thread CPU µs, writer CPU µs, process CPU µs)."""
        if self.mode == "request":
            return await self._run_requests(number)
        fn = self.fn
        context = correlation_context("bench-correlation-id") if self.mode == "context" else None
        with context if context is not None else contextlib.nullcontext():
            writer0, thread0, cpu0 = writer_cpu(), time.thread_time(), time.process_time()
            if self.is_async:
                for _ in range(number):
                    await fn()
            else:
                for _ in range(number):
                    fn()
            thread1 = time.thread_time()
        return self._figures(number, writer0, thread0, cpu0, thread1)

    async def _run_requests(self, number: int) -> Figures:
        """As under ``CorrelationIdMiddleware``: per request a fresh correlation id bound as
        the correlation and request id (and in structlog's contextvars, for the anchor),
        the request's user id (a fresh string, as parsed from a path) passed to each call."""
        requests = max(1, number // REQUEST_CALLS)
        ids = [new_correlation_id() for _ in range(requests)]
        picks = [_RANDOM.randrange(self.users) for _ in range(requests)]
        users = [f"user-{pick:05d}" for pick in picks]
        fn, calls, bind = self.fn, range(REQUEST_CALLS), structlog.contextvars.bind_contextvars
        reset = structlog.contextvars.reset_contextvars
        writer0, thread0, cpu0 = writer_cpu(), time.thread_time(), time.process_time()
        for request_id, user_id in zip(ids, users, strict=True):
            cid_token, rid_token = set_correlation_id(request_id), set_request_id(request_id)
            tokens = bind(correlation_id=request_id, request_id=request_id)
            if self.is_async:
                for _ in calls:
                    await fn(user_id)
            else:
                for _ in calls:
                    fn(user_id)
            reset(**tokens)
            reset_request_id(rid_token)
            reset_correlation_id(cid_token)
        thread1 = time.thread_time()
        return self._figures(requests * REQUEST_CALLS, writer0, thread0, cpu0, thread1)

    def _figures(
        self, number: int, writer0: float, thread0: float, cpu0: float, thread1: float
    ) -> Figures:
        if self.logs:
            flush_logs(timeout=60)
        cpu1, writer1 = time.process_time(), writer_cpu()
        scale = 1e6 / number
        return (thread1 - thread0) * scale, (writer1 - writer0) * scale, (cpu1 - cpu0) * scale

    def median(self) -> Figures:
        return (
            statistics.median(s[0] for s in self.samples),
            statistics.median(s[1] for s in self.samples),
            statistics.median(s[2] for s in self.samples),
        )


_RANDOM = random.Random(18)
