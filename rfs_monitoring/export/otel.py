"""``OpenTelemetryBridge``: observable OpenTelemetry instruments over a ResultMetricsCollector.

Counters ``rfs.operation.requests`` {operation, outcome} (the outcomes of the Prometheus
export, ``figures.OUTCOMES``), ``rfs.operation.errors`` {operation, error.code},
``rfs.operation.duration.sum`` (ms) and the gauge ``rfs.operation.duration`` {operation,
quantile} over the last minute (ms).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rfs_monitoring.errors import ConfigurationError, MissingExtraError
from rfs_monitoring.export.figures import OUTCOMES, outcome_of_code
from rfs_monitoring.masking import mask_label
from rfs_monitoring.metrics import ResultMetricsCollector

__all__ = ["QUANTILES", "OpenTelemetryBridge"]

QUANTILES = (0.5, 0.9, 0.99)
"""Quantiles the OpenTelemetry bridge publishes as gauges."""


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
        out: list[Any] = []
        for t in self.collector.totals():
            name = mask_label(t.operation)
            outcomes = dict.fromkeys(OUTCOMES, 0)
            outcomes["success"] = t.total - t.failed
            for code, n in t.error_codes.items():
                outcomes[outcome_of_code(code)] += n
            out.extend(
                observe(n, {"operation": name, "outcome": outcome})
                for outcome, n in outcomes.items()
            )
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
