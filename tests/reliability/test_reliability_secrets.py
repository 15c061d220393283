"""Secrets never leave: generated passwords, tokens, JWTs, card numbers and API keys embedded
in arguments, metadata, exception messages, error details and headers appear in none of the
outputs (log lines, the dashboard and its JSON, the Prometheus text, the JSON metrics report,
error responses); 500 responses never echo the internal exception text.

A secret is recognisable by where it is (a sensitive key such as ``password`` or
``api_key``, ``key=value`` text, an ``Authorization`` header) or by its shape (a JWT, a
Luhn-valid card number, a bearer token): a bare random string in an ordinary field is
indistinguishable from data, and is not part of the claim.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import logging
import os
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_rfs.report import MetricsReport, TestMetrics, summarize_samples
from rfs_monitoring.alerts import AlertManager
from rfs_monitoring.context import bind_log_context, reset_log_context
from rfs_monitoring.dashboard_api import api_key_auth, monitoring_router
from rfs_monitoring.errors import APIError, ErrorCode
from rfs_monitoring.metrics import MetricSample, ResultMetricsCollector
from rfs_monitoring.result import Failure, Result, Success
from rfs_monitoring.result_logging import configure_logging, log_result_operation, reset_logging
from rfs_monitoring.web import CorrelationIdMiddleware, handle_result

EXAMPLES = int(os.environ.get("RFS_SECRET_EXAMPLES", "25"))
ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
B64URL = ALNUM + "-_"


def luhn_complete(digits: str) -> str:
    """``digits`` plus the check digit that makes the number Luhn-valid."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return digits + str((10 - total % 10) % 10)


@dataclasses.dataclass(frozen=True)
class Secrets:
    password: str
    token: str
    jwt: str
    card: str
    api_key: str

    def all(self) -> tuple[str, ...]:
        return (self.password, self.token, self.jwt, self.card, self.api_key)

    def assert_absent(self, text: str, where: str) -> None:
        for secret in self.all():
            assert secret not in text, f"{secret!r} leaked into {where}: {text[:2000]}"
        grouped = " ".join(self.card[i : i + 4] for i in range(0, 16, 4))
        assert grouped not in text, f"card {grouped!r} leaked into {where}"


secrets_strategy = st.builds(
    Secrets,
    password=st.text(ALNUM + "!#$%*+./<>?@^_|~", min_size=10, max_size=24).map(lambda s: "pw" + s),
    token=st.text("0123456789abcdef", min_size=24, max_size=40).map(lambda s: "tok" + s),
    jwt=st.tuples(
        st.text(B64URL, min_size=8, max_size=30),
        st.text(B64URL, min_size=8, max_size=60),
        st.text(B64URL, min_size=8, max_size=43),
    ).map(lambda parts: "eyJ" + ".".join(parts)),
    # no 0 (nor long runs) in the random part: "4000000000000002" is also the tail of
    # float artefacts such as 1.4000000000000002 in the entries' timings
    card=st.text("123456789", min_size=14, max_size=14).map(lambda s: luhn_complete("4" + s)),
    api_key=st.text(ALNUM, min_size=24, max_size=32).map(lambda s: "sk_live_" + s),
)

SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def isolated_collector() -> Iterator[None]:
    previous = ResultMetricsCollector.set_instance(ResultMetricsCollector())
    yield
    ResultMetricsCollector.set_instance(previous)


def error_with_secrets(s: Secrets) -> APIError:
    return APIError(
        ErrorCode.VALIDATION_ERROR,
        f"card {s.card} declined; password={s.password}; Authorization: Bearer {s.token}",
        {"api_key": s.api_key, "session_token": s.jwt, "note": f"jwt {s.jwt} api_key={s.api_key}"},
    )


