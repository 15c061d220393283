"""PrometheusSource against a fake Prometheus API: the PromQL it sends and the figures it
builds from the answers, exactly; a Prometheus that cannot answer is a 503, never a hang."""

from __future__ import annotations

import datetime as dt
import socket

import pytest

from rfs_monitoring.errors import APIError, ConfigurationError, ErrorCode, UnwrapError
from rfs_monitoring.metrics import (
    ErrorSummary,
    MetricsSource,
    ResultMetricsCollector,
    SeriesPoint,
    SourceUnavailableError,
)
from rfs_monitoring.metrics.source import source_value
from rfs_monitoring.result import Failure, Success
from rfs_monitoring.sources import PrometheusSource, promql

from .scenario import CHECKOUT, NOW, START, N, load_hour, utc
from .support import FakePrometheus, matrix


@pytest.fixture
def source(prometheus: FakePrometheus) -> PrometheusSource:
    return PrometheusSource(prometheus.url, clock=lambda: NOW)


class TestInterface:
    def test_both_sources_satisfy_the_interface(self, source: PrometheusSource) -> None:
        assert isinstance(source, MetricsSource)
        assert isinstance(ResultMetricsCollector(), MetricsSource)

    def test_what_prometheus_does_not_cap(self, source: PrometheusSource) -> None:
        assert (source.max_operations, source.capped_count(), source.archive) == (0, 0, None)
        assert source.retention == dt.timedelta(days=15)

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            (
                {"namespace": "no-dash"},
                "PrometheusSource namespace must be an identifier such as 'rfs', got 'no-dash'",
            ),
            (
                {"retention": dt.timedelta(seconds=5)},
                "PrometheusSource retention must be a timedelta of at least a minute, "
                "got datetime.timedelta(seconds=5)",
            ),
            (
                {"retention": 3600},
                "PrometheusSource retention must be a timedelta of at least a minute, got 3600",
            ),
        ],
    )
    def test_bad_settings_are_named(self, kwargs: dict[str, object], message: str) -> None:
        with pytest.raises(ConfigurationError) as info:
            PrometheusSource("http://127.0.0.1:9090", **kwargs)  # type: ignore[arg-type]
        assert str(info.value) == message


class TestOperationMetrics:
    def test_every_figure_from_the_window_queries(
        self, prometheus: FakePrometheus, source: PrometheusSource
    ) -> None:
        load_hour(prometheus, promql.selector("checkout"))
        assert source.operation_metrics("checkout", "1h").unwrap() == CHECKOUT
        match = promql.selector("checkout")
        assert prometheus.queries()[0] == promql.window_count(
            N.requests, match, ["operation", "outcome"], 3600
        )
        assert all(
            f["time"] == [f"{NOW:.3f}"] for p, f in prometheus.requests if p == "/api/v1/query"
        )

    @pytest.mark.asyncio
    async def test_the_awaitable_form(
        self, prometheus: FakePrometheus, source: PrometheusSource
    ) -> None:
        load_hour(prometheus, promql.selector("checkout"))
        assert (await source.get_operation_metrics("checkout", "1h")).unwrap() == CHECKOUT

    def test_an_operation_never_exported_is_not_found(
        self, prometheus: FakePrometheus, source: PrometheusSource
    ) -> None:
        error = source.operation_metrics("nope", "1h").unwrap_error()
        assert (error.code, error.message) == (
            ErrorCode.NOT_FOUND,
            "operation nope not found",
        )
        assert prometheus.requests[-1][0] == "/api/v1/label/operation/values"

    def test_a_known_operation_without_calls_in_the_window_has_zero_figures(
        self, prometheus: FakePrometheus, source: PrometheusSource
    ) -> None:
        prometheus.answers[("labels", "")] = ["idle"]
        figures = source.operation_metrics("idle", "5m").unwrap()
        assert (figures.total_requests, figures.availability, figures.success_rate) == (0, 1.0, 0.0)
        assert figures.requests_per_second == 0.0
        assert figures.window_start == utc(NOW - 300)

    @pytest.mark.parametrize(
        ("name", "window", "message"),
        [
            (7, "1h", "operation must be a str, got 7"),
            ("a", "17 parsecs", "time_range '17 parsecs' is not accepted"),
            ("a", "30d", "time_range '30d' is not accepted"),
        ],
    )
    def test_bad_arguments_are_422(
        self, source: PrometheusSource, name: object, window: str, message: str
    ) -> None:
        error = source.operation_metrics(name, window).unwrap_error()  # type: ignore[arg-type]
        assert error.http_status == 422
        assert error.message.startswith(message)


