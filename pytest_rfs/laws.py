"""Ready-made laws for Result chains, checked with Hypothesis on your own step functions.

A chain step is a function ``value -> Result`` (``validate_user_response``, a repository
lookup, ...). For two steps ``f`` and ``g`` the laws say that chains built from them can be
regrouped and refactored safely: ``map`` and ``map_error`` are functors, ``bind`` is a monad
(left/right identity, associativity), a MonoResult chain computes what the same steps compute
on a plain Result, and a FluxResult stays consistent. A step that is not deterministic, or
that mutates what it is given, breaks them; so does a broken container.

Two ways to use them::

    from pytest_rfs.laws import assert_chain_laws, check_result_laws

    def test_user_chain_laws():
        assert_chain_laws(parse_user, validate_user_response, values=raw_users())

    TestUserChainLaws = check_result_laws(parse_user, validate_user_response, values=raw_users())

``check_result_laws`` returns a test class with one test per law, so pytest reports each law
on its own. A law that fails raises ``LawViolation`` naming the law, the input and both sides;
Hypothesis shrinks the input first and prints it as the falsifying example.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import functools
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from hypothesis import given
from hypothesis import settings as Settings
from hypothesis import strategies as st

from rfs_monitoring._hypothesis import flux_results
from rfs_monitoring._hypothesis import results as results_strategy
from rfs_monitoring.flux import FluxResult
from rfs_monitoring.mono import MonoResult
from rfs_monitoring.result import Failure, Result, Success, to_result

__all__ = [
    "LAW_NAMES",
    "Chain",
    "LawViolation",
    "assert_chain_laws",
    "assert_flux_invariants",
    "assert_mono_matches_result",
    "check_result_laws",
]

T = TypeVar("T")

Step = Callable[[Any], Any]


class LawViolation(AssertionError):
    """A law did not hold.

    Attributes:
        law: the law's name, e.g. ``"bind_associativity"``.
        statement: the equation that failed.
        given: the input, as ``{"m": Success(0)}``.
        left: what the left-hand side computed.
        right: what the right-hand side computed.
    """

    def __init__(
        self, law: str, statement: str, given: dict[str, Any], left: object, right: object
    ) -> None:
        inputs = ", ".join(f"{name}={value!r}" for name, value in given.items())
        msg = (
            f"law {law} does not hold: {statement}\n"
            f"  for {inputs}\n"
            f"  left side:  {left!r}\n"
            f"  right side: {right!r}"
        )
        super().__init__(msg)
        self.law = law
        self.statement = statement
        self.given = given
        self.left = left
        self.right = right


# --------------------------------------------------------------------------- comparing


def _same(left: object, right: object) -> bool:
    """Equality for law checks: exceptions match by type and args, Results by payload."""
    if isinstance(left, BaseException) or isinstance(right, BaseException):
        return type(left) is type(right) and getattr(left, "args", None) == getattr(
            right, "args", None
        )
    if isinstance(left, Result) and isinstance(right, Result):
        if left.is_success() != right.is_success():
            return False
        if left.is_success():
            return _same(left.unwrap(), right.unwrap())
        return _same(left.unwrap_error(), right.unwrap_error())
    try:
        return bool(left == right)
    except Exception:  # noqa: BLE001 - a value whose == raises is simply not equal
        return False


def _outcome(compute: Callable[[], object]) -> Result[Any, Any]:
    """Run one side of a law; an exception becomes ``Failure(exception)`` as in a MonoResult."""
    try:
        return to_result(compute())
    except Exception as exc:  # noqa: BLE001 - a raising step yields Failure, as in a MonoResult
        return Failure(exc)


def _check(law: str, statement: str, given: dict[str, Any], left: object, right: object) -> None:
    __tracebackhide__ = True
    if not _same(left, right):
        raise LawViolation(law, statement, given, left, right)


def _await(mono: MonoResult[Any, Any]) -> Result[Any, Any]:
    """The Result of ``mono``, also when called from inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(mono.to_result())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(mono.to_result())).result()


# --------------------------------------------------------------------------- Chain


