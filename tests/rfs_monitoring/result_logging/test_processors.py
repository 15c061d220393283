"""The structlog processors of the pipeline, usable in an application's own configuration."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from rfs_monitoring.context import (
    bind_log_context,
    correlation_context,
    reset_log_context,
    reset_request_id,
    set_request_id,
)
from rfs_monitoring.masking import MASK
from rfs_monitoring.result_logging import configure_logging
from rfs_monitoring.result_logging.processors import (
    LEADING_KEYS,
    Timestamper,
    add_context,
    add_level,
    add_service,
    add_timestamp,
    add_trace_ids,
    lead_keys,
    level_of_method,
    mask_event,
    trace_ids,
)
from rfs_monitoring.tracing import configure_tracing


class TestAddContext:
    def test_adds_the_ids_and_the_bound_context(self) -> None:
        token = bind_log_context(team="core")
        request = set_request_id("r-1")
        try:
            with correlation_context("c-9"):
                event = add_context(None, "info", {"event": "x"})
        finally:
            reset_request_id(request)
            reset_log_context(token)
        assert event == {"event": "x", "correlation_id": "c-9", "request_id": "r-1", "team": "core"}

    def test_never_overwrites_what_the_event_has(self) -> None:
        token = bind_log_context(team="core")
        try:
            event = add_context(None, "info", {"event": "x", "team": "mine"})
        finally:
            reset_log_context(token)
        assert event == {"event": "x", "team": "mine"}


class TestMaskEvent:
    def test_masks_sensitive_keys(self) -> None:
        assert mask_event(None, "info", {"event": "x", "password": "pw"}) == {
            "event": "x",
            "password": MASK,
        }


class TestAddLevel:
    """Levels are spelled as the stdlib spells them: the same word in every line."""

    @pytest.mark.parametrize(
        ("method", "level"),
        [
            ("debug", "DEBUG"),
            ("info", "INFO"),
            ("warning", "WARNING"),
            ("warn", "WARNING"),
            ("error", "ERROR"),
            ("exception", "ERROR"),
            ("critical", "CRITICAL"),
            ("fatal", "CRITICAL"),
        ],
    )
    def test_the_stdlib_name_of_each_method(self, method: str, level: str) -> None:
        assert level_of_method(method) == level
        assert add_level(None, method, {"event": "x"}) == {"event": "x", "level": level}

    def test_overwrites_a_level_set_by_another_processor(self) -> None:
        assert add_level(None, "info", {"level": "info"}) == {"level": "INFO"}


class TestTimestamper:
    @pytest.mark.parametrize(
        ("epoch", "spelled"),
        [
            (1_700_000_000.0, "2023-11-14T22:13:20.000000Z"),
            (1_700_000_000.25, "2023-11-14T22:13:20.250000Z"),
            (0.0000015, "1970-01-01T00:00:00.000002Z"),
        ],
    )
    def test_rfc3339_utc_with_z_and_six_digits(self, epoch: float, spelled: str) -> None:
        stamp = Timestamper(clock=lambda: epoch)
        assert stamp(None, "info", {"event": "x"}) == {"event": "x", "timestamp": spelled}

    def test_the_default_reads_the_wall_clock(self) -> None:
        assert add_timestamp.clock is time.time
        assert add_timestamp(None, "info", {})["timestamp"].endswith("Z")


class TestAddService:
    def test_adds_the_configured_identity(self) -> None:
        configure_logging(sink=_Null(), service_name="svc", environment="qa")
        assert add_service(None, "info", {"event": "x"}) == {
            "event": "x",
            "service_name": "svc",
            "environment": "qa",
        }

    def test_never_overwrites_what_the_event_has(self) -> None:
        event = {"service_name": "mine", "environment": "lab"}
        assert add_service(None, "info", dict(event)) == event


class TestLeadKeys:
    def test_timestamp_level_logger_and_event_come_first(self) -> None:
        event = {"x": 1, "event": "e", "level": "INFO", "timestamp": "t", "y": 2}
        assert list(lead_keys(None, "info", event)) == ["timestamp", "level", "event", "x", "y"]
        assert LEADING_KEYS == ("timestamp", "level", "logger", "event")


class TestTraceIds:
    @pytest.fixture
    def tracer(self) -> Iterator[Any]:
        provider = TracerProvider()
        configure_tracing(provider)
        yield provider.get_tracer("test")
        configure_tracing(None, enabled=False)
        configure_tracing(None)

    def test_the_ids_of_the_current_span(self, tracer: Any) -> None:
        with tracer.start_as_current_span("request") as span:
            ctx = span.get_span_context()
            ids = (format(ctx.trace_id, "032x"), format(ctx.span_id, "016x"))
            assert trace_ids() == ids
            assert add_trace_ids(None, "info", {"event": "x"}) == {
                "event": "x",
                "trace_id": ids[0],
                "span_id": ids[1],
            }

    def test_nothing_without_a_current_span(self, tracer: Any) -> None:
        assert trace_ids() is None
        assert add_trace_ids(None, "info", {"event": "x"}) == {"event": "x"}

    def test_a_broken_span_is_left_out_never_raised(
        self, tracer: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def broken() -> Any:
            raise RuntimeError("no context")

        monkeypatch.setattr(trace, "get_current_span", broken)
        assert trace_ids() is None
        assert add_trace_ids(None, "info", {"event": "x"}) == {"event": "x"}


class _Null:
    def write(self, text: str) -> None:
        pass
