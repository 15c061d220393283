"""Export the collector's figures to Prometheus and OpenTelemetry.

Both read the collector when they are scraped or collected, so recording stays as cheap as
ever; with several processes or hosts, aggregate in Prometheus / your OTel backend.

- ``PrometheusExporter`` is a prometheus_client custom collector (``prometheus`` extra)::

      from prometheus_client import REGISTRY
      register_prometheus()          # the default collector into the default registry

  It publishes, per operation: ``rfs_operation_requests_total{operation, outcome}``,
  ``rfs_operation_errors_total{operation, error_code}`` and the histogram
  ``rfs_operation_duration_seconds{operation}`` (its buckets are read from the latency
  sketch, within 1% of each bound).
- ``OpenTelemetryBridge`` registers observable instruments on an OTel meter (``otel``
  extra): counters ``rfs.operation.requests`` {operation, outcome},
  ``rfs.operation.errors`` {operation, error.code}, ``rfs.operation.duration.sum`` (ms) and
  the gauge ``rfs.operation.duration`` {operation, quantile} over the last minute (ms).

Label values (operation names, error codes) go through ``mask_label``: a secret that ended
up in an operation name or an exception's ``.code`` never becomes a label.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from rfs_monitoring.errors import ConfigurationError, MissingExtraError
from rfs_monitoring.masking import mask_label
from rfs_monitoring.metrics import ResultMetricsCollector

if TYPE_CHECKING:
    from prometheus_client.registry import CollectorRegistry

__all__ = [
    "DEFAULT_BUCKETS_SECONDS",
    "OpenTelemetryBridge",
    "PrometheusExporter",
    "register_prometheus",
]

DEFAULT_BUCKETS_SECONDS: tuple[float, ...] = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
"""Histogram bounds (seconds) published for every operation; +Inf is added."""

QUANTILES = (0.5, 0.9, 0.99)
"""Quantiles the OpenTelemetry bridge publishes as gauges."""


def _prometheus() -> Any:
    try:
        import prometheus_client.core as core
    except ImportError as exc:
        raise MissingExtraError("Prometheus export", "prometheus", "prometheus_client") from exc
    return core


def _check_bounds(buckets: Sequence[float]) -> tuple[float, ...]:
    bounds = tuple(buckets)
    if (
        not bounds
        or any(isinstance(b, bool) or not isinstance(b, (int, float)) or b <= 0 for b in bounds)
        or list(bounds) != sorted(set(bounds))
    ):
        msg = f"histogram buckets must be increasing numbers of seconds > 0, got {buckets!r}"
        raise ConfigurationError(msg)
    return tuple(float(b) for b in bounds)


class PrometheusExporter:
    """A prometheus_client custom collector reading a ResultMetricsCollector at scrape time.

    Args:
        collector: the collector to read (default: ``ResultMetricsCollector.instance()`` at
            each scrape, so ``set_instance`` is followed).
        namespace: the metric name prefix.
        buckets: histogram bounds in seconds.

    Raises:
        MissingExtraError: prometheus_client is not installed.
        ConfigurationError: bad buckets or namespace.
    """

    def __init__(
        self,
        collector: ResultMetricsCollector | None = None,
        *,
        namespace: str = "rfs",
        buckets: Sequence[float] = DEFAULT_BUCKETS_SECONDS,
    ) -> None:
        self._core = _prometheus()
        if not isinstance(namespace, str) or not namespace.isidentifier():
            msg = f"namespace must be an identifier such as 'rfs', got {namespace!r}"
            raise ConfigurationError(msg)
        self._collector = collector
        self.namespace = namespace
        self.buckets = _check_bounds(buckets)

    @property
    def collector(self) -> ResultMetricsCollector:
        """The collector read: the one given, else the process-wide instance of the moment."""
        return self._collector if self._collector is not None else ResultMetricsCollector.instance()

    def _families(self) -> tuple[Any, Any, Any]:
        core = self._core
        ns = self.namespace
        return (
            core.CounterMetricFamily(
                f"{ns}_operation_requests",
                "Operations recorded, by outcome.",
                labels=["operation", "outcome"],
            ),
            core.CounterMetricFamily(
                f"{ns}_operation_errors",
                "Failed operations, by error code.",
                labels=["operation", "error_code"],
            ),
            core.HistogramMetricFamily(
                f"{ns}_operation_duration_seconds",
                "Operation durations (buckets read from a 1%-accurate sketch).",
                labels=["operation"],
            ),
        )

    def describe(self) -> Iterator[Any]:
        """The metric families (without samples), for the registry's name checks."""
        yield from self._families()

    def collect(self) -> Iterator[Any]:
        """The current figures of every operation."""
        requests, errors, durations = self._families()
        for totals in self.collector.totals():
            name = mask_label(totals.operation)  # labels are output: masked (cached)
            requests.add_metric([name, "success"], totals.total - totals.failed)
            requests.add_metric([name, "failure"], totals.failed)
            for code, n in sorted(totals.error_codes.items()):
                errors.add_metric([name, mask_label(code)], n)
            sketch = totals.sketch
            cumulative = [(_bound(b), sketch.count_at_or_below(b * 1000.0)) for b in self.buckets]
            cumulative.append(("+Inf", sketch.count))
            durations.add_metric([name], cumulative, totals.sum_ms / 1000.0)
        yield requests
        yield errors
        yield durations


