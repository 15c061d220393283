"""``PrometheusExporter``: a prometheus_client custom collector over a ResultMetricsCollector.

Single process (no ``PROMETHEUS_MULTIPROC_DIR``): every scrape reads the collector's
lifetime totals. Several worker processes (``PROMETHEUS_MULTIPROC_DIR`` set, prometheus_client's
convention): the exporter starts this process' feed (``multiprocess.start_multiprocess_export``)
and every scrape answers the sum over the directory, i.e. over every worker.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from rfs_monitoring.errors import ConfigurationError, MissingExtraError
from rfs_monitoring.export.figures import (
    DEFAULT_BUCKETS_SECONDS,
    DEFAULT_ERROR_GROUPS,
    HELP,
    OperationFigures,
    check_bounds,
    check_limit,
    figures_of,
    group_labels,
)
from rfs_monitoring.export.multiprocess import (
    MultiprocessFeed,
    multiprocess_dir,
    start_multiprocess_export,
)
from rfs_monitoring.metrics import ResultMetricsCollector

if TYPE_CHECKING:
    from prometheus_client.registry import CollectorRegistry

__all__ = ["PrometheusExporter", "bound_text", "prometheus_core", "register_prometheus"]


def prometheus_core() -> Any:
    """``prometheus_client.core``.

    Raises:
        MissingExtraError: prometheus_client is not installed.
    """
    try:
        import prometheus_client.core as core
    except ImportError as exc:
        raise MissingExtraError("Prometheus export", "prometheus", "prometheus_client") from exc
    return core


def bound_text(seconds: float) -> str:
    """A histogram bound as the ``le`` label writes it."""
    return repr(float(seconds))


class PrometheusExporter:
    """A prometheus_client custom collector reading a ResultMetricsCollector at scrape time.

    Args:
        collector: the collector to read (default: ``ResultMetricsCollector.instance()`` at
            each scrape, so ``set_instance`` is followed).
        namespace: the metric name prefix.
        buckets: histogram bounds in seconds.
        max_error_groups: error groups per operation with their own ``error_group`` label
            value; the others are counted under ``__other__``.
        multiprocess: sum every worker's figures through ``PROMETHEUS_MULTIPROC_DIR``
            (None: when that variable is set).

    Raises:
        MissingExtraError: prometheus_client is not installed.
        ConfigurationError: a bad bucket list, namespace or limit; multiprocess mode without
            a usable directory.
    """

    def __init__(
        self,
        collector: ResultMetricsCollector | None = None,
        *,
        namespace: str = "rfs",
        buckets: Sequence[float] = DEFAULT_BUCKETS_SECONDS,
        max_error_groups: int = DEFAULT_ERROR_GROUPS,
        multiprocess: bool | None = None,
    ) -> None:
        self._core = prometheus_core()
        if not isinstance(namespace, str) or not namespace.isidentifier():
            msg = f"namespace must be an identifier such as 'rfs', got {namespace!r}"
            raise ConfigurationError(msg)
        self._collector = collector
        self.namespace = namespace
        self.buckets = check_bounds(buckets)
        self.max_error_groups = check_limit(max_error_groups)
        self.feed: MultiprocessFeed | None = None
        if multiprocess is None:
            multiprocess = multiprocess_on()
        if multiprocess:
            self.feed = multiprocess_feed(self)

    @property
    def collector(self) -> ResultMetricsCollector:
        """The collector read: the one given, else the process-wide instance of the moment."""
        return self._collector if self._collector is not None else ResultMetricsCollector.instance()

    @property
    def given_collector(self) -> ResultMetricsCollector | None:
        """The collector given to the constructor (None: the process-wide instance)."""
        return self._collector

    def figures(self) -> list[OperationFigures]:
        """The figures of every operation of this process, as published."""
        collector = self.collector
        labels = group_labels(collector, self.max_error_groups)
        return [figures_of(t, self.buckets, labels) for t in collector.totals()]

    def _families(self) -> tuple[Any, Any, Any, Any, Any]:
        core = self._core
        ns = self.namespace
        op = ["operation"]
        return (
            core.CounterMetricFamily(
                f"{ns}_operation_requests", HELP["operation_requests"], labels=[*op, "outcome"]
            ),
            core.CounterMetricFamily(
                f"{ns}_operation_errors", HELP["operation_errors"], labels=[*op, "error_code"]
            ),
            core.CounterMetricFamily(
                f"{ns}_operation_error_groups",
                HELP["operation_error_groups"],
                labels=[*op, "error_group"],
            ),
            core.HistogramMetricFamily(
                f"{ns}_operation_duration_seconds",
                HELP["operation_duration_seconds"],
                labels=op,
            ),
            core.GaugeMetricFamily(f"{ns}_export_workers", HELP["export_workers"]),
        )

    def describe(self) -> Iterator[Any]:
        """The metric families (without samples), for the registry's name checks."""
        yield from self._families()

    def collect(self) -> Iterator[Any]:
        """The current figures of every operation (of every worker in multiprocess mode)."""
        if self.feed is not None:
            self.feed.sync()  # this worker's latest; the others' as of their last tick
            yield from self.feed.read_fleet()
            return
        requests, errors, groups, durations, workers = self._families()
        for fig in self.figures():
            name = fig.operation
            for outcome, n in fig.outcomes.items():
                requests.add_metric([name, outcome], n)
            for code, n in fig.errors.items():
                errors.add_metric([name, code], n)
            for group, n in fig.groups.items():
                groups.add_metric([name, group], n)
            cumulative = [
                (bound_text(b), n) for b, n in zip(self.buckets, fig.cumulative, strict=False)
            ]
            cumulative.append(("+Inf", fig.cumulative[-1]))
            durations.add_metric([name], cumulative, fig.sum_seconds)
        workers.add_metric([], 1)
        yield from (requests, errors, groups, durations, workers)


def multiprocess_on() -> bool:
    """Whether ``PROMETHEUS_MULTIPROC_DIR`` is set (multiprocess mode by default)."""
    return multiprocess_dir() is not None


def multiprocess_feed(exporter: PrometheusExporter) -> MultiprocessFeed:
    """The running feed of this process for ``exporter``'s collector and settings."""
    return start_multiprocess_export(
        exporter.given_collector,
        namespace=exporter.namespace,
        buckets=exporter.buckets,
        max_error_groups=exporter.max_error_groups,
    )


def register_prometheus(
    collector: ResultMetricsCollector | None = None,
    registry: CollectorRegistry | None = None,
    **options: Any,
) -> PrometheusExporter:
    """Register a ``PrometheusExporter`` (default registry unless one is given); returns it.

    ``options`` go to ``PrometheusExporter`` (``namespace``, ``buckets``,
    ``max_error_groups``, ``multiprocess``).
    """
    exporter = PrometheusExporter(collector, **options)
    if registry is None:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    registry.register(exporter)
    return exporter