def run_operations(s: Secrets) -> None:
    """The application's calls: secrets in arguments, metadata, errors and exceptions."""

    @log_result_operation(
        "secrets.login",
        context_args=("user_id", "password", "note"),
        metadata={"api_key": s.api_key, "client": f"token={s.token}"},
    )
    def login(user_id: str, password: str, note: str) -> Result[str, APIError]:
        return Failure(error_with_secrets(s))

    @log_result_operation("secrets.pay")
    def pay(card: str) -> Result[str, Exception]:
        raise ValueError(f"charge of card {card} failed, api_key={s.api_key}, jwt {s.jwt}")

    @log_result_operation("secrets.ok", context_args=("headers",))
    def fine(headers: dict[str, str]) -> Result[str, APIError]:
        return Success("ok")

    token = bind_log_context(
        token=s.token, request_note=f"Authorization: Bearer {s.token}", card=s.card
    )
    try:
        result = login("u1", s.password, f"password={s.password} card {s.card}")
        assert isinstance(result, Failure)
        with pytest.raises(ValueError, match="charge of card"):
            pay(s.card)
        fine({"Authorization": f"Bearer {s.jwt}", "X-API-Key": s.api_key, "Cookie": s.token})
        app_logger = logging.getLogger("secrets.app")
        app_logger.warning("login for password=%s with %s", s.password, s.jwt)
        app_logger.error("declined", extra={"password": s.password, "card_number": s.card})
        try:
            raise RuntimeError(f"upstream said api_key={s.api_key} token={s.token}")
        except RuntimeError:
            app_logger.exception("payment provider failed for card %s", s.card)
    finally:
        reset_log_context(token)


@pytest.mark.usefixtures("isolated_collector")
@SETTINGS
@given(s=secrets_strategy)
def test_secrets_never_reach_the_log_output(s: Secrets) -> None:
    sink = io.BytesIO()
    configure_logging(sink=sink, background=False, level="DEBUG")
    try:
        run_operations(s)
    finally:
        reset_logging()
    text = sink.getvalue().decode("utf-8")
    assert text.count("\n") >= 6
    s.assert_absent(text, "the log output")


@pytest.mark.usefixtures("isolated_collector")
@SETTINGS
@given(s=secrets_strategy)
def test_secrets_never_reach_the_dashboard_or_metrics(s: Secrets) -> None:
    logging.disable(logging.CRITICAL)  # this test reads the other outputs
    try:
        run_operations(s)
    finally:
        logging.disable(logging.NOTSET)
    collector = ResultMetricsCollector.instance()
    collector.record(
        "secrets.raw",
        success=False,
        duration_ms=1.0,
        error_code="DECLINED",
        error_message=f"password={s.password} token {s.token} {s.jwt} card {s.card}",
    )
    pages = asyncio.run(read_monitoring(collector))
    for path, text in pages.items():
        s.assert_absent(text, path)


async def read_monitoring(collector: ResultMetricsCollector) -> dict[str, str]:
    app = FastAPI()
    app.include_router(
        monitoring_router(
            collector,
            AlertManager(collector, log_notifications=False, discover_plugins=False),
            start_alerts=False,
            cache_seconds=0,
            auth=api_key_auth("secrets-test-key"),  # health shows its details only with auth
        )
    )
    paths = (
        "/monitoring/dashboard",
        "/monitoring/errors/top",
        "/monitoring/operations",
        "/monitoring/operations/secrets.login/metrics",
        "/monitoring/health/result-patterns",
        "/monitoring/metrics",
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        headers={"X-API-Key": "secrets-test-key"},
    ) as http:
        out = {}
        for path in paths:
            response = await http.get(path)
            assert response.status_code == 200, path
            out[path] = response.text
        return out


@SETTINGS
@given(s=secrets_strategy)
def test_secrets_never_reach_the_json_metrics_report(s: Secrets) -> None:
    samples = [
        MetricSample(
            "secrets.report",
            False,
            2.0,
            "DECLINED",
            "ValueError",
            f"card {s.card} password={s.password} {s.jwt} api_key={s.api_key} token {s.token}",
            1_700_000_000.0,
        ),
        MetricSample("secrets.report", True, 1.0, None, None, None, 1_700_000_000.5),
    ]
    figures = summarize_samples(samples)
    report = MetricsReport.from_tests(
        [
            TestMetrics(
                nodeid="tests/test_x.py::test_pay",
                outcome="failed",
                duration_s=0.1,
                operations=figures,
            )
        ]
    )
    s.assert_absent(report.to_json(), "the JSON metrics report")


def secret_app(s: Secrets) -> FastAPI:
    app = FastAPI()
    app.add_middleware(CorrelationIdMiddleware)

    @app.get("/fails")
    @handle_result
    async def fails() -> Result[str, APIError]:
        return Failure(error_with_secrets(s))

    @app.get("/raises")
    @handle_result
    async def raises() -> Result[str, APIError]:
        raise RuntimeError(f"db password={s.password} at {s.jwt}: internal detail")

    @app.get("/foreign")
    @handle_result
    async def foreign() -> Result[str, Exception]:
        return Failure(KeyError(f"api_key={s.api_key} card {s.card}"))

    return app