def _check_callable(fn: object, what: str) -> None:
    if not callable(fn):
        msg = f"{what}, got {type(fn).__name__}: {fn!r}"
        raise TypeError(msg)


def _check_strategy(value: object, what: str) -> None:
    if value is not None and not isinstance(value, st.SearchStrategy):
        msg = f"{what}, got {type(value).__name__}: {value!r}"
        raise TypeError(msg)


def _adapted(fn: Step, value: object) -> Result[Any, Any]:
    return to_result(fn(value))


def _name_of(fn: object) -> str:
    return str(getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn))


_MONO_METHODS = {
    "map": "map",
    "map_error": "map_error",
    "bind": "bind_result",
    "or_else": "on_error_return_result",
}


class Chain:
    """The steps of a Result chain, applicable to a plain Result and to a MonoResult.

    ``Chain().bind(validate).map_error(to_api_error)`` applied with ``apply(result)`` is
    ``result.bind(validate).map_error(to_api_error)``; with ``apply_mono(mono)`` it is
    ``mono.bind_result(validate).map_error(to_api_error)``. Steps may return the Results of
    other libraries (adapted with ``to_result``).
    """

    __slots__ = ("_steps",)

    def __init__(self, steps: tuple[tuple[str, Step], ...] = ()) -> None:
        self._steps = steps

    def _add(self, operation: str, fn: Step) -> Chain:
        _check_callable(fn, f"Chain.{operation}() expects a callable")
        return Chain((*self._steps, (operation, fn)))

    def map(self, fn: Step) -> Chain:
        """Add a ``map(fn)`` step."""
        return self._add("map", fn)

    def map_error(self, fn: Step) -> Chain:
        """Add a ``map_error(fn)`` step."""
        return self._add("map_error", fn)

    def bind(self, fn: Step) -> Chain:
        """Add a ``bind(fn)`` step (``bind_result`` on a MonoResult)."""
        return self._add("bind", fn)

    def or_else(self, fn: Step) -> Chain:
        """Add an ``or_else(fn)`` step (``on_error_return_result`` on a MonoResult)."""
        return self._add("or_else", fn)

    def __iter__(self) -> Iterator[tuple[str, Step]]:
        return iter(self._steps)

    def apply(
        self, result: Result[Any, Any], *, capture_exceptions: bool = False
    ) -> Result[Any, Any]:
        """Run the steps on a plain Result.

        An exception raised by a step propagates, or with ``capture_exceptions=True`` becomes
        ``Failure(exception)`` at that step and the later steps see it, as in a MonoResult.
        """
        current = to_result(result)
        for operation, fn in self._steps:
            step = fn
            if operation in ("bind", "or_else"):
                step = functools.partial(_adapted, fn)
            if capture_exceptions:
                current = _outcome(functools.partial(getattr(current, operation), step))
            else:
                current = getattr(current, operation)(step)
        return current

    def apply_mono(self, mono: MonoResult[Any, Any]) -> MonoResult[Any, Any]:
        """Add the steps to ``mono`` (lazily, as MonoResult operators)."""
        for operation, fn in self._steps:
            mono = getattr(mono, _MONO_METHODS[operation])(fn)
        return mono

    def __repr__(self) -> str:
        steps = "".join(f".{operation}({_name_of(fn)})" for operation, fn in self._steps)
        return f"Chain(){steps}"


# --------------------------------------------------------------------------- laws


def _identity(x: T) -> T:
    return x


@dataclasses.dataclass(frozen=True)
class _Context:
    f: Step
    g: Step
    error_map: Step
    values: st.SearchStrategy[Any]
    results: st.SearchStrategy[Result[Any, Any]]

    def fr(self, x: object) -> Result[Any, Any]:
        return to_result(self.f(x))

    def gr(self, x: object) -> Result[Any, Any]:
        return to_result(self.g(x))

    def then_g(self, r: object) -> Result[Any, Any]:
        return to_result(r).bind(self.gr)

    def chain(self) -> Chain:
        return Chain().bind(self.f).bind(self.g).map_error(self.error_map)


def _map_identity(c: _Context, m: Result[Any, Any]) -> None:
    _check(
        "map_identity",
        "m.map(identity) == m",
        {"m": m},
        _outcome(lambda: m.map(_identity)),
        m,
    )


