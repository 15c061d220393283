"""Attacks on the log pipeline: odd text, huge entries, forged lines, racing level changes.

Issue 14, "Never stall or break the host": nothing dropped silently, bounded entries,
``set_log_level`` atomic under concurrent writers. Every test runs the real pipeline
(``configure_logging`` with a sink, the writer thread where it matters) and reads the
lines back.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import sys
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import pytest
import structlog
from fastapi import FastAPI

from rfs_monitoring import APIError, Failure, Result, Success
from rfs_monitoring.context import bind_log_context, reset_log_context
from rfs_monitoring.dashboard import api_key_auth, monitoring_router
from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.metrics import ResultMetricsCollector
from rfs_monitoring.result_logging import (
    configure_logging,
    flush_logs,
    get_log_level,
    log_result_operation,
    logging_stats,
    reset_logging,
    result_log_entry_schema,
    set_log_level,
)
from rfs_monitoring.result_logging.config import current_writer, installed_handler
from rfs_monitoring.result_logging.levels import LEVELS
from rfs_monitoring.result_logging.writer import ITEM_EVENT
from rfs_monitoring.web import handle_result

KEY = "log-robustness-test-key-0123456789"
EVE = json.loads('{"name": "eve\\ud800"}')["name"]  # a lone surrogate, from valid JSON


@contextlib.contextmanager
def past_pytest_capture(name: str) -> Iterator[logging.Logger]:
    """A stdlib logger that reaches only the handler ``configure_logging`` installed.

    pytest's own log capture keeps the raw record text in the test report, and pytest-xdist
    cannot send a lone surrogate between processes: these records must not reach it.
    """
    handler = installed_handler()
    assert handler is not None
    logger = logging.getLogger(name)
    logger.propagate = False
    logger.addHandler(handler)
    try:
        yield logger
    finally:
        logger.removeHandler(handler)
        logger.propagate = True


class Sink:
    """A binary sink whose lines are read back."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()

    def raw_lines(self) -> list[bytes]:
        flush_logs()
        return self.buffer.getvalue().splitlines()

    def json(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.raw_lines()]


@pytest.fixture(autouse=True)
def _clean_logging() -> Iterator[None]:
    reset_logging()
    yield
    reset_logging()


@pytest.fixture
def sink() -> Sink:
    out = Sink()
    configure_logging(sink=out.buffer, background=True, stdlib=True)
    return out


def delta(before: dict[str, int], key: str) -> int:
    return logging_stats()[key] - before[key]


class Opaque:
    def __str__(self) -> str:
        raise RuntimeError("no text form")


class TestNothingDroppedSilently:
    def test_a_lone_surrogate_in_every_field_is_escaped_and_written(self, sink: Sink) -> None:
        @log_result_operation(EVE, context_args=["user_id", "note"])
        def handler(user_id: str, note: str) -> Result[int, APIError]:
            return Failure(APIError.validation_error(f"bad name {note}"))

        before = logging_stats()
        token = bind_log_context(**{EVE: EVE})
        try:
            handler(EVE, EVE)
        finally:
            reset_log_context(token)
        (line,) = sink.json()
        escaped = "eve\\ud800"
        assert line["operation_name"] == escaped
        assert line["error_message"] == f"bad name {escaped}"
        assert line["user_id"] == escaped
        assert line["metadata"] == {escaped: escaped, "note": escaped}
        jsonschema.validate(line, result_log_entry_schema())
        assert delta(before, "written") == 1
        assert delta(before, "dropped") == 0

    def test_surrogates_in_stdlib_records_and_structlog_events_are_written(
        self, sink: Sink
    ) -> None:
        before = logging_stats()
        with past_pytest_capture("thirdparty") as logger:
            logger.warning("user %s logged in", EVE)
        structlog.get_logger().info("login", user=EVE, **{EVE: 1})
        lines = sink.json()
        assert len(lines) == 2
        assert "\\ud800" in lines[0]["event"]
        assert lines[1]["user"] == "eve\\ud800"
        assert lines[1]["eve\\ud800"] == 1
        assert delta(before, "written") == 2

    def test_an_unserialisable_value_is_written_reduced_and_counted(self, sink: Sink) -> None:
        writer = current_writer()
        assert writer is not None
        loop: list[object] = []
        loop.append(loop)
        before = logging_stats()
        # what reaches the writer thread (past masking, e.g. from a processor of the app's own)
        writer.submit((ITEM_EVENT, {"event": "export", "opaque": Opaque(), "loop": loop}))
        (line,) = sink.json()
        assert line["event"] == "export"
        assert line["opaque"] == "<unserialisable Opaque>"
        assert "too deep list" in json.dumps(line["loop"])
        assert delta(before, "reduced") == 1
        assert delta(before, "written") == 1
        assert delta(before, "dropped") == 0

    def test_an_error_body_echoing_a_surrogate_is_a_clean_4xx(self) -> None:
        app = FastAPI()

        @app.post("/users")
        @handle_result
        async def create(body: dict[str, str]) -> Result[dict[str, str], APIError]:
            return Failure(APIError.validation_error(f"name {body['name']} is taken"))

        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                return await client.post(
                    "/users",
                    content=b'{"name": "eve\\ud800"}',
                    headers={"content-type": "application/json"},
                )

        response = asyncio.run(call())
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/json"
        assert response.json()["message"] == "name eve\\ud800 is taken"

    @pytest.mark.asyncio
    async def test_the_dashboard_shows_reduced_entries_next_to_drops(self, sink: Sink) -> None:
        writer = current_writer()
        assert writer is not None
        writer.submit((ITEM_EVENT, {"event": "export", "opaque": Opaque()}))
        sink.raw_lines()
        reduced = logging_stats()["reduced"]
        assert reduced >= 1
        app = FastAPI()
        collector = ResultMetricsCollector()
        app.include_router(monitoring_router(collector, auth=api_key_auth(KEY), start_alerts=False))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t", headers={"X-API-Key": KEY}
        ) as client:
            page = await client.get("/monitoring/dashboard")
        assert page.status_code == 200
        assert 'id="card-drops"' in page.text
        assert 'id="card-reduced"' in page.text
        assert f'<div class="value">{reduced:,}</div>' in page.text.split('id="card-reduced"')[1]


