"""configure_logging / reset_logging: the output pipeline, and the unconfigured outputs."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs

from rfs_monitoring import (
    MonoResult,
    Success,
)
from rfs_monitoring.context import (
    bind_log_context,
    correlation_context,
    reset_log_context,
    reset_request_id,
    set_request_id,
)
from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.masking import MASK
from rfs_monitoring.result_logging import (
    configure_logging,
    flush_logs,
    log_result_operation,
    logging_stats,
    reset_logging,
)
from rfs_monitoring.result_logging.stdlib import QueueHandler

from .support import Lines


class TestOutput:
    @pytest.mark.asyncio
    async def test_json_lines_with_service_and_environment(self, lines: Lines) -> None:
        @log_result_operation("op")
        async def op() -> Success[int]:
            return Success(1)

        with correlation_context("c-1"):
            await op()
        [entry] = lines.entries()
        assert entry["service_name"] == "svc"
        assert entry["environment"] == "test"
        assert entry["correlation_id"] == "c-1"
        assert entry["timestamp"].endswith("Z")

    def test_stdlib_records_are_json_lines_with_the_correlation_id(self, lines: Lines) -> None:
        token = bind_log_context(user_id="u1", session_token="s")
        try:
            with correlation_context("c-2"):
                logging.getLogger("thirdparty.lib").warning(
                    "connect to %s with password=%s", "db", "pw"
                )
                try:
                    raise ValueError("broken")
                except ValueError:
                    logging.getLogger("thirdparty.lib").exception("failed")
        finally:
            reset_log_context(token)
        warning, failure = lines.json()
        assert warning["logger"] == "thirdparty.lib"
        assert warning["level"] == "WARNING"
        assert warning["event"] == f"connect to db with password={MASK}"
        assert warning["correlation_id"] == "c-2"
        assert warning["user_id"] == "u1"
        assert warning["session_token"] == MASK
        assert "ValueError: broken" in failure["exc_info"]

    def test_structlog_events_are_json_lines_with_the_correlation_id(self, lines: Lines) -> None:
        with correlation_context("c-3"):
            request = set_request_id("r-3")
            structlog.get_logger("app").info("paid", card="4111111111111111", api_key="k", n=1)
            reset_request_id(request)
        [event] = lines.json()
        assert event["event"] == "paid"
        assert event["correlation_id"] == "c-3"
        assert event["request_id"] == "r-3"
        assert event["card"] == f"{MASK}1111"
        assert event["api_key"] == MASK
        assert event["level"] == "INFO"

    def test_text_lines(self) -> None:
        sink = io.StringIO()
        configure_logging(json=False, sink=sink, background=False)

        @log_result_operation("text_op")
        def op() -> Success[int]:
            return Success(1)

        with correlation_context("c-4"):
            op()
            structlog.get_logger().info("hello world", n=2)
            logging.getLogger("lib").warning("careful")
        text = sink.getvalue().splitlines()
        assert text[0].startswith("timestamp=")
        assert "operation_name=text_op" in text[0]
        assert "correlation_id=c-4" in text[0]
        assert 'event="hello world"' in text[1]
        assert text[2].endswith("WARNING lib correlation_id=c-4 careful")

    def test_path_sink_and_background_writer(self, tmp_path: Path) -> None:
        path = tmp_path / "logs" / "app.jsonl"
        path.parent.mkdir()
        configure_logging(sink=path)

        @log_result_operation("bg")
        def op(n: int) -> Success[int]:
            return Success(n)

        for n in range(50):
            op(n)
        assert flush_logs(timeout=10)
        assert logging_stats()["queued"] == 0
        written = [json.loads(line) for line in path.read_text().splitlines()]
        assert len(written) == 50
        assert {w["operation_name"] for w in written} == {"bg"}

    def test_binary_stream_sink(self) -> None:
        sink = io.BytesIO()
        configure_logging(sink=sink, background=False)
        structlog.get_logger().info("bytes")
        assert json.loads(sink.getvalue())["event"] == "bytes"

    def test_stream_without_flush(self) -> None:
        class WriteOnly:
            def __init__(self) -> None:
                self.parts: list[str] = []

            def write(self, text: str) -> None:
                self.parts.append(text)

        sink = WriteOnly()
        configure_logging(sink=sink, background=False)
        structlog.get_logger().info("x")
        assert json.loads("".join(sink.parts))["event"] == "x"

    def test_idempotent(self, lines: Lines) -> None:
        buffer = io.StringIO()
        configure_logging(sink=buffer, background=False)
        configure_logging(sink=buffer, background=False)
        handlers = [h for h in logging.getLogger().handlers if isinstance(h, QueueHandler)]
        assert len(handlers) == 1
        logging.getLogger("lib").warning("once")
        assert len(buffer.getvalue().splitlines()) == 1

    def test_stdlib_routing_can_be_left_alone(self) -> None:
        configure_logging(sink=io.StringIO(), background=False, stdlib=False)
        assert not [h for h in logging.getLogger().handlers if isinstance(h, QueueHandler)]

    def test_reset_restores_the_root_logger(self) -> None:
        root = logging.getLogger()
        level = root.level
        configure_logging(sink=io.StringIO(), background=False, level="DEBUG")
        assert root.level == logging.DEBUG
        reset_logging()
        assert root.level == level
        assert not [h for h in root.handlers if isinstance(h, QueueHandler)]
        assert not structlog.is_configured()

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            (
                {"sink": 42},
                "configure_logging(sink=...) expects a path or a stream with write(), got int: 42",
            ),
            ({"queue_size": 0}, "configure_logging(queue_size=...) expects an int >= 1, got 0"),
            (
                {"service_name": ""},
                "configure_logging(service_name=...) expects a non-empty str, got ''",
            ),
            (
                {"environment": 1},
                "configure_logging(environment=...) expects a non-empty str, got 1",
            ),
        ],
    )
    def test_bad_configuration(self, kwargs: dict[str, Any], message: str) -> None:
        with pytest.raises(ConfigurationError) as info:
            configure_logging(**kwargs)
        assert str(info.value) == message

    def test_unopenable_path(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigurationError, match="cannot open the file for appending"):
            configure_logging(sink=tmp_path / "missing-dir" / "x.log")

    def test_everything_queued_is_written_at_exit(self, tmp_path: Path) -> None:
        path = tmp_path / "exit.jsonl"
        script = f"""
