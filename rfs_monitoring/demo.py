"""The demo behind ``rfs-monitoring demo``: the plan's user service, monitored, with traffic.

``create_app()`` builds the FastAPI app of the plan's target patterns: ``GET /users/{user_id}``
is ``get_user`` exactly as in the plan (``@handle_result`` over ``@log_result_operation``
over a ``MonoResult`` chain with ``log_step`` / ``log_error`` / ``timeout(5.0)``), backed by a
small in-memory user service; ``GET /analytics/performance`` is the plan's
``get_performance_metrics``; the monitoring router is mounted under ``/monitoring``.
``TrafficGenerator`` sends it successes, not-founds, validation errors and timeouts, so the
dashboard has something to show; ``demo_server.run()`` serves both (``rfs-monitoring demo``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
import time
from collections import Counter
from collections.abc import Callable

from rfs_monitoring.alerts import AlertManager
from rfs_monitoring.dashboard import api_key_auth, monitoring_router
from rfs_monitoring.errors import APIError, ConfigurationError, MissingExtraError
from rfs_monitoring.metrics import OperationMetrics, ResultMetricsCollector
from rfs_monitoring.mono import MonoResult
from rfs_monitoring.result import Failure, Result, Success
from rfs_monitoring.result_logging import log_result_operation

try:
    import httpx
    from fastapi import FastAPI

    from rfs_monitoring.web import (
        CorrelationIdMiddleware,
        FastAPIResult,
        handle_result,
        install_result_routes,
    )
except ImportError as exc:  # pragma: no cover - only without the extra
    raise MissingExtraError("rfs-monitoring demo", "fastapi", exc.name or "fastapi") from exc

__all__ = [
    "InMemoryUserService",
    "PerformanceMetrics",
    "TrafficGenerator",
    "UserRecord",
    "UserResponse",
    "create_app",
    "demo_alert_manager",
    "format_performance_report",
    "validate_user_response",
]

SLOW_USER_ID = "u-slow"
"""A user whose lookup hangs longer than ``get_user``'s 5 s timeout (served as 504)."""


@dataclasses.dataclass(frozen=True)
class UserRecord:
    """A user as the service stores it."""

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
    """The performance report of ``GET /analytics/performance``.

    ``availability_percent`` counts calls without a server fault or timeout;
    ``client_error_percent`` the 4xx answers (the caller's fault, shown, not unhealthy).
    ``requests_per_second`` is over the part of the window holding data,
    ``current_requests_per_second`` over the last minute.
    """

    operation: str
    time_window: str
    total_requests: int
    success_rate_percent: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    requests_per_second: float
    error_breakdown: dict[str, int]
    availability_percent: float = 100.0
    client_error_percent: float = 0.0
    current_requests_per_second: float = 0.0


class InMemoryUserService:
    """A user store with a little latency; ``SLOW_USER_ID`` hangs for ``slow_seconds``.

    Args:
        users: the stored users.
        latency_ms: the (low, high) range of the simulated lookup latency.
        slow_seconds: how long a lookup of ``SLOW_USER_ID`` hangs.
        seed: seeds the latency generator.
    """

    def __init__(
        self,
        users: dict[str, UserRecord] | None = None,
        *,
        latency_ms: tuple[float, float] = (2.0, 40.0),
        slow_seconds: float = 6.0,
        seed: int | None = None,
    ) -> None:
        self.users = dict(users) if users is not None else default_users()
        self.latency_ms = latency_ms
        self.slow_seconds = slow_seconds
        self._random = random.Random(seed)

    async def get_user_async(self, user_id: str) -> Result[UserRecord, APIError]:
        """Look a user up; ``Failure(APIError.not_found(...))`` when there is none."""
        low, high = self.latency_ms
        await asyncio.sleep(self._random.uniform(low, high) / 1000.0)
        if user_id == SLOW_USER_ID:
            await asyncio.sleep(self.slow_seconds)
        user = self.users.get(user_id)
        if user is None:
            return Failure(APIError.not_found("user", user_id))
        return Success(user)


