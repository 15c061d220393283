"""pytest_rfs.laws: chain laws on the user's own steps, Mono/Result agreement, Flux invariants."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st

import pytest_rfs.laws as laws_module
from pytest_rfs.laws import (
    LAW_NAMES,
    Chain,
    LawViolation,
    NotAResultStep,
    assert_chain_laws,
    assert_flux_invariants,
    assert_mono_matches_result,
    check_result_laws,
)
from pytest_rfs.laws.comparing import same
from pytest_rfs.strategies import flux_results, results
from rfs_monitoring import APIError, Failure, FluxResult, MonoResult, Result, Success

QUICK = settings(max_examples=25, database=None, deadline=None)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "property_testing"


def parse(x: int) -> Result[int, str]:
    return Success(x * 2) if x >= 0 else Failure("negative")


def cap(y: int) -> Result[int, str]:
    return Success(y) if y < 100 else Failure("too big")


def test_public_names() -> None:
    assert laws_module.__all__ == [
        "LAW_NAMES",
        "Chain",
        "LawViolation",
        "NotAResultStep",
        "assert_chain_laws",
        "assert_flux_invariants",
        "assert_mono_matches_result",
        "check_result_laws",
    ]
    assert LAW_NAMES == (
        "map_identity",
        "map_composition",
        "map_via_bind",
        "bind_left_identity",
        "bind_right_identity",
        "bind_associativity",
        "map_error_identity",
        "map_error_composition",
        "map_error_keeps_success",
        "mono_matches_result",
        "flux_bind_invariants",
    )


class TestLawViolation:
    def test_message_names_law_input_and_both_sides(self) -> None:
        error = LawViolation("bind_associativity", "a == b", {"m": Success(0)}, 1, 2)
        assert str(error) == (
            "law bind_associativity does not hold: a == b\n"
            "  for m=Success(0)\n"
            "  left side:  1\n"
            "  right side: 2"
        )
        assert isinstance(error, AssertionError)
        assert (error.law, error.statement, error.given, error.left, error.right) == (
            "bind_associativity",
            "a == b",
            {"m": Success(0)},
            1,
            2,
        )


class TestAssertChainLaws:
    def test_lawful_steps_pass(self) -> None:
        assert_chain_laws(parse, cap, values=st.integers(), settings=QUICK)

    def test_with_error_map_and_results(self) -> None:
        assert_chain_laws(
            parse,
            cap,
            values=st.integers(),
            results=results(st.integers(), st.sampled_from(["x", "y"])),
            error_map=APIError.from_service_error,
            settings=QUICK,
        )

    def test_default_settings_are_used_when_none_given(self) -> None:
        assert_chain_laws(parse, cap, values=st.integers(-2, 2), errors=st.just("e"))

    def test_steps_of_other_libraries_are_adapted(self) -> None:
        from returns.result import Failure as RFailure
        from returns.result import Success as RSuccess

        def r_parse(x: int) -> Any:
            return RSuccess(x + 1) if x % 2 else RFailure("even")

        assert_chain_laws(r_parse, cap, values=st.integers(), settings=QUICK)

    def test_steps_that_raise_count_as_failures_on_both_sides(self) -> None:
        def strict(x: int) -> Result[int, str]:
            if x > 10:
                raise ValueError(f"{x} is too large")
            return Success(x)

        assert_chain_laws(strict, cap, values=st.integers(), settings=QUICK)

    def test_a_non_deterministic_step_breaks_a_law(self) -> None:
        counter = itertools.count()

        def impure(x: int) -> Result[int, str]:
            return Success(x + next(counter))

        with pytest.raises(LawViolation) as excinfo:
            assert_chain_laws(impure, cap, values=st.integers(), settings=QUICK)
        violation = excinfo.value
        assert violation.law == "map_composition"
        assert violation.given == {"m": Success(0)}
        assert "law map_composition does not hold" in str(violation)

    def test_a_broken_map_is_caught(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(Success, "map", lambda self, fn: Success(self.value))
        with pytest.raises(LawViolation) as excinfo:
            assert_chain_laws(parse, cap, values=st.integers(), settings=QUICK)
        assert excinfo.value.law == "map_via_bind"
        assert str(excinfo.value) == (
            "law map_via_bind does not hold: m.map(f) == m.bind(lambda x: Success(f(x)))\n"
            "  for m=Success(0)\n"
            "  left side:  Success(0)\n"
            "  right side: Success(Success(0))"
        )

    def test_a_broken_map_error_is_caught(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(Failure, "map_error", lambda self, fn: Failure(fn(fn(self.error))))
        with pytest.raises(LawViolation) as excinfo:
            assert_chain_laws(parse, cap, values=st.integers(), settings=QUICK)
        # map_error_identity and _composition cannot see it (repr twice == repr twice);
        # the MonoResult, which does not use Failure.map_error, disagrees
        assert excinfo.value.law == "mono_matches_result"
        assert excinfo.value.given == {"m": Success(-1)}

    def test_a_broken_bind_is_caught(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(Success, "bind", lambda self, fn: self)
        with pytest.raises(LawViolation) as excinfo:
            assert_chain_laws(parse, cap, values=st.integers(), settings=QUICK)
        assert excinfo.value.law == "map_via_bind"

    def test_a_map_error_that_turns_success_into_failure_is_caught(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(Success, "map_error", lambda self, fn: Failure(fn(self.value)))
        with pytest.raises(LawViolation) as excinfo:
            assert_chain_laws(parse, cap, values=st.integers(), settings=QUICK)
        assert excinfo.value.law == "map_error_identity"

    def test_a_bind_that_revives_failures_breaks_the_flux_law(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Every earlier law only looks at one Result; this one looks at whole batches.
        monkeypatch.setattr(Failure, "bind", lambda self, fn: fn(0))
        with pytest.raises(LawViolation) as excinfo:
            assert_chain_laws(
                parse, cap, values=st.integers(), settings=QUICK, laws=["flux_bind_invariants"]
            )
        assert excinfo.value.law == "flux_bind_invariants"
        assert "never turns a Failure into a Success" in str(excinfo.value)
        assert excinfo.value.given == {"flux": FluxResult([Failure("")])}

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"f": 1}, "chain laws expect f to be a callable step, got int: 1"),
            ({"g": None}, "chain laws expect g to be a callable step, got NoneType: None"),
            ({"error_map": "x"}, "chain laws expect error_map to be callable, got str: 'x'"),
            (
                {"values": [1]},
                "chain laws expect values to be a Hypothesis SearchStrategy, got list: [1]",
            ),
            (
                {"errors": "e"},
                "chain laws expect errors to be a Hypothesis SearchStrategy, got str: 'e'",
            ),
        ],
    )
    def test_rejects_bad_arguments(self, kwargs: dict[str, Any], message: str) -> None:
        arguments: dict[str, Any] = {"f": parse, "g": cap, "values": st.integers(), **kwargs}
        with pytest.raises(TypeError) as excinfo:
            assert_chain_laws(**arguments)
        assert str(excinfo.value) == message
        with pytest.raises(TypeError):
            check_result_laws(**arguments)

    def test_laws_picks_the_laws_to_check(self, monkeypatch: pytest.MonkeyPatch) -> None:
        # A map that ignores its function breaks map_via_bind, not map_identity.
        monkeypatch.setattr(Success, "map", lambda self, fn: self)
        assert_chain_laws(parse, cap, values=st.integers(), settings=QUICK, laws="map_identity")
        with pytest.raises(LawViolation) as excinfo:
            assert_chain_laws(
                parse, cap, values=st.integers(), settings=QUICK, laws=["map_via_bind"]
            )
        assert excinfo.value.law == "map_via_bind"

    def test_laws_rejects_unknown_names(self) -> None:
        with pytest.raises(ValueError, match=r"^unknown law\(s\) 'nope'; known: map_identity, "):
            assert_chain_laws(parse, cap, values=st.integers(), laws=["map_identity", "nope"])


def double_plain(x: int) -> int:
    return x * 2


PLAIN_STEP_MESSAGE = (
    "the step double_plain returned int: {value}, not a Result; a bind step must return "
    "Success(...) / Failure(...) (of any supported library), so the laws cannot be checked "
    "with it"
)


class TestStepsThatReturnPlainValues:
    """A bind step returning a plain value fails the law check, naming the step.

    (Both sides would otherwise be the same adapter Failure and every law would "hold".)
    """

    @pytest.mark.parametrize("position", ["f", "g"])
    def test_assert_chain_laws_fails_naming_the_step(self, position: str) -> None:
        f, g = (double_plain, cap) if position == "f" else (parse, double_plain)
        with pytest.raises(NotAResultStep) as info:
            assert_chain_laws(f, g, values=st.integers(0, 10), settings=QUICK)
        assert info.value.step == "double_plain"
        assert str(info.value) == PLAIN_STEP_MESSAGE.format(value=info.value.value)

    def test_check_result_laws_fails_every_law_that_runs_the_step(
        self, pytester: pytest.Pytester
    ) -> None:
        pytester.makepyfile(
            """
            from hypothesis import settings, strategies as st
            from pytest_rfs.laws import check_result_laws
            from rfs_monitoring import Success

            def double_plain(x):
                return x * 2

            TestPlain = check_result_laws(
                double_plain, Success, values=st.integers(0, 5),
                settings=settings(max_examples=5, database=None, deadline=None),
            )
            """
        )
        outcome = pytester.runpytest_inprocess(
            "-p", "no:cacheprovider", "-o", "asyncio_default_fixture_loop_scope=function"
        )
        outcome.stdout.fnmatch_lines(["*NotAResultStep: the step double_plain returned int*"])
        failed = [line.rpartition("::")[2] for line in _failed(outcome)]
        assert "test_bind_left_identity" in failed
        assert "test_bind_associativity" in failed

    def test_mono_matches_result_fails_naming_the_step(self) -> None:
        chain = Chain().bind(double_plain)
        with pytest.raises(NotAResultStep, match="the step double_plain returned int"):
            assert_mono_matches_result(chain, results=results(st.integers(0, 3)), settings=QUICK)

    def test_map_steps_may_return_plain_values(self) -> None:
        assert Chain().map(double_plain).apply(Success(2)) == Success(4)


class TestChain:
    chain = Chain().bind(parse).map(str).map_error(str.upper).or_else(lambda e: Success(e))

    def test_apply_runs_the_steps_on_a_plain_result(self) -> None:
        assert self.chain.apply(Success(3)) == Success("6")
        assert self.chain.apply(Success(-1)) == Success("NEGATIVE")
        assert self.chain.apply(Failure("x")) == Success("X")

    def test_apply_mono_runs_the_same_steps_lazily(self) -> None:
        for start in (Success(3), Success(-1), Failure("x")):
            mono = self.chain.apply_mono(MonoResult.from_result(start))
            assert asyncio.run(mono.to_result()) == self.chain.apply(start)

    def test_steps_are_listed_and_shown(self) -> None:
        assert [operation for operation, _ in self.chain] == ["bind", "map", "map_error", "or_else"]
        assert repr(Chain().bind(parse).map_error(str.upper)) == (
            "Chain().bind(parse).map_error(str.upper)"
        )
        assert repr(Chain()) == "Chain()"

    def test_is_immutable(self) -> None:
        base = Chain().bind(parse)
        base.map(str)
        assert [operation for operation, _ in base] == ["bind"]

    def test_rejects_a_step_that_is_not_callable(self) -> None:
        with pytest.raises(TypeError) as excinfo:
            Chain().map(42)
        assert str(excinfo.value) == "Chain.map() expects a callable, got int: 42"


class TestAssertMonoMatchesResult:
    def test_passes_for_a_chain(self) -> None:
        chain = Chain().bind(parse).bind(cap).map_error(APIError.from_service_error)
        assert_mono_matches_result(chain, settings=QUICK)

    def test_default_results_and_settings(self) -> None:
        assert_mono_matches_result(Chain().map(str))

    def test_exceptions_match_by_type_and_arguments(self) -> None:
        def explode(x: int) -> Result[int, str]:
            raise KeyError(x)

        assert_mono_matches_result(Chain().bind(explode), settings=QUICK)

    def test_a_step_that_behaves_differently_in_a_mono_is_caught(self) -> None:
        def loop_sensitive(x: int) -> Result[str, str]:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return Success("sync")
            return Success("async")

        with pytest.raises(LawViolation) as excinfo:
            assert_mono_matches_result(Chain().bind(loop_sensitive), settings=QUICK)
        assert excinfo.value.given == {"m": Success(0)}
        assert (excinfo.value.left, excinfo.value.right) == (Success("async"), Success("sync"))
        assert str(excinfo.value).startswith(
            "law mono_matches_result does not hold: await Chain().bind(TestAssertMonoMatchesResult."
        )

    @pytest.mark.asyncio
    async def test_works_inside_a_running_event_loop(self) -> None:
        assert_mono_matches_result(
            Chain().bind(parse), results=results(st.integers(-3, 3)), settings=QUICK
        )

    def test_rejects_what_is_no_chain(self) -> None:
        with pytest.raises(TypeError) as excinfo:
            assert_mono_matches_result(parse)  # type: ignore[arg-type]
        assert str(excinfo.value).startswith(
            "assert_mono_matches_result() expects a Chain, got function: <function parse"
        )


class _MiscountingFlux(FluxResult[Any, Any]):
    __slots__ = ()

    def count_failures(self) -> int:
        return 0


class _RateFlux(FluxResult[Any, Any]):
    __slots__ = ()

    def success_rate(self) -> float:
        return 1.5


class _OffRateFlux(FluxResult[Any, Any]):
    __slots__ = ()

    def success_rate(self) -> float:
        return 0.25


class _ShuffledFlux(FluxResult[Any, Any]):
    __slots__ = ()

    def partition(self) -> tuple[list[Any], list[Any]]:
        values, errors = super().partition()
        return errors, values


class TestFluxInvariants:
    def test_hold_for_generated_batches(self) -> None:
        from hypothesis import given

        @QUICK
        @given(flux_results())
        def check(flux: FluxResult[int, str]) -> None:
            assert_flux_invariants(flux)

        check()

    def test_hold_for_the_empty_batch(self) -> None:
        assert_flux_invariants(FluxResult([]))

    @pytest.mark.parametrize(
        ("flux", "law", "left", "right"),
        [
            (_MiscountingFlux([Failure("x")]), "flux_counts", 0, 1),
            (_RateFlux([Success(1)]), "flux_rate_bounds", 1.5, (0.0, 1.0)),
            (_OffRateFlux([Success(1)]), "flux_rate", 0.25, 1.0),
            (_ShuffledFlux([Success(1)]), "flux_partition", ([], [1]), ([1], [])),
        ],
    )
    def test_a_broken_batch_is_caught(
        self, flux: FluxResult[Any, Any], law: str, left: object, right: object
    ) -> None:
        with pytest.raises(LawViolation) as excinfo:
            assert_flux_invariants(flux)
        assert (excinfo.value.law, excinfo.value.left, excinfo.value.right) == (law, left, right)

    def test_sizes_of_partition(self, monkeypatch: pytest.MonkeyPatch) -> None:
        flux = FluxResult([Success(1)])
        monkeypatch.setattr(FluxResult, "success_values", lambda self: [])
        monkeypatch.setattr(FluxResult, "partition", lambda self: ([], []))
        with pytest.raises(LawViolation) as excinfo:
            assert_flux_invariants(flux)
        assert excinfo.value.law == "flux_partition_sizes"


class TestSame:
    def test_equality_rules(self) -> None:
        assert same(ValueError("a"), ValueError("a"))
        assert not same(ValueError("a"), ValueError("b"))
        assert not same(ValueError("a"), KeyError("a"))
        assert not same(ValueError("a"), "a")
        assert same(Failure(ValueError("a")), Failure(ValueError("a")))
        assert same(Success(Failure(KeyError(1))), Success(Failure(KeyError(1))))
        assert not same(Success(1), Failure(1))
        assert not same(Success(1), Success(2))

        class Weird:
            def __eq__(self, other: object) -> bool:
                raise RuntimeError("no")

            __hash__ = object.__hash__

        assert not same(Weird(), Weird())


# --------------------------------------------------------------------------- pytester

PYTESTER_INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings = error\n"

CORRECT_CHAIN = """
from hypothesis import settings, strategies as st
from pytest_rfs.laws import check_result_laws
from rfs_monitoring import Failure, Success

