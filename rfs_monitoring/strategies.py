"""Hypothesis strategies for Result, MonoResult and FluxResult, and their type registration.

This module needs Hypothesis and is never imported by ``import rfs_monitoring``. The
``hypothesis`` entry point of this distribution (``rfs_monitoring._hypothesis``) registers
our types when ``hypothesis`` is imported, with a function that loads this module on the
first ``st.from_type`` of one of them (``type_strategy``): from then on ``st.from_type`` and
``st.builds`` know
``Result[T, E]``, ``MonoResult[T, E]``, ``FluxResult[T, E]``, ``Success``, ``Failure``,
``APIError`` and ``ErrorCode`` in any program, with or without pytest. pytest users import
the same strategies as ``pytest_rfs.strategies``.

Every strategy lists its simplest values first, so a failing example shrinks towards
``Success(0)`` / ``Failure('')`` and is printed that way.
"""

from __future__ import annotations

import asyncio
import math
import weakref
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, get_args, get_origin, overload

from hypothesis import reject
from hypothesis import strategies as st

from rfs_monitoring.errors import APIError, ConfigurationError, ErrorCode
from rfs_monitoring.flux import FluxResult
from rfs_monitoring.mono import MonoResult
from rfs_monitoring.result import Failure, Result, Success

__all__ = [
    "REGISTERED_TYPES",
    "VARIANT_TRIES",
    "api_errors",
    "correlation_ids",
    "failures",
    "flux_results",
    "mono_result",
    "mono_results",
    "register_type_strategies",
    "results",
    "success_count_range",
    "successes",
    "type_strategy",
]

T = TypeVar("T")
E = TypeVar("E")

_ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-._"
_UNBOUNDED_RATE_SIZES = 20
"""With a success-rate bound and no max_size, sizes up to min_size + this are drawn."""


def _check_strategy(value: object, name: str, function: str) -> None:
    if not isinstance(value, st.SearchStrategy):
        msg = (
            f"{function}() expects {name} to be a Hypothesis SearchStrategy, "
            f"got {type(value).__name__}: {value!r}"
        )
        raise TypeError(msg)


# --------------------------------------------------------------------------- Result


@overload
def successes() -> st.SearchStrategy[Success[int]]: ...
@overload
def successes(values: st.SearchStrategy[T]) -> st.SearchStrategy[Success[T]]: ...
def successes(values: st.SearchStrategy[Any] | None = None) -> st.SearchStrategy[Success[Any]]:
    """``Success(v)`` for ``v`` drawn from ``values`` (default: integers).

    Shrinks to ``Success(<simplest value>)``: ``Success(0)`` by default.
    """
    return _successes(values)


def _successes(values: st.SearchStrategy[Any] | None) -> st.SearchStrategy[Success[Any]]:
    if values is None:
        values = st.integers()
    _check_strategy(values, "values", "successes")
    return values.map(Success)


@overload
def failures() -> st.SearchStrategy[Failure[str]]: ...
@overload
def failures(errors: st.SearchStrategy[E]) -> st.SearchStrategy[Failure[E]]: ...
def failures(errors: st.SearchStrategy[Any] | None = None) -> st.SearchStrategy[Failure[Any]]:
    """``Failure(e)`` for ``e`` drawn from ``errors`` (default: text).

    Shrinks to ``Failure(<simplest error>)``: ``Failure('')`` by default.
    """
    return _failures(errors)


def _failures(errors: st.SearchStrategy[Any] | None) -> st.SearchStrategy[Failure[Any]]:
    if errors is None:
        errors = st.text()
    _check_strategy(errors, "errors", "failures")
    return errors.map(Failure)


@overload
def results() -> st.SearchStrategy[Result[int, str]]: ...
@overload
def results(success: st.SearchStrategy[T]) -> st.SearchStrategy[Result[T, str]]: ...
@overload
def results(*, failure: st.SearchStrategy[E]) -> st.SearchStrategy[Result[int, E]]: ...
@overload
def results(
    success: st.SearchStrategy[T], failure: st.SearchStrategy[E]
) -> st.SearchStrategy[Result[T, E]]: ...
def results(
    success: st.SearchStrategy[Any] | None = None, failure: st.SearchStrategy[Any] | None = None
) -> st.SearchStrategy[Result[Any, Any]]:
    """``Success(v)`` or ``Failure(e)``, with ``v`` from ``success`` and ``e`` from ``failure``.

    Defaults: integers and text. Successes come first, so an example shrinks to
    ``Success(<simplest value>)`` (``Success(0)``), or, when only a Failure fails, to
    ``Failure(<simplest error>)`` (``Failure('')``).
    """
    return _results(success, failure)


