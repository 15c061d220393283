"""Moved: assertions to ``pytest_rfs.assertions``, mocking to ``pytest_rfs.mocking``.

Kept so that ``from pytest_rfs.result_helpers import ...`` goes on working:
``explain_result_comparison`` and the describe helpers live in ``pytest_rfs.explain``, the
service registry in ``pytest_rfs.registry`` and ``MethodShape`` in ``pytest_rfs.shape``.
"""

from __future__ import annotations

from pytest_rfs.assertions import (
    assert_flux_result_stats,
    assert_result_error,
    assert_result_success,
)
from pytest_rfs.explain import describe_result, describe_value, explain_result_comparison
from pytest_rfs.mocking import ResultServiceMocker, mock_result_service
from pytest_rfs.mono_assertions import (
    assert_mono_result_error,
    assert_mono_result_success,
    assert_mono_result_timeout,
)
from pytest_rfs.registry import register_service, resolve_service, unregister_service
from pytest_rfs.shape import MethodShape

__all__ = [
    "MethodShape",
    "ResultServiceMocker",
    "assert_flux_result_stats",
    "assert_mono_result_error",
    "assert_mono_result_success",
    "assert_mono_result_timeout",
    "assert_result_error",
    "assert_result_success",
    "describe_result",
    "describe_value",
    "explain_result_comparison",
    "mock_result_service",
    "register_service",
    "resolve_service",
    "unregister_service",
]
