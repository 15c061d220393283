"""One log pipeline: Result entries, structlog events and stdlib records, captured as the
JSON lines one ``configure_logging`` run writes, spell their common fields alike."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from opentelemetry.sdk.trace import TracerProvider

from rfs_monitoring import Failure, FluxResult, Success, correlation_context
from rfs_monitoring.result_logging import (
    configure_logging,
    log_flux_result,
    log_result_operation,
    reset_logging,
)
from rfs_monitoring.result_logging.stdlib import stdlib_formatter
from rfs_monitoring.tracing import configure_tracing

from .support import Lines

ENV_VARS = ("OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "RFS_SERVICE_NAME", "RFS_ENVIRONMENT")
RFC3339_UTC = re.compile(r"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z\Z")
COMMON = ("timestamp", "level", "service_name", "environment", "correlation_id")


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No identity variable set; each test sets its own."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _configure(environ: pytest.MonkeyPatch, env: dict[str, str], **kwargs: Any) -> Lines:
    for name, value in env.items():
        environ.setenv(name, value)
    reset_logging()
    sink = Lines()
    configure_logging(sink=sink.buffer, background=False, **kwargs)
    return sink


def _one_of_each(sink: Lines, *, fail: bool = False) -> list[dict[str, Any]]:
    """A Result entry, a structlog event and a stdlib record, in one correlation context."""

    @log_result_operation("checkout")
    def checkout() -> Any:
        return Failure("declined") if fail else Success(1)

    with correlation_context("c-42"):
        checkout()
        log = structlog.get_logger("app")
        (log.error if fail else log.info)("paid", amount=3)
        stdlib = logging.getLogger("thirdparty.client")
        (stdlib.error if fail else stdlib.info)("connected to %s", "db")
    lines = sink.json()
    assert [("operation_name" in d, d.get("event"), d.get("logger")) for d in lines] == [
        (True, None, None),
        (False, "paid", None),
        (False, "connected to db", "thirdparty.client"),
    ]
    return lines


IDENTITIES = [
    pytest.param({}, "rfs-framework", "production", id="the-plan-defaults"),
    pytest.param(
        {"RFS_SERVICE_NAME": "billing", "RFS_ENVIRONMENT": "staging"},
        "billing",
        "staging",
        id="rfs-variables",
    ),
    pytest.param(
        {
            "OTEL_SERVICE_NAME": "otel-billing",
            "OTEL_RESOURCE_ATTRIBUTES": "team=pay,deployment.environment=eu%20prod",
            "RFS_SERVICE_NAME": "billing",
            "RFS_ENVIRONMENT": "staging",
        },
        "otel-billing",
        "eu prod",
        id="opentelemetry-over-rfs",
    ),
    pytest.param(
        {
            "OTEL_RESOURCE_ATTRIBUTES": (
                "service.name=res-billing,deployment.environment=old,"
                "deployment.environment.name=canary"
            ),
            "RFS_ENVIRONMENT": "staging",
        },
        "res-billing",
        "canary",
        id="resource-attributes",
    ),
    pytest.param(
        {"OTEL_SERVICE_NAME": "otel-billing", "RFS_ENVIRONMENT": "staging"},
        "otel-billing",
        "staging",
        id="mixed",
    ),
]


class TestCommonFields:
    @pytest.mark.parametrize(("env", "service_name", "environment"), IDENTITIES)
    def test_every_kind_of_line_has_them_spelled_alike(
        self,
        environ: pytest.MonkeyPatch,
        env: dict[str, str],
        service_name: str,
        environment: str,
    ) -> None:
        lines = _one_of_each(_configure(environ, env))
        for line in lines:
            assert set(COMMON) <= set(line), line
            assert RFC3339_UTC.match(line["timestamp"]), line["timestamp"]
            assert {k: line[k] for k in COMMON[1:]} == {
                "level": "INFO",
                "service_name": service_name,
                "environment": environment,
                "correlation_id": "c-42",
            }
            assert "trace_id" not in line
            assert "span_id" not in line

    def test_error_levels_are_spelled_alike(self, environ: pytest.MonkeyPatch) -> None:
        lines = _one_of_each(_configure(environ, {}), fail=True)
        assert [line["level"] for line in lines] == ["ERROR", "ERROR", "ERROR"]

    def test_warning_is_spelled_alike(self, environ: pytest.MonkeyPatch) -> None:
        sink = _configure(environ, {})

        @log_result_operation("slowish", level="WARNING")
        def slowish() -> Success[int]:
            return Success(1)

        slowish()
        structlog.get_logger().warn("deprecated alias")
        structlog.get_logger().warning("careful")
        logging.getLogger("lib").warning("careful")
        assert [line["level"] for line in sink.json()] == ["WARNING"] * 4

    def test_the_arguments_win_over_the_environment(self, environ: pytest.MonkeyPatch) -> None:
        env = {"OTEL_SERVICE_NAME": "otel-billing", "RFS_ENVIRONMENT": "staging"}
        sink = _configure(environ, env, service_name="explicit", environment="lab")
        for line in _one_of_each(sink):
            assert (line["service_name"], line["environment"]) == ("explicit", "lab")

    def test_the_environment_is_read_when_configuring(self, environ: pytest.MonkeyPatch) -> None:
        """A variable set after the import, before ``configure_logging``, is used."""
        reset_logging()
        environ.setenv("OTEL_SERVICE_NAME", "late")
        sink = Lines()
        configure_logging(sink=sink.buffer, background=False)
        assert {line["service_name"] for line in _one_of_each(sink)} == {"late"}

    def test_a_malformed_resource_variable_is_said_once_and_ignored(
        self, environ: pytest.MonkeyPatch
    ) -> None:
        env = {
            "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=prod,oops",
            "RFS_ENVIRONMENT": "qa",
        }
        sink = _configure(environ, env)
        [warning] = sink.json()
        assert {k: warning[k] for k in ("level", "event", "problem", "environment")} == {
            "level": "WARNING",
            "event": "ignored a malformed environment variable",
            "problem": "OTEL_RESOURCE_ATTRIBUTES: expected comma-separated key=value pairs, "
            "got the item 'oops'; the variable was ignored",
            "environment": "qa",
        }

    def test_durations_are_rounded_to_the_microsecond(self, environ: pytest.MonkeyPatch) -> None:
        sink = _configure(environ, {})
        log_flux_result(FluxResult.from_values([1]), "batch", processing_time_ms=1.23456789)
        [summary] = sink.json()
        assert summary["processing_time_ms"] == 1.235


class TestTraceIds:
    @pytest.fixture
    def tracer(self) -> Iterator[Any]:
        provider = TracerProvider()
        configure_tracing(provider)
        yield provider.get_tracer("test")
        configure_tracing(None, enabled=False)
        configure_tracing(None)

    def test_lines_inside_an_operation_carry_its_span(
        self, environ: pytest.MonkeyPatch, tracer: Any
    ) -> None:
        sink = _configure(environ, {})

        @log_result_operation("traced")
        def traced() -> Success[int]:
            structlog.get_logger().info("inside")
            logging.getLogger("lib").info("inside")
            return Success(1)

        with tracer.start_as_current_span("request") as request:
            traced()
        event, record, entry = sink.json()
        trace_id = format(request.get_span_context().trace_id, "032x")
        assert entry["operation_name"] == "traced"
        assert {(line["trace_id"], line["span_id"]) for line in (event, record, entry)} == {
            (trace_id, entry["span_id"])
        }
        assert entry["span_id"] != format(request.get_span_context().span_id, "016x")


class TestStdlibTimestamps:
    """The record's creation time, spelled as the entries spell theirs."""

    @pytest.fixture
    def record(self) -> logging.LogRecord:
        record = logging.LogRecord("lib", logging.INFO, __file__, 1, "hello", None, None)
        record.created = 1_700_000_000.0
        record.correlation_id = None
        return record

    def test_json(self, record: logging.LogRecord) -> None:
        line = json.loads(stdlib_formatter(json=True).format(record))
        assert list(line)[:4] == ["timestamp", "level", "logger", "event"]
        assert (line["timestamp"], line["level"]) == ("2023-11-14T22:13:20.000000Z", "INFO")

    def test_text(self, record: logging.LogRecord) -> None:
        assert stdlib_formatter(json=False).format(record) == (
            "2023-11-14T22:13:20.000000Z INFO lib correlation_id=None hello"
        )


class TestTextLines:
    def test_timestamps_and_levels_are_spelled_alike(self, environ: pytest.MonkeyPatch) -> None:
        reset_logging()
        sink = io.StringIO()
        configure_logging(json=False, sink=sink, background=False)

        @log_result_operation("text_op")
        def op() -> Success[int]:
            return Success(1)

        op()
        structlog.get_logger().info("hello")
        logging.getLogger("lib").info("hello")
        entry, event, record = sink.getvalue().splitlines()
        stamps = [
            re.search(r"timestamp=(\S+)", entry),
            re.search(r"timestamp=(\S+)", event),
            re.match(r"(\S+) INFO lib ", record),
        ]
        assert all(m is not None and RFC3339_UTC.match(m.group(1)) for m in stamps)
        assert "level=INFO" in entry
        assert "level=INFO" in event