@SETTINGS
@given(s=secrets_strategy)
def test_secrets_never_reach_error_responses(s: Secrets) -> None:
    async def call() -> list[httpx.Response]:
        headers = {
            "Authorization": f"Bearer {s.token}",
            "X-API-Key": s.api_key,
            "Cookie": f"session={s.jwt}",
            "X-Password": s.password,
        }
        transport = httpx.ASGITransport(app=secret_app(s), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            return [await http.get(p, headers=headers) for p in ("/fails", "/raises", "/foreign")]

    logging.disable(logging.CRITICAL)
    try:
        failed, raised, foreign = asyncio.run(call())
    finally:
        logging.disable(logging.NOTSET)
    assert failed.status_code == 422
    assert failed.json()["code"] == "VALIDATION_ERROR"
    for response in (raised, foreign):
        assert response.status_code == 500
        assert response.json() == {
            "code": "INTERNAL_ERROR",
            "message": "Internal server error",
            "details": {},
        }
    for response in (failed, raised, foreign):
        s.assert_absent(response.text, f"the response {response.request.url.path}")
        s.assert_absent(json.dumps(dict(response.headers)), "response headers")


def test_a_500_never_echoes_the_exception_text() -> None:
    app = FastAPI()

    @app.get("/boom")
    @handle_result
    async def boom() -> Result[str, APIError]:
        raise KeyError("internal table users_v2 row 77 missing; dsn=postgres://db:5432")

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            return await http.get("/boom")

    logging.disable(logging.CRITICAL)
    try:
        response = asyncio.run(call())
    finally:
        logging.disable(logging.NOTSET)
    assert response.status_code == 500
    for fragment in ("users_v2", "postgres", "KeyError", "row 77"):
        assert fragment not in response.text


def test_the_generated_card_numbers_are_luhn_valid() -> None:
    from rfs_monitoring.masking import mask_text

    card = luhn_complete("411111111111111")
    assert card == "4111111111111111"
    assert mask_text(f"card {card}") == "card ***1111"


def test_a_traceback_formatted_by_another_handler_is_masked_too() -> None:
    """A record whose ``exc_text`` an earlier handler already rendered is masked as well."""
    sink = io.BytesIO()
    configure_logging(sink=sink, background=False)
    try:
        record = logging.LogRecord(
            "secrets.app", logging.ERROR, __file__, 1, "payment failed", None, None
        )
        record.exc_text = "Traceback (most recent call last):\nValueError: password=hunter2hunter2"
        logging.getLogger("secrets.app").handle(record)
    finally:
        reset_logging()
    text = sink.getvalue().decode("utf-8")
    assert "payment failed" in text
    assert "hunter2hunter2" not in text


class CodedError(Exception):
    """An exception whose ``code`` attribute carries caller data (a secret, here)."""

    def __init__(self, code: str) -> None:
        super().__init__("upstream refused")
        self.code = code


@pytest.mark.usefixtures("isolated_collector")
@SETTINGS
@given(s=secrets_strategy)
def test_an_exceptions_code_never_becomes_a_log_field_or_label(s: Secrets) -> None:
    """``.code`` is read as the error code: masked in the entries, the error groups, the
    dashboard and the Prometheus labels (issue 14)."""
    from prometheus_client import CollectorRegistry, generate_latest

    from rfs_monitoring.export import register_prometheus

    codes = [f"password={s.password}", s.jwt, f"token {s.token}", f"api_key={s.api_key}"]

    @log_result_operation("secrets.coded")
    def call(code: str) -> Result[str, Exception]:
        return Failure(CodedError(code))

    sink = io.BytesIO()
    configure_logging(sink=sink, background=False)
    try:
        for code in codes:
            call(code)
    finally:
        reset_logging()
    collector = ResultMetricsCollector.instance()
    for code in codes:
        collector.record_result("secrets.coded.direct", Failure(CodedError(code)), 1.0)
    registry = CollectorRegistry()
    register_prometheus(collector, registry)
    top = asyncio.run(collector.top_errors(limit=100, time_range="1h").to_result()).unwrap()
    outputs = {
        "the log output": sink.getvalue().decode("utf-8"),
        "the Prometheus text": generate_latest(registry).decode("utf-8"),
        "the top errors": repr(top),
        "the error codes": repr([t.error_codes for t in collector.totals()]),
    }
    assert outputs["the log output"].count("\n") == len(codes)
    for where, text in outputs.items():
        s.assert_absent(text, where)
