"""pytest_rfs.result_helpers: the old import path of the assertions and the mocker."""

from __future__ import annotations

import pytest_rfs
import pytest_rfs.result_helpers as result_helpers
from pytest_rfs import assertions, explain, mocking, mono_assertions, registry, shape


def test_the_old_path_re_exports_the_moved_names() -> None:
    homes = (assertions, explain, mocking, mono_assertions, registry, shape)
    for name in result_helpers.__all__:
        moved = [getattr(home, name) for home in homes if name in home.__all__]
        assert moved == [getattr(result_helpers, name)], name


def test_the_old_path_keeps_its_public_names() -> None:
    assert set(result_helpers.__all__) >= {
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
        "unregister_service",
    }


def test_package_exports() -> None:
    assert sorted(pytest_rfs.__all__) == pytest_rfs.__all__
    for name in pytest_rfs.__all__:
        assert getattr(pytest_rfs, name) is not None
