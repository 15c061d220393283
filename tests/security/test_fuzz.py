"""Fuzzing the log entries and the monitoring router with arbitrary unicode (Hypothesis).

Issue 14, acceptance: arbitrary unicode (lone surrogates, control characters, line breaks,
quotes included) in every field of an entry gives exactly one valid JSON line (never a lost
entry); in every endpoint parameter of the monitoring router it gives a 2xx/4xx with a JSON
(or the dashboard's HTML) body, never a 5xx. Real parts: the logging pipeline with a sink,
FastAPI through httpx's ASGITransport, auth on.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import urllib.parse
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from rfs_monitoring import Failure, Result
from rfs_monitoring.alerts import AlertManager
from rfs_monitoring.context import (
    bind_log_context,
    correlation_context,
    is_valid_correlation_id,
    reset_log_context,
)
from rfs_monitoring.dashboard import api_key_auth, monitoring_router
from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.metrics import ResultMetricsCollector
from rfs_monitoring.result_logging import (
    configure_logging,
    log_result_operation,
    logging_stats,
    reset_logging,
    result_log_entry_schema,
)

KEY = "fuzz-test-key-0123456789abcdef"
NASTY = ["\ud800", "\udfff", "\n", "\r", "\x00", "\x1b", "\u2028", "\x85", '"', "=", " ", "\\"]
CHARS = st.one_of(st.characters(exclude_categories=()), st.sampled_from(NASTY))
TEXT = st.text(CHARS, max_size=40)
NAMES = st.text(CHARS, min_size=1, max_size=40)
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class CodedError(Exception):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@pytest.fixture
def sink() -> Iterator[io.BytesIO]:
    reset_logging()
    buffer = io.BytesIO()
    configure_logging(sink=buffer, background=False, stdlib=False)
    yield buffer
    reset_logging()


class TestEntryFields:
    @SETTINGS
    @given(
        operation=NAMES,
        message=TEXT,
        code=TEXT,
        user_id=TEXT,
        note=TEXT,
        key=NAMES,
        value=TEXT,
        correlation_id=st.one_of(TEXT, st.from_regex(r"[A-Za-z0-9._-]{1,128}", fullmatch=True)),
        raises=st.booleans(),
    )
    def test_every_field_gives_exactly_one_valid_json_line(
        self,
        sink: io.BytesIO,
        operation: str,
        message: str,
        code: str,
        user_id: str,
        note: str,
        key: str,
        value: str,
        correlation_id: str | None,
        raises: bool,
    ) -> None:
        @log_result_operation(operation, context_args=["user_id", "note"])
        def handler(user_id: str, note: str) -> Result[int, Exception]:
            error = CodedError(message, code)
            if raises:
                raise error
            return Failure(error)

        start = sink.tell()
        before = logging_stats()
        if not is_valid_correlation_id(correlation_id):  # refused cleanly; the call gets one
            with pytest.raises(ConfigurationError, match="is not accepted"):
                correlation_context(correlation_id).__enter__()
            correlation_id = None
        token = bind_log_context(**{key: value})
        try:
            with correlation_context(correlation_id) as bound, _raising(raises):
                handler(user_id, note)
        finally:
            reset_log_context(token)
        written = sink.getvalue()[start:]
        assert written.endswith(b"\n")
        (raw,) = written.splitlines()  # exactly one line
        line = json.loads(raw)
        assert line["correlation_id"] == bound
        assert line["result_type"] == "error"
        assert line["operation_name"]
        _validate(line)
        after = logging_stats()
        assert after["written"] - before["written"] == 1
        assert after["dropped"] == before["dropped"]

    @SETTINGS
    @given(message=TEXT, key=NAMES, value=TEXT)
    def test_text_mode_gives_exactly_one_line(self, message: str, key: str, value: str) -> None:
        reset_logging()
        buffer = io.BytesIO()
        configure_logging(sink=buffer, json=False, background=False, stdlib=False)
        try:

            @log_result_operation("fuzzed")
            def handler() -> Result[int, str]:
                return Failure(message)

            token = bind_log_context(**{key: value})
            try:
                handler()
            finally:
                reset_log_context(token)
        finally:
            reset_logging()
        text = buffer.getvalue().decode("utf-8")  # valid UTF-8
        assert text.endswith("\n")
        assert len(text.splitlines()) == 1  # str.splitlines breaks on every line boundary


def _raising(raises: bool) -> contextlib.AbstractContextManager[object]:
    """``pytest.raises(CodedError)`` when the handler raises, else nothing."""
    return pytest.raises(CodedError) if raises else contextlib.nullcontext()


def _validate(line: dict[str, Any]) -> None:
    import jsonschema

    jsonschema.validate(line, result_log_entry_schema())


# --------------------------------------------------------------------------- the router


def _quote(text: str) -> str:
    """Percent-encoded as an attacker sends it: a lone surrogate as its raw (invalid) bytes."""
    return urllib.parse.quote(text.encode("utf-8", "surrogatepass"), safe="")


def _app() -> tuple[FastAPI, AlertManager]:
    collector = ResultMetricsCollector(max_operations=20)
    collector.record("eve\ud800", success=False, duration_ms=1.0, error_code="E\ud800")
    collector.record("checkout", success=True, duration_ms=2.0)
    manager = AlertManager(collector, discover_plugins=False, log_notifications=False)
    manager.add({"operation": "checkout", "metric": "error_rate", "threshold": 0.5})
    app = FastAPI()
    app.include_router(
        monitoring_router(
            collector, manager, auth=api_key_auth(KEY), start_alerts=False, cache_seconds=0
        )
    )
    return app, manager


QUERIES = [
    ("GET", "/monitoring/operations?time_range={a}"),
    ("GET", "/monitoring/operations/{a}/metrics?time_range={b}"),
    ("GET", "/monitoring/errors/top?limit={a}&time_range={b}&operation={c}"),
    ("GET", "/monitoring/timeseries?operation={a}"),
    ("GET", "/monitoring/health/result-patterns?time_range={a}"),
    ("GET", "/monitoring/alerts?state={a}"),
    ("GET", "/monitoring/alerts/history?alert_id={a}&limit={b}"),
    ("GET", "/monitoring/alerts/{a}"),
    ("DELETE", "/monitoring/alerts/{a}"),
    ("GET", "/monitoring/log-levels?operation={a}"),
    ("GET", "/monitoring/dashboard?time_range={a}&operation={b}&refresh={c}"),
]
PARAM = st.one_of(TEXT, st.integers(-(2**70), 2**70).map(str), st.sampled_from(["1h", "5m", "*"]))


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FastAPI, asyncio.AbstractEventLoop]]:
    """One router (auth on, no answer cache) and one event loop for every example."""
    loop = asyncio.new_event_loop()
    app, _ = _app()
    yield app, loop
    loop.close()
    reset_logging()


class TestRouterParameters:
    @pytest.mark.parametrize(("method", "template"), QUERIES)
    @settings(SETTINGS, max_examples=30)
    @given(a=PARAM, b=PARAM, c=PARAM)
    def test_query_and_path_parameters_never_give_a_5xx(
        self,
        served: tuple[FastAPI, asyncio.AbstractEventLoop],
        method: str,
        template: str,
        a: str,
        b: str,
        c: str,
    ) -> None:
        app, loop = served
        url = template.format(a=_quote(a), b=_quote(b), c=_quote(c))
        response = loop.run_until_complete(_send(app, method, url, None))
        _assert_clean(response)

    @settings(SETTINGS, max_examples=60)
    @given(
        body=st.fixed_dictionaries(
            {},
            optional={
                "operation": st.one_of(TEXT, st.integers()),
                "metric": st.one_of(TEXT, st.sampled_from(["error_rate", "p99_latency"])),
                "threshold": st.one_of(st.floats(allow_nan=False), TEXT),
                "comparison": st.one_of(TEXT, st.sampled_from([">", "<="])),
                "window": st.one_of(TEXT, st.sampled_from(["5m", "1h"])),
                "severity": TEXT,
                "name": TEXT,
                "description": TEXT,
                "for_seconds": st.one_of(st.floats(allow_nan=False), TEXT),
            },
        )
    )
    def test_alert_configuration_bodies_never_give_a_5xx(
        self, served: tuple[FastAPI, asyncio.AbstractEventLoop], body: dict[str, Any]
    ) -> None:
        app, loop = served
        response = loop.run_until_complete(_send(app, "POST", "/monitoring/alerts/configure", body))
        _assert_clean(response)

    @settings(SETTINGS, max_examples=60)
    @given(level=st.one_of(TEXT, st.sampled_from(["INFO", "off"])), operation=st.none() | TEXT)
    def test_log_level_bodies_never_give_a_5xx(
        self,
        served: tuple[FastAPI, asyncio.AbstractEventLoop],
        level: str,
        operation: str | None,
    ) -> None:
        app, loop = served
        try:
            response = loop.run_until_complete(
                _send(
                    app, "PUT", "/monitoring/log-levels", {"level": level, "operation": operation}
                )
            )
        finally:
            reset_logging()  # undo an accepted change
        _assert_clean(response)


async def _send(app: FastAPI, method: str, url: str, body: object) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    headers = {"X-API-Key": KEY}
    content = None
    if body is not None:
        content = json.dumps(body).encode("ascii")  # \ud800 escapes: valid JSON
        headers["content-type"] = "application/json"
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.request(method, url, content=content, headers=headers)


def _assert_clean(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if response.is_redirect:  # "/alerts/" (an empty id): Starlette's slash redirect
        assert response.headers["location"]
        return
    kind = response.headers.get("content-type", "")
    if kind.startswith("text/html"):
        assert response.status_code == 200
        response.content.decode("utf-8")
        return
    assert kind.startswith("application/json"), kind
    json.loads(response.content.decode("utf-8"))  # valid UTF-8 JSON


def test_known_values_still_answer_200() -> None:
    """The fuzzed router is the real one: ordinary requests succeed."""
    app, _ = _app()
    response = asyncio.run(_send(app, "GET", "/monitoring/operations?time_range=1h", None))
    assert response.status_code == 200
    assert {o["operation_name"] for o in response.json()} == {"eve\\ud800", "checkout"}
    check = asyncio.run(_send(app, "GET", "/monitoring/errors/top", None))
    assert check.json()[0]["error_code"] == "E\\ud800"


def test_a_dashboard_window_past_the_retention_is_a_422_not_a_500() -> None:
    """Found by the fuzzer: ``time_range=604801`` (a second past seven days) was a 500."""
    app, _ = _app()
    url = "/monitoring/dashboard?time_range=604801&operation=&refresh=0"
    response = asyncio.run(_send(app, "GET", url, None))
    assert response.status_code == 422
    assert response.json()["details"]["field"] == "time_range"
