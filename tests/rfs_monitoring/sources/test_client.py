"""PrometheusClient against a fake Prometheus API on 127.0.0.1: requests, parsing, faults."""

from __future__ import annotations

import math
import socket

import pytest

from rfs_monitoring.errors import ConfigurationError, ErrorCode
from rfs_monitoring.metrics import SourceUnavailableError
from rfs_monitoring.sources import PrometheusClient
from rfs_monitoring.sources.client import RangeSeries, VectorSample, check_url

from .support import FakePrometheus, matrix, vector


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TestCheckUrl:
    @pytest.mark.parametrize(
        ("given", "expected"),
        [
            ("http://127.0.0.1:9090", "http://127.0.0.1:9090"),
            ("https://prom.example/prefix/ ", "https://prom.example/prefix"),
        ],
    )
    def test_accepted_urls_lose_their_trailing_slash(self, given: str, expected: str) -> None:
        assert check_url(given) == expected

    @pytest.mark.parametrize(
        "bad",
        [
            None,
            "",
            "127.0.0.1:9090",
            "ftp://host",
            "http://",
            "http://host:0",
            "http://host:99999",
            "http://host/?q=1",
            "http://host/#frag",
            "http://user:pw@host",
        ],
    )
    def test_a_bad_url_is_named(self, bad: object) -> None:
        with pytest.raises(ConfigurationError) as info:
            check_url(bad)
        assert str(info.value) == (
            "Prometheus url must be an http(s) URL such as 'http://127.0.0.1:9090' "
            f"(a path prefix is allowed), got {bad!r}"
        )

    @pytest.mark.parametrize("bad", [0, -1, float("inf"), float("nan"), True, "5"])
    def test_a_bad_timeout_is_named(self, bad: object) -> None:
        with pytest.raises(ConfigurationError) as info:
            PrometheusClient("http://127.0.0.1:9090", timeout=bad)  # type: ignore[arg-type]
        assert str(info.value) == (
            f"Prometheus timeout must be a finite number of seconds > 0, got {bad!r}"
        )

    def test_bad_headers_are_named(self) -> None:
        with pytest.raises(ConfigurationError) as info:
            PrometheusClient("http://h", headers={"X": 1})  # type: ignore[dict-item]
        assert str(info.value) == "Prometheus headers must map str to str, got {'X': 1}"


class TestQueries:
    def test_an_instant_query_is_posted_with_time_and_timeout(
        self, prometheus: FakePrometheus
    ) -> None:
        prometheus.answer("up", vector(({"job": "a"}, 1.0), ({"job": "b"}, math.nan)))
        client = PrometheusClient(prometheus.url, timeout=2.5, headers={"X-Scope": "t1"})
        samples = client.query("up", 1700000000.25)
        assert samples[0] == VectorSample({"job": "a"}, 1.0)
        assert math.isnan(samples[1].value)
        path, form = prometheus.requests[0]
        assert path == "/api/v1/query"
        assert form == {"query": ["up"], "time": ["1700000000.250"], "timeout": ["2.5s"]}
        assert client.stats() == {"queries": 1, "failures": 0, "timeouts": 0}

    def test_a_range_query(self, prometheus: FakePrometheus) -> None:
        prometheus.answer("up", matrix(({"a": "1"}, [(10.0, 1.0), (20.0, 2.0)])), "query_range")
        client = PrometheusClient(prometheus.url)
        assert client.query_range("up", 10, 20, 10) == [
            RangeSeries({"a": "1"}, [(10.0, 1.0), (20.0, 2.0)])
        ]
        assert prometheus.requests[0][1] == {
            "query": ["up"],
            "start": ["10.000"],
            "end": ["20.000"],
            "step": ["10"],
            "timeout": ["5s"],
        }

    def test_label_values_are_sorted(self, prometheus: FakePrometheus) -> None:
        prometheus.answers[("labels", "")] = ["b", "a"]
        client = PrometheusClient(prometheus.url)
        assert client.label_values("operation", ["m"], 1, 2) == ["a", "b"]
        path, form = prometheus.requests[0]
        assert path == "/api/v1/label/operation/values"
        assert form == {"match[]": ["m"], "start": ["1.000"], "end": ["2.000"]}


