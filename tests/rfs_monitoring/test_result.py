"""Success / Failure: the Result core, and the Result laws as Hypothesis properties."""

from __future__ import annotations

import copy
import pickle
import typing
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rfs_monitoring import APIError, ErrorCode, Failure, Result, Success, UnwrapError


class TestVariants:
    def test_success_is_a_success(self) -> None:
        assert Success(1).is_success()
        assert not Success(1).is_failure()

    def test_failure_is_a_failure(self) -> None:
        assert Failure("e").is_failure()
        assert not Failure("e").is_success()

    def test_both_are_results(self) -> None:
        assert isinstance(Success(1), Result)
        assert isinstance(Failure("e"), Result)
        assert not isinstance(1, Result)

    def test_result_is_abstract(self) -> None:
        with pytest.raises(TypeError):
            Result()  # type: ignore[abstract]

    def test_result_is_generic(self) -> None:
        alias = Result[int, APIError]
        assert typing.get_args(alias) == (int, APIError)
        assert typing.get_origin(alias) is Result
        assert typing.get_args(Success[int]) == (int,)


class TestUnwrap:
    def test_unwrap_gives_the_value(self) -> None:
        assert Success(3).unwrap() == 3

    def test_unwrap_on_failure_shows_the_error(self) -> None:
        failure = Failure(APIError.not_found("User", 7))
        with pytest.raises(UnwrapError) as info:
            failure.unwrap()
        assert str(info.value) == (
            "called unwrap() on Failure(APIError(code=<ErrorCode.NOT_FOUND: 'NOT_FOUND'>, "
            "message='User 7 not found', details={'resource': 'User', 'id': '7'}))"
        )
        assert info.value.result is failure

    def test_unwrap_on_an_exception_failure_chains_the_exception(self) -> None:
        cause = KeyError("k")
        with pytest.raises(UnwrapError) as info:
            Failure(cause).unwrap()
        assert str(info.value) == "called unwrap() on Failure(KeyError('k'))"
        assert info.value.__cause__ is cause

    def test_unwrap_error_gives_the_error(self) -> None:
        assert Failure("boom").unwrap_error() == "boom"

    def test_unwrap_error_on_success_shows_the_value(self) -> None:
        success = Success({"id": 1})
        with pytest.raises(UnwrapError) as info:
            success.unwrap_error()
        assert str(info.value) == "called unwrap_error() on Success({'id': 1})"
        assert info.value.result is success

    def test_unwrap_or(self) -> None:
        assert Success(1).unwrap_or(0) == 1
        assert Failure("e").unwrap_or(0) == 0

    def test_unwrap_or_else(self) -> None:
        assert Success(1).unwrap_or_else(len) == 1
        assert Failure("four").unwrap_or_else(len) == 4


class TestTransformations:
    def test_map_applies_to_success(self) -> None:
        assert Success(2).map(lambda v: v * 10) == Success(20)

    def test_map_skips_failure(self) -> None:
        failure: Result[int, str] = Failure("e")
        assert failure.map(lambda v: v * 10) is failure

    def test_map_error_applies_to_failure(self) -> None:
        assert Failure("e").map_error(str.upper) == Failure("E")

    def test_map_error_skips_success(self) -> None:
        success = Success(1)
        assert success.map_error(str.upper) is success

    def test_bind_chains_on_success(self) -> None:
        assert Success(2).bind(lambda v: Success(v + 1)) == Success(3)
        assert Success(2).bind(lambda v: Failure(f"bad {v}")) == Failure("bad 2")

    def test_bind_skips_failure(self) -> None:
        failure = Failure("e")
        assert failure.bind(lambda v: Success(v)) is failure

    def test_or_else_recovers_failure(self) -> None:
        assert Failure("e").or_else(lambda e: Success(len(e))) == Success(1)

    def test_or_else_skips_success(self) -> None:
        success = Success(1)
        assert success.or_else(lambda e: Success(0)) is success

    def test_exceptions_in_fn_propagate(self) -> None:
        # The plain Result does not catch; MonoResult is where exceptions become Failures.
        with pytest.raises(ZeroDivisionError):
            Success(1).map(lambda v: v / 0)