def default_users() -> dict[str, UserRecord]:
    """Twenty valid users (u-001..u-020) and three with broken data (u-bad-1..3)."""
    users = {
        f"u-{n:03d}": UserRecord(f"u-{n:03d}", f"User {n}", f"user{n}@example.com")
        for n in range(1, 21)
    }
    for n in range(1, 4):
        users[f"u-bad-{n}"] = UserRecord(f"u-bad-{n}", "", f"broken-{n}")
    users[SLOW_USER_ID] = UserRecord(SLOW_USER_ID, "Slow User", "slow@example.com")
    return users


def validate_user_response(user: UserRecord) -> Result[UserResponse, APIError]:
    """A stored user as a response, or a validation error naming the bad field."""
    if not user.name:
        return Failure(APIError.validation_error(f"user {user.user_id} has no name", field="name"))
    if "@" not in user.email:
        return Failure(
            APIError.validation_error(
                f"user {user.user_id} has an invalid email address", field="email"
            )
        )
    return Success(UserResponse(user.user_id, user.name, user.email))


def format_performance_report(metrics: OperationMetrics) -> Result[PerformanceMetrics, APIError]:
    """The collector's figures as the performance report."""
    return Success(
        PerformanceMetrics(
            operation=metrics.operation_name,
            time_window=metrics.time_window,
            total_requests=metrics.total_requests,
            success_rate_percent=round(metrics.success_rate * 100.0, 2),
            p50_ms=round(metrics.p50_response_time_ms, 2),
            p90_ms=round(metrics.p90_response_time_ms, 2),
            p99_ms=round(metrics.p99_response_time_ms, 2),
            requests_per_second=round(metrics.requests_per_second, 3),
            error_breakdown=dict(metrics.error_breakdown),
            availability_percent=round(metrics.availability * 100.0, 2),
            client_error_percent=round(metrics.client_error_rate * 100.0, 2),
            current_requests_per_second=round(metrics.current_requests_per_second, 3),
        )
    )


def demo_alert_manager(collector: ResultMetricsCollector | None = None) -> AlertManager:
    """An alert manager with the demo's rules (the generated errors and timeouts fire two).

    The first judges client errors (not-found, validation) on purpose: by default health and
    alerts judge availability and latency, and a rule on ``client_error_rate`` is how a user
    asks to be told about client errors too.
    """
    manager = AlertManager(collector, interval=2.0)
    manager.add(
        {
            "name": "user lookups: many client errors",
            "operation": "user_retrieval",
            "metric": "client_error_rate",
            "threshold": 0.2,
            "window": "1m",
            "for_seconds": 4,
        }
    )
    manager.add(
        {
            "name": "user lookups timing out",
            "operation": "user_retrieval",
            "metric": "max_latency",
            "threshold": 4000,
            "window": "1m",
            "severity": "critical",
        }
    )
    manager.add(
        {
            "name": "no traffic",
            "operation": "*",
            "metric": "rps",
            "comparison": "<",
            "threshold": 0.1,
            "window": "1m",
            "for_seconds": 30,
        }
    )
    return manager


def create_app(
    user_service: InMemoryUserService | None = None,
    *,
    collector: ResultMetricsCollector | None = None,
    alert_manager: AlertManager | None = None,
    lifespan: Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]] | None = None,
    api_key: str | None = None,
) -> FastAPI:
    """The demo app: the plan's user endpoint, its performance report, the monitoring router.

    With ``api_key`` the monitoring API needs that key (header ``X-API-Key``, or a browser
    session from ``/monitoring/login``); without it the monitoring API is read-only.
    """
    user_service = user_service or InMemoryUserService()
    app = FastAPI(title="rfs-monitoring demo", lifespan=lifespan)
    install_result_routes(app)
    app.add_middleware(CorrelationIdMiddleware)

    # The plan's target pattern, as written there (the ResultTimeoutError of .timeout() is
    # an APIError with code TIMEOUT, served as 504).
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

    app.include_router(
        monitoring_router(
            collector,
            alert_manager if alert_manager is not None else demo_alert_manager(collector),
            chart_points=150,  # 2 s steps over the default 5 minutes
            title="rfs-monitoring demo",
            auth=api_key_auth(api_key) if api_key else None,
        )
    )
    return app


