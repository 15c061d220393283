"""The monitoring API's endpoints, in small groups registered on one router.

Every endpoint is a Result-returning function served with ``@handle_result``: a
``Failure(APIError)`` becomes its HTTP status and APIError body. Each group (operations,
errors, health, log levels, export here; alerts in ``alert_endpoints``; charts and the page
in ``page_endpoints``) is a function registering its routes through one shared
``RouteContext``; ``router.monitoring_router`` calls them all (re-exported here).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rfs_monitoring.dashboard.alert_endpoints import (
    alert_action_routes,
    alert_change_routes,
    alert_item_routes,
    alert_read_routes,
)
from rfs_monitoring.dashboard.health import health_report, summarise
from rfs_monitoring.dashboard.models import (
    HealthSummary,
    LogLevelRequest,
    LogLevelState,
    OperationSummary,
    ResultPatternHealth,
)
from rfs_monitoring.dashboard.page_endpoints import chart_routes, page_routes
from rfs_monitoring.dashboard.queries import all_metrics, check_time_range
from rfs_monitoring.dashboard.route_context import RouteContext
from rfs_monitoring.errors import APIError, ConfigurationError, ErrorCode, MissingExtraError
from rfs_monitoring.metrics import (
    ErrorExample,
    ErrorSummary,
    OperationMetrics,
    ResultMetricsCollector,
)
from rfs_monitoring.result import Failure, Result, Success
from rfs_monitoring.result_logging import get_log_level, set_log_level

try:
    import anyio.to_thread
    from fastapi import Depends
    from fastapi.responses import PlainTextResponse

    from rfs_monitoring.web import FastAPIResult, api_error_responses, handle_result
except ImportError as exc:  # pragma: no cover - only without the extra
    raise MissingExtraError("rfs_monitoring.dashboard", "fastapi", exc.name or "fastapi") from exc

__all__ = [
    "EXAMPLE_LIMIT_RANGE",
    "LIMIT_RANGE",
    "MAX_OPERATION_CHARS",
    "RouteContext",
    "alert_action_routes",
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
EXAMPLE_LIMIT_RANGE = (1, 20)
"""The accepted ``limit`` of ``GET /errors/examples`` (the collector keeps a few per group)."""
MAX_OPERATION_CHARS = 200
"""The longest operation name ``PUT /log-levels`` accepts."""

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
            source = ctx.current()
            covered = source.window(window)  # e.g. past the retention: a 422, not a 500
            if covered.is_failure():
                return Failure(covered.unwrap_error())
            figures = all_metrics(source, window)
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


def _window_with_limit(
    limit: int, accepted: tuple[int, int], time_range: str
) -> Result[str | float, APIError]:
    """The canonical ``time_range`` once ``limit`` is within ``accepted``; else the 422."""
    low, high = accepted
    if not low <= limit <= high:
        return Failure(
            APIError.validation_error(
                f"limit {limit} is out of range; accepted: an integer from {low} to {high}",
                field="limit",
            )
        )
    return check_time_range(time_range)


def error_routes(ctx: RouteContext) -> None:
    """GET /errors/top and /errors/examples."""

    @ctx.router.get("/errors/top", dependencies=ctx.read_guard, responses=ctx.read_doc)
    @handle_result
    async def get_top_errors(
        limit: int = 10, time_range: str = "1h", operation: str | None = None
    ) -> FastAPIResult[list[ErrorSummary]]:
        """The most frequent error groups (``limit`` in 1..100)."""
        checked = _window_with_limit(limit, LIMIT_RANGE, time_range)
        if isinstance(checked, Failure):
            return Failure(checked.unwrap_error())
        window = checked.unwrap()

        def compute() -> Result[list[ErrorSummary], APIError]:
            return ctx.current().ranked_errors(limit, window, operation)

        return await ctx.cache.get(("errors", limit, window, operation), compute)

    @ctx.router.get("/errors/examples", dependencies=ctx.read_guard, responses=ctx.read_doc)
    @handle_result
    async def get_error_examples(
        message: str | None = None,
        operation: str | None = None,
        time_range: str = "1h",
        limit: int = 5,
    ) -> FastAPIResult[list[ErrorExample]]:
        """The latest examples of an error group (``message`` as ``/errors/top`` shows it):
        time, masked message, correlation and trace ids; newest first."""
        checked = _window_with_limit(limit, EXAMPLE_LIMIT_RANGE, time_range)
        if isinstance(checked, Failure):
            return Failure(checked.unwrap_error())
        window = checked.unwrap()

        def compute() -> Result[list[ErrorExample], APIError]:
            source = ctx.current()
            covered = source.window(window)  # e.g. past the retention: a 422
            if covered.is_failure():
                return Failure(covered.unwrap_error())
            read = source.error_examples(window, operation=operation, message=message, limit=limit)
            return Success(read)

        return await ctx.cache.get(("examples", window, operation, message, limit), compute)


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


def _feed_the_fleet(collector: ResultMetricsCollector | None) -> None:
    """With ``PROMETHEUS_MULTIPROC_DIR`` set, this worker writes its figures to the shared
    directory from now on (every worker's /metrics then answers the sum); without
    prometheus_client, /metrics answers 503 as it says.

    Raises:
        ConfigurationError: the variable names no writable directory.
    """
    from rfs_monitoring.export import multiprocess_dir, start_multiprocess_export

    if multiprocess_dir() is not None:
        try:
            start_multiprocess_export(collector)
        except MissingExtraError:
            return


def export_routes(ctx: RouteContext) -> None:
    """GET /metrics: the Prometheus text exposition (the sum over the workers when
    ``PROMETHEUS_MULTIPROC_DIR`` is set)."""
    text = _prometheus_text(ctx.collector)
    _feed_the_fleet(ctx.collector)

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