def _results(
    success: st.SearchStrategy[Any] | None = None, failure: st.SearchStrategy[Any] | None = None
) -> st.SearchStrategy[Result[Any, Any]]:
    parts = (_successes(success), _failures(failure))
    strategy = st.one_of(*parts)
    _VARIANTS[strategy] = parts
    return strategy


_VARIANTS: weakref.WeakKeyDictionary[st.SearchStrategy[Any], tuple[Any, Any]] = (
    weakref.WeakKeyDictionary()
)
"""The (successes, failures) parts of each strategy ``results()`` built, for flux_results."""

VARIANT_TRIES = 50
"""Draws from a foreign ``results`` strategy before giving up on getting one variant."""


# --------------------------------------------------------------------------- APIError


def _json_scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(),
    )


def api_errors(
    codes: Iterable[ErrorCode | str] | None = None,
) -> st.SearchStrategy[APIError]:
    """``APIError`` values with a code from ``codes`` (default: every ErrorCode).

    Messages are text, details small dicts of JSON scalars. Shrinks to
    ``APIError(code=<first code>, message='', details={})``; the first code by default is
    ``ErrorCode.BAD_REQUEST``.

    Raises:
        ConfigurationError: ``codes`` is empty or holds something that is no ErrorCode.
    """
    if codes is None:
        chosen = list(ErrorCode)
    else:
        if isinstance(codes, str):
            codes = [codes]
        chosen = []
        for code in codes:
            try:
                chosen.append(ErrorCode(code))
            except ValueError:
                accepted = ", ".join(c.value for c in ErrorCode)
                msg = f"api_errors() got code {code!r}, which is no ErrorCode; accepted: {accepted}"
                raise ConfigurationError(msg) from None
        if not chosen:
            msg = "api_errors() expects at least one code, got none"
            raise ConfigurationError(msg)
    return st.builds(
        APIError,
        code=st.sampled_from(chosen),
        message=st.text(),
        details=st.dictionaries(st.text(max_size=12), _json_scalars(), max_size=3),
    )


def correlation_ids() -> st.SearchStrategy[str]:
    """Correlation ids that ``is_valid_correlation_id`` accepts: 1..128 of ``[A-Za-z0-9._-]``.

    Shrinks to ``'0'``.
    """
    return st.text(alphabet=_ID_ALPHABET, min_size=1, max_size=128)


# --------------------------------------------------------------------------- MonoResult


def mono_result(
    result: Result[T, E], *, delay: float | None = None, raises: Exception | None = None
) -> MonoResult[T, E]:
    """A MonoResult yielding ``result``, optionally after ``delay`` s or by raising ``raises``.

    Each time it is awaited it sleeps ``delay`` seconds (when given), then raises ``raises``
    (when given, so the Mono yields ``Failure(raises)``) or yields ``result``. This is what
    ``mono_results`` draws; falsifying examples print as calls of it: ``mono_result(Success(0))``.
    """

    async def source() -> Result[T, E]:
        if delay is not None:
            await asyncio.sleep(delay)
        if raises is not None:
            raise raises
        return result

    return MonoResult.from_async_result(source)


def mono_results(
    results: st.SearchStrategy[Result[T, E]] | None = None,
    *,
    delay: st.SearchStrategy[float] | None = None,
    raises: st.SearchStrategy[Exception] | None = None,
) -> st.SearchStrategy[MonoResult[T, E]]:
    """MonoResults that yield a Result drawn from ``results`` (default: ``results()``).

    Args:
        results: the Results the Monos yield.
        delay: when given, each Mono first sleeps a drawn number of seconds (keep it small).
        raises: when given, a Mono may instead raise a drawn exception in its source, which
            the Mono turns into ``Failure(exception)``.

    Shrinks to ``mono_result(Success(0))`` (no delay beyond the simplest drawn one, no
    exception raised).
    """
    source: st.SearchStrategy[Result[Any, Any]] = _results() if results is None else results
    _check_strategy(source, "results", "mono_results")
    kwargs: dict[str, st.SearchStrategy[Any]] = {}
    if delay is not None:
        _check_strategy(delay, "delay", "mono_results")
        kwargs["delay"] = delay
    if raises is not None:
        _check_strategy(raises, "raises", "mono_results")
        kwargs["raises"] = st.none() | raises
    return st.builds(mono_result, source, **kwargs)


