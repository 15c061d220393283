"""Tests of rfs_monitoring.result_logging, one file per module."""
