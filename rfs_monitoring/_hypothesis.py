"""The ``hypothesis`` entry point of this distribution; the strategies live in ``strategies``.

Hypothesis imports this module and calls ``_hypothesis_setup_hook`` (the name its
documentation gives such hooks) when ``hypothesis`` is imported, in any program, with or
without pytest. The hook costs little: it imports only the small core modules that define
our types (no asyncio, no logging or metrics) and registers for each a function that loads
``rfs_monitoring.strategies`` on the first ``st.from_type`` that needs it. The strategies'
names are re-exported here, lazily, for the imports that still name this module (for pytest
users: ``pytest_rfs.strategies``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from rfs_monitoring.strategies import (
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


def __getattr__(name: str) -> Any:
    if name not in __all__:
        msg = f"module 'rfs_monitoring._hypothesis' has no attribute {name!r}"
        raise AttributeError(msg)
    from rfs_monitoring import strategies

    return getattr(strategies, name)


def _deferred_strategy(thing: Any) -> SearchStrategy[Any]:
    from rfs_monitoring.strategies import type_strategy

    return type_strategy(thing)


def _hypothesis_setup_hook() -> None:
    """Register our types with Hypothesis (called by Hypothesis through the entry point)."""
    from hypothesis import strategies as st

    from rfs_monitoring.errors import APIError, ErrorCode
    from rfs_monitoring.flux import FluxResult
    from rfs_monitoring.mono import MonoResult
    from rfs_monitoring.result import Failure, Result, Success

    for registered in (Result, Success, Failure, FluxResult, MonoResult, APIError, ErrorCode):
        st.register_type_strategy(registered, _deferred_strategy)
