"""The router's defences piece by piece: session tokens, the health viewer, body caps, login.

The attacks themselves are in tests/security/test_router_security.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Header, Request
from fastapi.exceptions import HTTPException

from rfs_monitoring.alerts import AlertManager
from rfs_monitoring.dashboard.auth import SESSION_COOKIE, APIKeyAuth
from rfs_monitoring.dashboard.page import page_response
from rfs_monitoring.dashboard.sessions import SessionSigner
from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.metrics import ResultMetricsCollector

from .support import KEY, make_app, record, view_of


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def client(app: FastAPI, **kwargs: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t", **kwargs)


class TestSessionSigner:
    @pytest.mark.parametrize("bad", [0, -1, float("inf"), float("nan"), True, "60"])
    def test_bad_max_age(self, bad: object) -> None:
        with pytest.raises(ConfigurationError) as info:
            SessionSigner([b"k"], max_age=bad)  # type: ignore[arg-type]
        assert str(info.value) == (
            f"session_seconds must be a finite number of seconds > 0, got {bad!r}"
        )

    def test_a_token_names_no_key_and_checks_against_every_key(self) -> None:
        signer = SessionSigner([b"first", b"second"], clock=Clock())
        token = signer.issue(1)
        assert "first" not in token
        assert "second" not in token
        assert signer.valid(token)
        assert not SessionSigner([b"first"], clock=Clock()).valid(token)

    @pytest.mark.parametrize("token", [None, "", "a.b", "x.y.z", "1.2.3.4", "１.a.b", "1.a.b"])
    def test_malformed_tokens_are_invalid_and_revoking_them_is_a_no_op(
        self, token: str | None
    ) -> None:
        signer = SessionSigner([b"k"], clock=Clock())
        assert not signer.valid(token)
        signer.revoke(token)

    def test_revoked_tokens_are_bounded_and_expired_ones_forgotten(self) -> None:
        clock = Clock()
        signer = SessionSigner([b"k"], max_age=10, clock=clock)
        first = signer.issue(0)
        signer.revoke(first)
        assert not signer.valid(first)
        for _ in range(10_000):
            signer.revoke(signer.issue(0))
        assert signer.valid(signer.issue(0))
        clock.now += 11
        signer.revoke(signer.issue(0))  # the 10,000 expired ones are dropped here
        assert not signer.valid(first)


class TestViewer:
    @pytest.fixture
    def app_with(self, collector: ResultMetricsCollector, manager: AlertManager) -> Any:
        record(collector, "op", ok=1)

        def build(auth: Any) -> FastAPI:
            return make_app(collector, manager, auth=auth)

        return build

    @pytest.mark.asyncio
    async def test_a_yield_dependency_gives_the_status_only(self, app_with: Any) -> None:
        def auth(request: Request) -> Iterator[None]:
            yield

        async with client(app_with(auth)) as http:
            body = (await http.get("/monitoring/health/result-patterns")).json()
        assert body == {"status": "healthy"}

    @pytest.mark.asyncio
    async def test_a_dependency_with_an_unreadable_signature_gives_the_status_only(
        self, app_with: Any
    ) -> None:
        def auth(request: Request, role: UnknownType = None) -> None:  # type: ignore[name-defined]  # noqa: F821
            return None

        async with client(app_with(auth)) as http:
            body = (await http.get("/monitoring/health/result-patterns")).json()
        assert body == {"status": "healthy"}

    @pytest.mark.asyncio
    async def test_the_dependency_s_own_parameters_are_resolved(self, app_with: Any) -> None:
        def auth(x_role: str = Header(default="")) -> None:
            if x_role != "operator":
                raise HTTPException(status_code=403, detail="operators only")

        async with client(app_with(auth)) as http:
            terse = (await http.get("/monitoring/health/result-patterns")).json()
            full = (
                await http.get("/monitoring/health/result-patterns", headers={"x-role": "operator"})
            ).json()
        assert terse == {"status": "healthy"}
        assert full["operations"][0]["operation_name"] == "op"


class TestBodyCap:
    @pytest.mark.asyncio
    @pytest.mark.parametrize("length", ["9" * 20, "100000"])
    async def test_a_declared_length_over_the_cap_is_refused_unread(
        self, collector: ResultMetricsCollector, manager: AlertManager, length: str
    ) -> None:
        app = make_app(collector, manager, max_body_bytes=1000)
        async with client(app, headers={"X-API-Key": KEY}) as http:
            request = http.build_request("PUT", "/monitoring/log-levels", content=b"{}")
            request.headers["content-length"] = length
            response = await http.send(request)
        assert response.status_code == 413
        assert response.json()["code"] == "PAYLOAD_TOO_LARGE"

    @pytest.mark.asyncio
    async def test_a_small_body_passes(
        self, collector: ResultMetricsCollector, manager: AlertManager
    ) -> None:
        app = make_app(collector, manager, max_body_bytes=1000)
        async with client(app, headers={"X-API-Key": KEY}) as http:
            response = await http.post(
                "/monitoring/alerts/configure", json={"metric": "rps", "threshold": 1}
            )
        assert response.status_code == 201


class TestLoginPages:
    @pytest.mark.asyncio
    async def test_signed_in_the_login_page_offers_the_dashboard_and_log_out(
        self, collector: ResultMetricsCollector, manager: AlertManager
    ) -> None:
        async with client(make_app(collector, manager)) as browser:
            await browser.post("/monitoring/login", data={"api_key": KEY})
            page = await browser.get("/monitoring/login")
        assert "You are signed in" in page.text
        assert 'action="logout"' in page.text

    @pytest.mark.asyncio
    async def test_json_clients_get_401_not_a_redirect(
        self, collector: ResultMetricsCollector, manager: AlertManager
    ) -> None:
        async with client(make_app(collector, manager)) as http:
            as_json = await http.get("/monitoring/dashboard")
            posted = await http.post("/monitoring/alerts/evaluate", headers={"accept": "text/html"})
        assert as_json.status_code == 401
        assert posted.status_code == 401

    @pytest.mark.asyncio
    async def test_without_api_key_auth_there_is_no_login(
        self, collector: ResultMetricsCollector, manager: AlertManager
    ) -> None:
        def custom(request: Request) -> None:
            return None

        for auth in (None, custom):
            async with client(make_app(collector, manager, auth=auth)) as http:
                assert (await http.get("/monitoring/login")).status_code == 404
                page = await http.get("/monitoring/dashboard")
            assert "log out" not in page.text

    @pytest.mark.asyncio
    async def test_the_query_parameter_still_works_when_enabled(
        self, collector: ResultMetricsCollector, manager: AlertManager
    ) -> None:
        auth = APIKeyAuth(KEY, query_param="key")
        async with client(make_app(collector, manager, auth=auth)) as http:
            assert (await http.get("/monitoring/operations", params={"key": KEY})).is_success
            assert SESSION_COOKIE not in http.cookies


class TestPageResponse:
    @pytest.mark.asyncio
    async def test_the_page_response_can_show_the_log_out_button(
        self, collector: ResultMetricsCollector, manager: AlertManager
    ) -> None:
        view = await view_of(collector, manager)
        scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""}
        with_button = page_response(Request(scope), view, logout=True)
        without = page_response(Request(scope), view)
        assert b'action="/monitoring/logout"' in bytes(with_button.body)
        assert b"log out" not in bytes(without.body)