class TestDashboard:
    def test_each_operation_all_together_and_the_error_groups(
        self, prometheus: FakePrometheus, source: PrometheusSource
    ) -> None:
        load_hour(prometheus)
        read = source.dashboard("1h").unwrap()
        assert [m.operation_name for m in read.operations] == ["checkout", "search"]
        assert read.operations[0] == CHECKOUT
        search = read.operations[1]
        assert (
            search.total_requests,
            search.p50_response_time_ms,
            search.p99_response_time_ms,
        ) == (
            10,
            10.0,  # the NaN answer for 0.5 was dropped, not taken
            50.0,
        )
        assert search.window_start == utc(START)  # older than the window: the window's start
        overall = read.overall
        assert (overall.operation_name, overall.total_requests, overall.failed_requests) == (
            "*",
            140,
            40,
        )
        assert overall.requests_per_second == 140 / 3600
        assert overall.current_requests_per_second == 0.3
        assert overall.avg_response_time_ms == 14000 / 140
        assert overall.p99_response_time_ms == 900.0
        assert overall.hourly_distribution == {21: 30, 22: 110}
        assert read.errors == [
            ErrorSummary("user <n> not found", None, 30, utc(NOW), ["checkout"]),
            ErrorSummary("db down", None, 8, utc(NOW), ["checkout"]),
        ]

    def test_a_bad_window_is_422(self, source: PrometheusSource) -> None:
        error = source.dashboard("17 parsecs").unwrap_error()
        assert (error.http_status, error.message.startswith("time_range '17 parsecs'")) == (
            422,
            True,
        )

    def test_only_the_names_asked_for(
        self, prometheus: FakePrometheus, source: PrometheusSource
    ) -> None:
        load_hour(prometheus)
        read = source.dashboard("1h", ["search", "unknown"]).unwrap()
        assert [m.operation_name for m in read.operations] == ["search"]
        assert read.overall.total_requests == 10
        assert read.errors == []

    @pytest.mark.asyncio
    async def test_overall(self, prometheus: FakePrometheus, source: PrometheusSource) -> None:
        load_hour(prometheus)
        assert (await source.overall("1h")).unwrap().total_requests == 140


class TestErrors:
    def test_ranked_groups_limited(
        self, prometheus: FakePrometheus, source: PrometheusSource
    ) -> None:
        load_hour(prometheus)
        assert [e.message for e in source.ranked_errors(1, "1h").unwrap()] == ["user <n> not found"]

    @pytest.mark.asyncio
    async def test_of_one_operation(
        self, prometheus: FakePrometheus, source: PrometheusSource
    ) -> None:
        load_hour(prometheus)
        ranked = (await source.top_errors(10, "1h", "checkout")).unwrap()
        assert [(e.message, e.count) for e in ranked] == [
            ("user <n> not found", 30),
            ("db down", 8),
        ]

    def test_an_unknown_operation_is_not_found(
        self, prometheus: FakePrometheus, source: PrometheusSource
    ) -> None:
        load_hour(prometheus)
        assert source.ranked_errors(5, "1h", "nope").unwrap_error().code is ErrorCode.NOT_FOUND

    @pytest.mark.parametrize("bad", [0, True, "3"])
    def test_a_bad_limit_is_422(self, source: PrometheusSource, bad: object) -> None:
        error = source.ranked_errors(bad).unwrap_error()  # type: ignore[arg-type]
        assert error.message == f"limit {bad!r} is not accepted; use an int >= 1"

    def test_prometheus_keeps_no_examples(self, source: PrometheusSource) -> None:
        assert source.error_examples("1h") == []


