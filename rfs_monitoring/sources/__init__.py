"""Query sources beyond the in-process collector: the monitoring router and ``AlertManager``
read any ``rfs_monitoring.metrics.MetricsSource``; ``PrometheusSource`` is the fleet one.

=============  ==============================================================================
client         ``PrometheusClient``: instant / range / label queries over the HTTP API
promql         the PromQL of each figure (exact window counts, ``histogram_quantile``)
figures        Prometheus answers as ``OperationMetrics``, ``ErrorSummary``, ``SeriesPoint``
prometheus     ``PrometheusSource``: the ``MetricsSource`` over a Prometheus HTTP API
=============  ==============================================================================

Only the standard library is used (``urllib``): no extra is needed to read Prometheus.
"""

from __future__ import annotations

from rfs_monitoring.metrics.source import MetricsSource, SourceUnavailableError
from rfs_monitoring.sources.client import PrometheusClient
from rfs_monitoring.sources.prometheus import PrometheusSource

__all__ = ["MetricsSource", "PrometheusClient", "PrometheusSource", "SourceUnavailableError"]
