"""Metrics: per-operation counts, latency quantiles and error groups in time buckets.

Modules, in data-flow order:

=============  ==============================================================================
time_range     ``parse_time_range`` (the one time-range parser), named ranges, query windows
records        ``MetricSample``, ``OperationMetrics``, ``ErrorSummary``, ``ErrorExample``,
               ``OperationTotals``, ``SeriesPoint``, ``TierSizes``
grouping       ``normalise_error_message``, the one error-group merge, the cardinality caps
cap            ``OperationCap``: past ``max_operations``, new names go to ``OTHER``; reserved names
sketch         ``LatencySketch``: mergeable quantiles within 1%
bucket         ``MetricBucket`` (its fields declared once) and an operation's bucket tiers
examples       the last few failures of each error group (``error_examples``)
figures        the figure definitions: failure classes, availability, throughput
rolling        an operation's closed minutes kept merged (4 / 15 / 60, any other width on demand)
query          the buckets covering a window, merged into figures and error rankings
everything     all operations' closed seconds merged per second, minute, hour (``overall``)
series         chart steps of one tier
store          every operation's tiers behind one lock (the collector's base)
collector      ``ResultMetricsCollector``: the recording hot path and the public queries
archive        ``MetricsArchive``: SQLite hours past the in-memory retention
source         ``MetricsSource``: the queries the router and alerts ask (collector, Prometheus)
=============  ==============================================================================

Error messages are masked (``rfs_monitoring.masking.mask_text``) and normalised (numbers,
UUIDs, hex ids and quoted values become placeholders) before they are stored, so
"user 123 not found" and "user 456 not found" are one group.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rfs_monitoring.metrics.bucket import MINUTE_SLOTS, SECOND_SLOTS, MetricBucket
from rfs_monitoring.metrics.cap import CAP_REASON, OperationCap
from rfs_monitoring.metrics.collector import FOLD_BATCH, ResultMetricsCollector
from rfs_monitoring.metrics.grouping import OTHER, normalise_error_message
from rfs_monitoring.metrics.query import Snapshot
from rfs_monitoring.metrics.records import (
    ErrorExample,
    ErrorSummary,
    MetricSample,
    OperationMetrics,
    OperationTotals,
    SeriesPoint,
    TierSizes,
)
from rfs_monitoring.metrics.sketch import LatencySketch
from rfs_monitoring.metrics.source import MetricsSource, SourceUnavailableError
from rfs_monitoring.metrics.time_range import (
    ACCEPTED_TIME_RANGES,
    NAMED_RANGES,
    TimeRange,
    parse_time_range,
)

if TYPE_CHECKING:
    from rfs_monitoring.metrics.archive import MetricsArchive


def __getattr__(name: str) -> Any:
    # The archive needs sqlite3: loaded when first asked for, not with the collector.
    if name == "MetricsArchive":
        from rfs_monitoring.metrics.archive import MetricsArchive

        return MetricsArchive
    msg = f"module 'rfs_monitoring.metrics' has no attribute {name!r}"
    raise AttributeError(msg)


__all__ = [
    "ACCEPTED_TIME_RANGES",
    "CAP_REASON",
    "FOLD_BATCH",
    "MINUTE_SLOTS",
    "NAMED_RANGES",
    "OTHER",
    "SECOND_SLOTS",
    "ErrorExample",
    "ErrorSummary",
    "LatencySketch",
    "MetricBucket",
    "MetricSample",
    "MetricsArchive",
    "MetricsSource",
    "OperationCap",
    "OperationMetrics",
    "OperationTotals",
    "ResultMetricsCollector",
    "SeriesPoint",
    "Snapshot",
    "SourceUnavailableError",
    "TierSizes",
    "TimeRange",
    "normalise_error_message",
    "parse_time_range",
]
