"""Names of a package served from its modules on first access (PEP 562), stated once.

``rfs_monitoring``, ``rfs_monitoring.result_logging``, ``pytest_rfs`` and ``pytest_rfs.report``
load their modules only when a name is used, so importing a package (or loading the pytest
plugin) stays cheap.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, namespace: MutableMapping[str, Any], modules: Mapping[str, str]
) -> Callable[[str], Any]:
    """A module ``__getattr__`` serving each name of ``modules`` from ``package.<module>``.

    Args:
        package: the package's ``__name__``.
        namespace: the package's ``globals()``; a served name is stored there, so later
            accesses skip ``__getattr__``.
        modules: public name -> the module (relative to ``package``) that defines it.

    Returns:
        The function to bind as the package's ``__getattr__``; an unknown name raises
        AttributeError naming the package and the name.
    """

    def __getattr__(name: str) -> Any:
        module_name = modules.get(name)
        if module_name is None:
            msg = f"module {package!r} has no attribute {name!r}"
            raise AttributeError(msg)
        value = getattr(importlib.import_module(f"{package}.{module_name}"), name)
        namespace[name] = value
        return value

    return __getattr__