def parse(x):
    return Success(x * 2) if x >= 0 else Failure("negative")

def cap(y):
    return Success(y) if y < 100 else Failure("too big")

TestParseThenCap = check_result_laws(
    parse, cap, values=st.integers(), settings=settings(max_examples=20, database=None)
)
"""

BROKEN_MAP = (
    CORRECT_CHAIN
    + """
import pytest

@pytest.fixture(autouse=True)
def broken_map(monkeypatch):
    # forgets to apply the function
    monkeypatch.setattr(Success, "map", lambda self, fn: Success(self.value))
"""
)

BROKEN_VALIDATOR = """

import pytest


@pytest.fixture(autouse=True)
def no_name_is_valid(monkeypatch):
    import user_retrieval

    monkeypatch.setattr(user_retrieval, "MAX_NAME_LENGTH", -1)
"""

EXAMPLE_TESTS = 4 + len(LAW_NAMES)


@pytest.fixture
def law_project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with a correct chain, a broken map, the worked example and a broken validator."""
    pytester.makeini(PYTESTER_INI)
    example = (EXAMPLES / "test_user_retrieval_properties.py").read_text(encoding="utf-8")
    pytester.makepyfile(
        test_correct_chain=CORRECT_CHAIN,
        test_broken_map=BROKEN_MAP,
        user_retrieval=(EXAMPLES / "user_retrieval.py").read_text(encoding="utf-8"),
        test_user_retrieval_properties=example,
        test_broken_validator=example + BROKEN_VALIDATOR,
    )
    return pytester


