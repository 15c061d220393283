"""The package exports and the old module paths."""

from __future__ import annotations

import rfs_monitoring.archive as old_archive
import rfs_monitoring.metrics as package
import rfs_monitoring.sketch as old_sketch
from rfs_monitoring.metrics import archive, sketch

NAMES_BEFORE_THE_PACKAGE = [
    "FOLD_BATCH",
    "MINUTE_SLOTS",
    "OTHER",
    "SECOND_SLOTS",
    "ErrorSummary",
    "MetricBucket",
    "MetricSample",
    "OperationMetrics",
    "OperationTotals",
    "ResultMetricsCollector",
    "normalise_error_message",
    "parse_time_range",
]


class TestPackage:
    def test_every_exported_name_exists(self) -> None:
        assert [n for n in package.__all__ if not hasattr(package, n)] == []
        assert len(set(package.__all__)) == len(package.__all__)

    def test_the_names_of_the_old_module_stay_exported(self) -> None:
        assert set(NAMES_BEFORE_THE_PACKAGE) <= set(package.__all__)

    def test_the_old_module_paths_re_export_the_same_objects(self) -> None:
        for old, new in ((old_archive, archive), (old_sketch, sketch)):
            assert old.__all__
            for name in old.__all__:
                assert getattr(old, name) is getattr(new, name), name
        assert old_archive.SCHEMA_VERSION == 1
        assert old_archive.MetricsArchive is package.MetricsArchive
        assert old_sketch.LatencySketch is package.LatencySketch
