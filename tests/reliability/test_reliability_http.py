"""Bad input over HTTP: no 5xx, and every 4xx of the monitoring router is an APIError body.

Schemathesis generates requests from the router's own OpenAPI schema and sends them to the
app in-process (ASGI); ``MAX_EXAMPLES`` per operation keeps the run short. Hand-written
cases cover what generators rarely reach: oversize and malformed time ranges, negative and
huge limits, unicode and control characters in operation names, oversize JSON bodies.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from rfs_monitoring.alerts import AlertManager
from rfs_monitoring.errors import ErrorCode
from rfs_monitoring.metrics import ResultMetricsCollector
from rfs_monitoring.result_logging import reset_logging

MAX_EXAMPLES = 40
# The router is read-only without auth; these tests exercise its changes too, with the key.
KEY = "reliability-key"
ERROR_CODES = {code.value for code in ErrorCode}


def assert_api_error(status: int, body: Any) -> None:
    """A 4xx body is exactly an APIError: {code, message, details}."""
    assert 400 <= status < 500, status
    assert isinstance(body, dict), body
    assert set(body) == {"code", "message", "details"}, body
    assert body["code"] in ERROR_CODES
    assert ErrorCode(body["code"]).http_status == status
    assert isinstance(body["message"], str)
    assert body["message"]
    assert isinstance(body["details"], dict)


def build_app() -> Any:
    from fastapi import FastAPI

    from rfs_monitoring.dashboard_api import api_key_auth, monitoring_router

    collector = ResultMetricsCollector()
    for name in ("checkout", "日本語 op", "<b>x</b>"):
        collector.record(name, success=True, duration_ms=3.0)
        collector.record(
            name, success=False, duration_ms=9.0, error_code="TIMEOUT", error_message="slow"
        )
    manager = AlertManager(collector, log_notifications=False, discover_plugins=False)
    manager.add({"metric": "error_rate", "threshold": 0.5})
    app = FastAPI()
    app.include_router(
        monitoring_router(
            collector, manager, start_alerts=False, cache_seconds=0, auth=api_key_auth(KEY)
        )
    )
    return app


APP = build_app()
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
# Negative cases (values that violate the schema) exist only where there is a query or body.
CASES = [(op, GenerationMode.POSITIVE) for op in OPERATIONS] + [
    (op, GenerationMode.NEGATIVE) for op in OPERATIONS if len(op.query) or len(op.body)
]


def test_the_schema_lists_every_route_of_the_router() -> None:
    # issue 15 added /errors/examples, /dashboard/data and the alert acknowledge / silence /
    # unsilence actions
    assert len(OPERATIONS) == 20


# Schemathesis' pytest plugin is disabled for the suite (-p no:schemathesis in addopts: it
# swaps Hypothesis's example printer process-wide), so its strategies are driven with
# Hypothesis directly (tests/conftest.py undoes what schemathesis patches in Hypothesis).
@pytest.mark.parametrize(
    ("operation", "mode"), CASES, ids=[f"{op.label} {mode.value}" for op, mode in CASES]
)
def test_generated_requests(operation: Any, mode: GenerationMode) -> None:
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: schemathesis.Case) -> None:
        try:
            response = case.call(headers={"X-API-Key": KEY})
        finally:
            reset_logging()  # PUT /log-levels changes process-wide levels
        assert response.status_code < 500, (case.method, case.formatted_path, response.text)
        if response.status_code >= 400:
            assert_api_error(response.status_code, response.json())

    check()


@pytest_asyncio.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=APP)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers={"X-API-Key": KEY}
    ) as client:
        yield client


TIME_RANGE_PATHS = (
    "/monitoring/operations",
    "/monitoring/errors/top",
    "/monitoring/dashboard",
    "/monitoring/operations/checkout/metrics",
)
BAD_TIME_RANGES = (
    "0",
    "-5",
    "nan",
    "inf",
    "-inf",
    "1e309",
    "9" * 400,
    "1" * 10_000,
    "1e18",
    "2w",
    "1h; DROP TABLE",
    "１ｈ",
    "1h\r\nX-Injected: 1",
    "\x00",
    "",
    " ",
)


class TestHandWritten:
    @pytest.mark.asyncio
    @pytest.mark.parametrize("time_range", BAD_TIME_RANGES, ids=range(len(BAD_TIME_RANGES)))
    async def test_malformed_and_oversize_time_ranges(
        self, http: httpx.AsyncClient, time_range: str
    ) -> None:
        for path in TIME_RANGE_PATHS:
            response = await http.get(path, params={"time_range": time_range})
            assert response.status_code == 422, (path, time_range)
            body = response.json()
            assert_api_error(422, body)
            assert body["details"]["field"] == "time_range"
            assert "\r\n" not in "".join(response.headers.values())

    @pytest.mark.asyncio
    @pytest.mark.parametrize(
        "limit", ["-1", "0", "101", str(10**30), str(-(10**30)), "1.5", "", "1e2", "ten"]
    )
    async def test_negative_huge_and_malformed_limits(
        self, http: httpx.AsyncClient, limit: str
    ) -> None:
        response = await http.get("/monitoring/errors/top", params={"limit": limit})
        assert response.status_code == 422
        assert_api_error(422, response.json())

    @pytest.mark.asyncio
    @pytest.mark.parametrize("limit", ["-5", "0", str(10**30), "many"])
    async def test_alert_history_limits(self, http: httpx.AsyncClient, limit: str) -> None:
        response = await http.get("/monitoring/alerts/history", params={"limit": limit})
        # every one is refused: the history answers at most HISTORY_LIMIT (1000) events
        assert_api_error(response.status_code, response.json())
        assert response.status_code == 422

    @pytest.mark.asyncio
    @pytest.mark.parametrize(
        "name",
        ["a\x00b", "\r\nX-Forged: 1", "\x1b[31mred\x1b[0m", "\u202etxt.exe", "😀" * 50, "x" * 8000],
        ids=["nul", "crlf", "ansi", "bidi", "emoji", "long"],
    )
    async def test_unknown_operation_names_with_odd_characters_are_404(
        self, http: httpx.AsyncClient, name: str
    ) -> None:
        quoted = urllib.parse.quote(name, safe="")
        response = await http.get(f"/monitoring/operations/{quoted}/metrics")
        assert response.status_code == 404
        assert_api_error(404, response.json())
        for value in response.headers.values():
            assert "\r" not in value
            assert "\n" not in value
        timeseries = await http.get("/monitoring/timeseries", params={"operation": name})
        assert_api_error(timeseries.status_code, timeseries.json())

    @pytest.mark.asyncio
    async def test_a_unicode_operation_name_is_served(self, http: httpx.AsyncClient) -> None:
        quoted = urllib.parse.quote("日本語 op", safe="")
        response = await http.get(f"/monitoring/operations/{quoted}/metrics")
        assert response.status_code == 200
        assert response.json()["operation_name"] == "日本語 op"
        assert response.json()["total_requests"] == 2

    @pytest.mark.asyncio
    async def test_an_oversize_alert_body_is_413(self, http: httpx.AsyncClient) -> None:
        body = {"metric": "error_rate", "threshold": 0.5, "description": "x" * 5_000_000}
        response = await http.post("/monitoring/alerts/configure", json=body)
        assert response.status_code == 413  # over the router's max_body_bytes, unread
        assert_api_error(413, response.json())
        assert len(response.content) < 10_000  # the input is not echoed

    @pytest.mark.asyncio
    async def test_a_deeply_nested_body_is_refused(self, http: httpx.AsyncClient) -> None:
        deep = "[" * 200_000 + "]" * 200_000
        response = await http.post(
            "/monitoring/alerts/configure",
            content=deep,
            headers={"content-type": "application/json"},
        )
        assert response.status_code in (400, 413, 422)
        assert_api_error(response.status_code, response.json())

    @pytest.mark.asyncio
    @pytest.mark.parametrize(
        "content",
        [b"{", b"\xff\xfe\x00", b"null", b"[]", b'{"level": ' + b"1" * 5000 + b"}"],
    )
    async def test_malformed_json_bodies(self, http: httpx.AsyncClient, content: bytes) -> None:
        response = await http.put(
            "/monitoring/log-levels",
            content=content,
            headers={"content-type": "application/json"},
        )
        assert response.status_code in (400, 422)
        body = response.json()
        assert_api_error(response.status_code, body)
        assert "1111111111" not in json.dumps(body)  # rejected input is not echoed

    @pytest.mark.asyncio
    @pytest.mark.parametrize("operation", ["y" * 60_000, "", "a\x00b", "line\nbreak"])
    async def test_log_level_operation_names_are_bounded(
        self, http: httpx.AsyncClient, operation: str
    ) -> None:
        try:
            response = await http.put(
                "/monitoring/log-levels", json={"level": "DEBUG", "operation": operation}
            )
        finally:
            reset_logging()
        assert response.status_code == 422
        body = response.json()
        assert_api_error(422, body)
        assert body["details"] == {"field": "operation"}
        assert len(response.content) < 1_000
