"""The one lazy-export rule of the packages (PEP 562 ``__getattr__``)."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from rfs_monitoring.lazy import lazy_exports


class TestLazyExports:
    def test_a_name_is_served_from_its_module_and_kept(self) -> None:
        namespace: dict[str, Any] = {}
        getter = lazy_exports("rfs_monitoring", namespace, {"nearest_rank": "stats"})
        from rfs_monitoring.stats import nearest_rank

        assert getter("nearest_rank") is nearest_rank
        assert namespace == {"nearest_rank": nearest_rank}

    def test_an_unknown_name_is_an_attribute_error_naming_both(self) -> None:
        getter = lazy_exports("some.package", {}, {})
        with pytest.raises(AttributeError, match=r"module 'some.package' has no attribute 'nope'"):
            getter("nope")

    def test_the_module_is_imported_only_on_first_access(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        package = types.ModuleType("lazy_probe")
        package.__path__ = []
        child = types.ModuleType("lazy_probe.child")
        child.value = 42  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "lazy_probe", package)
        namespace: dict[str, Any] = {}
        getter = lazy_exports("lazy_probe", namespace, {"value": "child"})
        assert "value" not in namespace
        monkeypatch.setitem(sys.modules, "lazy_probe.child", child)
        assert getter("value") == 42
