"""MonoResult: a lazy asynchronous chain that ends in one Result.

Nothing runs until the chain is awaited (``await mono`` or ``await mono.to_result()``); each
await runs the whole chain again unless ``.cache()`` is used. An exception raised inside any
step (the source, a mapper, a binder, a side effect) becomes ``Failure(exception)``; only
``asyncio.CancelledError`` and other ``BaseException`` s propagate, so cancellation works.
"""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, cast

from rfs_monitoring.errors import ConfigurationError, ResultAdapterError, ResultTimeoutError
from rfs_monitoring.result import Failure, Result, Success, to_result

if TYPE_CHECKING:
    import asyncio

__all__ = ["ChainObserver", "MonoResult", "set_chain_observer", "settle"]

T_co = TypeVar("T_co", covariant=True)
E_co = TypeVar("E_co", covariant=True)
T = TypeVar("T")
E = TypeVar("E")
U = TypeVar("U")
F = TypeVar("F")


class ChainRun:
    """State of one execution of a chain: when it started, when the last step was logged
    and the Result that log point saw (``seen``)."""

    __slots__ = ("last_mark", "seen", "started")

    def __init__(self) -> None:
        self.started = self.last_mark = time.perf_counter()
        self.seen: Result[Any, Any] | None = None

    def observed_kind(self, kind: str, result: Result[Any, Any]) -> str:
        """``kind``, or ``"skipped"`` when ``result`` is the very Failure the previous log
        point of this run saw: the steps between them never ran (the chain had already
        failed), so this log point reports no failure of its own."""
        skipped = result is self.seen and type(result) is not Success
        self.seen = result
        return "skipped" if skipped else kind

    def lap_ms(self) -> float:
        """Milliseconds since the previous lap (or the start), and start a new lap."""
        now = time.perf_counter()
        elapsed = (now - self.last_mark) * 1000.0
        self.last_mark = now
        return elapsed


class ChainObserver(Protocol):
    """Receives ``log_step`` / ``log_error`` events; installed by the logging module.

    ``kind`` is ``"step"`` (``log_step``), ``"error"`` (``log_error``) or ``"skipped"``
    (either of them reached by the Failure an earlier log point of the same run already
    saw: the steps in between never ran).
    """

    def __call__(
        self, kind: str, name: str, result: Result[Any, Any], elapsed_ms: float
    ) -> None: ...


def _no_observer(kind: str, name: str, result: Result[Any, Any], elapsed_ms: float) -> None:
    return None


_observer: list[ChainObserver] = [_no_observer]


def set_chain_observer(observer: ChainObserver | None) -> ChainObserver | None:
    """Install the callable that ``log_step``/``log_error`` report to (None: nothing).

    Returns the observer it replaces (None when there was none), so it can be restored.
    """
    previous = _observer[0]
    _observer[0] = observer if observer is not None else _no_observer
    return None if previous is _no_observer else previous


Runner = Callable[[ChainRun], Awaitable[Result[Any, Any]]]


async def settle(value: object) -> Result[Any, Any]:
    """Await what a step produced until it is a Result; adapt foreign Results.

    The one "await until it is a Result" rule: a MonoResult is run, an awaitable awaited
    (and a MonoResult it yields run), a foreign Result adapted; a value that is no Result
    becomes ``Failure(ResultAdapterError)``.
    """
    if isinstance(value, MonoResult):
        return await value.to_result()
    if inspect.isawaitable(value):
        value = await value
        if isinstance(value, MonoResult):
            return await value.to_result()
    try:
        return to_result(value)
    except ResultAdapterError as exc:
        return Failure(exc)


def _check_callable(fn: object, method: str) -> None:
    if not callable(fn):
        msg = f"MonoResult.{method}() expects a callable, got {type(fn).__name__}: {fn!r}"
        raise TypeError(msg)


