"""Export the collector's figures to Prometheus and OpenTelemetry (optional extras).

Both read the collector when they are scraped or collected, so recording stays as cheap as
ever.

- ``PrometheusExporter`` is a prometheus_client custom collector (``prometheus`` extra)::

      register_prometheus()          # the default collector into the default registry

  It publishes, per operation: ``rfs_operation_requests_total{operation, outcome}`` (outcome:
  success, client_error, server_error, timeout, cancelled), ``rfs_operation_errors_total
  {operation, error_code}``, ``rfs_operation_error_groups_total{operation, error_group}``
  (at most ``max_error_groups`` groups per operation, the rest under ``__other__``), the
  histogram ``rfs_operation_duration_seconds{operation}`` (buckets read from the latency
  sketch, within 1% of each bound) and the gauge ``rfs_export_workers``.
- Several workers on one host: set ``PROMETHEUS_MULTIPROC_DIR`` (``multiprocess``); every
  worker's scrape then answers the sum over the workers.
- ``OpenTelemetryBridge`` registers observable instruments on an OTel meter (``otel``).

Label values (operation names, error codes, error groups) go through ``mask_label``: a
secret that ended up in an operation name or an exception's ``.code`` never becomes a label.

=============  ==========================================================================
figures        what one operation publishes (outcomes, codes, bounded groups, histogram)
prometheus     ``PrometheusExporter``, ``register_prometheus``
multiprocess   the per-worker feed, the directory's sum, ``mark_process_dead``
otel           ``OpenTelemetryBridge``
=============  ==========================================================================
"""

from __future__ import annotations

from rfs_monitoring.export.figures import (
    DEFAULT_BUCKETS_SECONDS,
    DEFAULT_ERROR_GROUPS,
    OUTCOMES,
    GroupLabels,
    OperationFigures,
)
from rfs_monitoring.export.multiprocess import (
    MultiprocessFeed,
    mark_process_dead,
    multiprocess_dir,
    running_feeds,
    start_multiprocess_export,
    stop_multiprocess_export,
)
from rfs_monitoring.export.otel import QUANTILES, OpenTelemetryBridge
from rfs_monitoring.export.prometheus import PrometheusExporter, register_prometheus

__all__ = [
    "DEFAULT_BUCKETS_SECONDS",
    "DEFAULT_ERROR_GROUPS",
    "OUTCOMES",
    "QUANTILES",
    "GroupLabels",
    "MultiprocessFeed",
    "OpenTelemetryBridge",
    "OperationFigures",
    "PrometheusExporter",
    "mark_process_dead",
    "multiprocess_dir",
    "register_prometheus",
    "running_feeds",
    "start_multiprocess_export",
    "stop_multiprocess_export",
]
