"""Specification of pytest_rfs.explain: describing values and explaining a failed ==."""

from __future__ import annotations

# Kept in sys.modules for pytester's in-process runs (see test_plugin.py).
import hypothesis  # noqa: F401
from returns.result import Success as RSuccess

from pytest_rfs.explain import explain_result_comparison
from rfs_monitoring import (
    Failure,
    Success,
)

# --------------------------------------------------------------------------- == explanation


def no_payload_explanation(a: object, b: object) -> list[str] | None:
    return None


class TestExplainResultComparison:
    def test_not_results(self) -> None:
        assert explain_result_comparison(1, Success(1), no_payload_explanation) is None

    def test_str_vs_int(self) -> None:
        lines = explain_result_comparison(Success("1"), Success(1), no_payload_explanation)
        assert lines == [
            "Success('1') == Success(1)",
            "Success values differ: '1' != 1",
            "  (left is a str, right is an int)",
        ]

    def test_failures(self) -> None:
        lines = explain_result_comparison(Failure("a"), Failure("b"), lambda a, b: ["x", "y"])
        assert lines == ["Failure('a') == Failure('b')", "Failure errors differ: 'a' != 'b'", "y"]

    def test_variants(self) -> None:
        lines = explain_result_comparison(Success(1), Failure(1), no_payload_explanation)
        assert lines == ["Success(1) == Failure(1)", "left is a Success, right is a Failure"]
        lines = explain_result_comparison(Failure(1), Success(1), no_payload_explanation)
        assert lines == ["Failure(1) == Success(1)", "left is a Failure, right is a Success"]

    def test_libraries(self) -> None:
        lines = explain_result_comparison(RSuccess(1), Success(1), no_payload_explanation)
        assert lines == [
            "<Success: 1> == Success(1)",
            "the Results come from different libraries (returns vs rfs_monitoring) and never "
            "compare equal; convert both with rfs_monitoring.to_result() to compare their "
            "contents",
        ]

    def test_returns_values_are_explained(self) -> None:
        lines = explain_result_comparison(RSuccess("1"), RSuccess(1), no_payload_explanation)
        assert lines is not None
        assert lines[1:] == [
            "Success values differ: '1' != 1",
            "  (left is a str, right is an int)",
        ]
