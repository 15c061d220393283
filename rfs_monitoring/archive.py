"""Moved to ``rfs_monitoring.metrics.archive``; this path stays for compatibility."""

from __future__ import annotations

from rfs_monitoring.metrics.archive import SCHEMA_VERSION, MetricsArchive, default_source

__all__ = ["SCHEMA_VERSION", "MetricsArchive", "default_source"]
