"""Access: with auth configured, every protected endpoint of the monitoring router answers
401/403 without it (the dashboard and the Prometheus endpoint included); only the health
endpoint stays open, with the overall status only. Without auth every change answers 403
(read-only). The endpoints are enumerated from the app's routes, so a route added later is
covered without editing this file."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException

from rfs_monitoring.dashboard_api import api_key_auth
from rfs_monitoring.errors import APIError
from rfs_monitoring.metrics import ResultMetricsCollector
from rfs_monitoring.result_logging import reset_logging

KEY = "k3y-0f-the-0perator"
OPEN = {("GET", "/monitoring/health/result-patterns")}
BODIES = {
    ("POST", "/monitoring/alerts/configure"): {"metric": "error_rate", "threshold": 0.5},
    ("PUT", "/monitoring/log-levels"): {"level": "INFO"},
}


CHANGES = {
    ("POST", "/monitoring/alerts/configure"),
    ("POST", "/monitoring/alerts/evaluate"),
    ("DELETE", "/monitoring/alerts/alert-000000000000"),
    ("POST", "/monitoring/alerts/alert-000000000000/acknowledge"),
    ("POST", "/monitoring/alerts/alert-000000000000/silence"),
    ("DELETE", "/monitoring/alerts/alert-000000000000/silence"),
    ("PUT", "/monitoring/log-levels"),
}


def endpoints(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) of the monitoring router, from the app's OpenAPI document."""
    found = []
    for path, operations in app.openapi()["paths"].items():
        if path.startswith("/monitoring"):
            concrete = path.replace("{operation_name}", "checkout").replace(
                "{alert_id}", "alert-000000000000"
            )
            found.extend((method.upper(), concrete) for method in operations)
    return sorted(found)


def call_all(app: FastAPI, headers: dict[str, str]) -> dict[tuple[str, str], httpx.Response]:
    async def run() -> dict[tuple[str, str], httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            out = {}
            for method, path in endpoints(app):
                out[method, path] = await http.request(
                    method, path, json=BODIES.get((method, path)), headers=headers
                )
            return out

    try:
        return asyncio.run(run())
    finally:
        reset_logging()  # PUT /log-levels changed the level


@pytest.fixture
def guarded(collector: ResultMetricsCollector, app_factory: Callable[..., FastAPI]) -> FastAPI:
    collector.record("checkout", success=True, duration_ms=1.0)
    return app_factory(collector, auth=api_key_auth(KEY))


def test_every_route_is_enumerated(guarded: FastAPI) -> None:
    found = endpoints(guarded)
    assert len(found) == 20
    assert ("GET", "/monitoring/dashboard") in found
    assert ("GET", "/monitoring/metrics") in found


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-API-Key": "wrong"},
        {"X-API-Key": ""},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {KEY}"},
        {"X-API-Key": KEY[:-1]},
        {"X-API-Key": KEY + " "},
        {"Cookie": f"X-API-Key={KEY}"},
    ],
    ids=["none", "wrong", "empty", "bearer-wrong", "basic", "prefix", "trailing-space", "cookie"],
)
def test_every_protected_endpoint_refuses_without_the_key(
    guarded: FastAPI, headers: dict[str, str]
) -> None:
    responses = call_all(guarded, headers)
    for (method, path), response in responses.items():
        if (method, path) in OPEN:
            assert response.status_code == 200, path
            assert response.json() == {"status": "healthy"}, path
            continue
        assert response.status_code == 401, (method, path, response.status_code)
        assert response.json()["code"] == "UNAUTHORIZED"
        assert set(response.json()) == {"code", "message", "details"}
        assert KEY not in response.text


def test_the_key_in_the_query_string_is_refused_unless_enabled(guarded: FastAPI) -> None:
    async def run() -> int:
        transport = httpx.ASGITransport(app=guarded)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            return (await http.get("/monitoring/dashboard", params={"key": KEY})).status_code

    assert asyncio.run(run()) == 401


@pytest.mark.parametrize(
    "headers", [{"X-API-Key": KEY}, {"Authorization": f"Bearer {KEY}"}], ids=["header", "bearer"]
)
def test_with_the_key_no_endpoint_refuses(guarded: FastAPI, headers: dict[str, str]) -> None:
    responses = call_all(guarded, headers)
    for (method, path), response in responses.items():
        assert response.status_code not in (401, 403), (method, path)
        assert response.status_code < 500, (method, path, response.text)


def test_a_forbidding_dependency_answers_403_everywhere(
    collector: ResultMetricsCollector, app_factory: Callable[..., FastAPI]
) -> None:
    def operators_only(request: Request) -> None:
        if request.headers.get("X-Role") != "operator":
            error = APIError.forbidden("the operator role is required")
            raise HTTPException(status_code=403, detail=error.to_dict())

    app = app_factory(collector, auth=operators_only)
    for (method, path), response in call_all(app, {"X-Role": "viewer"}).items():
        if (method, path) in OPEN:
            continue
        assert response.status_code == 403, (method, path)
        assert response.json() == {
            "code": "FORBIDDEN",
            "message": "the operator role is required",
            "details": {},
        }


def test_open_reads_still_guard_every_change(
    collector: ResultMetricsCollector, app_factory: Callable[..., FastAPI]
) -> None:
    app = app_factory(collector, auth=api_key_auth(KEY), protect_reads=False)
    for (method, path), response in call_all(app, {}).items():
        if (method, path) in CHANGES:
            assert response.status_code == 401, (method, path)
        else:
            assert response.status_code != 401, (method, path)


def test_without_auth_every_change_is_403_and_every_read_open(
    collector: ResultMetricsCollector, app_factory: Callable[..., FastAPI]
) -> None:
    collector.record("checkout", success=True, duration_ms=1.0)
    responses = call_all(app_factory(collector), {})
    assert {k for k in responses if k[0] != "GET"} == CHANGES
    for (method, path), response in responses.items():
        if (method, path) in CHANGES:
            assert response.status_code == 403, (method, path)
            assert response.json()["code"] == "FORBIDDEN"
            assert "auth=api_key_auth(...)" in response.json()["message"]
        else:
            assert response.status_code in (200, 404, 503), (method, path)
    assert responses["GET", "/monitoring/health/result-patterns"].json() == {"status": "healthy"}
