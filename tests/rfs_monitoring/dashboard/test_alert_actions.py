"""The alert endpoints people act through: acknowledge, silence, history; auth required."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from rfs_monitoring.alerts import AlertManager
from rfs_monitoring.dashboard import monitoring_router
from rfs_monitoring.dashboard.security import READ_ONLY_MESSAGE
from rfs_monitoring.metrics import ResultMetricsCollector

from .support import FakeClock, record


async def firing_alert(manager: AlertManager, collector: ResultMetricsCollector) -> str:
    alert_id = manager.add({"operation": "op", "metric": "error_count", "threshold": 0})
    record(collector, "op", failed=1, code="INTERNAL_ERROR")
    await manager.evaluate()
    return alert_id


class TestActions:
    @pytest.mark.asyncio
    async def test_acknowledge_then_silence_then_lift(
        self,
        client: httpx.AsyncClient,
        manager: AlertManager,
        collector: ResultMetricsCollector,
        clock: FakeClock,
    ) -> None:
        alert_id = await firing_alert(manager, collector)
        response = await client.post(f"/monitoring/alerts/{alert_id}/acknowledge")
        assert response.status_code == 200
        assert response.json()["acknowledged_at"] == "2023-11-14T22:13:20Z"
        response = await client.post(
            f"/monitoring/alerts/{alert_id}/silence", json={"seconds": 3600}
        )
        assert response.status_code == 200
        assert response.json()["silenced_until"] == "2023-11-14T23:13:20Z"
        response = await client.delete(f"/monitoring/alerts/{alert_id}/silence")
        assert response.status_code == 200
        assert response.json()["silenced_until"] is None
        history = (await client.get("/monitoring/alerts/history")).json()
        assert [e["action"] for e in history] == [
            "transition",
            "transition",
            "acknowledged",
            "silenced",
            "unsilenced",
        ]

    @pytest.mark.asyncio
    async def test_the_page_offers_the_actions_with_auth(
        self, client: httpx.AsyncClient, manager: AlertManager, collector: ResultMetricsCollector
    ) -> None:
        alert_id = await firing_alert(manager, collector)
        page = (await client.get("/monitoring/dashboard")).text
        assert f'<tr data-alert-id="{alert_id}">' in page
        assert 'data-act="acknowledge"' in page
        assert 'data-act="silence"' in page
        data = (await client.get("/monitoring/dashboard/data")).json()
        assert data["can_act"] is True
        assert data["alerts"][0]["alert_id"] == alert_id

    @pytest.mark.asyncio
    async def test_acknowledging_an_alert_that_is_not_firing_is_409(
        self, client: httpx.AsyncClient, manager: AlertManager
    ) -> None:
        alert_id = manager.add({"operation": "op", "metric": "error_count", "threshold": 0})
        response = await client.post(f"/monitoring/alerts/{alert_id}/acknowledge")
        assert response.status_code == 409
        assert response.json()["code"] == "CONFLICT"
        assert response.json()["details"] == {"state": "ok"}

    @pytest.mark.asyncio
    async def test_unknown_alerts_are_404_and_bad_periods_422(
        self, client: httpx.AsyncClient, manager: AlertManager
    ) -> None:
        for method, path in (
            ("POST", "/monitoring/alerts/alert-x/acknowledge"),
            ("DELETE", "/monitoring/alerts/alert-x/silence"),
        ):
            response = await client.request(method, path)
            assert response.status_code == 404
            assert response.json()["code"] == "NOT_FOUND"
        alert_id = manager.add({"operation": "op", "metric": "rps", "threshold": 1})
        response = await client.post(f"/monitoring/alerts/{alert_id}/silence", json={"seconds": 0})
        assert response.status_code == 422
        assert response.json()["message"].startswith("seconds 0.0 is out of range")
        response = await client.post(f"/monitoring/alerts/{alert_id}/silence", json={})
        assert response.status_code == 422

    @pytest.mark.asyncio
    async def test_the_history_limit_is_bounded(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/monitoring/alerts/history?limit=1001")
        assert response.status_code == 422
        assert response.json()["message"] == (
            "limit 1001 is out of range; accepted: an integer from 1 to 1000"
        )


class TestGuards:
    @pytest.mark.asyncio
    async def test_without_the_key_every_action_is_401(
        self, app: FastAPI, manager: AlertManager, collector: ResultMetricsCollector
    ) -> None:
        alert_id = await firing_alert(manager, collector)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as http:
            for method, action in (
                ("POST", "acknowledge"),
                ("POST", "silence"),
                ("DELETE", "silence"),
            ):
                response = await http.request(
                    method, f"/monitoring/alerts/{alert_id}/{action}", json={"seconds": 60}
                )
                assert response.status_code == 401
        assert manager.get(alert_id).acknowledged_at is None  # type: ignore[union-attr]

    @pytest.mark.asyncio
    async def test_a_read_only_router_refuses_with_403(
        self, manager: AlertManager, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        alert_id = await firing_alert(manager, collector)
        app = FastAPI()
        app.include_router(
            monitoring_router(collector, manager, start_alerts=False, cache_seconds=0)
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as http:
            response = await http.post(f"/monitoring/alerts/{alert_id}/acknowledge")
            assert response.status_code == 403
            assert response.json()["message"] == READ_ONLY_MESSAGE
            response = await http.post(
                f"/monitoring/alerts/{alert_id}/silence", json={"seconds": 60}
            )
            assert response.status_code == 403
            page = (await http.get("/monitoring/dashboard")).text
        assert "data-act=" not in page
        assert 'data-can-act="no"' in page
