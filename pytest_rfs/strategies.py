"""Hypothesis strategies for Result, MonoResult and FluxResult.

``st.from_type`` already knows these types wherever this distribution is installed (the
``hypothesis`` entry point registers them); this module gives the strategies with their
knobs::

    from hypothesis import given
    from pytest_rfs.strategies import api_errors, results

    @given(results(success=users(), failure=api_errors()))
    def test_handler(result): ...

Every strategy lists its simplest values first: failing examples shrink towards
``Success(0)`` / ``Failure('')`` and are printed that way.
"""

from __future__ import annotations

from rfs_monitoring._hypothesis import (
    api_errors,
    correlation_ids,
    failures,
    flux_results,
    mono_result,
    mono_results,
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
