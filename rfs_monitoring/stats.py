"""The one quantile rule of the package: nearest rank over exact, sorted samples.

Used wherever exact samples are at hand (the dashboard's chart points, the pytest report,
``measure_performance``). The collector's running figures come from ``metrics.sketch``, a
bounded-error sketch whose exact fallback uses this same rule.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["nearest_rank"]


def nearest_rank(sorted_values: Sequence[float], q: float) -> float | None:
    """The value at quantile ``q`` (in [0, 1]) of already sorted values; None when empty.

    The q-quantile is the smallest recorded value that is >= a share q of all values, so it
    is always a value that was really observed (p99 of fewer than 100 values is the max).

    Raises:
        ValueError: ``q`` outside [0, 1].
    """
    if not 0.0 <= q <= 1.0:
        msg = f"quantile {q!r} is outside [0, 1]"
        raise ValueError(msg)
    if not sorted_values:
        return None
    rank = math.ceil(q * len(sorted_values) - 1e-9)
    return sorted_values[min(len(sorted_values), max(rank, 1)) - 1]
