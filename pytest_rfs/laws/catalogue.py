"""The chain laws: each a check of one input (a Result, a success value or a FluxResult)."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import strategies as st

from pytest_rfs.laws.chain import Chain, Step, step_result
from pytest_rfs.laws.comparing import LawViolation, check_law, outcome, run_mono
from pytest_rfs.laws.flux import assert_flux_invariants
from rfs_monitoring.flux import FluxResult
from rfs_monitoring.mono import MonoResult
from rfs_monitoring.result import Result, Success, to_result

__all__ = ["LAWS", "LAW_NAMES", "Law", "LawContext"]

T = TypeVar("T")


def _identity(x: T) -> T:
    return x


@dataclasses.dataclass(frozen=True)
class LawContext:
    """The steps and strategies the laws are checked with."""

    f: Step
    g: Step
    error_map: Step
    values: st.SearchStrategy[Any]
    results: st.SearchStrategy[Result[Any, Any]]

    def fr(self, x: object) -> Result[Any, Any]:
        return step_result(self.f, x)

    def gr(self, x: object) -> Result[Any, Any]:
        return step_result(self.g, x)

    def then_g(self, r: object) -> Result[Any, Any]:
        return to_result(r).bind(self.gr)

    def chain(self) -> Chain:
        return Chain().bind(self.f).bind(self.g).map_error(self.error_map)


def _map_identity(c: LawContext, m: Result[Any, Any]) -> None:
    check_law(
        "map_identity",
        "m.map(identity) == m",
        {"m": m},
        outcome(lambda: m.map(_identity)),
        m,
    )


def _map_composition(c: LawContext, m: Result[Any, Any]) -> None:
    check_law(
        "map_composition",
        "m.map(f).map(then_g) == m.map(lambda x: then_g(f(x))), where then_g(r) = r.bind(g)",
        {"m": m},
        outcome(lambda: m.map(c.fr).map(c.then_g)),
        outcome(lambda: m.map(lambda x: c.then_g(c.fr(x)))),
    )


def _map_via_bind(c: LawContext, m: Result[Any, Any]) -> None:
    check_law(
        "map_via_bind",
        "m.map(f) == m.bind(lambda x: Success(f(x)))",
        {"m": m},
        outcome(lambda: m.map(c.fr)),
        outcome(lambda: m.bind(lambda x: Success(c.fr(x)))),
    )


def _bind_left_identity(c: LawContext, value: object) -> None:
    check_law(
        "bind_left_identity",
        "Success(value).bind(f) == f(value)",
        {"value": value},
        outcome(lambda: Success(value).bind(c.fr)),
        outcome(lambda: c.fr(value)),
    )


def _bind_right_identity(c: LawContext, m: Result[Any, Any]) -> None:
    check_law(
        "bind_right_identity",
        "m.bind(Success) == m",
        {"m": m},
        outcome(lambda: m.bind(Success)),
        m,
    )


def _bind_associativity(c: LawContext, m: Result[Any, Any]) -> None:
    check_law(
        "bind_associativity",
        "m.bind(f).bind(g) == m.bind(lambda x: f(x).bind(g))",
        {"m": m},
        outcome(lambda: m.bind(c.fr).bind(c.gr)),
        outcome(lambda: m.bind(lambda x: c.fr(x).bind(c.gr))),
    )


def _map_error_identity(c: LawContext, m: Result[Any, Any]) -> None:
    check_law(
        "map_error_identity",
        "m.map_error(identity) == m",
        {"m": m},
        outcome(lambda: m.map_error(_identity)),
        m,
    )


def _map_error_composition(c: LawContext, m: Result[Any, Any]) -> None:
    check_law(
        "map_error_composition",
        "m.map_error(error_map).map_error(repr) == m.map_error(lambda e: repr(error_map(e)))",
        {"m": m},
        outcome(lambda: m.map_error(c.error_map).map_error(repr)),
        outcome(lambda: m.map_error(lambda e: repr(c.error_map(e)))),
    )


def _map_error_keeps_success(c: LawContext, value: object) -> None:
    check_law(
        "map_error_keeps_success",
        "Success(value).map_error(error_map) == Success(value)",
        {"value": value},
        outcome(lambda: Success(value).map_error(c.error_map)),
        Success(value),
    )


def _mono_matches_result(c: LawContext, m: Result[Any, Any]) -> None:
    chain = c.chain()
    check_law(
        "mono_matches_result",
        f"await {chain!r}.apply_mono(MonoResult.from_result(m)) == "
        f"{chain!r}.apply(m, capture_exceptions=True)",
        {"m": m},
        run_mono(chain.apply_mono(MonoResult.from_result(m))),
        chain.apply(m, capture_exceptions=True),
    )


def _flux_bind_invariants(c: LawContext, flux: FluxResult[Any, Any]) -> None:
    __tracebackhide__ = True
    assert_flux_invariants(flux)
    after = FluxResult(outcome(functools.partial(r.bind, c.fr)) for r in flux)
    assert_flux_invariants(after)
    check_law(
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
class Law:
    """One law: its name, what it is checked on, and the check."""

    name: str
    arg: str  # "m" (a Result), "value" (a success value) or "flux"
    check: Callable[[LawContext, Any], None]


LAWS: tuple[Law, ...] = (
    Law("map_identity", "m", _map_identity),
    Law("map_composition", "m", _map_composition),
    Law("map_via_bind", "m", _map_via_bind),
    Law("bind_left_identity", "value", _bind_left_identity),
    Law("bind_right_identity", "m", _bind_right_identity),
    Law("bind_associativity", "m", _bind_associativity),
    Law("map_error_identity", "m", _map_error_identity),
    Law("map_error_composition", "m", _map_error_composition),
    Law("map_error_keeps_success", "value", _map_error_keeps_success),
    Law("mono_matches_result", "m", _mono_matches_result),
    Law("flux_bind_invariants", "flux", _flux_bind_invariants),
)

LAW_NAMES: tuple[str, ...] = tuple(law.name for law in LAWS)
"""The laws ``assert_chain_laws`` checks, in the order it checks them."""
