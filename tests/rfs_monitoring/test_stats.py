"""The one exact quantile rule: nearest rank."""

from __future__ import annotations

import pytest

from rfs_monitoring.stats import nearest_rank


class TestNearestRank:
    def test_empty_has_no_quantile(self) -> None:
        assert nearest_rank([], 0.5) is None

    @pytest.mark.parametrize(
        ("q", "expected"),
        [(0.0, 1.0), (0.01, 1.0), (0.5, 50.0), (0.9, 90.0), (0.99, 99.0), (1.0, 100.0)],
    )
    def test_one_to_a_hundred(self, q: float, expected: float) -> None:
        """Floating-point products such as 0.99 * 100 do not push the rank past the value."""
        assert nearest_rank([float(v) for v in range(1, 101)], q) == expected

    def test_is_always_an_observed_value(self) -> None:
        """p99 of fewer than 100 values is the maximum; p50 of two is the lower one."""
        assert nearest_rank([1.0, 2.0, 3.0], 0.99) == 3.0
        assert nearest_rank([1.0, 2.0], 0.5) == 1.0

    @pytest.mark.parametrize("q", [-0.1, 1.5, float("nan")])
    def test_a_quantile_outside_the_unit_interval_is_refused(self, q: float) -> None:
        with pytest.raises(ValueError, match=r"quantile .* is outside \[0, 1\]"):
            nearest_rank([1.0], q)