def _map_composition(c: _Context, m: Result[Any, Any]) -> None:
    _check(
        "map_composition",
        "m.map(f).map(then_g) == m.map(lambda x: then_g(f(x))), where then_g(r) = r.bind(g)",
        {"m": m},
        _outcome(lambda: m.map(c.fr).map(c.then_g)),
        _outcome(lambda: m.map(lambda x: c.then_g(c.fr(x)))),
    )


def _map_via_bind(c: _Context, m: Result[Any, Any]) -> None:
    _check(
        "map_via_bind",
        "m.map(f) == m.bind(lambda x: Success(f(x)))",
        {"m": m},
        _outcome(lambda: m.map(c.fr)),
        _outcome(lambda: m.bind(lambda x: Success(c.fr(x)))),
    )


def _bind_left_identity(c: _Context, value: object) -> None:
    _check(
        "bind_left_identity",
        "Success(value).bind(f) == f(value)",
        {"value": value},
        _outcome(lambda: Success(value).bind(c.fr)),
        _outcome(lambda: c.fr(value)),
    )


def _bind_right_identity(c: _Context, m: Result[Any, Any]) -> None:
    _check(
        "bind_right_identity",
        "m.bind(Success) == m",
        {"m": m},
        _outcome(lambda: m.bind(Success)),
        m,
    )


def _bind_associativity(c: _Context, m: Result[Any, Any]) -> None:
    _check(
        "bind_associativity",
        "m.bind(f).bind(g) == m.bind(lambda x: f(x).bind(g))",
        {"m": m},
        _outcome(lambda: m.bind(c.fr).bind(c.gr)),
        _outcome(lambda: m.bind(lambda x: c.fr(x).bind(c.gr))),
    )


def _map_error_identity(c: _Context, m: Result[Any, Any]) -> None:
    _check(
        "map_error_identity",
        "m.map_error(identity) == m",
        {"m": m},
        _outcome(lambda: m.map_error(_identity)),
        m,
    )


def _map_error_composition(c: _Context, m: Result[Any, Any]) -> None:
    _check(
        "map_error_composition",
        "m.map_error(error_map).map_error(repr) == m.map_error(lambda e: repr(error_map(e)))",
        {"m": m},
        _outcome(lambda: m.map_error(c.error_map).map_error(repr)),
        _outcome(lambda: m.map_error(lambda e: repr(c.error_map(e)))),
    )


def _map_error_keeps_success(c: _Context, value: object) -> None:
    _check(
        "map_error_keeps_success",
        "Success(value).map_error(error_map) == Success(value)",
        {"value": value},
        _outcome(lambda: Success(value).map_error(c.error_map)),
        Success(value),
    )


def _mono_matches_result(c: _Context, m: Result[Any, Any]) -> None:
    chain = c.chain()
    _check(
        "mono_matches_result",
        f"await {chain!r}.apply_mono(MonoResult.from_result(m)) == "
        f"{chain!r}.apply(m, capture_exceptions=True)",
        {"m": m},
        _await(chain.apply_mono(MonoResult.from_result(m))),
        chain.apply(m, capture_exceptions=True),
    )


def _flux_bind_invariants(c: _Context, flux: FluxResult[Any, Any]) -> None:
    __tracebackhide__ = True
    assert_flux_invariants(flux)
    after = FluxResult(_outcome(functools.partial(r.bind, c.fr)) for r in flux)
    assert_flux_invariants(after)
    _check(
        "flux_bind_invariants",
        "len(FluxResult(r.bind(f) for r in flux)) == len(flux)",
        {"flux": flux},
        len(after),
        len(flux),
    )
    if after.count_success() > flux.count_success():
        raise LawViolation(
            "flux_bind_invariants",
            "binding f never turns a Failure into a Success: "
            "FluxResult(r.bind(f) for r in flux).count_success() <= flux.count_success()",
            {"flux": flux},
            after.count_success(),
            flux.count_success(),
        )


@dataclasses.dataclass(frozen=True)
class _Law:
    name: str
    arg: str  # "m" (a Result), "value" (a success value) or "flux"
    check: Callable[[_Context, Any], None]


