"""Injection: CR/LF and ANSI escapes cannot forge log lines or headers; HTML is escaped on the
dashboard page."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from rfs_monitoring.context import is_valid_correlation_id, set_correlation_id
from rfs_monitoring.errors import APIError, ConfigurationError
from rfs_monitoring.metrics import ResultMetricsCollector
from rfs_monitoring.result import Failure, Result, Success
from rfs_monitoring.result_logging import configure_logging, log_result_operation, reset_logging
from rfs_monitoring.web import CorrelationIdMiddleware

FORGED = '\r\n{"level":"CRITICAL","event":"forged"}\nFORGED key=value\x1b[2J\x1b[31m'
HOSTILE_NAMES = (
    f"op{FORGED}",
    "op\x1b]0;title\x07",
    "op\u2028line\u2029para\x85nel",
)


def emit_everything(name: str) -> int:
    """Operations, messages and stdlib records carrying FORGED; returns how many lines."""

    def fails() -> Result[int, APIError]:
        return Failure(APIError.bad_request(f"bad input {FORGED}"))

    def succeeds() -> Result[int, APIError]:
        return Success(1)

    log_result_operation(name)(fails)()
    log_result_operation(name)(succeeds)()
    logging.getLogger("injection.app").warning("user sent %s", FORGED)
    try:
        raise ValueError(FORGED)
    except ValueError:
        logging.getLogger("injection.app").exception("failed with %s", FORGED)
    return 4


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=["crlf-json", "osc", "unicode-breaks"])
def test_json_lines_cannot_be_forged(name: str, collector: ResultMetricsCollector) -> None:
    sink = io.BytesIO()
    configure_logging(sink=sink, background=False)
    try:
        expected = emit_everything(name)
    finally:
        reset_logging()
    lines = sink.getvalue().split(b"\n")
    assert lines[-1] == b""
    assert len(lines) - 1 == expected
    for line in lines[:-1]:
        entry = json.loads(line)
        assert "\x1b" not in line.decode("utf-8")
        assert entry.get("event") != "forged"
        assert entry.get("level") != "CRITICAL"


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=["crlf-json", "osc", "unicode-breaks"])
def test_text_lines_cannot_be_forged(name: str, collector: ResultMetricsCollector) -> None:
    sink = io.BytesIO()
    configure_logging(sink=sink, background=False, json=False)
    try:
        expected = emit_everything(name)
    finally:
        reset_logging()
    text = sink.getvalue().decode("utf-8")
    lines = text.split("\n")
    assert lines[-1] == ""
    assert len(lines) - 1 == expected, text
    assert "\r" not in text
    assert "\x1b" not in text
    for line in lines[:-1]:
        assert not line.startswith("FORGED")
        assert not line.startswith('{"level"')


def test_a_correlation_id_with_crlf_is_refused_in_code() -> None:
    with pytest.raises(ConfigurationError):
        set_correlation_id("abc\r\nX-Forged: 1")
    assert not is_valid_correlation_id("abc\x1b[31m")


async def raw_request(app: Any, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Send one request through the ASGI app with raw header bytes (no client validation)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/echo",
        "raw_path": b"/echo",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1234),
        "server": ("127.0.0.1", 80),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    return list(start["headers"])


@pytest.mark.parametrize(
    "value",
    [
        b"abc\r\nx-forged: 1",
        b"abc\nx-forged: 1",
        b"abc\x1b[31m",
        b"abc\x00def",
        b"a" * 129,
        "caf\u00e9".encode("latin-1"),
    ],
    ids=["crlf", "lf", "ansi", "nul", "too-long", "latin1"],
)
def test_a_hostile_correlation_header_is_replaced_not_echoed(value: bytes) -> None:
    app = FastAPI()
    app.add_middleware(CorrelationIdMiddleware)

    @app.get("/echo")
    async def echo() -> dict[str, str]:
        return {"ok": "yes"}

    for header in (b"x-correlation-id", b"x-request-id"):
        headers = asyncio.run(raw_request(app, [(header, value)]))
        names = [name.lower() for name, _ in headers]
        assert b"x-forged" not in names
        echoed = [v for name, v in headers if name.lower() == b"x-correlation-id"]
        assert len(echoed) == 1
        assert echoed[0] != value
        assert is_valid_correlation_id(echoed[0].decode("latin-1"))
        for _name, header_value in headers:
            assert b"\r" not in header_value
            assert b"\n" not in header_value
            assert b"\x1b" not in header_value


HTML_NAME = '<script>alert("op")</script><img src=x onerror=alert(1)>'
HTML_MESSAGE = '<b onmouseover="steal()">bold</b></td></tr></table><script>x()</script>'


@pytest.mark.asyncio
async def test_html_in_names_and_messages_is_escaped_on_the_dashboard(
    collector: ResultMetricsCollector, app_factory: Callable[..., FastAPI]
) -> None:
    for _ in range(3):
        collector.record(HTML_NAME, success=True, duration_ms=2.0)
        collector.record(
            HTML_NAME,
            success=False,
            duration_ms=5.0,
            error_code="<i>CODE</i>",
            error_type="<u>Type</u>",
            error_message=HTML_MESSAGE,
        )
    transport = httpx.ASGITransport(app=app_factory(collector))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        pages = [
            (await http.get("/monitoring/dashboard")).text,
            (await http.get("/monitoring/dashboard", params={"operation": HTML_NAME})).text,
            (
                await http.get(
                    "/monitoring/dashboard", params={"operation": '"><script>evil()</script>'}
                )
            ).text,
        ]
    for page in pages:
        # The page's own scripts are external files and one JSON data block; nothing else.
        scripts = re.findall(r"<script[^>]*>", page, re.I)
        assert scripts == [
            '<script src="/monitoring/static/charts.js" defer>',
            '<script src="/monitoring/static/dashboard.js" defer>',
            '<script type="application/json" id="chart-data">',
        ]
        for raw in ("<script>", "<img", "<b ", "<i>", "<u>", "</table><script"):
            assert raw not in page, raw
    assert "&lt;script&gt;" in pages[0]
    assert "&lt;b onmouseover" in pages[0]
