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
    GroupLabels,
    OpenTelemetryBridge,
    PrometheusExporter,
    register_prometheus,
)
from rfs_monitoring.export.figures import outcome_of_code

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
        assert samples[(requests, (("operation", "get_user"), ("outcome", "client_error")))] == 2
        assert samples[(requests, (("operation", "get_user"), ("outcome", "server_error")))] == 0
        assert samples[(requests, (("operation", "pay"), ("outcome", "timeout")))] == 1
        assert samples[(requests, (("operation", "pay"), ("outcome", "cancelled")))] == 0
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
                REGISTRY.unregister(exporter)
        finally:
            ResultMetricsCollector.set_instance(previous)

    def test_describe_names_the_families(self) -> None:
        names = [f.name for f in PrometheusExporter().describe()]
        assert names == [
            "rfs_operation_requests",
            "rfs_operation_errors",
            "rfs_operation_error_groups",
            "rfs_operation_duration_seconds",
            "rfs_export_workers",
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
        assert requests[(("operation", "get_user"), ("outcome", "client_error"))] == 2
        assert requests[(("operation", "pay"), ("outcome", "timeout"))] == 1
        assert requests[(("operation", "pay"), ("outcome", "server_error"))] == 0
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


class TestOutcomesAndGroups:
    @pytest.mark.parametrize(
        ("code", "outcome"),
        [
            ("NOT_FOUND", "client_error"),
            ("validation_error", "client_error"),
            ("429", "client_error"),
            ("INTERNAL_ERROR", "server_error"),
            ("503", "server_error"),
            ("UNKNOWN", "server_error"),
            ("__other__", "server_error"),
            ("TIMEOUT", "timeout"),
            ("CANCELLED", "cancelled"),
        ],
    )
    def test_each_code_counts_under_the_outcome_of_its_fault(self, code: str, outcome: str) -> None:
        assert outcome_of_code(code) == outcome

    def test_error_groups_are_bounded_per_operation_with_an_overflow(self) -> None:
        collector = ResultMetricsCollector(FakeClock(), resources=lambda: (None, None))
        for i, n in enumerate((5, 4, 3, 2)):
            for _ in range(n):
                collector.record(
                    "pay", success=False, duration_ms=1.0, error_message=f"failure kind {'abcd'[i]}"
                )
        registry = CollectorRegistry()
        register_prometheus(collector, registry, max_error_groups=2)
        groups = {
            dict(labels)["error_group"]: v
            for (name, labels), v in scrape(registry).items()
            if name == "rfs_operation_error_groups_total"
        }
        assert groups == {"failure kind a": 5, "failure kind b": 4, "__other__": 5}

    def test_an_admitted_group_keeps_its_label_and_counts_only_grow(self) -> None:
        labels = GroupLabels(limit=1)
        assert labels.bound("op", {"x": 1}) == {"x": 1}
        # y overtakes x: x keeps its label (its series never moves), y goes to the overflow
        assert labels.bound("op", {"x": 1, "y": 9}) == {"x": 1, "__other__": 9}
        assert labels.bound("other op", {"y": 2}) == {"y": 2}

    def test_lifetime_groups_survive_the_live_second(self) -> None:
        clock = FakeClock()
        collector = ResultMetricsCollector(clock, resources=lambda: (None, None))
        collector.record("pay", success=False, duration_ms=1.0, error_message="card 1 declined")
        clock.t += 5
        collector.record("pay", success=False, duration_ms=1.0, error_message="card 2 declined")
        (totals,) = collector.totals()
        assert totals.error_groups == {"card <n> declined": 2}

    @pytest.mark.parametrize("limit", [0, True, 1.5, "3"])
    def test_a_bad_group_limit_is_refused(self, limit: object) -> None:
        with pytest.raises(ConfigurationError) as info:
            PrometheusExporter(max_error_groups=limit)  # type: ignore[arg-type]
        assert str(info.value) == f"max_error_groups must be an int >= 1, got {limit!r}"

    def test_a_single_process_reports_one_worker(self, collector: ResultMetricsCollector) -> None:
        registry = CollectorRegistry()
        register_prometheus(collector, registry, multiprocess=False)
        assert scrape(registry)[("rfs_export_workers", ())] == 1


def test_the_histogram_counts_of_many_bounds_equal_those_of_each() -> None:
    from rfs_monitoring.metrics import LatencySketch

    sketch = LatencySketch()
    for value in (0.0, 0.5, 3.0, 3.0, 40.0, 900.0, 12_000.0):
        sketch.add(value)
    bounds = [-1.0, 0.0, 1.0, 3.0, 50.0, 1_000.0, 1e9]
    assert sketch.counts_at_or_below(bounds) == [sketch.count_at_or_below(b) for b in bounds]
    assert sketch.counts_at_or_below(bounds) == [0, 1, 2, 4, 5, 6, 7]
    assert LatencySketch().counts_at_or_below([1.0]) == [0]
