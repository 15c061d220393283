"""Moved to ``rfs_monitoring.metrics.sketch``; this path stays for compatibility."""

from __future__ import annotations

from rfs_monitoring.metrics.sketch import (
    MAX_TRACKED_MS,
    RELATIVE_ACCURACY,
    ZERO_THRESHOLD_MS,
    LatencySketch,
)

__all__ = ["MAX_TRACKED_MS", "RELATIVE_ACCURACY", "ZERO_THRESHOLD_MS", "LatencySketch"]
