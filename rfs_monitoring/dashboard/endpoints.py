"""The monitoring API's endpoints, in small groups registered on one router.

Every endpoint is a Result-returning function served with ``@handle_result``: a
``Failure(APIError)`` becomes its HTTP status and APIError body. Each group (operations,
errors, health, charts, alerts, log levels, export, page) is a function registering its
routes through one shared ``RouteContext``; ``router.monitoring_router`` calls them all.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, cast

from rfs_monitoring import metrics
from rfs_monitoring.alerts import AlertConfiguration, AlertEvent, AlertManager, AlertStatus
from rfs_monitoring.dashboard.cache import SnapshotCache
from rfs_monitoring.dashboard.health import HealthThresholds, health_report, summarise
from rfs_monitoring.dashboard.models import (
    HealthSummary,
    LogLevelRequest,
    LogLevelState,
    OperationSummary,
    ResultPatternHealth,
    SeriesPoint,
)
from rfs_monitoring.dashboard.queries import all_metrics, check_time_range
from rfs_monitoring.dashboard.security import alert_capacity_error
from rfs_monitoring.errors import APIError, ConfigurationError, ErrorCode, MissingExtraError
from rfs_monitoring.metrics import ErrorSummary, OperationMetrics, ResultMetricsCollector, query
from rfs_monitoring.result import Failure, Result, Success
from rfs_monitoring.result_logging import get_log_level, set_log_level

try:
    import anyio.to_thread
    from fastapi import Depends, Request
    from fastapi.responses import HTMLResponse, PlainTextResponse
    from fastapi.routing import APIRouter

    from rfs_monitoring.dashboard.page import render_page
    from rfs_monitoring.dashboard.view import ChartRange, compose_view
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

_ALERT_STATES = ("ok", "pending", "firing", "resolved", "no_data")


@dataclasses.dataclass(frozen=True)
class RouteContext:
    """What every route group needs: the router, the sources and the guards.

    ``guard``/``read_guard`` are the dependencies of changes and reads, ``guard_doc`` /
    ``read_doc`` the APIError responses they document (401 when guarded, 403 read-only).
    ``viewer`` is a dependency telling whether a request passes ``auth`` (the health
    details); ``max_alert_rules`` caps the rules; ``logout``: the page shows a log-out button.
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
    viewer: Callable[..., Any]
    max_alert_rules: int
    logout: bool = False

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

        def compute() -> Result[list[OperationSummary], APIError]:
            figures = all_metrics(ctx.current(), window)
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

        def compute() -> Result[OperationMetrics, APIError]:
            return ctx.current().operation_metrics(operation_name, time_range=window)

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

        def compute() -> Result[list[ErrorSummary], APIError]:
            return query.top_errors(ctx.current(), limit, window, operation)

        return await ctx.cache.get(("errors", limit, window, operation), compute)


def health_routes(ctx: RouteContext) -> None:
    """GET /health/result-patterns (never refused; details only for a request passing auth)."""

    @ctx.router.get("/health/result-patterns")
    @handle_result
    async def get_result_pattern_health(
        shown: bool = Depends(ctx.viewer),
    ) -> FastAPIResult[ResultPatternHealth | HealthSummary]:
        """Overall health: the status only, unless the request passes the router's ``auth``:
        then success rate, per-operation status and reasons, firing alerts, drops, memory."""

        def compute() -> Result[ResultPatternHealth, APIError]:
            return Success(health_report(ctx.current(), ctx.manager, ctx.judge))

        health = await ctx.cache.get(("health",), compute)
        return health.map(lambda full: full if shown else HealthSummary(status=full.status))


def chart_routes(ctx: RouteContext, chart_range: ChartRange, chart_points: int) -> None:
    """GET /timeseries: ``chart_points`` steps over ``chart_range``."""

    @ctx.router.get("/timeseries", dependencies=ctx.read_guard, responses=ctx.missing_doc)
    @handle_result
    async def get_timeseries(operation: str = "*") -> FastAPIResult[list[SeriesPoint]]:
        """Per-step requests, success rate and latency percentiles (the charts' data)."""
        if operation != "*" and operation not in ctx.current().operation_names():
            return Failure(APIError.not_found("operation", operation))
        points = await _series(ctx, operation, chart_range, chart_points)
        return points.map(lambda read: [SeriesPoint.of(p) for p in read])


async def _series(
    ctx: RouteContext, operation: str, chart_range: ChartRange, chart_points: int
) -> Result[list[metrics.SeriesPoint], APIError]:
    """The chart steps of ``operation`` ("*": all), shared by /timeseries and every window
    of the dashboard (they do not depend on the window)."""

    def compute() -> Result[list[metrics.SeriesPoint], APIError]:
        chosen = None if operation == "*" else operation
        return Success(ctx.current().series(chosen, chart_range, points=chart_points))

    return await ctx.cache.get(("series", operation), compute)


async def _last_minute(ctx: RouteContext) -> OperationMetrics:
    """Every operation together over the last minute (a card of every dashboard window)."""

    def compute() -> Result[OperationMetrics, APIError]:
        collector = ctx.current()
        # per operation, pausing between them (``query.overall`` merges all in one go)
        return query.dashboard(collector, collector.operation_names(), "1m").map(
            lambda read: read.overall
        )

    figures = await ctx.cache.get(("overall", "1m"), compute)
    return cast(OperationMetrics, figures.unwrap())


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
        "/alerts/configure",
        status_code=201,
        dependencies=ctx.guard,
        responses={**ctx.guard_doc, **api_error_responses([409, 413])},
    )
    @handle_result
    async def configure_alert_thresholds(config: AlertConfiguration) -> FastAPIResult[str]:
        """Add an alert rule; returns its id (409 once ``max_alert_rules`` rules exist)."""
        full = alert_capacity_error(manager, ctx.max_alert_rules)
        return Failure(full) if full is not None else Success(manager.add(config))

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
        rendered = await anyio.to_thread.run_sync(text)
        return rendered.map(
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
        covered = query.window_of(ctx.current(), window)  # e.g. past the retention: a 422
        if covered.is_failure():
            return Failure(covered.unwrap_error())
        charted = operation if operation in ctx.current().operation_names() else "*"
        points = (await _series(ctx, charted, chart_range, chart_points)).unwrap()
        last_minute = await _last_minute(ctx)

        def compute() -> Result[str, APIError]:
            view = compose_view(
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
                points=points,
                last_minute=last_minute,
            )
            return Success(render_page(view, logout=ctx.logout))

        page = await ctx.cache.get(("dashboard", window, operation, every), compute)
        return page.map(HTMLResponse)
