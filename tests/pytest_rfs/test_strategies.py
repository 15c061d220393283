"""pytest_rfs.strategies: every variant reachable, bounds respected, shrinking as documented."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

import pytest_rfs.strategies as strategies_module
import rfs_monitoring.strategies as hypothesis_support
from pytest_rfs.strategies import (
    api_errors,
    correlation_ids,
    failures,
    flux_results,
    mono_result,
    mono_results,
    results,
    successes,
)
from rfs_monitoring import (
    APIError,
    ConfigurationError,
    ErrorCode,
    Failure,
    FluxResult,
    MonoResult,
    Result,
    Success,
)
from rfs_monitoring.context import is_valid_correlation_id
from rfs_monitoring.strategies import success_count_range

QUICK = settings(max_examples=30, database=None, deadline=None)
FIND = settings(max_examples=500, database=None, deadline=None)


def minimal(strategy: st.SearchStrategy[Any], condition: Any = lambda _: True) -> Any:
    """The shrunk example of ``strategy`` satisfying ``condition``."""
    return find(strategy, condition, settings=FIND)


def await_result(mono: MonoResult[Any, Any]) -> Result[Any, Any]:
    return asyncio.run(mono.to_result())


def test_public_names() -> None:
    assert strategies_module.__all__ == [
        "api_errors",
        "correlation_ids",
        "failures",
        "flux_results",
        "mono_result",
        "mono_results",
        "results",
        "successes",
    ]


class TestResults:
    def test_shrinks_to_success_zero(self) -> None:
        assert minimal(results()) == Success(0)

    def test_failures_shrink_to_failure_empty_string(self) -> None:
        assert minimal(results(), lambda r: r.is_failure()) == Failure("")

    def test_custom_strategies_shrink_to_their_simplest(self) -> None:
        strategy = results(st.text(min_size=2), st.integers(min_value=5))
        assert minimal(strategy) == Success("00")
        assert minimal(strategy, lambda r: r.is_failure()) == Failure(5)

    def test_only_failure_given(self) -> None:
        assert minimal(results(failure=st.just("boom")), lambda r: r.is_failure()) == Failure(
            "boom"
        )

    @QUICK
    @given(results(st.integers(0, 9), st.sampled_from(["a", "b"])))
    def test_payloads_come_from_the_given_strategies(self, result: Result[int, str]) -> None:
        if result.is_success():
            assert result.unwrap() in range(10)
        else:
            assert result.unwrap_error() in ("a", "b")

    def test_rejects_a_value_that_is_no_strategy(self) -> None:
        with pytest.raises(TypeError) as excinfo:
            results(42)  # type: ignore[call-overload]
        assert str(excinfo.value) == (
            "successes() expects values to be a Hypothesis SearchStrategy, got int: 42"
        )


class TestSuccessesAndFailures:
    def test_successes_shrink_to_success_zero(self) -> None:
        assert minimal(successes()) == Success(0)

    def test_failures_shrink_to_failure_empty_string(self) -> None:
        assert minimal(failures()) == Failure("")

    @QUICK
    @given(successes(st.booleans()), failures(st.none()))
    def test_each_draws_only_its_variant(
        self, success: Success[bool], failure: Failure[None]
    ) -> None:
        assert type(success) is Success
        assert isinstance(success.value, bool)
        assert failure == Failure(None)

    def test_failures_reject_a_value_that_is_no_strategy(self) -> None:
        with pytest.raises(TypeError, match=r"failures\(\) expects errors"):
            failures("x")  # type: ignore[call-overload]


class TestApiErrors:
    def test_shrinks_to_first_code_empty_message_no_details(self) -> None:
        assert minimal(api_errors()) == APIError(ErrorCode.BAD_REQUEST, "", {})
        assert minimal(api_errors()).details == {}

    @pytest.mark.parametrize("code", list(ErrorCode))
    def test_every_code_is_reachable(self, code: ErrorCode) -> None:
        assert minimal(api_errors(), lambda e: e.code is code).code is code

    def test_details_can_be_non_empty(self) -> None:
        assert minimal(api_errors(), lambda e: bool(e.details)).details == {"": None}

    @QUICK
    @given(api_errors(codes=[ErrorCode.NOT_FOUND, "CONFLICT"]))
    def test_codes_are_respected(self, error: APIError) -> None:
        assert error.code in (ErrorCode.NOT_FOUND, ErrorCode.CONFLICT)

    def test_a_single_code_string(self) -> None:
        assert minimal(api_errors("TIMEOUT")).code is ErrorCode.TIMEOUT

    def test_rejects_an_unknown_code(self) -> None:
        with pytest.raises(ConfigurationError) as excinfo:
            api_errors(["NOPE"])
        accepted = ", ".join(c.value for c in ErrorCode)
        assert str(excinfo.value) == (
            f"api_errors() got code 'NOPE', which is no ErrorCode; accepted: {accepted}"
        )

    def test_rejects_no_codes(self) -> None:
        with pytest.raises(ConfigurationError, match=r"at least one code, got none"):
            api_errors([])


class TestCorrelationIds:
    def test_shrinks_to_zero(self) -> None:
        assert minimal(correlation_ids()) == "0"

    @QUICK
    @given(correlation_ids())
    def test_every_id_is_valid(self, value: str) -> None:
        assert is_valid_correlation_id(value)

    @QUICK
    @given(correlation_ids())
    def test_lengths_are_within_1_to_128(self, value: str) -> None:
        assert 1 <= len(value) <= 128

    def test_reaches_long_ids_and_every_punctuation(self) -> None:
        assert minimal(correlation_ids(), lambda s: len(s) >= 20) == "0" * 20
        for punctuation in "-._":
            assert minimal(correlation_ids(), lambda s, p=punctuation: p in s) == punctuation


class TestFluxResults:
    def test_shrinks_to_the_empty_batch(self) -> None:
        assert minimal(flux_results()) == FluxResult([])

    def test_mixed_batches_shrink_to_simplest_results(self) -> None:
        mixed = minimal(flux_results(), lambda f: f.count_success() and f.count_failures())
        assert sorted(map(repr, mixed)) == ["Failure('')", "Success(0)"]

    @QUICK
    @given(flux_results(min_size=2, max_size=4))
    def test_sizes_are_respected(self, flux: FluxResult[int, str]) -> None:
        assert 2 <= len(flux) <= 4

    @QUICK
    @given(flux_results(min_success_rate=0.25, max_success_rate=0.75, max_size=10))
    def test_rates_are_respected(self, flux: FluxResult[int, str]) -> None:
        assert 0.25 <= flux.success_rate() <= 0.75
        assert len(flux) <= 10

    @QUICK
    @given(flux_results(results(failure=api_errors()), min_success_rate=1.0))
    def test_all_successes(self, flux: FluxResult[int, APIError]) -> None:
        assert flux.count_failures() == 0
        assert len(flux) >= 1

    @QUICK
    @given(flux_results(max_success_rate=0.0, min_size=0, max_size=3))
    def test_no_successes_allows_the_empty_batch(self, flux: FluxResult[int, str]) -> None:
        assert flux.count_success() == 0

    @QUICK
    @given(
        flux_results(st.one_of(successes(), failures()), min_success_rate=0.4, max_success_rate=0.6)
    )
    def test_rates_with_a_foreign_results_strategy(self, flux: FluxResult[int, str]) -> None:
        assert 0.4 <= flux.success_rate() <= 0.6

    def test_a_foreign_strategy_lacking_a_variant_yields_nothing(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(hypothesis_support, "VARIANT_TRIES", 2)
        strategy = flux_results(successes(), min_success_rate=0.5, max_success_rate=0.5, min_size=2)
        with pytest.raises(Unsatisfiable):
            find(strategy, lambda _: True, settings=settings(QUICK, max_examples=3))

    def test_rate_bounds_shrink_to_shortest_batch_with_most_successes(self) -> None:
        flux = minimal(flux_results(min_success_rate=0.3, max_success_rate=0.4))
        assert len(flux) == 3
        assert flux.count_success() == 1
        assert sorted(map(repr, flux)) == ["Failure('')", "Failure('')", "Success(0)"]

    def test_rate_bounds_reach_every_order(self) -> None:
        strategy = flux_results(min_success_rate=0.5, max_success_rate=0.5, min_size=2, max_size=2)
        assert minimal(strategy, lambda f: f.results[0].is_failure()).results[0] == Failure("")
        assert minimal(strategy, lambda f: f.results[0].is_success()).results[0] == Success(0)

    @QUICK
    @given(flux_results(min_size=5, min_success_rate=0.1, max_success_rate=0.9))
    def test_without_max_size_rate_bounded_batches_stay_small(
        self, flux: FluxResult[int, str]
    ) -> None:
        assert 5 <= len(flux) <= 25

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"min_size": -1}, "flux_results() expects min_size to be an int >= 0, got -1"),
            ({"min_size": True}, "flux_results() expects min_size to be an int >= 0, got True"),
            (
                {"min_size": 3, "max_size": 2},
                "flux_results() expects max_size to be None or an int >= min_size (3), got 2",
            ),
            (
                {"min_success_rate": 1.5},
                "flux_results() expects min_success_rate to be a number in 0.0..1.0, got 1.5",
            ),
            (
                {"max_success_rate": "1"},
                "flux_results() expects max_success_rate to be a number in 0.0..1.0, got '1'",
            ),
            (
                {"min_success_rate": 0.8, "max_success_rate": 0.2},
                "flux_results() expects min_success_rate <= max_success_rate, got 0.8 > 0.2",
            ),
            (
                {"min_size": 1, "max_size": 2, "min_success_rate": 0.6, "max_success_rate": 0.7},
                "flux_results() cannot build a batch of 1..2 Results with a success rate in "
                "0.6..0.7; widen the sizes or the rates",
            ),
        ],
    )
    def test_rejects_bad_arguments(self, kwargs: dict[str, Any], message: str) -> None:
        with pytest.raises(ConfigurationError) as excinfo:
            flux_results(**kwargs)
        assert str(excinfo.value) == message

    def test_rejects_a_results_value_that_is_no_strategy(self) -> None:
        with pytest.raises(TypeError, match=r"flux_results\(\) expects results"):
            flux_results([Success(1)])  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("size", "low", "high", "expected"),
        [
            (0, 0.0, 1.0, (0, 0)),
            (0, 0.1, 1.0, None),
            (3, 1 / 3, 1 / 3, (1, 1)),
            (3, 0.3, 0.4, (1, 1)),
            (10, 0.7, 0.7, (7, 7)),
            (4, 0.3, 0.4, None),
            (5, 0.0, 1.0, (0, 5)),
        ],
    )
    def test_success_count_range_agrees_with_success_rate(
        self, size: int, low: float, high: float, expected: tuple[int, int] | None
    ) -> None:
        assert success_count_range(size, low, high) == expected
        fitting = [
            k
            for k in range(size + 1)
            if low
            <= FluxResult([Success(0)] * k + [Failure("")] * (size - k)).success_rate()
            <= high
        ]
        assert ((min(fitting), max(fitting)) if fitting else None) == expected


class TestMonoResults:
    def test_shrinks_to_a_mono_of_success_zero(self) -> None:
        mono = minimal(mono_results())
        assert isinstance(mono, MonoResult)
        assert await_result(mono) == Success(0)

    def test_yields_the_drawn_failure(self) -> None:
        mono = minimal(mono_results(), lambda m: await_result(m).is_failure())
        assert await_result(mono) == Failure("")

    def test_raises_a_drawn_exception_as_failure(self) -> None:
        strategy = mono_results(raises=st.builds(ValueError, st.text()))
        mono = minimal(strategy, lambda m: _raised(await_result(m)))
        outcome = await_result(mono)
        assert outcome.is_failure()
        assert isinstance(outcome.unwrap_error(), ValueError)
        assert outcome.unwrap_error().args == ("",)

    def test_a_drawn_delay_is_slept(self, monkeypatch: pytest.MonkeyPatch) -> None:
        slept: list[float] = []
        real_sleep = asyncio.sleep

        async def recording_sleep(seconds: float) -> None:
            slept.append(seconds)
            await real_sleep(0)

        monkeypatch.setattr(asyncio, "sleep", recording_sleep)
        strategy = mono_results(delay=st.floats(0, 0.002))
        assert await_result(minimal(strategy)) == Success(0)
        assert slept[-1] == 0.0  # the simplest delay
        slept.clear()
        delayed = minimal(strategy, lambda m: (await_result(m), slept[-1])[1] > 0)
        slept.clear()
        assert await_result(delayed) == Success(0)
        assert 0 < slept[0] <= 0.002

    @QUICK
    @given(mono_results(results(st.integers(0, 3), st.just("e")), delay=st.just(0.0)))
    def test_awaiting_twice_gives_the_same_result(self, mono: MonoResult[int, str]) -> None:
        first = await_result(mono)
        assert await_result(mono) == first
        assert first in {Success(0), Success(1), Success(2), Success(3), Failure("e")}

    @pytest.mark.parametrize("name", ["results", "delay", "raises"])
    def test_rejects_a_value_that_is_no_strategy(self, name: str) -> None:
        with pytest.raises(TypeError) as excinfo:
            mono_results(**{name: 0.5})
        assert str(excinfo.value) == (
            f"mono_results() expects {name} to be a Hypothesis SearchStrategy, got float: 0.5"
        )

    def test_mono_result_raises_instead_of_yielding(self) -> None:
        error = KeyError("k")
        assert await_result(mono_result(Success(1), raises=error)) == Failure(error)
        assert await_result(mono_result(Failure("x"), delay=0.0)) == Failure("x")


def _raised(result: Result[Any, Any]) -> bool:
    return result.is_failure() and isinstance(result.unwrap_error(), ValueError)


FAILING_PROPERTY = """
from hypothesis import given, settings
from pytest_rfs.strategies import results, flux_results

@settings(database=None, max_examples=50)
@given(results())
def test_every_result_fails(result):
    assert result is None

@settings(database=None, max_examples=50)
@given(results())
def test_failures_fail(result):
    assert result.is_success()

@settings(database=None, max_examples=50)
@given(flux_results())
def test_batches_fail(flux):
    assert len(flux) == 0
"""


def test_falsifying_examples_print_as_the_simplest_results(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_printing=FAILING_PROPERTY)
    # schemathesis' plugin (test extra) blanks Hypothesis's example printer process-wide.
    outcome = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:schemathesis")
    outcome.assert_outcomes(failed=3)
    outcome.stdout.fnmatch_lines(
        [
            "*Failing test case: test_every_result_fails(",
            "*    result=Success(0),*",
            "*Failing test case: test_failures_fail(",
            "*    result=Failure(''),",
            "*Failing test case: test_batches_fail(",
            "*    flux=FluxResult([[]Success(0)]),",
        ]
    )