class TestFaults:
    def _unavailable(self, client: PrometheusClient, expr: str = "up") -> str:
        with pytest.raises(SourceUnavailableError) as info:
            client.query(expr, 0)
        assert info.value.error.code is ErrorCode.SERVICE_UNAVAILABLE
        assert info.value.error.http_status == 503
        return info.value.error.message

    def test_an_error_answer_names_its_cause(self, prometheus: FakePrometheus) -> None:
        prometheus.status = 400
        client = PrometheusClient(prometheus.url)
        assert self._unavailable(client) == (
            f"Prometheus at {prometheus.url}: HTTP 400: bad_data: parse error at char 1"
        )
        assert client.stats() == {"queries": 1, "failures": 1, "timeouts": 0}

    def test_an_unreachable_server(self) -> None:
        url = f"http://127.0.0.1:{_closed_port()}"
        client = PrometheusClient(url)
        message = self._unavailable(client)
        assert message.startswith(f"Prometheus at {url}: unreachable (")

    def test_a_server_too_slow_is_a_timeout_not_a_hang(self, prometheus: FakePrometheus) -> None:
        prometheus.delay = 1.0
        client = PrometheusClient(prometheus.url, timeout=0.2)
        assert (
            self._unavailable(client) == f"Prometheus at {prometheus.url}: no answer within 0.2 s"
        )
        assert client.stats() == {"queries": 1, "failures": 1, "timeouts": 1}

    @pytest.mark.parametrize(
        ("body", "cause"),
        [
            (b"<html>", "an answer that is not JSON"),
            (b'{"status": "error", "errorType": "timeout", "error": "slow"}', "timeout: slow"),
            (
                b'{"status": "success", "data": {"resultType": "matrix", "result": []}}',
                "a malformed answer to 'up': TypeError('matrix')",
            ),
            (
                b'{"status": "success", "data": {"resultType": "vector", "result": [{}]}}',
                "a malformed answer to 'up': KeyError('metric')",
            ),
        ],
    )
    def test_an_unusable_answer(self, prometheus: FakePrometheus, body: bytes, cause: str) -> None:
        prometheus.body = body
        client = PrometheusClient(prometheus.url)
        assert self._unavailable(client) == f"Prometheus at {prometheus.url}: {cause}"

    def test_malformed_range_and_label_answers(self, prometheus: FakePrometheus) -> None:
        client = PrometheusClient(prometheus.url)
        prometheus.body = b'{"status": "success", "data": {"resultType": "vector", "result": []}}'
        with pytest.raises(SourceUnavailableError, match="malformed answer to 'up'"):
            client.query_range("up", 0, 1, 1)
        prometheus.body = b'{"status": "success", "data": [1]}'
        with pytest.raises(SourceUnavailableError, match="malformed answer to the values"):
            client.label_values("operation", [], 0, 1)
        assert client.stats()["failures"] == 2

    def test_an_error_answer_that_is_not_json(self, prometheus: FakePrometheus) -> None:
        prometheus.status, prometheus.body = 502, b"bad gateway"
        client = PrometheusClient(prometheus.url)
        assert self._unavailable(client) == f"Prometheus at {prometheus.url}: HTTP 502: bad gateway"
        prometheus.body = b""
        assert self._unavailable(client).endswith("HTTP 502: an empty answer")

    def test_a_value_that_is_not_prometheus_text(self, prometheus: FakePrometheus) -> None:
        prometheus.body = (
            b'{"status": "success", "data": {"resultType": "vector",'
            b' "result": [{"metric": {}, "value": [0, 1]}]}}'
        )
        client = PrometheusClient(prometheus.url)
        assert self._unavailable(client).endswith("a malformed answer to 'up': TypeError(1)")

    def test_a_runaway_answer_is_refused_unread(self, prometheus: FakePrometheus) -> None:
        prometheus.answer("up", vector(({"job": "a"}, 1.0)))
        client = PrometheusClient(prometheus.url)
        client.max_answer_bytes = 20
        assert self._unavailable(client).endswith("an answer larger than 20 bytes")

    def test_repr_names_the_url(self) -> None:
        assert repr(PrometheusClient("http://h:1/")) == "PrometheusClient('http://h:1', timeout=5)"