_LAWS: tuple[_Law, ...] = (
    _Law("map_identity", "m", _map_identity),
    _Law("map_composition", "m", _map_composition),
    _Law("map_via_bind", "m", _map_via_bind),
    _Law("bind_left_identity", "value", _bind_left_identity),
    _Law("bind_right_identity", "m", _bind_right_identity),
    _Law("bind_associativity", "m", _bind_associativity),
    _Law("map_error_identity", "m", _map_error_identity),
    _Law("map_error_composition", "m", _map_error_composition),
    _Law("map_error_keeps_success", "value", _map_error_keeps_success),
    _Law("mono_matches_result", "m", _mono_matches_result),
    _Law("flux_bind_invariants", "flux", _flux_bind_invariants),
)

LAW_NAMES: tuple[str, ...] = tuple(law.name for law in _LAWS)
"""The laws ``assert_chain_laws`` checks, in the order it checks them."""


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
) -> _Context:
    for name, fn in (("f", f), ("g", g)):
        _check_callable(fn, f"chain laws expect {name} to be a callable step")
    if error_map is not None:
        _check_callable(error_map, "chain laws expect error_map to be callable")
    for name, strategy in (("values", values), ("errors", errors), ("results", results)):
        _check_strategy(strategy, f"chain laws expect {name} to be a Hypothesis SearchStrategy")
    if results is None:
        results = results_strategy(values, errors if errors is not None else st.text())
    return _Context(f, g, error_map if error_map is not None else repr, values, results)


def _law_runner(law: _Law, c: _Context, settings: Settings | None) -> Callable[[], None]:
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

    Raises:
        LawViolation: a law does not hold; Hypothesis prints the shrunk falsifying example.
        TypeError: a step or strategy argument has the wrong type.
    """
    __tracebackhide__ = True
    c = _context(f, g, values, errors, results, error_map)
    for law in _LAWS:
        _law_runner(law, c, settings)()


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
        "__doc__": f"Chain laws of f={_name_of(f)}, g={_name_of(g)}.",
        "chain": c.chain(),
    }
    for law in _LAWS:

        def test(self: object, law: _Law = law) -> None:
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
        _check(
            "mono_matches_result",
            f"await {chain!r}.apply_mono(MonoResult.from_result(m)) == "
            f"{chain!r}.apply(m, capture_exceptions=True)",
            {"m": m},
            _await(chain.apply_mono(MonoResult.from_result(m))),
            chain.apply(m, capture_exceptions=True),
        )

    _hypothesis_test("mono_matches_result", "m", strategy, check, settings)()


def assert_flux_invariants(flux: FluxResult[Any, Any]) -> None:
    """Check one FluxResult's invariants.

    ``count_success() + count_failures() == len(flux)``; ``success_rate()`` is in 0..1 and
    equals ``count_success() / len(flux)`` (0.0 when empty); ``partition()`` equals
    ``(success_values(), errors())`` and their lengths are the two counts.

    Raises:
        LawViolation: an invariant does not hold.
    """
    __tracebackhide__ = True
    total = len(flux)
    successes, failures = flux.count_success(), flux.count_failures()
    given = {"flux": flux}
    _check(
        "flux_counts",
        "count_success() + count_failures() == len(flux)",
        given,
        successes + failures,
        total,
    )
    rate = flux.success_rate()
    if not 0.0 <= rate <= 1.0:
        raise LawViolation(
            "flux_rate_bounds", "0.0 <= success_rate() <= 1.0", given, rate, (0.0, 1.0)
        )
    _check(
        "flux_rate",
        "success_rate() == count_success() / len(flux) (0.0 when empty)",
        given,
        rate,
        successes / total if total else 0.0,
    )
    _check(
        "flux_partition",
        "partition() == (success_values(), errors())",
        given,
        flux.partition(),
        (flux.success_values(), flux.errors()),
    )
    _check(
        "flux_partition_sizes",
        "(len(success_values()), len(errors())) == (count_success(), count_failures())",
        given,
        (len(flux.success_values()), len(flux.errors())),
        (successes, failures),
    )
