"""The invariants every FluxResult keeps."""

from __future__ import annotations

from typing import Any

from pytest_rfs.laws.comparing import LawViolation, check_law
from rfs_monitoring.flux import FluxResult

__all__ = ["assert_flux_invariants"]


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
    check_law(
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
    check_law(
        "flux_rate",
        "success_rate() == count_success() / len(flux) (0.0 when empty)",
        given,
        rate,
        successes / total if total else 0.0,
    )
    check_law(
        "flux_partition",
        "partition() == (success_values(), errors())",
        given,
        flux.partition(),
        (flux.success_values(), flux.errors()),
    )
    check_law(
        "flux_partition_sizes",
        "(len(success_values()), len(errors())) == (count_success(), count_failures())",
        given,
        (len(flux.success_values()), len(flux.errors())),
        (successes, failures),
    )
