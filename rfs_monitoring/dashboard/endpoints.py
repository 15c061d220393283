"""The monitoring API's endpoints, in small groups registered on one router.

Every endpoint is a Result-returning function served with ``@handle_result``: a
``Failure(APIError)`` becomes its HTTP status and APIError body. Each group (operations,
errors, health, charts, alerts, log levels, export, page) is a function registering its
routes through one shared ``RouteContext``; ``router.monitoring_router`` calls them all.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from rfs_monitoring.alerts import AlertConfiguration, AlertEvent, AlertManager, AlertStatus
from rfs_monitoring.dashboard.cache import SnapshotCache
from rfs_monitoring.dashboard.health import HealthThresholds, check_health, summarise
from rfs_monitoring.dashboard.models import (
    LogLevelRequest,
    LogLevelState,
    OperationSummary,
    ResultPatternHealth,
    SeriesPoint,
)
from rfs_monitoring.dashboard.queries import all_metrics, check_time_range
from rfs_monitoring.errors import APIError, ConfigurationError, ErrorCode, MissingExtraError
from rfs_monitoring.metrics import ErrorSummary, OperationMetrics, ResultMetricsCollector
from rfs_monitoring.result import Failure, Result, Success
from rfs_monitoring.result_logging import get_log_level, set_log_level

try:
    from fastapi import Request
    from fastapi.responses import HTMLResponse, PlainTextResponse
    from fastapi.routing import APIRouter

    from rfs_monitoring.dashboard.page import page_response
    from rfs_monitoring.dashboard.view import ChartRange, DashboardView, build_view
    from rfs_monitoring.web import FastAPIResult, api_error_responses, handle_result
except ImportError as exc:  # pragma: no cover - only without the extra
    raise MissingExtraError("rfs_monitoring.dashboard", "fastapi", exc.name or "fastapi") from exc

__all__ = [
    "LIMIT_RANGE",
    "MAX_OPERATION_CHARS",
    "RouteContext",
    "alert_change_routes",
    "alert_item_routes",
    "alert_read_routes",
    "chart_routes",
    "error_routes",
    "export_routes",
    "health_routes",
    "log_level_routes",
    "operation_routes",
    "page_routes",
]

LIMIT_RANGE = (1, 100)
"""The accepted ``limit`` of ``GET /errors/top``."""
MAX_OPERATION_CHARS = 200
"""The longest operation name ``PUT /log-levels`` accepts."""

_ALERT_STATES = ("ok", "pending", "firing", "resolved")


@dataclasses.dataclass(frozen=True)
class RouteContext:
    """What every route group needs: the router, the sources and the guards.

    ``guard``/``read_guard`` are the dependencies of changes and reads, ``guard_doc`` /
    ``read_doc`` the APIError responses they document (401 when guarded).
    """

    router: APIRouter
    collector: ResultMetricsCollector | None
    manager: AlertManager
    judge: HealthThresholds
    cache: SnapshotCache
    guard: list[Any]
    read_guard: list[Any]
    guard_doc: dict[int | str, dict[str, Any]]
    read_doc: dict[int | str, dict[str, Any]]

    def current(self) -> ResultMetricsCollector:
        """The collector served (the process-wide one unless one was given)."""
        return self.collector or ResultMetricsCollector.instance()

    @property
    def missing_doc(self) -> dict[int | str, dict[str, Any]]:
        """The documented errors of a read that can answer 404."""
        return {**self.read_doc, **api_error_responses([404])}


# --------------------------------------------------------------------------- route groups


def operation_routes(ctx: RouteContext) -> None:
    """GET /operations and /operations/{name}/metrics."""
    router, cache = ctx.router, ctx.cache

    @router.get("/operations", dependencies=ctx.read_guard, responses=ctx.read_doc)
    @handle_result
    async def list_operations(time_range: str = "1h") -> FastAPIResult[list[OperationSummary]]:
        """Every operation seen, with its headline figures over ``time_range``."""
        checked = check_time_range(time_range)
        if checked.is_failure():
            return Failure(checked.unwrap_error())
        window = checked.unwrap()

        async def compute() -> Result[list[OperationSummary], APIError]:
            figures = await all_metrics(ctx.current(), window)
            return Success([summarise(m, ctx.judge) for m in figures])

        return await cache.get(("operations", window), compute)

    @router.get(
        "/operations/{operation_name}/metrics",
        dependencies=ctx.read_guard,
        responses=ctx.missing_doc,
    )
    @handle_result
    async def get_operation_metrics(
        operation_name: str, time_range: str = "1h"
    ) -> FastAPIResult[OperationMetrics]:
        """The metrics of one operation (404 when unknown, 422 for a bad time_range)."""
        checked = check_time_range(time_range)
        if checked.is_failure():
            return Failure(checked.unwrap_error())
        window = checked.unwrap()

        async def compute() -> Result[OperationMetrics, APIError]:
            return await ctx.current().get_operation_metrics(operation_name, time_range=window)

        return await cache.get(("metrics", operation_name, window), compute)


def error_routes(ctx: RouteContext) -> None:
    """GET /errors/top."""

    @ctx.router.get("/errors/top", dependencies=ctx.read_guard, responses=ctx.read_doc)
    @handle_result
    async def get_top_errors(
        limit: int = 10, time_range: str = "1h", operation: str | None = None
    ) -> FastAPIResult[list[ErrorSummary]]:
        """The most frequent error groups (``limit`` in 1..100)."""
        low, high = LIMIT_RANGE
        if not low <= limit <= high:
            return Failure(
                APIError.validation_error(
                    f"limit {limit} is out of range; accepted: an integer from {low} to {high}",
                    field="limit",
                )
            )
        checked = check_time_range(time_range)
        if checked.is_failure():
            return Failure(checked.unwrap_error())
        window = checked.unwrap()

        async def compute() -> Result[list[ErrorSummary], APIError]:
            collector = ctx.current()
            return await collector.top_errors(limit=limit, time_range=window, operation=operation)

        return await ctx.cache.get(("errors", limit, window, operation), compute)


def health_routes(ctx: RouteContext) -> None:
    """GET /health/result-patterns (never guarded)."""

    @ctx.router.get("/health/result-patterns")
    @handle_result
    async def get_result_pattern_health() -> FastAPIResult[ResultPatternHealth]:
        """Overall health: success rate, per-operation status, firing alerts, drops, memory."""

        async def compute() -> Result[ResultPatternHealth, APIError]:
            return Success(await check_health(ctx.current(), ctx.manager, ctx.judge))

        return await ctx.cache.get(("health",), compute)


def chart_routes(ctx: RouteContext, chart_range: ChartRange, chart_points: int) -> None:
    """GET /timeseries: ``chart_points`` steps over ``chart_range``."""

    @ctx.router.get("/timeseries", dependencies=ctx.read_guard, responses=ctx.missing_doc)
    @handle_result
    async def get_timeseries(operation: str = "*") -> FastAPIResult[list[SeriesPoint]]:
        """Per-step requests, success rate and latency percentiles (the charts' data)."""
        collector = ctx.current()
        if operation != "*" and operation not in collector.operation_names():
            return Failure(APIError.not_found("operation", operation))
        chosen = None if operation == "*" else operation
        points = collector.series(chosen, chart_range, points=chart_points)
        return Success([SeriesPoint.of(p) for p in points])


def alert_read_routes(ctx: RouteContext) -> None:
    """GET /alerts and /alerts/history."""
    router, manager = ctx.router, ctx.manager

    @router.get("/alerts", dependencies=ctx.read_guard, responses=ctx.read_doc)
    @handle_result
    async def list_alerts(state: str | None = None) -> FastAPIResult[list[AlertStatus]]:
        """Every alert rule and its state (only those in ``state`` when given)."""
        alerts = manager.alerts()
        if state is None:
            return Success(alerts)
        if state not in _ALERT_STATES:
            return Failure(
                APIError.validation_error(
                    f"state {state!r} is not accepted; use one of {', '.join(_ALERT_STATES)}",
                    field="state",
                )
            )
        return Success([a for a in alerts if a.state == state])

    @router.get("/alerts/history", dependencies=ctx.read_guard, responses=ctx.read_doc)
    @handle_result
    async def alert_history(
        alert_id: str | None = None, limit: int = 100
    ) -> FastAPIResult[list[AlertEvent]]:
        """State changes, oldest first."""
        if limit < 1:
            return Failure(
                APIError.validation_error(
                    f"limit {limit} is out of range; accepted: an integer >= 1", field="limit"
                )
            )
        return Success(manager.history(alert_id, limit=limit))


def alert_change_routes(ctx: RouteContext) -> None:
    """POST /alerts/configure and /alerts/evaluate."""
    router, manager = ctx.router, ctx.manager

    @router.post(
        "/alerts/configure", status_code=201, dependencies=ctx.guard, responses=ctx.guard_doc
    )
    @handle_result
    async def configure_alert_thresholds(config: AlertConfiguration) -> FastAPIResult[str]:
        """Add an alert rule; returns its id."""
        return Success(manager.add(config))

    @router.post("/alerts/evaluate", dependencies=ctx.guard, responses=ctx.guard_doc)
    @handle_result
    async def evaluate_alerts() -> FastAPIResult[list[AlertEvent]]:
        """Evaluate every rule now; returns the state changes."""
        return Success(await manager.evaluate())


def alert_item_routes(ctx: RouteContext) -> None:
    """GET and DELETE /alerts/{alert_id}."""
    router, manager = ctx.router, ctx.manager

    @router.get("/alerts/{alert_id}", dependencies=ctx.read_guard, responses=ctx.missing_doc)
    @handle_result
    async def get_alert(alert_id: str) -> FastAPIResult[AlertStatus]:
        """One alert's rule and state."""
        status = manager.get(alert_id)
        return Success(status) if status else Failure(APIError.not_found("alert", alert_id))

    @router.delete(
        "/alerts/{alert_id}",
        dependencies=ctx.guard,
        responses={**ctx.guard_doc, **api_error_responses([404])},
    )
    @handle_result
    async def delete_alert(alert_id: str) -> FastAPIResult[AlertStatus]:
        """Remove an alert rule; returns it as it was."""
        status = manager.get(alert_id)
        if status is None:
            return Failure(APIError.not_found("alert", alert_id))
        manager.remove(alert_id)
        return Success(status)


def log_level_routes(ctx: RouteContext) -> None:
    """GET and PUT /log-levels."""

    @ctx.router.get("/log-levels", dependencies=ctx.read_guard, responses=ctx.read_doc)
    @handle_result
    async def read_log_level(operation: str | None = None) -> FastAPIResult[LogLevelState]:
        """The log level in force (for ``operation`` when given)."""
        return Success(LogLevelState(level=get_log_level(operation), operation=operation))

    @ctx.router.put("/log-levels", dependencies=ctx.guard, responses=ctx.guard_doc)
    @handle_result
    async def change_log_level(change: LogLevelRequest) -> FastAPIResult[LogLevelState]:
        """Change the log level, globally or for one operation."""
        operation = change.operation
        if operation is not None and (
            not 0 < len(operation) <= MAX_OPERATION_CHARS or not operation.isprintable()
        ):
            return Failure(
                APIError.validation_error(
                    f"operation must be 1 to {MAX_OPERATION_CHARS} printable characters, got "
                    f"{len(operation)} characters",
                    field="operation",
                )
            )
        try:
            set_log_level(change.level, operation=operation)
        except (ConfigurationError, ValueError, TypeError) as exc:
            return Failure(APIError.validation_error(str(exc), field="level"))
        return Success(LogLevelState(level=get_log_level(operation), operation=operation))


def _prometheus_text(
    collector: ResultMetricsCollector | None,
) -> Callable[[], Result[str, APIError]]:
    """Renders ``collector`` in the Prometheus text format through a private registry."""
    registries: list[Any] = []

    def render() -> Result[str, APIError]:
        try:
            from prometheus_client import CollectorRegistry, generate_latest

            from rfs_monitoring.export import PrometheusExporter
        except ImportError as exc:
            return Failure(
                APIError(
                    ErrorCode.SERVICE_UNAVAILABLE,
                    "Prometheus export needs prometheus_client; "
                    "install it with: pip install 'rfs-monitoring[prometheus]'",
                    {"missing": exc.name or "prometheus_client"},
                )
            )
        if not registries:
            registry = CollectorRegistry(auto_describe=True)
            registry.register(PrometheusExporter(collector))
            registries.append(registry)
        return Success(generate_latest(registries[0]).decode("utf-8"))

    return render


def export_routes(ctx: RouteContext) -> None:
    """GET /metrics: the Prometheus text exposition."""
    text = _prometheus_text(ctx.collector)

    @ctx.router.get(
        "/metrics",
        dependencies=ctx.read_guard,
        response_class=PlainTextResponse,
        responses={**ctx.read_doc, **api_error_responses([503])},
    )
    @handle_result
    async def prometheus_metrics() -> FastAPIResult[PlainTextResponse]:
        """Prometheus text exposition of the collector's figures."""
        return text().map(
            lambda body: PlainTextResponse(
                body, media_type="text/plain; version=0.0.4; charset=utf-8"
            )
        )


def page_routes(
    ctx: RouteContext,
    refresh_seconds: int,
    title: str,
    prefix: str,
    chart_range: ChartRange,
    chart_points: int,
) -> None:
    """GET /dashboard: the HTML page (its view-model cached like the JSON answers)."""

    @ctx.router.get(
        "/dashboard",
        dependencies=ctx.read_guard,
        response_class=HTMLResponse,
        responses=ctx.read_doc,
    )
    @handle_result
    async def dashboard(
        request: Request, time_range: str = "1h", operation: str = "*", refresh: int | None = None
    ) -> FastAPIResult[HTMLResponse]:
        """The HTML dashboard."""
        checked = check_time_range(time_range)
        if checked.is_failure():
            return Failure(checked.unwrap_error())
        every = refresh_seconds if refresh is None else max(0, refresh)
        window = checked.unwrap()

        async def compute() -> Result[DashboardView, APIError]:
            view = await build_view(
                ctx.current(),
                ctx.manager,
                ctx.judge,
                time_range=window,
                operation=operation,
                refresh_seconds=every,
                api_base=prefix,
                title=title,
                chart_range=chart_range,
                chart_points=chart_points,
            )
            return Success(view)

        view = await ctx.cache.get(("dashboard", window, operation, every), compute)
        return view.map(lambda shown: page_response(request, shown))