class TestSeries:
    def test_steps_by_outcome_and_quantiles_ending_now(
        self, prometheus: FakePrometheus, source: PrometheusSource
    ) -> None:
        match = promql.selector("checkout")
        first = NOW - 9 * 30
        times = [first + i * 30 for i in range(10)]
        prometheus.answer(
            promql.window_count(N.requests, match, ["outcome"], 30),
            matrix(
                ({"outcome": "success"}, [(t, 3.0) for t in times]),
                ({"outcome": "server_error"}, [(times[-1], 1.0), (times[0], float("nan"))]),
            ),
            "query_range",
        )
        prometheus.answer(
            promql.quantiles(N.duration, match, [], 30, (0.5, 0.9, 0.99)),
            matrix(({"quantile": "0.99"}, [(times[-1], 0.25)])),
            "query_range",
        )
        points = source.series("checkout", "5m", points=10)
        assert len(points) == 10
        assert points[0] == SeriesPoint(utc(first - 30), 30.0, 3, 0, None, None, None)
        assert points[-1] == SeriesPoint(
            utc(NOW - 30), 30.0, 4, 1, None, None, 250.0, server_errors=1
        )
        assert points[-1].availability == 3 / 4
        path, form = prometheus.requests[0]
        assert (path, form["start"], form["end"], form["step"]) == (
            "/api/v1/query_range",
            [f"{first:.3f}"],
            [f"{NOW:.3f}"],
            ["30"],
        )

    def test_empty_steps_have_no_quantiles(
        self, prometheus: FakePrometheus, source: PrometheusSource
    ) -> None:
        points = source.series(None, 10, points=60)
        assert [(p.seconds, p.requests, p.p50_ms) for p in points] == [(1.0, 0, None)] * 10

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"operation": 3}, "operation must be a str or None, got 3"),
            ({"points": 0}, "points must be an int >= 1, got 0"),
            ({"time_range": "soon"}, "time_range 'soon' is not accepted"),
        ],
    )
    def test_bad_arguments_are_named(
        self, source: PrometheusSource, kwargs: dict[str, object], message: str
    ) -> None:
        with pytest.raises(ConfigurationError) as info:
            source.series(**kwargs)  # type: ignore[arg-type]
        assert str(info.value).startswith(message)


class TestPrometheusDown:
    @pytest.fixture
    def down(self) -> PrometheusSource:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        return PrometheusSource(f"http://127.0.0.1:{port}", timeout=1, clock=lambda: NOW)

    def test_figures_are_a_503_failure(self, down: PrometheusSource) -> None:
        for result in (
            down.operation_metrics("a", "1h"),
            down.dashboard("1h"),
            down.ranked_errors(3, "1h"),
        ):
            error = result.unwrap_error()
            assert (error.code, error.http_status) == (ErrorCode.SERVICE_UNAVAILABLE, 503)
            assert error.message.startswith(f"Prometheus at {down.url}: unreachable (")
        assert down.stats() == {"queries": 3, "failures": 3, "timeouts": 0}

    def test_plain_answers_raise_source_unavailable(self, down: PrometheusSource) -> None:
        with pytest.raises(SourceUnavailableError):
            down.operation_names()
        with pytest.raises(SourceUnavailableError):
            down.series("a")

    def test_a_window_needs_no_query(self, down: PrometheusSource) -> None:
        assert down.window("5m").unwrap() == ("5m", NOW - 300, NOW)
        assert down.stats()["queries"] == 0


class TestSourceValue:
    def test_the_value_of_a_success(self) -> None:
        assert source_value(Success(3)) == 3

    def test_a_503_failure_is_raised_as_source_unavailable(self) -> None:
        error = APIError.service_unavailable("Prometheus at x: unreachable")
        with pytest.raises(SourceUnavailableError) as info:
            source_value(Failure(error))
        assert info.value.error is error
        assert str(info.value) == "Prometheus at x: unreachable"

    def test_another_failure_is_an_unwrap_error(self) -> None:
        with pytest.raises(UnwrapError):
            source_value(Failure(APIError.not_found("operation", "a")))
