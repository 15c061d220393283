"""Tests of rfs_monitoring.metrics, one file per module (and per collector concern)."""