FAILURE_LINES = [
    "*law map_via_bind does not hold: m.map(f) == m.bind(lambda x: Success(f(x)))",
    "*  for m=Success(0)",
    "*  left side:  Success(0)",
    "*  right side: Success(Success(0))",
    "*Failing test case: map_via_bind(",
    "*    m=Success(0),",
]


# schemathesis' pytest plugin (from the test extra) swaps Hypothesis's example printer for
# one that prints nothing, in the whole process; the falsifying examples checked here need it.
NO_SCHEMATHESIS = ("-p", "no:schemathesis")


def _failed(outcome: pytest.RunResult) -> list[str]:
    return sorted(line.split(" - ")[0] for line in outcome.outlines if line.startswith("FAILED"))


def test_laws_pass_for_correct_chains_and_catch_a_broken_map(law_project: pytest.Pytester) -> None:
    outcome = law_project.runpytest_subprocess("-p", "no:cacheprovider", *NO_SCHEMATHESIS, "-v")
    outcome.assert_outcomes(passed=2 * len(LAW_NAMES) - 1 + 2 * EXAMPLE_TESTS - 1, failed=2)
    outcome.stdout.fnmatch_lines(
        [f"*test_correct_chain.py::TestParseThenCap::test_{name} PASSED*" for name in LAW_NAMES]
    )
    outcome.stdout.fnmatch_lines(FAILURE_LINES)
    outcome.stdout.fnmatch_lines(["*UnwrapError*"])
    assert _failed(outcome) == [
        "FAILED test_broken_map.py::TestParseThenCap::test_map_via_bind",
        "FAILED test_broken_validator.py::test_valid_records_validate",
    ]


def test_the_same_under_xdist(law_project: pytest.Pytester) -> None:
    outcome = law_project.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        *NO_SCHEMATHESIS,
        "-n",
        "2",
        "test_correct_chain.py",
        "test_broken_map.py",
    )
    outcome.stdout.fnmatch_lines(["*2 workers*"])
    outcome.assert_outcomes(passed=2 * len(LAW_NAMES) - 1, failed=1)
    outcome.stdout.fnmatch_lines(FAILURE_LINES)
    assert _failed(outcome) == ["FAILED test_broken_map.py::TestParseThenCap::test_map_via_bind"]


def test_the_worked_example_passes_with_the_repository_config(pytester: pytest.Pytester) -> None:
    outcome = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", *NO_SCHEMATHESIS, str(EXAMPLES)
    )
    outcome.assert_outcomes(passed=EXAMPLE_TESTS)