class TestValueSemantics:
    def test_equality_is_by_variant_and_payload(self) -> None:
        assert Success(1) == Success(1)
        assert Success(1) != Success(2)
        assert Failure(1) != Success(1)
        assert Success(1) != Failure(1)
        assert Failure("a") == Failure("a")

    def test_other_types_are_never_equal(self) -> None:
        assert Success(1) != 1
        assert Failure("e") != "e"
        assert Success(1).__eq__(1) is NotImplemented
        assert Failure(1).__eq__(1) is NotImplemented

    def test_hash_follows_equality(self) -> None:
        assert hash(Success(1)) == hash(Success(1))
        assert hash(Success(1)) != hash(Failure(1))
        assert len({Success(1), Success(1), Failure(1), Failure(APIError.conflict("c"))}) == 3

    def test_unhashable_payloads_make_unhashable_results(self) -> None:
        with pytest.raises(TypeError):
            hash(Success([1]))

    def test_repr(self) -> None:
        assert repr(Success("a")) == "Success('a')"
        assert repr(Failure(ValueError("x"))) == "Failure(ValueError('x'))"
        assert repr(Success(Success(1))) == "Success(Success(1))"

    @pytest.mark.parametrize("result", [Success(1), Failure("e")])
    def test_setting_an_attribute_is_refused(self, result: Result[int, str]) -> None:
        name = type(result).__name__
        attr = "value" if result.is_success() else "error"
        with pytest.raises(AttributeError) as info:
            setattr(result, attr, 2)
        assert str(info.value) == f"{name} is immutable: cannot set {attr!r}"
        with pytest.raises(AttributeError) as info:
            delattr(result, attr)
        assert str(info.value) == f"{name} is immutable: cannot delete {attr!r}"
        with pytest.raises(AttributeError):
            result.other = 1  # type: ignore[union-attr]

    @pytest.mark.parametrize("result", [Success(1), Failure("e")])
    def test_slotted(self, result: Result[int, str]) -> None:
        assert not hasattr(result, "__dict__")

    @pytest.mark.parametrize("result", [Success((1, "a")), Failure(APIError.timeout())])
    def test_pickle_and_copy_round_trip(self, result: Result[Any, Any]) -> None:
        assert pickle.loads(pickle.dumps(result)) == result
        assert copy.copy(result) == result
        assert copy.deepcopy(result) == result


class TestMatch:
    @staticmethod
    def describe(result: Result[Any, Any]) -> str:
        match result:
            case Success(value):
                return f"ok {value}"
            case Failure(APIError(code=ErrorCode.NOT_FOUND, message=message)):
                return f"missing: {message}"
            case Failure(error):
                return f"failed {error}"
        return "unreachable"  # pragma: no cover

    def test_success_pattern(self) -> None:
        assert self.describe(Success(5)) == "ok 5"

    def test_nested_apierror_pattern(self) -> None:
        assert self.describe(Failure(APIError.not_found("User", 1))) == "missing: User 1 not found"

    def test_failure_pattern(self) -> None:
        assert self.describe(Failure("e")) == "failed e"


# --------------------------------------------------------------------------- laws

values = st.integers() | st.text(max_size=5) | st.none()
results: st.SearchStrategy[Result[Any, Any]] = st.one_of(values.map(Success), values.map(Failure))
pure_fns: st.SearchStrategy[Callable[[Any], Any]] = st.sampled_from(
    [repr, lambda v: (v, v), lambda v: [v], lambda v: str(v)[::-1], type]
)
binders: st.SearchStrategy[Callable[[Any], Result[Any, Any]]] = st.sampled_from(
    [
        Success,
        Failure,
        lambda v: Success(repr(v)),
        lambda v: Failure(("bad", v)) if isinstance(v, int) else Success(v),
        lambda v: Success(v) if v else Failure("falsy"),
    ]
)