# --------------------------------------------------------------------------- FluxResult


def success_count_range(size: int, low: float, high: float) -> tuple[int, int] | None:
    """The (min, max) number of successes whose rate, as FluxResult computes it, is in bounds."""
    if size == 0:
        return (0, 0) if low <= 0.0 <= high else None
    # Start from the real-number bounds, then correct for float rounding of k / size.
    k_low = max(0, math.ceil(low * size) - 1)
    while k_low <= size and k_low / size < low:
        k_low += 1
    k_high = min(size, math.floor(high * size) + 1)
    while k_high >= 0 and k_high / size > high:
        k_high -= 1
    return (k_low, k_high) if k_low <= k_high else None


def _check_rate(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        msg = f"flux_results() expects {name} to be a number in 0.0..1.0, got {value!r}"
        raise ConfigurationError(msg)
    return float(value)


def _variant_strategies(
    source: st.SearchStrategy[Result[Any, Any]],
) -> tuple[st.SearchStrategy[Result[Any, Any]], st.SearchStrategy[Result[Any, Any]]]:
    """Strategies for only the Successes and only the Failures of ``source``."""
    known = _VARIANTS.get(source)
    if known is not None:
        return known

    @st.composite
    def variant(draw: st.DrawFn, success: bool) -> Result[Any, Any]:
        # Redrawing (rather than .filter) keeps a foreign strategy that yields both variants
        # about equally often clear of Hypothesis's filter_too_much health check.
        drawn = (draw(source) for _ in range(VARIANT_TRIES))
        found = next((r for r in drawn if r.is_success() == success), None)
        if found is None:
            reject()
        return found

    return variant(True), variant(False)


def flux_results(
    results: st.SearchStrategy[Result[T, E]] | None = None,
    *,
    min_size: int = 0,
    max_size: int | None = None,
    min_success_rate: float = 0.0,
    max_success_rate: float = 1.0,
) -> st.SearchStrategy[FluxResult[T, E]]:
    """FluxResults of ``min_size..max_size`` Results drawn from ``results`` (default ``results()``).

    With ``min_success_rate`` / ``max_success_rate`` every batch's ``success_rate()`` is within
    the bounds (an empty batch has rate 0.0); only sizes for which some count of successes
    fits are drawn, and when ``max_size`` is None sizes stop at ``min_size + 20``. Successes
    and Failures are then drawn from ``results`` filtered to each variant.

    Shrinks to the shortest allowed batch with as many Successes as the bounds allow, first:
    ``FluxResult([])`` by default.

    Raises:
        ConfigurationError: a size or rate is out of range, or no size fits the rates.
    """
    source: st.SearchStrategy[Result[Any, Any]] = _results() if results is None else results
    _check_strategy(source, "results", "flux_results")
    if isinstance(min_size, bool) or not isinstance(min_size, int) or min_size < 0:
        msg = f"flux_results() expects min_size to be an int >= 0, got {min_size!r}"
        raise ConfigurationError(msg)
    if max_size is not None and (
        isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < min_size
    ):
        msg = (
            f"flux_results() expects max_size to be None or an int >= min_size ({min_size}), "
            f"got {max_size!r}"
        )
        raise ConfigurationError(msg)
    low = _check_rate(min_success_rate, "min_success_rate")
    high = _check_rate(max_success_rate, "max_success_rate")
    if low > high:
        msg = (
            f"flux_results() expects min_success_rate <= max_success_rate, "
            f"got {min_success_rate!r} > {max_success_rate!r}"
        )
        raise ConfigurationError(msg)
    if low == 0.0 and high == 1.0:
        return st.lists(source, min_size=min_size, max_size=max_size).map(FluxResult)

    top = max_size if max_size is not None else min_size + _UNBOUNDED_RATE_SIZES
    fitting = [n for n in range(min_size, top + 1) if success_count_range(n, low, high)]
    if not fitting:
        msg = (
            f"flux_results() cannot build a batch of {min_size}..{top} Results with a success "
            f"rate in {low!r}..{high!r}; widen the sizes or the rates"
        )
        raise ConfigurationError(msg)
    only_successes, only_failures = _variant_strategies(source)

    @st.composite
    def batches(draw: st.DrawFn) -> list[Result[Any, Any]]:
        size = draw(st.sampled_from(fitting))
        bounds = success_count_range(size, low, high)
        assert bounds is not None  # `fitting` holds only sizes with bounds
        k_low, k_high = bounds
        # Drawing the number of *failures* (beyond the minimum) makes batches shrink towards
        # Successes, the simplest Results.
        successes_left = k_high - draw(st.integers(0, k_high - k_low))
        failures_left = size - successes_left
        batch: list[Result[Any, Any]] = []
        while successes_left or failures_left:
            # booleans() shrinks to False: a Success here, so Successes shrink to the front.
            success = not failures_left or (successes_left > 0 and not draw(st.booleans()))
            if success:
                successes_left -= 1
                batch.append(draw(only_successes))
            else:
                failures_left -= 1
                batch.append(draw(only_failures))
        return batch

    return batches().map(FluxResult)


# --------------------------------------------------------------------------- registration


def _arg_strategies(thing: Any, count: int) -> list[st.SearchStrategy[Any] | None]:
    """Strategies for the type arguments of ``thing`` (None where the default applies)."""
    args = get_args(thing)
    found: list[st.SearchStrategy[Any] | None] = []
    for index in range(count):
        arg = args[index] if index < len(args) else Any
        found.append(None if arg is Any else st.from_type(arg))
    return found


def _result_strategy(thing: Any) -> st.SearchStrategy[Result[Any, Any]]:
    success, failure = _arg_strategies(thing, 2)
    return _results(success, failure)


def _success_strategy(thing: Any) -> st.SearchStrategy[Success[Any]]:
    (values,) = _arg_strategies(thing, 1)
    return _successes(values)


def _failure_strategy(thing: Any) -> st.SearchStrategy[Failure[Any]]:
    (errors,) = _arg_strategies(thing, 1)
    return _failures(errors)


def _flux_strategy(thing: Any) -> st.SearchStrategy[FluxResult[Any, Any]]:
    return flux_results(_result_strategy(thing))


def _mono_strategy(thing: Any) -> st.SearchStrategy[MonoResult[Any, Any]]:
    return mono_results(_result_strategy(thing))


def _api_error_strategy(thing: Any) -> st.SearchStrategy[APIError]:
    return api_errors()


def _error_code_strategy(thing: Any) -> st.SearchStrategy[ErrorCode]:
    return st.sampled_from(ErrorCode)


_TYPE_STRATEGIES: dict[type, Callable[[Any], st.SearchStrategy[Any]]] = {
    Result: _result_strategy,
    Success: _success_strategy,
    Failure: _failure_strategy,
    FluxResult: _flux_strategy,
    MonoResult: _mono_strategy,
    APIError: _api_error_strategy,
    ErrorCode: _error_code_strategy,
}

REGISTERED_TYPES: tuple[type, ...] = tuple(_TYPE_STRATEGIES)
"""The types ``register_type_strategies`` (and the ``hypothesis`` entry point) register."""


def type_strategy(thing: Any) -> st.SearchStrategy[Any]:
    """The strategy ``st.from_type(thing)`` draws from, for one of ``REGISTERED_TYPES``.

    ``thing`` is the type itself or a parametrised generic (``Result[int, str]``): the
    type arguments are read, a missing or ``Any`` argument falls back to integers (values)
    and text (errors).

    Raises:
        ConfigurationError: ``thing`` is none of ``REGISTERED_TYPES``.
    """
    origin = get_origin(thing) or thing
    build = _TYPE_STRATEGIES.get(origin)
    if build is None:
        accepted = ", ".join(t.__name__ for t in REGISTERED_TYPES)
        msg = f"type_strategy() got {thing!r}, which is none of {accepted}"
        raise ConfigurationError(msg)
    return build(thing)


def register_type_strategies() -> None:
    """Register our types with ``st.register_type_strategy`` (``type_strategy`` for each).

    The ``hypothesis`` entry point (``rfs_monitoring._hypothesis``) registers the same types
    without importing this module, which it loads on the first ``st.from_type`` of one of them.
    """
    for registered in REGISTERED_TYPES:
        st.register_type_strategy(registered, type_strategy)