class MonoResult(Generic[T_co, E_co]):
    """A lazy async computation of one ``Result[T, E]``.

    Args:
        source: a zero-argument callable returning an awaitable of a Result (what
            ``from_async_result`` takes).
    """

    __slots__ = ("_runner",)

    _runner: Runner

    def __init__(self, source: Callable[[], Awaitable[Result[T_co, E_co]]]) -> None:
        _check_callable(source, "__init__")

        async def run(chain: ChainRun) -> Result[Any, Any]:
            try:
                return await settle(source())
            except Exception as exc:  # noqa: BLE001 - an exception becomes a Failure
                return Failure(exc)

        self._runner = run

    @classmethod
    def _from_runner(cls, runner: Runner) -> MonoResult[Any, Any]:
        mono: MonoResult[Any, Any] = object.__new__(cls)
        mono._runner = runner
        return mono

    # ------------------------------------------------------------------ constructors

    @classmethod
    def from_async_result(
        cls, fn: Callable[[], Awaitable[Result[T, E]] | Result[T, E]]
    ) -> MonoResult[T, E]:
        """A Mono whose source is ``fn()``: called at each await, its awaitable awaited.

        ``fn`` may return an awaitable of a Result, a Result, or a MonoResult; foreign
        Result types are adapted. An exception becomes ``Failure(exception)``.
        """
        return cast("MonoResult[T, E]", cls(cast("Any", fn)))

    @classmethod
    def from_result(cls, result: Result[T, E]) -> MonoResult[T, E]:
        """A Mono that yields ``result`` (foreign Results are adapted now)."""
        settled = to_result(result)

        async def run(chain: ChainRun) -> Result[Any, Any]:
            return settled

        return cls._from_runner(run)

    @classmethod
    def from_value(cls, value: T) -> MonoResult[T, Any]:
        """A Mono that yields ``Success(value)``."""
        return cls.from_result(Success(value))

    @classmethod
    def from_error(cls, error: E) -> MonoResult[Any, E]:
        """A Mono that yields ``Failure(error)``."""
        return cls.from_result(Failure(error))

    # ------------------------------------------------------------------ operators

    def _then(
        self, step: Callable[[Result[Any, Any], ChainRun], Awaitable[Result[Any, Any]]]
    ) -> MonoResult[Any, Any]:
        upstream = self._runner

        async def run(chain: ChainRun) -> Result[Any, Any]:
            result = await upstream(chain)
            try:
                return await step(result, chain)
            except Exception as exc:  # noqa: BLE001 - an exception becomes a Failure
                return Failure(exc)

        return self._from_runner(run)

    def map(self, fn: Callable[[T_co], U]) -> MonoResult[U, E_co]:
        """Apply ``fn`` to the success value."""
        _check_callable(fn, "map")

        async def step(result: Result[Any, Any], chain: ChainRun) -> Result[Any, Any]:
            return Success(fn(result.unwrap())) if result.is_success() else result

        return self._then(step)

    def map_error(self, fn: Callable[[E_co], F]) -> MonoResult[T_co, F]:
        """Apply ``fn`` to the error."""
        _check_callable(fn, "map_error")

        async def step(result: Result[Any, Any], chain: ChainRun) -> Result[Any, Any]:
            return Failure(fn(result.unwrap_error())) if result.is_failure() else result

        return self._then(step)

    def bind_result(self, fn: Callable[[T_co], Result[U, F]]) -> MonoResult[U, E_co | F]:
        """Chain a synchronous Result-returning ``fn`` on the success value."""
        _check_callable(fn, "bind_result")

        async def step(result: Result[Any, Any], chain: ChainRun) -> Result[Any, Any]:
            return await settle(fn(result.unwrap())) if result.is_success() else result

        return self._then(step)

    def bind_async_result(
        self, fn: Callable[[T_co], Awaitable[Result[U, F]]]
    ) -> MonoResult[U, E_co | F]:
        """Chain an async Result-returning ``fn`` (or one returning a MonoResult)."""
        _check_callable(fn, "bind_async_result")

        async def step(result: Result[Any, Any], chain: ChainRun) -> Result[Any, Any]:
            return await settle(fn(result.unwrap())) if result.is_success() else result

        return self._then(step)

    def on_error_return_result(self, fn: Callable[[E_co], Result[U, F]]) -> MonoResult[T_co | U, F]:
        """Recover from a Failure with the Result ``fn(error)``."""
        _check_callable(fn, "on_error_return_result")

        async def step(result: Result[Any, Any], chain: ChainRun) -> Result[Any, Any]:
            return await settle(fn(result.unwrap_error())) if result.is_failure() else result

        return self._then(step)

    def on_error_return_value(self, value: U) -> MonoResult[T_co | U, Any]:
        """Recover from a Failure with ``Success(value)``."""

        async def step(result: Result[Any, Any], chain: ChainRun) -> Result[Any, Any]:
            return Success(value) if result.is_failure() else result

        return self._then(step)

    def do_on_success(self, action: Callable[[T_co], object]) -> MonoResult[T_co, E_co]:
        """Run ``action(value)`` (sync or async) on success; the Result is kept."""
        _check_callable(action, "do_on_success")

        async def step(result: Result[Any, Any], chain: ChainRun) -> Result[Any, Any]:
            if result.is_success():
                outcome = action(result.unwrap())
                if inspect.isawaitable(outcome):
                    await outcome
            return result

        return self._then(step)

    def do_on_error(self, action: Callable[[E_co], object]) -> MonoResult[T_co, E_co]:
        """Run ``action(error)`` (sync or async) on failure; the Result is kept."""
        _check_callable(action, "do_on_error")

        async def step(result: Result[Any, Any], chain: ChainRun) -> Result[Any, Any]:
            if result.is_failure():
                outcome = action(result.unwrap_error())
                if inspect.isawaitable(outcome):
                    await outcome
            return result

        return self._then(step)

    def log_step(self, name: str) -> MonoResult[T_co, E_co]:
        """Log the outcome at this point of the chain and the time since the previous step.

        A Failure that an earlier ``log_step`` / ``log_error`` of the same run already
        saw is no failure of this step (it never ran): it is logged as skipped (DEBUG).
        """
        return self._observe("step", name)

    def log_error(self, name: str) -> MonoResult[T_co, E_co]:
        """Log an entry only when the chain is a Failure at this point; one an earlier
        log point already saw is logged as skipped (DEBUG), as in ``log_step``."""
        return self._observe("error", name)

    def _observe(self, kind: str, name: str) -> MonoResult[T_co, E_co]:
        if not isinstance(name, str) or not name:
            msg = f"MonoResult.log_{kind}() expects a non-empty step name, got {name!r}"
            raise ConfigurationError(msg)
        upstream = self._runner

        async def run(chain: ChainRun) -> Result[Any, Any]:
            result = await upstream(chain)
            elapsed = chain.lap_ms()
            try:
                _observer[0](chain.observed_kind(kind, result), name, result, elapsed)
            except Exception:  # noqa: BLE001 - observability never breaks the chain
                _observer_failures[0] += 1
            return result

        return self._from_runner(run)

    def timeout(self, seconds: float) -> MonoResult[T_co, E_co | ResultTimeoutError]:
        """Give up after ``seconds``: the running work is cancelled and the chain yields
        ``Failure(ResultTimeoutError(seconds))``.

        Raises:
            ConfigurationError: ``seconds`` is not a finite number > 0.
        """
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, (int, float))
            or not math.isfinite(seconds)
            or seconds <= 0
        ):
            msg = f"MonoResult.timeout() expects a finite number of seconds > 0, got {seconds!r}"
            raise ConfigurationError(msg)
        upstream = self._runner

        async def run(chain: ChainRun) -> Result[Any, Any]:
            import asyncio  # here: the Hypothesis entry point loads this module without it

            try:
                return await asyncio.wait_for(upstream(chain), seconds)
            except asyncio.TimeoutError:
                return Failure(ResultTimeoutError(seconds))

        return self._from_runner(run)

    def cache(self) -> MonoResult[T_co, E_co]:
        """Run the chain once; later awaits (also concurrent ones) get the same Result."""
        upstream = self._runner
        cell: list[Result[Any, Any]] = []
        # One lock per event loop: a Lock is bound to the loop it is first used in, and a
        # cached Mono may be awaited from several loops (e.g. one per test).
        locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}

        async def run(chain: ChainRun) -> Result[Any, Any]:
            if cell:
                return cell[0]
            import asyncio

            loop = asyncio.get_running_loop()
            lock = locks.get(loop)
            if lock is None:
                locks.clear()
                lock = locks[loop] = asyncio.Lock()
            async with lock:
                if not cell:
                    cell.append(await upstream(chain))
            return cell[0]

        return self._from_runner(run)

    # ------------------------------------------------------------------ running

    async def to_result(self) -> Result[T_co, E_co]:
        """Run the chain and return its Result."""
        return await self._runner(ChainRun())

    def __await__(self) -> Generator[Any, None, Result[T_co, E_co]]:
        return self.to_result().__await__()

    def __repr__(self) -> str:
        return "MonoResult(<lazy>)"


_observer_failures = [0]


def observer_failures() -> int:
    """How many times the chain observer raised (the chain's Result was kept each time)."""
    return _observer_failures[0]
