"""pytest-rfs: the pytest plugin of rfs-monitoring (auto-loaded as ``-p rfs``)."""

from __future__ import annotations

__all__: list[str] = []