class TestBoundedEntries:
    def test_long_values_and_keys_are_cut_with_a_marker(self) -> None:
        out = Sink()
        configure_logging(sink=out.buffer, background=False, max_key_chars=32, max_value_chars=100)

        @log_result_operation("upload", context_args=["blob"])
        def upload(blob: object) -> Result[int, str]:
            return Failure("x" * 5000)

        before = logging_stats()
        upload({"k" * 50: "v" * 300})
        (line,) = out.json()
        assert line["error_message"] == "x" * 100 + "…[truncated 1900 chars]"  # 2000 kept
        assert line["metadata"]["blob"] == {
            "k" * 32 + "…[truncated 18 chars]": "v" * 100 + "…[truncated 200 chars]"
        }
        jsonschema.validate(line, result_log_entry_schema())
        assert delta(before, "truncated") == 1
        assert delta(before, "reduced") == 0

    def test_a_huge_entry_is_cut_to_the_line_limit_and_still_valid(self) -> None:
        out = Sink()
        configure_logging(sink=out.buffer, background=False, max_line_bytes=4096)

        @log_result_operation("bulk", context_args=["rows"])
        def bulk(rows: object) -> Result[int, str]:
            return Success(1)

        before = logging_stats()
        bulk({f"row{i}": "y" * 500 for i in range(1000)})
        (raw,) = out.raw_lines()
        assert len(raw) <= 4096
        line = json.loads(raw)
        jsonschema.validate(line, result_log_entry_schema())
        assert line["operation_name"] == "bulk"
        assert "_truncated" in line["metadata"]
        assert delta(before, "reduced") == 1
        assert delta(before, "written") == 1

    def test_a_huge_stdlib_record_is_written_reduced(self) -> None:
        out = Sink()
        configure_logging(sink=out.buffer, background=False, max_line_bytes=2048)
        before = logging_stats()
        logging.getLogger("thirdparty").warning("dump: %s", "d" * 10_000)
        (raw,) = out.raw_lines()
        assert len(raw) <= 2048
        line = json.loads(raw)
        assert line["logger"] == "thirdparty"
        assert line["level"] == "WARNING"
        assert line["_truncated"].startswith("record of ")
        assert delta(before, "reduced") == 1

    def test_default_bounds_cap_a_value_at_8_kb_and_a_line_at_64_kb(self, sink: Sink) -> None:
        structlog.get_logger().info(
            "big", blob="z" * 100_000, **{f"k{i}": "w" * 8000 for i in range(20)}
        )
        (raw,) = sink.raw_lines()
        assert len(raw) <= 65536
        event = json.loads(raw)
        assert event["event"] == "big"

    @pytest.mark.parametrize(
        ("argument", "value", "minimum"),
        [
            ("max_key_chars", 8, 16),
            ("max_value_chars", "8k", 64),
            ("max_line_bytes", True, 1024),
        ],
    )
    def test_bad_bounds_are_refused(self, argument: str, value: object, minimum: int) -> None:
        with pytest.raises(ConfigurationError) as info:
            configure_logging(sink=io.BytesIO(), **{argument: value})  # type: ignore[arg-type]
        assert str(info.value) == (
            f"configure_logging({argument}=...) expects an int >= {minimum}, got {value!r}"
        )


