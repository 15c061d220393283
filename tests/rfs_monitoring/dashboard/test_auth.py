"""api_key_auth and the router's guards: which endpoints need a key, and how it is read."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import HTTPException, Request

from rfs_monitoring.alerts import AlertManager
from rfs_monitoring.dashboard import (
    api_key_auth,
    monitoring_router,
)
from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.metrics import ResultMetricsCollector

from .support import make_app, record

READS = [
    ("GET", "/monitoring/operations", None),
    ("GET", "/monitoring/operations/op/metrics", None),
    ("GET", "/monitoring/errors/top", None),
    ("GET", "/monitoring/timeseries", None),
    ("GET", "/monitoring/alerts", None),
    ("GET", "/monitoring/alerts/history", None),
    ("GET", "/monitoring/alerts/alert-x", None),
    ("GET", "/monitoring/log-levels", None),
    ("GET", "/monitoring/metrics", None),
    ("GET", "/monitoring/dashboard", None),
]
CHANGES = [
    ("POST", "/monitoring/alerts/configure", {"metric": "rps", "threshold": 1}),
    ("POST", "/monitoring/alerts/evaluate", None),
    ("DELETE", "/monitoring/alerts/alert-x", None),
    ("PUT", "/monitoring/log-levels", {"level": "INFO"}),
]


@pytest_asyncio.fixture
async def guarded(
    collector: ResultMetricsCollector, manager: AlertManager
) -> AsyncIterator[httpx.AsyncClient]:
    app = make_app(collector, manager, auth=api_key_auth(["s3cret", "other"]))
    record(collector, "op", ok=1)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        yield http


class TestAuth:
    @pytest.mark.parametrize(("method", "path", "body"), READS + CHANGES)
    @pytest.mark.asyncio
    @pytest.mark.usefixtures("restore_log_level")
    async def test_every_endpoint_but_health_needs_the_key(
        self, guarded: httpx.AsyncClient, method: str, path: str, body: Any
    ) -> None:
        refused = await guarded.request(method, path, json=body)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "ApiKey"
        assert refused.json() == {
            "code": "UNAUTHORIZED",
            "message": "a valid API key is required (header X-API-Key)",
            "details": {},
        }
        wrong = await guarded.request(method, path, json=body, headers={"X-API-Key": "guess"})
        assert wrong.status_code == 401
        allowed = await guarded.request(method, path, json=body, headers={"X-API-Key": "s3cret"})
        assert allowed.status_code != 401
        bearer = await guarded.request(
            method, path, json=body, headers={"Authorization": "Bearer other"}
        )
        assert bearer.status_code != 401

    @pytest.mark.asyncio
    async def test_health_stays_open_with_the_status_only(self, guarded: httpx.AsyncClient) -> None:
        response = await guarded.get("/monitoring/health/result-patterns")
        assert response.status_code == 200
        assert response.json() == {"status": "healthy"}
        full = await guarded.get(
            "/monitoring/health/result-patterns", headers={"X-API-Key": "s3cret"}
        )
        assert full.json()["operations"][0]["operation_name"] == "op"

    @pytest.mark.asyncio
    @pytest.mark.usefixtures("restore_log_level")
    async def test_unprotected_reads_still_guard_changes(
        self, collector: ResultMetricsCollector, manager: AlertManager
    ) -> None:
        app = make_app(collector, manager, auth=api_key_auth("k"), protect_reads=False)
        record(collector, "op", ok=1)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as http:
            for method, path, body in READS:
                response = await http.request(method, path, json=body)
                assert response.status_code != 401, path
            for method, path, body in CHANGES:
                response = await http.request(method, path, json=body)
                assert response.status_code == 401, path

    @pytest.mark.asyncio
    async def test_query_parameter_key_for_browsers(
        self, collector: ResultMetricsCollector, manager: AlertManager
    ) -> None:
        app = make_app(collector, manager, auth=api_key_auth("k", query_param="key"))
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as http:
            assert (await http.get("/monitoring/dashboard?key=k")).status_code == 200
            assert (await http.get("/monitoring/dashboard?key=x")).status_code == 401
            bearer_off = make_app(collector, manager, auth=api_key_auth("k", allow_bearer=False))
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=bearer_off), base_url="http://t"
        ) as http:
            response = await http.get(
                "/monitoring/operations", headers={"Authorization": "Bearer k"}
            )
            assert response.status_code == 401

    @pytest.mark.asyncio
    async def test_any_dependency_is_accepted(
        self, collector: ResultMetricsCollector, manager: AlertManager
    ) -> None:
        async def only_admins(request: Request) -> None:
            if request.headers.get("x-role") != "admin":
                raise HTTPException(status_code=403, detail="admins only")

        app = make_app(collector, manager, auth=only_admins)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as http:
            assert (await http.get("/monitoring/alerts")).status_code == 403
            ok = await http.get("/monitoring/alerts", headers={"x-role": "admin"})
            assert ok.status_code == 200

    def test_open_api_logs_a_warning(
        self,
        caplog: pytest.LogCaptureFixture,
        collector: ResultMetricsCollector,
        manager: AlertManager,
    ) -> None:
        with caplog.at_level(logging.WARNING, logger="rfs_monitoring.dashboard_api"):
            monitoring_router(collector, manager, prefix="/ops")
        assert [r.getMessage() for r in caplog.records] == [
            "the monitoring API at /ops has no auth dependency, so it is read-only (changes "
            "answer 403) and anyone who can reach it can read metrics; give monitoring_router "
            "an auth dependency such as api_key_auth(...)"
        ]
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="rfs_monitoring.dashboard_api"):
            monitoring_router(collector, manager, auth=api_key_auth("k"))
        assert caplog.records == []

    @pytest.mark.parametrize("keys", ["", [], ["ok", ""], [3]])
    def test_api_key_auth_needs_keys(self, keys: Any) -> None:
        with pytest.raises(ConfigurationError) as info:
            api_key_auth(keys)
        assert str(info.value) == (
            f"api_key_auth needs one or more non-empty string keys, got {keys!r}"
        )
