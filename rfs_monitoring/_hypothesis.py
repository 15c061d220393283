"""The ``hypothesis`` entry point of this distribution; the strategies live in ``strategies``.

Hypothesis imports this module and calls ``_hypothesis_setup_hook`` (the name its
documentation gives such hooks) when ``hypothesis`` is imported, in any program, with or
without pytest. The strategies and the registration are in ``rfs_monitoring.strategies``
(for pytest users: ``pytest_rfs.strategies``); their names are re-exported here for the
imports that still name this module.
"""

from __future__ import annotations

from rfs_monitoring.strategies import (
    api_errors,
    correlation_ids,
    failures,
    flux_results,
    mono_result,
    mono_results,
    register_type_strategies,
    results,
    successes,
)

__all__ = [
    "api_errors",
    "correlation_ids",
    "failures",
    "flux_results",
    "mono_result",
    "mono_results",
    "results",
    "successes",
]


def _hypothesis_setup_hook() -> None:
    """Register our types with Hypothesis (called by Hypothesis through the entry point)."""
    register_type_strategies()