FORGED = "ok\nlevel=critical event=admin_login_ok"


class TestTextModeForgery:
    @pytest.fixture
    def text_sink(self) -> Sink:
        out = Sink()
        configure_logging(sink=out.buffer, json=False, background=False)
        return out

    def test_no_value_or_key_starts_a_forged_line(self, text_sink: Sink) -> None:
        @log_result_operation("login", context_args=["user_id"])
        def login(user_id: str) -> Result[int, str]:
            return Failure(FORGED)

        token = bind_log_context(**{FORGED: FORGED, "a level": "b=c", "esc": "\x1b[2J\u2028x"})
        try:
            login(FORGED)
        finally:
            reset_log_context(token)
        structlog.get_logger().info(FORGED, **{FORGED: "\r\nlevel=critical"})
        text = text_sink.buffer.getvalue().decode("utf-8")
        assert len(text.splitlines()) == 2  # str.splitlines also breaks on \u2028, \x85, ...
        for line in text.splitlines():
            assert not line.startswith("level=critical")
            assert " level=critical " not in line
            assert "\x1b" not in line
            assert "\r" not in line
        assert '"ok\\nlevel=critical event=admin_login_ok"' in text

    def test_a_stdlib_record_with_line_breaks_stays_one_line(self, text_sink: Sink) -> None:
        with past_pytest_capture("lib\nlevel=critical") as logger:
            logger.warning("a\r\nlevel=critical %s", EVE)
        raw = text_sink.buffer.getvalue()
        assert raw.count(b"\n") == 1
        assert b"\\ud800" in raw

    def test_a_surrogate_in_text_mode_is_escaped(self, text_sink: Sink) -> None:
        @log_result_operation(EVE)
        def op() -> Result[int, str]:
            return Success(1)

        before = logging_stats()
        op()
        raw = text_sink.buffer.getvalue()
        assert b'operation_name="eve\\\\ud800"' in raw
        assert delta(before, "written") == 1


class Watched:
    def __init__(self, name: str) -> None:
        self.name = name
        self.threshold = -1


class TestSetLogLevelAtomic:
    def test_concurrent_writers_lose_no_override_and_leave_no_torn_threshold(self) -> None:
        threads_n, rounds = 8, 1000
        watched = [Watched(f"op{i}") for i in range(threads_n)]
        for op in watched:
            LEVELS.watch(op)
        barrier = threading.Barrier(threads_n + 2)
        seen_bad: list[str] = []
        stop = threading.Event()

        def writer(i: int) -> None:
            barrier.wait()
            for r in range(rounds):
                set_log_level("DEBUG" if r % 2 else "ERROR", operation=f"op{i}")
                set_log_level("WARNING", operation=f"tmp{i}-{r}")
            set_log_level("CRITICAL", operation=f"op{i}")

        def global_writer() -> None:
            barrier.wait()
            for r in range(rounds):
                set_log_level("INFO" if r % 2 else "ERROR")
            set_log_level("INFO")

        def reader() -> None:
            barrier.wait()
            while not stop.is_set():
                for i in range(threads_n):
                    name = get_log_level(f"op{i}")
                    if name not in ("DEBUG", "ERROR", "CRITICAL", "INFO"):
                        seen_bad.append(name)

        interval = sys.getswitchinterval()
        sys.setswitchinterval(1e-6)  # switch threads as often as possible
        try:
            workers = [threading.Thread(target=writer, args=(i,)) for i in range(threads_n)]
            workers.append(threading.Thread(target=global_writer))
            watcher = threading.Thread(target=reader)
            for thread in [*workers, watcher]:
                thread.start()
            for thread in workers:
                thread.join()
            stop.set()
            watcher.join()
        finally:
            sys.setswitchinterval(interval)
        assert seen_bad == []
        for i in range(threads_n):  # every override of every thread is there: none lost
            assert get_log_level(f"op{i}") == "CRITICAL"
            for r in range(rounds):
                assert get_log_level(f"tmp{i}-{r}") == "WARNING"
        assert get_log_level() == "INFO"
        for op in watched:  # the hot path's copy agrees with the one rule
            assert op.threshold == LEVELS.threshold(op.name) == logging.CRITICAL
