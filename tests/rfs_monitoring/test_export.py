"""Prometheus collector and OpenTelemetry bridge over a ResultMetricsCollector."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from rfs_monitoring import (
    APIError,
    ConfigurationError,
    Failure,
    MissingExtraError,
    ResultMetricsCollector,
)
from rfs_monitoring.export import (
    DEFAULT_BUCKETS_SECONDS,
    OpenTelemetryBridge,
    PrometheusExporter,
    register_prometheus,
)

T0 = 1_700_000_000.0


class FakeClock:
    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def collector() -> ResultMetricsCollector:
    c = ResultMetricsCollector(FakeClock(), resources=lambda: (None, None))
    for ms in (2.0, 20.0, 200.0, 2000.0):
        c.record("get_user", success=True, duration_ms=ms)
    c.record_result("get_user", Failure(APIError.not_found("user", 1)), 30.0)
    c.record_result("get_user", Failure(APIError.not_found("user", 2)), 30.0)
    c.record("pay", success=False, duration_ms=0.5, error_code="TIMEOUT")
    return c


def scrape(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(registry).decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


class TestPrometheus:
    def test_the_exposition_parses_back_to_the_recorded_figures(
        self, collector: ResultMetricsCollector
    ) -> None:
        registry = CollectorRegistry()
        exporter = register_prometheus(collector, registry)
        assert isinstance(exporter, PrometheusExporter)
        samples = scrape(registry)
        requests = "rfs_operation_requests_total"
        assert samples[(requests, (("operation", "get_user"), ("outcome", "success")))] == 4
        assert samples[(requests, (("operation", "get_user"), ("outcome", "failure")))] == 2
        assert samples[(requests, (("operation", "pay"), ("outcome", "failure")))] == 1
        errors = "rfs_operation_errors_total"
        assert samples[(errors, (("error_code", "NOT_FOUND"), ("operation", "get_user")))] == 2
        assert samples[(errors, (("error_code", "TIMEOUT"), ("operation", "pay")))] == 1

        def bucket(le: str) -> float:
            key = ("rfs_operation_duration_seconds_bucket", (("le", le), ("operation", "get_user")))
            return samples[key]

        assert bucket("0.001") == 0
        assert bucket("0.0025") == 1
        assert bucket("0.025") == 2
        assert bucket("0.05") == 4
        assert bucket("0.25") == 5
        assert bucket("2.5") == 6
        assert bucket("+Inf") == 6
        op = (("operation", "get_user"),)
        assert samples[("rfs_operation_duration_seconds_count", op)] == 6
        assert samples[("rfs_operation_duration_seconds_sum", op)] == pytest.approx(2.282)

    def test_scrapes_follow_new_samples(self, collector: ResultMetricsCollector) -> None:
        registry = CollectorRegistry()
        register_prometheus(collector, registry, namespace="shop", buckets=(0.1, 1.0))
        collector.record("pay", success=True, duration_ms=1.0)
        samples = scrape(registry)
        key = ("shop_operation_requests_total", (("operation", "pay"), ("outcome", "success")))
        assert samples[key] == 1
        pay = (("le", "0.1"), ("operation", "pay"))
        assert samples[("shop_operation_duration_seconds_bucket", pay)] == 2

    def test_the_default_collector_is_read_at_each_scrape(self) -> None:
        mine = ResultMetricsCollector(FakeClock(), resources=lambda: (None, None))
        previous = ResultMetricsCollector.set_instance(mine)
        try:
            exporter = register_prometheus()
            try:
                mine.record("x", success=True, duration_ms=1.0)
                samples = scrape(REGISTRY)
                key = ("rfs_operation_requests_total", (("operation", "x"), ("outcome", "success")))
                assert samples[key] == 1
            finally:
                REGISTRY.unregister(exporter)  # type: ignore[arg-type]
        finally:
            ResultMetricsCollector.set_instance(previous)

    def test_describe_names_the_families(self) -> None:
        names = [f.name for f in PrometheusExporter().describe()]
        assert names == [
            "rfs_operation_requests",
            "rfs_operation_errors",
            "rfs_operation_duration_seconds",
        ]

    @pytest.mark.parametrize("buckets", [(), (1.0, 0.5), (0.0, 1.0), ("1",), (True,), (1.0, 1.0)])
    def test_bad_buckets_are_refused(self, buckets: tuple[Any, ...]) -> None:
        with pytest.raises(ConfigurationError) as info:
            PrometheusExporter(buckets=buckets)
        assert str(info.value) == (
            f"histogram buckets must be increasing numbers of seconds > 0, got {buckets!r}"
        )

    def test_a_bad_namespace_is_refused(self) -> None:
        with pytest.raises(ConfigurationError) as info:
            PrometheusExporter(namespace="my-app")
        assert str(info.value) == "namespace must be an identifier such as 'rfs', got 'my-app'"

    def test_default_buckets_are_seconds(self) -> None:
        assert DEFAULT_BUCKETS_SECONDS[0] == 0.001
        assert PrometheusExporter().buckets == DEFAULT_BUCKETS_SECONDS

    def test_the_collector_read_follows_set_instance(
        self, collector: ResultMetricsCollector
    ) -> None:
        assert PrometheusExporter(collector).collector is collector
        previous = ResultMetricsCollector.set_instance(collector)
        try:
            assert PrometheusExporter().collector is collector
        finally:
            ResultMetricsCollector.set_instance(previous)

    def test_without_prometheus_client_the_extra_is_named(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setitem(sys.modules, "prometheus_client.core", None)
        with pytest.raises(MissingExtraError) as info:
            PrometheusExporter()
        assert str(info.value) == (
            "Prometheus export needs the optional dependency 'prometheus_client'; "
            "install it with: pip install 'rfs-monitoring[prometheus]'"
        )


@pytest.fixture
def reader() -> Iterator[InMemoryMetricReader]:
    reader = InMemoryMetricReader()
    yield reader
    reader.shutdown()


def points(reader: InMemoryMetricReader) -> dict[str, dict[tuple[tuple[str, Any], ...], float]]:
    data = reader.get_metrics_data()
    out: dict[str, dict[tuple[tuple[str, Any], ...], float]] = {}
    if data is None:
        return out
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    attrs = tuple(sorted((point.attributes or {}).items()))
                    out.setdefault(metric.name, {})[attrs] = point.value  # type: ignore[union-attr]
    return out


class TestOpenTelemetry:
    def test_the_bridge_reports_counters_and_quantiles(
        self, collector: ResultMetricsCollector, reader: InMemoryMetricReader
    ) -> None:
        provider = MeterProvider(metric_readers=[reader])
        OpenTelemetryBridge(collector, meter_provider=provider)
        got = points(reader)
        requests = got["rfs.operation.requests"]
        assert requests[(("operation", "get_user"), ("outcome", "success"))] == 4
        assert requests[(("operation", "get_user"), ("outcome", "failure"))] == 2
        errors = got["rfs.operation.errors"]
        assert errors[(("error.code", "NOT_FOUND"), ("operation", "get_user"))] == 2
        assert errors[(("error.code", "TIMEOUT"), ("operation", "pay"))] == 1
        assert got["rfs.operation.duration.sum"][(("operation", "pay"),)] == 0.5
        quantiles = got["rfs.operation.duration"]
        assert quantiles[(("operation", "get_user"), ("quantile", "0.99"))] == pytest.approx(
            200.0, rel=0.01
        )
        assert quantiles[(("operation", "pay"), ("quantile", "0.5"))] == pytest.approx(
            0.5, rel=0.01
        )
        provider.shutdown()

    def test_operations_idle_for_the_quantile_window_report_no_quantile(
        self, collector: ResultMetricsCollector, reader: InMemoryMetricReader
    ) -> None:
        provider = MeterProvider(metric_readers=[reader])
        OpenTelemetryBridge(collector, meter_provider=provider, quantile_window="5m")
        clock = collector.clock
        assert isinstance(clock, FakeClock)
        clock.t += 3600
        got = points(reader)
        assert "rfs.operation.duration" not in got
        assert got["rfs.operation.requests"]
        provider.shutdown()

    def test_a_closed_bridge_reports_nothing(
        self, collector: ResultMetricsCollector, reader: InMemoryMetricReader
    ) -> None:
        provider = MeterProvider(metric_readers=[reader])
        bridge = OpenTelemetryBridge(collector, meter_provider=provider)
        bridge.close()
        assert points(reader) == {}
        provider.shutdown()

    def test_the_global_provider_and_default_collector(self) -> None:
        mine = ResultMetricsCollector(FakeClock(), resources=lambda: (None, None))
        previous = ResultMetricsCollector.set_instance(mine)
        try:
            bridge = OpenTelemetryBridge()
            assert bridge.collector is mine
            bridge.close()
        finally:
            ResultMetricsCollector.set_instance(previous)

    def test_a_bad_quantile_window_is_refused(self) -> None:
        with pytest.raises(ConfigurationError) as info:
            OpenTelemetryBridge(quantile_window="2h")
        assert str(info.value) == (
            'quantile_window \'2h\' is not accepted; use a time range such as "1m", "5m" '
            "or a number of seconds"
        )

    def test_without_opentelemetry_the_extra_is_named(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setitem(sys.modules, "opentelemetry", None)
        monkeypatch.setitem(sys.modules, "opentelemetry.metrics", None)
        with pytest.raises(MissingExtraError) as info:
            OpenTelemetryBridge()
        assert str(info.value) == (
            "OpenTelemetry export needs the optional dependency 'opentelemetry-api'; "
            "install it with: pip install 'rfs-monitoring[otel]'"
        )
