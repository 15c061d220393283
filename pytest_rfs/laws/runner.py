"""Running the laws with Hypothesis: as one assertion, as a test class, Mono against Result."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from hypothesis import given
from hypothesis import settings as Settings
from hypothesis import strategies as st

from pytest_rfs.laws.catalogue import LAW_NAMES, LAWS, Law, LawContext
from pytest_rfs.laws.chain import Chain, Step, check_callable, name_of
from pytest_rfs.laws.comparing import check_law, run_mono
from pytest_rfs.strategies import flux_results
from pytest_rfs.strategies import results as results_strategy
from rfs_monitoring.mono import MonoResult
from rfs_monitoring.result import Result

__all__ = ["assert_chain_laws", "assert_mono_matches_result", "check_result_laws"]


def _check_strategy(value: object, what: str) -> None:
    if value is not None and not isinstance(value, st.SearchStrategy):
        msg = f"{what}, got {type(value).__name__}: {value!r}"
        raise TypeError(msg)


def _hypothesis_test(
    name: str,
    arg: str,
    strategy: st.SearchStrategy[Any],
    check: Callable[[Any], None],
    settings: Settings | None,
) -> Callable[[], None]:
    """A ``@given`` test named ``name`` whose single argument ``arg`` is drawn from ``strategy``.

    Named per law so that Hypothesis prints e.g. ``bind_associativity(m=Success(0))``.
    """
    if arg == "m":

        def law_test(m: Any) -> None:
            __tracebackhide__ = True
            check(m)
    elif arg == "value":

        def law_test(value: Any) -> None:  # type: ignore[misc]
            __tracebackhide__ = True
            check(value)
    else:

        def law_test(flux: Any) -> None:  # type: ignore[misc]
            __tracebackhide__ = True
            check(flux)

    law_test.__name__ = law_test.__qualname__ = name
    test: Callable[[], None] = given(**{arg: strategy})(law_test)
    # Law checks may await MonoResults: no per-example deadline unless the caller sets one.
    return (settings if settings is not None else Settings(deadline=None))(test)


def _context(
    f: Step,
    g: Step,
    values: st.SearchStrategy[Any],
    errors: st.SearchStrategy[Any] | None,
    results: st.SearchStrategy[Result[Any, Any]] | None,
    error_map: Step | None,
) -> LawContext:
    for name, fn in (("f", f), ("g", g)):
        check_callable(fn, f"chain laws expect {name} to be a callable step")
    if error_map is not None:
        check_callable(error_map, "chain laws expect error_map to be callable")
    for name, strategy in (("values", values), ("errors", errors), ("results", results)):
        _check_strategy(strategy, f"chain laws expect {name} to be a Hypothesis SearchStrategy")
    if results is None:
        results = results_strategy(values, errors if errors is not None else st.text())
    return LawContext(f, g, error_map if error_map is not None else repr, values, results)


def _law_runner(law: Law, c: LawContext, settings: Settings | None) -> Callable[[], None]:
    strategies: dict[str, st.SearchStrategy[Any]] = {
        "m": c.results,
        "value": c.values,
        "flux": flux_results(c.results, max_size=8),
    }
    return _hypothesis_test(
        law.name, law.arg, strategies[law.arg], lambda x: law.check(c, x), settings
    )


def assert_chain_laws(
    f: Step,
    g: Step,
    *,
    values: st.SearchStrategy[Any],
    errors: st.SearchStrategy[Any] | None = None,
    results: st.SearchStrategy[Result[Any, Any]] | None = None,
    error_map: Step | None = None,
    settings: Settings | None = None,
    laws: Iterable[str] | None = None,
) -> None:
    """Check every chain law for the steps ``f`` then ``g``; raise at the first that fails.

    Args:
        f: the first step, ``value -> Result`` (a Result of any supported library).
        g: the second step, applied to ``f``'s success values.
        values: the values ``f`` accepts.
        errors: errors of the input Results (default: text); ignored when ``results`` is given.
        results: the input Results (default: ``results(values, errors)``).
        error_map: the chain's ``map_error`` function (default: ``repr``), e.g.
            ``APIError.from_service_error``.
        settings: Hypothesis settings for each law (default: the current profile, no deadline).
        laws: the names of the laws to check, from ``LAW_NAMES`` (default: all of them,
            in that order).

    Raises:
        LawViolation: a law does not hold; Hypothesis prints the shrunk falsifying example.
        TypeError: a step or strategy argument has the wrong type.
        ValueError: ``laws`` names a law that does not exist.
    """
    __tracebackhide__ = True
    c = _context(f, g, values, errors, results, error_map)
    for law in _selected(laws):
        _law_runner(law, c, settings)()


def _selected(names: Iterable[str] | None) -> tuple[Law, ...]:
    if names is None:
        return LAWS
    wanted = [names] if isinstance(names, str) else list(names)
    unknown = [name for name in wanted if name not in LAW_NAMES]
    if unknown:
        msg = f"unknown law(s) {', '.join(map(repr, unknown))}; known: {', '.join(LAW_NAMES)}"
        raise ValueError(msg)
    return tuple(law for law in LAWS if law.name in wanted)


def check_result_laws(
    f: Step,
    g: Step,
    *,
    values: st.SearchStrategy[Any],
    errors: st.SearchStrategy[Any] | None = None,
    results: st.SearchStrategy[Result[Any, Any]] | None = None,
    error_map: Step | None = None,
    settings: Settings | None = None,
) -> type:
    """A pytest test class with one test per chain law (``test_<law>``) for ``f`` then ``g``.

    Assign it to a ``Test*`` name in a test module::

        TestUserChainLaws = check_result_laws(parse_user, validate_user, values=raw_users())

    Arguments as for ``assert_chain_laws``; the class is named ``TestChainLaws``.
    """
    c = _context(f, g, values, errors, results, error_map)
    namespace: dict[str, Any] = {
        "__doc__": f"Chain laws of f={name_of(f)}, g={name_of(g)}.",
        "chain": c.chain(),
    }
    for law in LAWS:

        def test(self: object, law: Law = law) -> None:
            __tracebackhide__ = True
            _law_runner(law, c, settings)()

        test.__name__ = test.__qualname__ = f"test_{law.name}"
        namespace[test.__name__] = test
    return type("TestChainLaws", (), namespace)


def _check_chain(chain: object) -> None:
    if not isinstance(chain, Chain):
        msg = f"assert_mono_matches_result() expects a Chain, got {type(chain).__name__}: {chain!r}"
        raise TypeError(msg)


def assert_mono_matches_result(
    chain: Chain,
    *,
    results: st.SearchStrategy[Result[Any, Any]] | None = None,
    settings: Settings | None = None,
) -> None:
    """Check that ``chain`` on ``MonoResult.from_result(m)`` awaits to ``chain.apply(m)``.

    On the plain side an exception a step raises becomes ``Failure(exception)`` at that step
    (``capture_exceptions=True``), as in the MonoResult; exceptions compare by type and args.

    Args:
        chain: the steps, e.g. ``Chain().bind(validate).map_error(APIError.from_service_error)``.
        results: the input Results (default: ``results()``).
        settings: Hypothesis settings (default: the current profile, no deadline).

    Raises:
        LawViolation: for some input the two differ (the shrunk input is printed).
    """
    __tracebackhide__ = True
    _check_chain(chain)
    strategy = results if results is not None else results_strategy()

    def check(m: Result[Any, Any]) -> None:
        __tracebackhide__ = True
        check_law(
            "mono_matches_result",
            f"await {chain!r}.apply_mono(MonoResult.from_result(m)) == "
            f"{chain!r}.apply(m, capture_exceptions=True)",
            {"m": m},
            run_mono(chain.apply_mono(MonoResult.from_result(m))),
            chain.apply(m, capture_exceptions=True),
        )

    _hypothesis_test("mono_matches_result", "m", strategy, check, settings)()
