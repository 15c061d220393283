"""FluxResult: an ordered batch of Results with its statistics."""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Iterator
from typing import Any, Generic, TypeVar, cast

from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.mono import settle
from rfs_monitoring.result import Failure, Result, Success, to_result

__all__ = ["FluxResult"]

T_co = TypeVar("T_co", covariant=True)
E_co = TypeVar("E_co", covariant=True)
T = TypeVar("T")
E = TypeVar("E")


class FluxResult(Generic[T_co, E_co]):
    """An immutable, ordered batch of ``Result[T, E]``.

    Args:
        results: the Results, in order (foreign Result types are adapted).
    """

    __slots__ = ("_results",)

    def __init__(self, results: Iterable[Result[T_co, E_co]] = ()) -> None:
        self._results: tuple[Result[T_co, E_co], ...] = tuple(to_result(r) for r in results)

    @classmethod
    def from_results(cls, results: Iterable[Result[T, E]]) -> FluxResult[T, E]:
        """A batch of the given Results."""
        return cast("FluxResult[T, E]", cls(cast("Any", results)))

    @classmethod
    def from_values(cls, values: Iterable[T]) -> FluxResult[T, Any]:
        """A batch of ``Success(v)`` for each value."""
        successes: list[Result[T, Any]] = [Success(v) for v in values]
        return cast("FluxResult[T, Any]", cls(cast("Any", successes)))

    @classmethod
    async def from_async(
        cls, awaitables: Iterable[Awaitable[Result[T, E]]], *, concurrency: int = 10
    ) -> FluxResult[T, E]:
        """Await every item with at most ``concurrency`` running at once; order is kept.

        Items may be coroutines, MonoResults or other awaitables of a Result; an item
        that raises becomes ``Failure(exception)``.

        Raises:
            ConfigurationError: ``concurrency`` is not an int >= 1.
        """
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            msg = (
                "FluxResult.from_async() expects concurrency to be an int >= 1, "
                f"got {concurrency!r}"
            )
            raise ConfigurationError(msg)
        items = list(awaitables)
        results: list[Result[Any, Any]] = [Failure(None)] * len(items)
        next_index = 0

        async def worker() -> None:
            nonlocal next_index
            while next_index < len(items):
                index = next_index
                next_index += 1
                try:
                    results[index] = await settle(items[index])
                except Exception as exc:  # noqa: BLE001 - an exception becomes a Failure
                    results[index] = Failure(exc)

        import asyncio  # here: the Hypothesis entry point loads this module without it

        workers = [asyncio.ensure_future(worker()) for _ in range(min(concurrency, len(items)))]
        try:
            await asyncio.gather(*workers)
        finally:
            for task in workers:
                task.cancel()
            for item in items[next_index:]:
                close = getattr(item, "close", None)
                if close is not None and asyncio.iscoroutine(item):
                    close()
        return cast("FluxResult[T, E]", cls(results))

    @property
    def results(self) -> tuple[Result[T_co, E_co], ...]:
        """The Results, in order."""
        return self._results

    def count_success(self) -> int:
        """Number of Successes."""
        return sum(1 for r in self._results if r.is_success())

    def count_failures(self) -> int:
        """Number of Failures."""
        return len(self._results) - self.count_success()

    def success_values(self) -> list[T_co]:
        """The success values, in order."""
        return [r.unwrap() for r in self._results if r.is_success()]

    def errors(self) -> list[E_co]:
        """The errors, in order."""
        return [r.unwrap_error() for r in self._results if r.is_failure()]

    def success_rate(self) -> float:
        """Successes / total, in 0.0..1.0; 0.0 for an empty batch."""
        if not self._results:
            return 0.0
        return self.count_success() / len(self._results)

    def partition(self) -> tuple[list[T_co], list[E_co]]:
        """``(success_values, errors)`` in one pass."""
        values: list[T_co] = []
        errors: list[E_co] = []
        for r in self._results:
            if r.is_success():
                values.append(r.unwrap())
            else:
                errors.append(r.unwrap_error())
        return values, errors

    def __iter__(self) -> Iterator[Result[T_co, E_co]]:
        return iter(self._results)

    def __len__(self) -> int:
        return len(self._results)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FluxResult):
            return NotImplemented
        return self._results == other._results

    def __hash__(self) -> int:
        return hash((FluxResult, self._results))

    def __repr__(self) -> str:
        return f"FluxResult({list(self._results)!r})"
