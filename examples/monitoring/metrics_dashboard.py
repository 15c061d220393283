"""A monitored FastAPI service: the plan's endpoints plus the monitoring router and dashboard.

Run: ``python examples/monitoring/metrics_dashboard.py [--port 8000] [--duration S]``, then
open http://127.0.0.1:8000/monitoring/dashboard (and call ``/users/u-001`` a few times).

- ``GET /users/{user_id}``: ``get_user`` exactly as in the plan (``@handle_result`` over
  ``@log_result_operation`` over a logged ``MonoResult`` chain with a timeout);
- ``GET /analytics/performance``: the plan's ``get_performance_metrics``, built from
  ``ResultMetricsCollector.instance().get_operation_metrics(...)``;
- ``/monitoring/...``: the monitoring API (operations, metrics, health, top errors, alerts,
  log levels) and the HTML dashboard, from ``monitoring_router()``.

``test_testing_patterns.py`` beside this file tests this service with pytest-rfs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses

import uvicorn
from fastapi import FastAPI

from rfs_monitoring import (
    AlertManager,
    APIError,
    CorrelationIdMiddleware,
    Failure,
    FastAPIResult,
    MonoResult,
    OperationMetrics,
    Result,
    ResultMetricsCollector,
    Success,
    configure_logging,
    handle_result,
    install_result_routes,
    log_result_operation,
    monitoring_router,
)


@dataclasses.dataclass(frozen=True)
class UserRecord:
    """A user as the user service stores it."""

    user_id: str
    name: str
    email: str


@dataclasses.dataclass(frozen=True)
class UserResponse:
    """A user as the API serves it."""

    user_id: str
    name: str
    email: str


@dataclasses.dataclass(frozen=True)
class PerformanceMetrics:
    """The body of ``GET /analytics/performance``."""

    operation: str
    time_window: str
    total_requests: int
    success_rate: float
    p50_ms: float
    p99_ms: float
    requests_per_second: float
    error_breakdown: dict[str, int]


class UserService:
    """An in-memory user service; ``get_user_async`` returns a Result, never raises."""

    def __init__(self, users: dict[str, UserRecord]) -> None:
        self.users = users

    async def get_user_async(self, user_id: str) -> Result[UserRecord, APIError]:
        """The stored user, or ``Failure(APIError.not_found(...))``."""
        await asyncio.sleep(0.002)  # a database round trip
        user = self.users.get(user_id)
        if user is None:
            return Failure(APIError.not_found("user", user_id))
        return Success(user)


user_service = UserService(
    {
        "u-001": UserRecord("u-001", "Kim Minji", "minji@example.com"),
        "u-002": UserRecord("u-002", "Lee Jun", "jun@example.com"),
        "u-bad": UserRecord("u-bad", "", "not-an-email"),
    }
)


def validate_user_response(user: UserRecord) -> Result[UserResponse, APIError]:
    """A stored user as a response, or a validation error naming the bad field."""
    if not user.name:
        return Failure(APIError.validation_error(f"user {user.user_id} has no name", field="name"))
    if "@" not in user.email:
        message = f"user {user.user_id} has an invalid email address"
        return Failure(APIError.validation_error(message, field="email"))
    return Success(UserResponse(user.user_id, user.name, user.email))


def format_performance_report(metrics: OperationMetrics) -> Result[PerformanceMetrics, APIError]:
    """The collector's figures as the performance report."""
    return Success(
        PerformanceMetrics(
            operation=metrics.operation_name,
            time_window=metrics.time_window,
            total_requests=metrics.total_requests,
            success_rate=metrics.success_rate,
            p50_ms=metrics.p50_response_time_ms,
            p99_ms=metrics.p99_response_time_ms,
            requests_per_second=metrics.requests_per_second,
            error_breakdown=dict(metrics.error_breakdown),
        )
    )


app = FastAPI(title="rfs-monitoring example: user service")
install_result_routes(app)  # before the routes: `-> FastAPIResult[T]` endpoints, OpenAPI errors
app.add_middleware(CorrelationIdMiddleware)  # X-Correlation-ID in, bound for the logs, echoed


# The plan's target pattern, as written there.
@app.get("/users/{user_id}")
@handle_result
@log_result_operation("user_retrieval")  # 자동 로깅 데코레이터
async def get_user(user_id: str) -> Result[UserResponse, APIError]:
    return await (
        MonoResult.from_async_result(lambda: user_service.get_user_async(user_id))
        .log_step("user_service_call")  # 중간 단계 로깅
        .bind_result(lambda user: validate_user_response(user))
        .log_step("user_validation")
        .map_error(lambda e: APIError.from_service_error(e))
        .log_error("user_retrieval_error")  # 에러 전용 로깅
        .timeout(5.0)
        .to_result()
    )


@app.get("/analytics/performance")
async def get_performance_metrics() -> FastAPIResult[PerformanceMetrics]:
    return await (
        ResultMetricsCollector.instance()
        .get_operation_metrics("user_retrieval", time_range="1h")
        .bind_result(lambda metrics: format_performance_report(metrics))
    )


alerts = AlertManager(interval=5.0)
alerts.add(
    {
        "name": "user lookups unavailable",
        "operation": "user_retrieval",
        "metric": "availability",
        "comparison": "<",
        "threshold": 0.95,
        "window": "5m",
    }
)
# Open for the example; in production pass auth=api_key_auth("...") or your own dependency.
app.include_router(monitoring_router(alert_manager=alerts, title="user service"))


def main(argv: list[str] | None = None) -> int:
    """Serve the app on 127.0.0.1 with uvicorn, JSON logs on stdout."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000, help="default: 8000 (0: any free)")
    parser.add_argument("--duration", type=float, default=None, help="stop after S seconds")
    args = parser.parse_args(argv)
    configure_logging(json=True, service_name="user-service", environment="example")
    config = uvicorn.Config(app, host="127.0.0.1", port=args.port, log_config=None)
    server = uvicorn.Server(config)

    async def serve() -> None:
        if args.duration is not None:
            asyncio.get_running_loop().call_later(
                args.duration, setattr, server, "should_exit", True
            )
        await server.serve()

    # uvicorn shuts down gracefully on Ctrl+C, then re-raises the interrupt: a normal stop.
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