@dataclasses.dataclass
class TrafficMix:
    """Relative weights of the request kinds the traffic generator sends."""

    ok: float = 0.75
    not_found: float = 0.15
    invalid: float = 0.10


class TrafficGenerator:
    """Sends requests to the demo app: successes, not-founds, validation errors, timeouts.

    ``workers`` tasks share a budget of ``rps`` requests per second; one more task keeps one
    lookup of the slow user in flight at a time (each ends in a 504 after 5 s).

    Args:
        base_url: where the app listens.
        rps: the total rate of the fast requests.
        workers: concurrent fast-request tasks.
        mix: the weights of ok / not-found / invalid lookups.
        seed: seeds the choice of requests.
        transport: the httpx transport (default: the network).
    """

    def __init__(
        self,
        base_url: str,
        *,
        rps: float = 20.0,
        workers: int = 4,
        mix: TrafficMix | None = None,
        seed: int | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if rps <= 0 or workers < 1:
            msg = f"TrafficGenerator needs rps > 0 and workers >= 1, got {rps!r}, {workers!r}"
            raise ConfigurationError(msg)
        self.base_url = base_url
        self.rps = rps
        self.workers = workers
        self.mix = mix or TrafficMix()
        self.sent: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.failures = 0
        self._random = random.Random(seed)
        self._transport = transport

    def _pick(self) -> tuple[str, str]:
        kinds = ("ok", "not_found", "invalid")
        weights = (self.mix.ok, self.mix.not_found, self.mix.invalid)
        kind = self._random.choices(kinds, weights)[0]
        if kind == "ok":
            return kind, f"/users/u-{self._random.randint(1, 20):03d}"
        if kind == "not_found":
            return kind, f"/users/u-{self._random.randint(900, 999)}"
        return kind, f"/users/u-bad-{self._random.randint(1, 3)}"

    async def send(self, client: httpx.AsyncClient, kind: str, path: str) -> None:
        """GET ``path``, counting it under ``kind`` and its status (or as a failure)."""
        try:
            response = await client.get(path)
        except httpx.HTTPError:
            self.failures += 1
            return
        self.sent[kind] += 1
        self.statuses[response.status_code] += 1

    async def wait_ready(self, client: httpx.AsyncClient, timeout: float = 30.0) -> bool:
        """Whether the app answered its health endpoint within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                await client.get("/monitoring/health/result-patterns")
            except httpx.HTTPError:
                await asyncio.sleep(0.05)
                continue
            return True
        return False

    async def _worker(self, client: httpx.AsyncClient, index: int) -> None:
        pause = self.workers / self.rps
        await asyncio.sleep(pause * index / self.workers)
        count = 0
        while True:
            kind, path = self._pick()
            await self.send(client, kind, path)
            count += 1
            if index == 0 and count % 20 == 0:
                await self.send(client, "report", "/analytics/performance")
            await asyncio.sleep(pause * self._random.uniform(0.5, 1.5))

    async def _slow_worker(self, client: httpx.AsyncClient) -> None:
        while True:
            await self.send(client, "timeout", f"/users/{SLOW_USER_ID}")
            await asyncio.sleep(0.5)

    async def run(self) -> None:
        """Send traffic until cancelled."""
        async with httpx.AsyncClient(
            base_url=self.base_url, timeout=15.0, transport=self._transport
        ) as client:
            if not await self.wait_ready(client):
                self.failures += 1
                return
            tasks = [asyncio.ensure_future(self._worker(client, i)) for i in range(self.workers)]
            tasks.append(asyncio.ensure_future(self._slow_worker(client)))
            try:
                await asyncio.gather(*tasks)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