class TestLaws:
    @given(results)
    def test_map_identity(self, r: Result[Any, Any]) -> None:
        assert r.map(lambda v: v) == r

    @given(results, pure_fns, pure_fns)
    def test_map_composition(
        self, r: Result[Any, Any], f: Callable[[Any], Any], g: Callable[[Any], Any]
    ) -> None:
        assert r.map(f).map(g) == r.map(lambda v: g(f(v)))

    @given(results, pure_fns, pure_fns)
    def test_map_error_composition(
        self, r: Result[Any, Any], f: Callable[[Any], Any], g: Callable[[Any], Any]
    ) -> None:
        assert r.map_error(f).map_error(g) == r.map_error(lambda e: g(f(e)))

    @given(values, binders)
    def test_bind_left_identity(self, v: Any, f: Callable[[Any], Result[Any, Any]]) -> None:
        assert Success(v).bind(f) == f(v)

    @given(results)
    def test_bind_right_identity(self, r: Result[Any, Any]) -> None:
        assert r.bind(Success) == r

    @given(results, binders, binders)
    def test_bind_associativity(
        self,
        r: Result[Any, Any],
        f: Callable[[Any], Result[Any, Any]],
        g: Callable[[Any], Result[Any, Any]],
    ) -> None:
        assert r.bind(f).bind(g) == r.bind(lambda v: f(v).bind(g))

    @given(results, pure_fns)
    def test_map_is_bind_of_success(self, r: Result[Any, Any], f: Callable[[Any], Any]) -> None:
        assert r.map(f) == r.bind(lambda v: Success(f(v)))


class TestPydanticSchema:
    """``Result[T, E]`` as a pydantic type: what FastAPI builds an endpoint's response from."""

    def test_a_success_validates_its_value_as_t(self) -> None:
        from pydantic import TypeAdapter

        assert TypeAdapter(Result[int, str]).validate_python(Success("3")) == Success(3)

    def test_the_json_schema_is_the_schema_of_t(self) -> None:
        from pydantic import TypeAdapter

        for mode in ("validation", "serialization"):
            schema = TypeAdapter(Result[int, str]).json_schema(mode=mode)  # type: ignore[arg-type]
            assert schema == {"type": "integer"}

    def test_a_success_serialises_as_its_value(self) -> None:
        from pydantic import TypeAdapter

        adapter = TypeAdapter(Success[list[int]])
        assert adapter.dump_json(Success([1, 2])) == b"[1,2]"
        assert adapter.dump_python(Success([1, 2]), mode="json") == [1, 2]

    def test_a_bare_result_takes_any_value(self) -> None:
        from pydantic import TypeAdapter

        assert TypeAdapter(Result).validate_python(Success(object)) == Success(object)

    def test_a_value_that_is_no_result_is_refused(self) -> None:
        from pydantic import TypeAdapter, ValidationError

        with pytest.raises(ValidationError) as info:
            TypeAdapter(Result[int, str]).validate_python(3)
        (error,) = info.value.errors()
        assert (error["type"], error["msg"]) == (
            "result_type",
            "expected a Result (Success or Failure), got int",
        )

    def test_a_failure_cannot_be_serialised_as_a_value(self) -> None:
        from pydantic import TypeAdapter
        from pydantic_core import PydanticSerializationError

        with pytest.raises(PydanticSerializationError, match="only a Success can be serialised"):
            TypeAdapter(Result[int, str]).dump_python(Failure("e"))

    def test_a_failure_is_its_http_error(self) -> None:
        from fastapi import HTTPException
        from pydantic import TypeAdapter

        with pytest.raises(HTTPException) as info:
            TypeAdapter(Failure[APIError]).validate_python(Failure(APIError.forbidden()))
        assert info.value.status_code == 403
