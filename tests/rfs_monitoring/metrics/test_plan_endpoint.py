"""The plan's performance endpoint runs as written."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from rfs_monitoring import APIError, Failure, Result, Success
from rfs_monitoring.metrics import (
    OperationMetrics,
    ResultMetricsCollector,
)
from rfs_monitoring.web import FastAPIResult, install_result_routes


class PerformanceMetrics(BaseModel):
    operation: str
    requests: int
    success_rate: float
    p99_ms: float
    rps: float


def format_performance_report(metrics: OperationMetrics) -> Result[PerformanceMetrics, APIError]:
    return Success(
        PerformanceMetrics(
            operation=metrics.operation_name,
            requests=metrics.total_requests,
            success_rate=metrics.success_rate,
            p99_ms=metrics.p99_response_time_ms,
            rps=metrics.requests_per_second,
        )
    )


app = FastAPI()
install_result_routes(app)


@app.get("/analytics/performance")
async def get_performance_metrics() -> FastAPIResult[PerformanceMetrics]:
    return await (
        ResultMetricsCollector.instance()
        .get_operation_metrics("user_retrieval", time_range="1h")
        .bind_result(lambda metrics: format_performance_report(metrics))
    )


class TestPlanEndpoint:
    @pytest.fixture(autouse=True)
    def fresh_default(self) -> Iterator[ResultMetricsCollector]:
        mine = ResultMetricsCollector(resources=lambda: (None, None))
        previous = ResultMetricsCollector.set_instance(mine)
        yield mine
        ResultMetricsCollector.set_instance(previous)

    @pytest.mark.asyncio
    async def test_get_performance_metrics_serves_the_report(self) -> None:
        collector = ResultMetricsCollector.instance()
        for i in range(9):
            collector.record("user_retrieval", success=True, duration_ms=10.0 + i)
        collector.record_result("user_retrieval", Failure(APIError.not_found("user", 9)), 50.0)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/analytics/performance")
        assert response.status_code == 200
        body = response.json()
        assert body["operation"] == "user_retrieval"
        assert (body["requests"], body["success_rate"]) == (10, 0.9)
        # rank floor(0.99 * 9) = 8 of [10 .. 18, 50]
        assert body["p99_ms"] == pytest.approx(18.0, rel=0.01)

    @pytest.mark.asyncio
    async def test_an_operation_never_seen_is_a_404(self) -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/analytics/performance")
        assert response.status_code == 404
        assert response.json()["code"] == "NOT_FOUND"
        assert response.json()["message"] == "operation user_retrieval not found"