def _bound(seconds: float) -> str:
    return repr(float(seconds))


def register_prometheus(
    collector: ResultMetricsCollector | None = None,
    registry: CollectorRegistry | None = None,
    **options: Any,
) -> PrometheusExporter:
    """Register a ``PrometheusExporter`` (default registry unless one is given); returns it."""
    exporter = PrometheusExporter(collector, **options)
    if registry is None:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    registry.register(exporter)
    return exporter


class OpenTelemetryBridge:
    """Observable OpenTelemetry instruments that read a ResultMetricsCollector.

    Args:
        collector: the collector to read (default: the process-wide instance at each
            collection).
        meter_provider: the MeterProvider (default: the global one).
        quantile_window: the time range of the quantile gauge.

    Raises:
        MissingExtraError: opentelemetry-api is not installed.
    """

    def __init__(
        self,
        collector: ResultMetricsCollector | None = None,
        *,
        meter_provider: Any = None,
        quantile_window: str = "1m",
    ) -> None:
        try:
            from opentelemetry import metrics as otel_metrics
        except ImportError as exc:
            raise MissingExtraError("OpenTelemetry export", "otel", "opentelemetry-api") from exc
        from rfs_monitoring import __version__
        from rfs_monitoring.metrics import parse_time_range

        if parse_time_range(quantile_window).is_failure():
            msg = (
                f"quantile_window {quantile_window!r} is not accepted; use a time range "
                'such as "1m", "5m" or a number of seconds'
            )
            raise ConfigurationError(msg)
        self._otel = otel_metrics
        self._collector = collector
        self.quantile_window = quantile_window
        self.enabled = True
        provider = (
            meter_provider if meter_provider is not None else otel_metrics.get_meter_provider()
        )
        meter = provider.get_meter("rfs_monitoring", __version__)
        meter.create_observable_counter(
            "rfs.operation.requests",
            callbacks=[self._requests],
            unit="{request}",
            description="Operations recorded, by outcome.",
        )
        meter.create_observable_counter(
            "rfs.operation.errors",
            callbacks=[self._errors],
            unit="{error}",
            description="Failed operations, by error code.",
        )
        meter.create_observable_counter(
            "rfs.operation.duration.sum",
            callbacks=[self._duration_sum],
            unit="ms",
            description="Sum of operation durations.",
        )
        meter.create_observable_gauge(
            "rfs.operation.duration",
            callbacks=[self._quantiles],
            unit="ms",
            description=f"Duration quantiles over the last {quantile_window}.",
        )

    @property
    def collector(self) -> ResultMetricsCollector:
        """The collector read: the one given, else the process-wide instance of the moment."""
        return self._collector if self._collector is not None else ResultMetricsCollector.instance()

    def close(self) -> None:
        """Stop reporting (OpenTelemetry instruments cannot be removed from a meter)."""
        self.enabled = False

    def _requests(self, options: Any) -> Iterable[Any]:
        if not self.enabled:
            return []
        observe = self._otel.Observation
        out = []
        for t in self.collector.totals():
            name = mask_label(t.operation)
            out.append(observe(t.total - t.failed, {"operation": name, "outcome": "success"}))
            out.append(observe(t.failed, {"operation": name, "outcome": "failure"}))
        return out

    def _errors(self, options: Any) -> Iterable[Any]:
        if not self.enabled:
            return []
        observe = self._otel.Observation
        return [
            observe(n, {"operation": mask_label(t.operation), "error.code": mask_label(code)})
            for t in self.collector.totals()
            for code, n in sorted(t.error_codes.items())
        ]

    def _duration_sum(self, options: Any) -> Iterable[Any]:
        if not self.enabled:
            return []
        observe = self._otel.Observation
        return [
            observe(t.sum_ms, {"operation": mask_label(t.operation)})
            for t in self.collector.totals()
        ]

    def _quantiles(self, options: Any) -> Iterable[Any]:
        if not self.enabled:
            return []
        observe = self._otel.Observation
        source = self.collector
        out = []
        for name in source.operation_names():
            result = source.operation_metrics(name, self.quantile_window)
            if result.is_failure():
                continue
            m = result.unwrap()
            if not m.total_requests:
                continue
            values = (m.p50_response_time_ms, m.p90_response_time_ms, m.p99_response_time_ms)
            for q, value in zip(QUANTILES, values, strict=True):
                out.append(observe(value, {"operation": mask_label(name), "quantile": str(q)}))
        return out
