"""Adapters: other libraries' Results (returns, result, rfs-framework) turned into ours."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import result as rustedpy
from returns.maybe import Some
from returns.result import Failure as DryFailure
from returns.result import Success as DrySuccess

from rfs_monitoring import (
    Failure,
    FluxResult,
    MonoResult,
    Result,
    ResultAdapterError,
    Success,
    is_result_like,
    register_result_adapter,
    to_result,
    unregister_result_adapter,
)


class TestReturns:
    def test_success(self) -> None:
        assert to_result(DrySuccess(1)) == Success(1)

    def test_failure(self) -> None:
        assert to_result(DryFailure("e")) == Failure("e")

    def test_other_returns_containers_are_not_results(self) -> None:
        assert not is_result_like(Some(1))


class TestRustedpyResult:
    def test_ok(self) -> None:
        assert to_result(rustedpy.Ok(1)) == Success(1)

    def test_err(self) -> None:
        assert to_result(rustedpy.Err("e")) == Failure("e")

    def test_other_objects_of_the_module_are_not_results(self) -> None:
        assert not is_result_like(rustedpy.UnwrapError(rustedpy.Err(1), "m"))


def _rfs_type(name: str, **namespace: Any) -> type:
    # rfs-framework is not installable here; these stand-ins live in a module named like its.
    cls = type(name, (), namespace)
    cls.__module__ = "rfs.core.result"
    return cls


class TestRfsFramework:
    RfsSuccess = _rfs_type(
        "Success",
        __init__=lambda self, v: setattr(self, "v", v),
        is_success=lambda self: True,
        unwrap=lambda self: self.v,
    )
    RfsFailure = _rfs_type(
        "Failure",
        __init__=lambda self, e: setattr(self, "e", e),
        is_success=lambda self: False,
        unwrap_error=lambda self: self.e,
    )

    def test_success(self) -> None:
        assert to_result(self.RfsSuccess(1)) == Success(1)

    def test_failure(self) -> None:
        assert to_result(self.RfsFailure("e")) == Failure("e")

    def test_objects_without_is_success_are_not_results(self) -> None:
        assert not is_result_like(_rfs_type("Other")())


class Box:
    def __init__(self, ok: bool, payload: object) -> None:
        self.ok = ok
        self.payload = payload


@pytest.fixture
def box_adapter() -> Iterator[Any]:
    def adapt(value: object) -> Result[Any, Any] | None:
        if isinstance(value, Box):
            return Success(value.payload) if value.ok else Failure(value.payload)
        return None

    assert register_result_adapter(adapt) is adapt
    yield adapt
    unregister_result_adapter(adapt)


class TestRegistry:
    def test_a_registered_adapter_is_used(self, box_adapter: Any) -> None:
        assert to_result(Box(True, 1)) == Success(1)
        assert to_result(Box(False, "e")) == Failure("e")

    def test_unregister(self, box_adapter: Any) -> None:
        assert unregister_result_adapter(box_adapter) is True
        assert not is_result_like(Box(True, 1))
        assert unregister_result_adapter(box_adapter) is False

    def test_later_adapters_are_tried_first(self, box_adapter: Any) -> None:
        def override(value: object) -> Result[Any, Any] | None:
            return Success("override") if isinstance(value, Box) else None

        register_result_adapter(override)
        try:
            assert to_result(Box(True, 1)) == Success("override")
        finally:
            unregister_result_adapter(override)

    def test_adapters_must_be_callable(self) -> None:
        with pytest.raises(TypeError) as info:
            register_result_adapter("nope")  # type: ignore[arg-type]
        assert str(info.value) == "a result adapter must be callable, got 'nope'"

    def test_helpers_accept_adapted_results(self, box_adapter: Any) -> None:
        flux = FluxResult.from_results([Box(True, 1), DrySuccess(2), rustedpy.Err("e")])
        assert flux.results == (Success(1), Success(2), Failure("e"))


class TestToResult:
    def test_our_results_are_returned_unchanged(self) -> None:
        success = Success(1)
        assert to_result(success) is success

    def test_anything_else_is_refused_with_a_clear_message(self) -> None:
        with pytest.raises(ResultAdapterError) as info:
            to_result(42)
        assert str(info.value) == (
            "expected a Result (rfs_monitoring Success/Failure, returns, result or "
            "rfs-framework, or a type with a registered adapter), got int: 42"
        )
        assert info.value.value == 42
        assert isinstance(info.value, TypeError)

    def test_is_result_like(self) -> None:
        assert is_result_like(Success(1))
        assert is_result_like(rustedpy.Ok(1))
        assert not is_result_like(None)

    @pytest.mark.asyncio
    async def test_mono_adapts_foreign_results(self) -> None:
        assert await MonoResult.from_result(DrySuccess(1)) == Success(1)  # type: ignore[arg-type]
        mono = MonoResult.from_value(1).bind_result(lambda v: rustedpy.Err(v))  # type: ignore[arg-type,return-value]
        assert await mono == Failure(1)
