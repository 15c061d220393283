"""Attacks on the monitoring router: each test is one attack and what must stop it.

The router is served in-process (FastAPI through httpx's ASGITransport, cookies kept by the
client as a browser would). Issue 14, "Secure by default".
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
import schemathesis
from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from rfs_monitoring.alerts import AlertManager
from rfs_monitoring.dashboard import APIKeyAuth, api_key_auth, monitoring_router
from rfs_monitoring.dashboard.auth import SESSION_COOKIE
from rfs_monitoring.errors import APIError, ConfigurationError
from rfs_monitoring.metrics import ResultMetricsCollector
from rfs_monitoring.result_logging import get_log_level, reset_logging, set_log_level

KEY = "0perator-k3y-do-not-leak"
SECRET_OPERATION = "payroll_export_internal"
ALERT_TEXT = "payroll export failing (page the finance on-call)"


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def make_collector() -> ResultMetricsCollector:
    collector = ResultMetricsCollector()
    for _ in range(3):
        collector.record(
            SECRET_OPERATION,
            success=False,
            duration_ms=7.0,
            error_code="TIMEOUT",
            error_message="bank gateway down",
        )
    return collector


def make_app(
    collector: ResultMetricsCollector | None = None,
    manager: AlertManager | None = None,
    **kwargs: Any,
) -> FastAPI:
    collector = collector or make_collector()
    manager = manager or AlertManager(collector, log_notifications=False, discover_plugins=False)
    app = FastAPI()
    app.include_router(
        monitoring_router(collector, manager, start_alerts=False, cache_seconds=0, **kwargs)
    )
    return app


def client(app: FastAPI, base_url: str = "http://test", **kwargs: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url, **kwargs)


def changes(app: FastAPI) -> list[tuple[str, str]]:
    """Every state-changing (method, path) of the router, from its OpenAPI document."""
    found = []
    for path, operations in app.openapi()["paths"].items():
        concrete = path.replace("{alert_id}", "alert-000000000000")
        found.extend((m.upper(), concrete) for m in operations if m.upper() != "GET")
    return sorted(found)


def reads(app: FastAPI) -> list[str]:
    paths = [p for p, ops in app.openapi()["paths"].items() if "get" in ops]
    return [
        p.replace("{operation_name}", SECRET_OPERATION).replace("{alert_id}", "alert-000000000000")
        for p in paths
    ]


@pytest.fixture(autouse=True)
def _restore_levels() -> Iterator[None]:
    before = get_log_level()
    yield
    set_log_level(before)


@pytest.fixture
def manager() -> AlertManager:
    return AlertManager(make_collector(), log_notifications=False, discover_plugins=False)


@pytest_asyncio.fixture
async def open_router(manager: AlertManager) -> AsyncIterator[httpx.AsyncClient]:
    async with client(make_app(manager.collector, manager)) as http:
        yield http


class TestReadOnlyWithoutAuth:
    @pytest.mark.asyncio
    async def test_anonymous_put_log_levels_off_is_refused(
        self, open_router: httpx.AsyncClient
    ) -> None:
        set_log_level("INFO")
        response = await open_router.put("/monitoring/log-levels", json={"level": "OFF"})
        assert response.status_code == 403
        assert response.json() == {
            "code": "FORBIDDEN",
            "message": "the monitoring API is read-only: no auth is configured, so changes "
            "(alerts, log levels) are refused; pass auth=api_key_auth(...) to "
            "monitoring_router to enable them",
            "details": {},
        }
        assert get_log_level() == "INFO"

    @pytest.mark.asyncio
    async def test_every_change_is_refused(self, manager: AlertManager) -> None:
        app = make_app(manager.collector, manager)
        rule = manager.add({"metric": "error_rate", "threshold": 0.5})
        bodies = {"/monitoring/alerts/configure": {"metric": "rps", "threshold": 1}}
        async with client(app) as http:
            found = changes(app)
            assert len(found) == 7
            for method, path in found:
                path = path.replace("alert-000000000000", rule)
                response = await http.request(method, path, json=bodies.get(path))
                assert response.status_code == 403, (method, path)
                assert response.json()["code"] == "FORBIDDEN"
        assert [a.alert_id for a in manager.alerts()] == [rule]
        assert manager.stats()["evaluations"] == 0

    @pytest.mark.asyncio
    async def test_reads_stay_open(self, open_router: httpx.AsyncClient) -> None:
        operations = await open_router.get("/monitoring/operations")
        assert operations.status_code == 200
        assert operations.json()[0]["operation_name"] == SECRET_OPERATION

    def test_the_warning_says_read_only(self, caplog: pytest.LogCaptureFixture) -> None:
        with caplog.at_level(logging.WARNING, logger="rfs_monitoring.dashboard_api"):
            make_app()
        assert [r.getMessage() for r in caplog.records] == [
            "the monitoring API at /monitoring has no auth dependency, so it is read-only "
            "(changes answer 403) and anyone who can reach it can read metrics; give "
            "monitoring_router an auth dependency such as api_key_auth(...)"
        ]


class TestCaps:
    @pytest.mark.asyncio
    async def test_7000_anonymous_alert_rules_are_all_refused(
        self, open_router: httpx.AsyncClient, manager: AlertManager
    ) -> None:
        statuses = set()
        for i in range(7000):
            response = await open_router.post(
                "/monitoring/alerts/configure", json={"metric": "rps", "threshold": i}
            )
            statuses.add(response.status_code)
        assert statuses == {403}
        assert manager.alerts() == []

    @pytest.mark.asyncio
    async def test_alert_rules_stop_at_the_cap_with_auth(self, manager: AlertManager) -> None:
        app = make_app(manager.collector, manager, auth=api_key_auth(KEY), max_alert_rules=100)
        async with client(app, headers={"X-API-Key": KEY}) as http:
            statuses = [
                (
                    await http.post(
                        "/monitoring/alerts/configure", json={"metric": "rps", "threshold": i}
                    )
                ).status_code
                for i in range(150)
            ]
            refused = await http.post(
                "/monitoring/alerts/configure", json={"metric": "rps", "threshold": 1}
            )
        assert statuses == [201] * 100 + [409] * 50
        assert len(manager.alerts()) == 100
        assert refused.json() == {
            "code": "CONFLICT",
            "message": "100 alert rules exist and max_alert_rules is 100: delete a rule "
            "(DELETE /alerts/{alert_id}) before adding another",
            "details": {"max_alert_rules": 100, "alert_rules": 100},
        }

    @pytest.mark.asyncio
    @pytest.mark.parametrize("auth", [None, api_key_auth(KEY)], ids=["no-auth", "auth"])
    async def test_a_huge_body_is_413_unread(self, auth: APIKeyAuth | None) -> None:
        app = make_app(auth=auth, max_body_bytes=4096)
        huge = b'{"metric": "rps", "threshold": 1, "description": "' + b"x" * 10_000_000 + b'"}'
        async with client(app, headers={"X-API-Key": KEY}) as http:
            declared = await http.post(
                "/monitoring/alerts/configure",
                content=huge,
                headers={"content-type": "application/json"},
            )

            async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked
                for _ in range(100):
                    yield b" " * 1024

            streamed = await http.put(
                "/monitoring/log-levels",
                content=chunks(),
                headers={"content-type": "application/json"},
            )
        for response in (declared, streamed):
            assert response.status_code == 413
            assert response.json() == {
                "code": "PAYLOAD_TOO_LARGE",
                "message": "the request body is larger than 4096 bytes, the most this API accepts",
                "details": {"max_bytes": 4096},
            }

    @pytest.mark.asyncio
    @pytest.mark.parametrize(
        ("field", "size"), [("description", 2001), ("name", 201), ("operation", 201)]
    )
    async def test_rule_strings_are_bounded(self, field: str, size: int) -> None:
        app = make_app(auth=api_key_auth(KEY))
        body = {"metric": "rps", "threshold": 1, field: "y" * size}
        async with client(app, headers={"X-API-Key": KEY}) as http:
            response = await http.post("/monitoring/alerts/configure", json=body)
        assert response.status_code == 422
        assert response.json()["code"] == "VALIDATION_ERROR"
        assert field in response.json()["message"]
        assert "y" * 100 not in response.text

    @pytest.mark.parametrize("name", ["max_alert_rules", "max_body_bytes"])
    @pytest.mark.parametrize("value", [0, -1, True, 1.5, "10"])
    def test_bad_caps_are_configuration_errors(self, name: str, value: object) -> None:
        with pytest.raises(ConfigurationError) as info:
            monitoring_router(make_collector(), **{name: value})  # type: ignore[arg-type]
        assert str(info.value) == f"monitoring_router {name} must be an int >= 1, got {value!r}"


def _leaks(text: str) -> list[str]:
    return [s for s in (SECRET_OPERATION, ALERT_TEXT, "success rate", "bank gateway") if s in text]


class TestHealthLeak:
    @pytest.fixture
    def alerting(self, manager: AlertManager) -> AlertManager:
        manager.add(
            {
                "operation": SECRET_OPERATION,
                "metric": "error_count",
                "threshold": 0,
                "name": ALERT_TEXT,
            }
        )
        return manager

    async def _fire(self, app: FastAPI, headers: dict[str, str]) -> None:
        async with client(app, headers=headers) as http:
            await http.post("/monitoring/alerts/evaluate")

    @pytest.mark.asyncio
    async def test_without_auth_configured_health_is_the_status_only(
        self, alerting: AlertManager
    ) -> None:
        await alerting.evaluate()
        async with client(make_app(alerting.collector, alerting)) as http:
            response = await http.get("/monitoring/health/result-patterns")
        assert response.status_code == 200
        assert response.json() == {"status": "unhealthy"}
        assert _leaks(response.text) == []

    @pytest.mark.asyncio
    @pytest.mark.parametrize(
        "headers", [{}, {"X-API-Key": "guess"}, {"Authorization": "Bearer guess"}]
    )
    async def test_with_auth_and_no_valid_key_health_is_the_status_only(
        self, alerting: AlertManager, headers: dict[str, str]
    ) -> None:
        await alerting.evaluate()
        app = make_app(alerting.collector, alerting, auth=api_key_auth(KEY))
        async with client(app, headers=headers) as http:
            response = await http.get("/monitoring/health/result-patterns")
        assert response.json() == {"status": "unhealthy"}
        assert _leaks(response.text) == []

    @pytest.mark.asyncio
    async def test_with_a_valid_key_health_is_complete(self, alerting: AlertManager) -> None:
        await alerting.evaluate()
        app = make_app(alerting.collector, alerting, auth=api_key_auth(KEY))
        async with client(app, headers={"X-API-Key": KEY}) as http:
            body = (await http.get("/monitoring/health/result-patterns")).json()
        assert body["status"] == "unhealthy"
        assert [op["operation_name"] for op in body["operations"]] == [SECRET_OPERATION]
        assert body["operations"][0]["reasons"]
        assert [a["config"]["name"] for a in body["firing_alerts"]] == [ALERT_TEXT]

    @pytest.mark.asyncio
    async def test_a_custom_auth_dependency_decides_too(self, alerting: AlertManager) -> None:
        async def operators(request: Request) -> None:
            if request.headers.get("x-role") != "operator":
                raise HTTPException(403, detail=APIError.forbidden("operators only").to_dict())

        def sync_operators(request: Request) -> None:
            if request.headers.get("x-role") != "operator":
                raise HTTPException(403, detail="operators only")

        for auth in (operators, sync_operators):
            app = make_app(alerting.collector, alerting, auth=auth)
            async with client(app) as http:
                hidden = await http.get("/monitoring/health/result-patterns")
                shown = await http.get(
                    "/monitoring/health/result-patterns", headers={"x-role": "operator"}
                )
            assert set(hidden.json()) == {"status"}
            assert shown.json()["operations"][0]["operation_name"] == SECRET_OPERATION


HTML_CSP = re.compile(r"default-src 'self'.*frame-ancestors 'none'")


def _browser_paths(auth: bool) -> list[str]:
    pages = ["/monitoring/static/dashboard.css", "/monitoring/static/missing.css"]
    return pages + (["/monitoring/login"] if auth else [])


class TestHeaders:
    @pytest.mark.asyncio
    @pytest.mark.parametrize("auth", [None, api_key_auth(KEY)], ids=["no-auth", "auth"])
    @pytest.mark.parametrize("key", [None, KEY], ids=["anonymous", "with-key"])
    async def test_every_response_carries_the_security_headers(
        self, auth: APIKeyAuth | None, key: str | None
    ) -> None:
        app = make_app(auth=auth)
        headers = {"X-API-Key": key} if key else {}
        async with client(app, headers=headers) as http:
            responses = [await http.get(p) for p in reads(app) + _browser_paths(auth is not None)]
            responses += [await http.request(m, p, json={}) for m, p in changes(app)]
            responses.append(await http.get("/monitoring/operations?time_range=bogus"))
        assert len(responses) > 15
        kinds = set()
        for response in responses:
            where = (response.request.method, response.request.url.path, response.status_code)
            assert response.headers["x-content-type-options"] == "nosniff", where
            assert response.headers["referrer-policy"] == "no-referrer", where
            content_type = response.headers.get("content-type", "")
            kinds.add(content_type.split(";")[0])
            if content_type.startswith("text/css"):
                assert response.headers["cache-control"] == "max-age=300"
                continue
            assert response.headers["cache-control"] == "no-store", where
            policy = response.headers["content-security-policy"]
            if content_type.startswith("text/html"):
                assert HTML_CSP.search(policy), where
                assert response.headers["x-frame-options"] == "DENY"
            else:
                assert "frame-ancestors 'none'" in policy, where
        assert {"application/json", "text/css"} <= kinds
        if key or auth is None:
            assert "text/html" in kinds

    @pytest.mark.asyncio
    @pytest.mark.parametrize("auth", [None, api_key_auth(KEY)], ids=["no-auth", "auth"])
    async def test_pages_need_nothing_the_csp_blocks(self, auth: APIKeyAuth | None) -> None:
        app = make_app(auth=auth)
        async with client(app, headers={"X-API-Key": KEY}) as http:
            pages = [(await http.get("/monitoring/dashboard")).text]
            if auth is not None:
                pages.append((await http.get("/monitoring/login")).text)
            for html in pages:
                # No inline code: scripts only as files of the router's own origin or as a
                # JSON data block (never executed), no style elements or attributes.
                assert not re.search(r"<style|\sstyle=|\son[a-z]+=", html, re.I)
                for tag in re.findall(r"<script[^>]*>", html, re.I):
                    assert re.fullmatch(
                        r'<script (src="/monitoring/static/[a-z]+\.js" defer'
                        r'|type="application/json" id="[a-z-]+")>',
                        tag,
                    ), tag
                sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
                assert sheets
                for href in sheets:
                    url = href if href.startswith("/") else f"/monitoring/{href}"
                    sheet = await http.get(url)
                    assert sheet.status_code == 200
                    assert sheet.headers["content-type"] == "text/css; charset=utf-8"
                    assert b".card" in sheet.content


class TestBrowserLogin:
    @pytest.mark.asyncio
    async def test_login_sets_a_signed_httponly_strict_cookie(self) -> None:
        app = make_app(auth=api_key_auth(KEY))
        seen: list[str] = []

        async def record(request: httpx.Request) -> None:
            seen.append(str(request.url))

        async with client(app, event_hooks={"request": [record]}) as browser:
            html = {"accept": "text/html"}
            first = await browser.get("/monitoring/dashboard", headers=html)
            assert (first.status_code, first.headers["location"]) == (303, "login")
            form = await browser.get("/monitoring/login")
            assert 'name="api_key"' in form.text
            assert 'method="post"' in form.text
            wrong = await browser.post("/monitoring/login", data={"api_key": "guess"})
            assert wrong.status_code == 401
            assert "That key is not valid." in wrong.text
            assert SESSION_COOKIE not in browser.cookies
            signed_in = await browser.post("/monitoring/login", data={"api_key": KEY})
            assert (signed_in.status_code, signed_in.headers["location"]) == (303, "dashboard")
            cookie = signed_in.headers["set-cookie"]
            assert "HttpOnly" in cookie
            assert "SameSite=strict" in cookie
            assert "Path=/monitoring" in cookie
            assert "Secure" not in cookie  # plain http: a Secure cookie would never come back
            token = browser.cookies[SESSION_COOKIE]
            assert KEY not in token
            page = await browser.get("/monitoring/dashboard", headers=html)
            assert page.status_code == 200
            assert "log out" in page.text
            assert KEY not in page.text
            change = await browser.put("/monitoring/log-levels", json={"level": "INFO"})
            assert change.status_code == 200
            out = await browser.post("/monitoring/logout")
            assert (out.status_code, out.headers["location"]) == (303, "login")
            assert SESSION_COOKIE not in browser.cookies
            replayed = await browser.get(
                "/monitoring/operations", headers={"cookie": f"{SESSION_COOKIE}={token}"}
            )
            assert replayed.status_code == 401
        assert seen
        assert not [url for url in seen if KEY in url]

    @pytest.mark.asyncio
    async def test_over_https_the_cookie_is_secure(self) -> None:
        app = make_app(auth=api_key_auth(KEY))
        async with client(app, base_url="https://monitor.example") as browser:
            signed_in = await browser.post("/monitoring/login", data={"api_key": KEY})
        assert "Secure" in signed_in.headers["set-cookie"]

    @pytest.mark.asyncio
    async def test_a_cross_site_change_with_the_cookie_is_refused(self) -> None:
        app = make_app(auth=api_key_auth(KEY))
        async with client(app) as browser:
            await browser.post("/monitoring/login", data={"api_key": KEY})
            for headers in (
                {"origin": "https://evil.example"},
                {"sec-fetch-site": "cross-site"},
            ):
                response = await browser.put(
                    "/monitoring/log-levels", json={"level": "OFF"}, headers=headers
                )
                assert response.status_code == 401, headers
            same = await browser.put(
                "/monitoring/log-levels", json={"level": "INFO"}, headers={"origin": "http://test"}
            )
            assert same.status_code == 200

    @pytest.mark.asyncio
    @pytest.mark.parametrize(
        "forge",
        [
            lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
            lambda t: str(int(t.split(".")[0]) + 3600) + t[t.index(".") :],
            lambda t: KEY,
            lambda t: "x" * 10_000,
            lambda t: "1.2",
            lambda t: "9" * 20 + ".a.b",
        ],
        ids=["tampered-mac", "extended-expiry", "raw-key", "huge", "short", "huge-expiry"],
    )
    async def test_a_forged_cookie_is_refused(self, forge: Any) -> None:
        app = make_app(auth=api_key_auth(KEY))
        async with client(app) as browser:
            await browser.post("/monitoring/login", data={"api_key": KEY})
            token = browser.cookies[SESSION_COOKIE]
            browser.cookies.clear()
            response = await browser.get(
                "/monitoring/operations", headers={"cookie": f"{SESSION_COOKIE}={forge(token)}"}
            )
        assert response.status_code == 401

    @pytest.mark.asyncio
    async def test_a_session_expires_and_ends_with_its_key(self) -> None:
        clock = Clock()
        auth = APIKeyAuth([KEY, "second-key"], session_seconds=60, clock=clock)
        app = make_app(auth=auth)
        async with client(app) as browser:
            await browser.post("/monitoring/login", data={"api_key": "second-key"})
            assert (await browser.get("/monitoring/operations")).status_code == 200
            clock.now += 61
            assert (await browser.get("/monitoring/operations")).status_code == 401
            token = auth.login("second-key")
        assert auth.sessions.valid(token)
        assert not APIKeyAuth(KEY, clock=clock).sessions.valid(token)  # key removed: ended

    @pytest.mark.asyncio
    async def test_the_login_form_body_is_bounded_and_typed(self) -> None:
        app = make_app(auth=api_key_auth(KEY), max_body_bytes=1024)
        async with client(app) as browser:
            huge = await browser.post("/monitoring/login", data={"api_key": "k" * 5000})
            as_json = await browser.post("/monitoring/login", json={"api_key": KEY})
            signed_in = await browser.get("/monitoring/login")
        assert huge.status_code == 413
        assert as_json.status_code == 401
        assert "You are signed in" not in signed_in.text


class TestKeyNeverInURL:
    @pytest.mark.asyncio
    async def test_the_query_parameter_is_off_by_default(self) -> None:
        app = make_app(auth=api_key_auth(KEY))
        async with client(app) as http:
            for name in ("key", "api_key", "X-API-Key", "token"):
                response = await http.get("/monitoring/dashboard", params={name: KEY})
                assert response.status_code == 401, name

    def test_enabling_it_logs_a_warning(self, caplog: pytest.LogCaptureFixture) -> None:
        with caplog.at_level(logging.WARNING, logger="rfs_monitoring.dashboard_api"):
            api_key_auth(KEY, query_param="key")
        assert [r.getMessage() for r in caplog.records] == [
            "api_key_auth(query_param='key') accepts the API key in the URL: URLs are written "
            "to access logs, browser history and Referer headers; prefer the dashboard's "
            "login form (<prefix>/login) or the X-API-Key header"
        ]

    @pytest.mark.asyncio
    async def test_no_link_or_redirect_carries_the_key(self) -> None:
        app = make_app(auth=api_key_auth(KEY))
        async with client(app, follow_redirects=True) as browser:
            landed = await browser.post("/monitoring/login", data={"api_key": KEY})
            assert landed.url.path == "/monitoring/dashboard"
            hrefs = re.findall(r'(?:href|action)="([^"]*)"', landed.text)
        assert hrefs
        assert [h for h in hrefs if KEY in h or "key=" in h] == []
        assert all(KEY not in str(r.url) for r in [*landed.history, landed])


# Schemathesis over the router with auth on and off: no request makes it answer 5xx.
# (Its pytest plugin is off for the suite; its strategies are driven with Hypothesis directly,
# as in tests/reliability/test_reliability_http.py.)
MAX_EXAMPLES = 15
APPS = {
    "no-auth": make_app(max_alert_rules=5),
    "auth": make_app(auth=api_key_auth(KEY), max_alert_rules=5),
}
SCHEMAS = {name: schemathesis.openapi.from_asgi("/openapi.json", app) for name, app in APPS.items()}
FUZZ = [
    (name, op, mode, headers)
    for name, schema in SCHEMAS.items()
    for op in (result.ok() for result in schema.get_all_operations())
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    for headers in ([{}, {"X-API-Key": KEY}] if name == "auth" else [{}])
    if mode is GenerationMode.POSITIVE or len(op.query) or len(op.body)
]


@pytest.mark.parametrize(
    ("name", "operation", "mode", "headers"),
    FUZZ,
    ids=[f"{n} {op.label} {m.value}{' key' if h else ''}" for n, op, m, h in FUZZ],
)
def test_schemathesis_finds_no_5xx(
    name: str, operation: Any, mode: GenerationMode, headers: dict[str, str]
) -> None:
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: schemathesis.Case) -> None:
        try:
            response = case.call(headers=headers)
        finally:
            reset_logging()  # PUT /log-levels changes process-wide levels
        assert response.status_code < 500, (name, case.method, case.formatted_path, response.text)
        if name == "no-auth" and case.method != "GET":
            assert response.status_code in (400, 403, 413, 422), response.text

    check()
