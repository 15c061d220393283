"""Specification of pytest_rfs.generators: seeded, reproducible test data."""

from __future__ import annotations

import pytest

from pytest_rfs.generators import ResultFactory, seed_for
from rfs_monitoring import (
    APIError,
    ConfigurationError,
    ErrorCode,
    Failure,
    FluxResult,
    MonoResult,
    Success,
)


def draw(factory: ResultFactory) -> list[object]:
    return [
        factory.value(),
        factory.success(),
        factory.failure(),
        factory.results(5),
        factory.flux(3, 2),
        factory.api_errors(),
    ]


class TestReproducibility:
    def test_same_seed_same_values(self) -> None:
        assert draw(ResultFactory(42)) == draw(ResultFactory(42))

    def test_other_seed_other_values(self) -> None:
        assert draw(ResultFactory(1)) != draw(ResultFactory(2))

    def test_seed_for_is_stable_and_mixes_the_base(self) -> None:
        assert seed_for("tests/x.py::test_a") == seed_for("tests/x.py::test_a")
        assert seed_for("tests/x.py::test_a") != seed_for("tests/x.py::test_b")
        assert seed_for("t", 7) == seed_for("t") ^ 7
        assert 0 <= seed_for("t", -1) < 2**32

    def test_repr_and_random(self) -> None:
        factory = ResultFactory(3)
        assert repr(factory) == "ResultFactory(seed=3)"
        assert factory.random.random() == ResultFactory(3).random.random()

    @pytest.mark.parametrize("seed", ["1", 1.0, True, None])
    def test_seed_must_be_an_int(self, seed: object) -> None:
        with pytest.raises(ConfigurationError, match="ResultFactory seed must be an int"):
            ResultFactory(seed)  # type: ignore[arg-type]


class TestApiErrors:
    @pytest.mark.parametrize("code", list(ErrorCode))
    def test_every_code_has_a_builder(self, code: ErrorCode) -> None:
        error = ResultFactory(0).api_error(code)
        assert isinstance(error, APIError)
        assert error.code is code
        assert error.message
        assert error.http_status == code.http_status

    def test_code_as_string(self) -> None:
        assert ResultFactory(0).api_error("NOT_FOUND").code is ErrorCode.NOT_FOUND

    def test_api_errors_one_per_code(self) -> None:
        assert [e.code for e in ResultFactory(0).api_errors()] == list(ErrorCode)

    def test_overrides(self) -> None:
        error = ResultFactory(0).api_error(ErrorCode.CONFLICT, message="taken", details={"k": 1})
        assert error == APIError(ErrorCode.CONFLICT, "taken", {"k": 1})
        kept = ResultFactory(0).api_error(ErrorCode.CONFLICT, message="taken")
        assert kept.details == ResultFactory(0).api_error(ErrorCode.CONFLICT).details

    def test_random_code_when_none(self) -> None:
        codes = {ResultFactory(seed).api_error().code for seed in range(60)}
        assert codes == set(ErrorCode)

    def test_unknown_code(self) -> None:
        with pytest.raises(ConfigurationError) as info:
            ResultFactory(0).api_error("NOPE")
        assert str(info.value).startswith("unknown error code 'NOPE'; accepted: BAD_REQUEST, ")

    def test_unknown_override(self) -> None:
        with pytest.raises(ConfigurationError) as info:
            ResultFactory(0).api_error(ErrorCode.CONFLICT, status=409)
        assert str(info.value) == (
            "api_error() accepts the overrides message= and details=, got ['status']"
        )


class TestResults:
    def test_success_and_failure(self) -> None:
        factory = ResultFactory(5)
        assert factory.success(1) == Success(1)
        assert isinstance(factory.success(), Success)
        failure = factory.failure(ErrorCode.TIMEOUT)
        assert isinstance(failure, Failure)
        assert failure.error.code is ErrorCode.TIMEOUT
        assert factory.failure("plain") == Failure("plain")
        assert isinstance(factory.failure().error, APIError)

    def test_values_of_every_kind(self) -> None:
        kinds = {type(ResultFactory(seed).value()) for seed in range(30)}
        assert kinds == {int, str, dict}

    def test_results_rate(self) -> None:
        factory = ResultFactory(9)
        assert all(r.is_success() for r in factory.results(20, success_rate=1))
        assert all(r.is_failure() for r in factory.results(20, success_rate=0))
        assert factory.results(0) == []

    def test_flux_counts_exact(self) -> None:
        flux = ResultFactory(1).flux(successes=8, failures=2)
        assert isinstance(flux, FluxResult)
        assert (flux.count_success(), flux.count_failures()) == (8, 2)
        ordered = ResultFactory(1).flux(2, 2, shuffle=False)
        assert [r.is_success() for r in ordered] == [True, True, False, False]

    @pytest.mark.asyncio
    async def test_monos(self) -> None:
        factory = ResultFactory(2)
        mono = factory.mono_success(4)
        assert isinstance(mono, MonoResult)
        assert await mono == Success(4)
        failed = await factory.mono_failure(ErrorCode.FORBIDDEN)
        assert failed.unwrap_error().code is ErrorCode.FORBIDDEN

    @pytest.mark.parametrize(
        ("call", "message"),
        [
            (lambda f: f.results(-1), "count must be an int >= 0, got -1"),
            (lambda f: f.flux(True, 1), "successes must be an int >= 0, got True"),
            (lambda f: f.flux(1, 1.5), "failures must be an int >= 0, got 1.5"),
            (lambda f: f.result(1.5), "success_rate must be a number from 0 to 1, got 1.5"),
            (lambda f: f.results(1, "x"), "success_rate must be a number from 0 to 1, got 'x'"),
        ],
    )
    def test_bad_arguments(self, call: object, message: str) -> None:
        with pytest.raises(ConfigurationError) as info:
            call(ResultFactory(0))  # type: ignore[operator]
        assert str(info.value) == message