from rfs_monitoring import Success, configure_logging, log_result_operation
configure_logging(sink={str(path)!r})

@log_result_operation("at_exit")
def op(n):
    return Success(n)

for n in range(2000):
    op(n)
"""
        subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
        assert len(path.read_text().splitlines()) == 2000


class TestUnconfigured:
    def test_entries_go_to_structlog_when_the_app_configured_it(self) -> None:
        @log_result_operation("op")
        def op() -> Success[int]:
            return Success(1)

        with capture_logs() as captured, correlation_context("c-5"):
            op()
            MonoResult.from_value(1).log_step("s")
        [event] = captured
        assert event["event"] == "result_operation"
        assert event["operation_name"] == "op"
        assert event["correlation_id"] == "c-5"
        assert event["log_level"] == "info"

    def test_entries_go_to_the_stdlib_logger_otherwise(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        @log_result_operation("op")
        async def op() -> Any:
            return await MonoResult.from_error("bad").log_step("s")

        with caplog.at_level(logging.INFO, logger="rfs_monitoring.result"):
            asyncio.run(op())
        step, operation = caplog.records
        assert step.getMessage().startswith("result_step op.s error ")
        assert operation.levelno == logging.ERROR
        assert operation.operation_name == "op"  # type: ignore[attr-defined]
        assert operation.error_message == "bad"  # type: ignore[attr-defined]

    def test_nothing_is_built_for_a_disabled_stdlib_logger(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        @log_result_operation("op")
        def op() -> Success[int]:
            return Success(1)

        with caplog.at_level(logging.ERROR, logger="rfs_monitoring.result"):
            op()
        assert caplog.records == []
