"""``monitoring_router(...)``: the monitoring API and dashboard as a FastAPI APIRouter.

=======  ==========================================  ===========================================
method   path (under ``prefix``, "/monitoring")      answer
=======  ==========================================  ===========================================
GET      /operations?time_range=1h                   ``OperationSummary`` per operation
GET      /operations/{name}/metrics?time_range=1h    ``OperationMetrics`` (404 unknown, 422 range)
GET      /health/result-patterns                     ``ResultPatternHealth`` (never needs auth)
GET      /errors/top?limit=10&time_range=1h          ``ErrorSummary`` list (limit 1..100)
GET      /timeseries?operation=*                     ``SeriesPoint`` list (the dashboard charts)
POST     /alerts/configure                           the new alert id (201)
GET      /alerts, /alerts/history, /alerts/{id}      ``AlertStatus`` / ``AlertEvent`` s
DELETE   /alerts/{id}                                the removed ``AlertStatus`` (404 unknown)
POST     /alerts/evaluate                            the state changes of an evaluation now
GET/PUT  /log-levels                                 ``LogLevelState`` (``set_log_level``)
GET      /metrics                                    Prometheus text (the ``prometheus`` extra)
GET      /dashboard                                  one self-refreshing HTML page, no CDN
=======  ==========================================  ===========================================
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from rfs_monitoring.alerts import AlertManager
from rfs_monitoring.dashboard.cache import SnapshotCache
from rfs_monitoring.dashboard.health import HealthThresholds
from rfs_monitoring.dashboard.queries import is_finite_number
from rfs_monitoring.dashboard.view import DEFAULT_CHART_POINTS, DEFAULT_CHART_RANGE, ChartRange
from rfs_monitoring.errors import ConfigurationError, MissingExtraError
from rfs_monitoring.metrics import ResultMetricsCollector, parse_time_range

try:
    from fastapi import Depends, FastAPI
    from fastapi.routing import APIRouter

    from rfs_monitoring.dashboard import endpoints
    from rfs_monitoring.dashboard.routing import MonitoringRoute
    from rfs_monitoring.web import api_error_responses
except ImportError as exc:  # pragma: no cover - only without the extra
    raise MissingExtraError("rfs_monitoring.dashboard", "fastapi", exc.name or "fastapi") from exc

__all__ = ["monitoring_router"]

# The documented logger of the open-API warning (the module's old, public name).
_logger = logging.getLogger("rfs_monitoring.dashboard_api")
_OPEN_WARNING = (
    "the monitoring API at %s is open: no auth is configured; anyone who can reach it can "
    "read metrics and change alerts and log levels (pass auth=api_key_auth(...))"
)


def _check_access(prefix: object, auth: object) -> None:
    if not isinstance(prefix, str) or (prefix and (prefix[0] != "/" or prefix.endswith("/"))):
        msg = (
            "monitoring_router prefix must be '' or start with '/' and not end with '/', "
            f"got {prefix!r}"
        )
        raise ConfigurationError(msg)
    if auth is not None and not callable(auth):
        msg = f"monitoring_router auth must be a FastAPI dependency (a callable), got {auth!r}"
        raise ConfigurationError(msg)


def _check_page(refresh_seconds: object, chart_range: object, chart_points: object) -> None:
    if (
        isinstance(refresh_seconds, bool)
        or not isinstance(refresh_seconds, int)
        or refresh_seconds < 0
    ):
        msg = f"monitoring_router refresh_seconds must be an int >= 0, got {refresh_seconds!r}"
        raise ConfigurationError(msg)
    parsed = parse_time_range(chart_range)
    if parsed.is_failure():
        raise ConfigurationError("monitoring_router chart_range: " + parsed.unwrap_error().message)
    if isinstance(chart_points, bool) or not isinstance(chart_points, int) or chart_points < 1:
        msg = f"monitoring_router chart_points must be an int >= 1, got {chart_points!r}"
        raise ConfigurationError(msg)


def _check_figures(thresholds: object, cache_seconds: object) -> None:
    if not is_finite_number(cache_seconds) or cache_seconds < 0:  # type: ignore[operator]
        msg = (
            "monitoring_router cache_seconds must be a number of seconds >= 0, "
            f"got {cache_seconds!r}"
        )
        raise ConfigurationError(msg)
    if thresholds is not None and not isinstance(thresholds, HealthThresholds):
        msg = f"monitoring_router thresholds must be HealthThresholds, got {thresholds!r}"
        raise ConfigurationError(msg)


def _lifespan(manager: AlertManager, start_alerts: bool) -> Callable[[FastAPI], Any]:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        started = start_alerts and not manager.running
        if started:
            manager.start()
        try:
            yield
        finally:
            if started:
                await manager.stop()

    return lifespan


def _context(
    router: APIRouter,
    collector: ResultMetricsCollector | None,
    manager: AlertManager,
    thresholds: HealthThresholds | None,
    auth: Callable[..., Any] | None,
    protect_reads: bool,
    cache_seconds: float,
) -> endpoints.RouteContext:
    guard = [Depends(auth)] if auth is not None else []
    # APIError bodies documented in OpenAPI: only the statuses each route can answer.
    guard_doc = api_error_responses([401] if auth is not None else [])
    return endpoints.RouteContext(
        router=router,
        collector=collector,
        manager=manager,
        judge=thresholds or HealthThresholds(),
        cache=SnapshotCache(cache_seconds),
        guard=guard,
        read_guard=guard if protect_reads else [],
        guard_doc=guard_doc,
        read_doc=guard_doc if protect_reads else api_error_responses([]),
    )


def monitoring_router(
    collector: ResultMetricsCollector | None = None,
    alert_manager: AlertManager | None = None,
    *,
    auth: Callable[..., Any] | None = None,
    prefix: str = "/monitoring",
    protect_reads: bool = True,
    thresholds: HealthThresholds | None = None,
    refresh_seconds: int = 5,
    start_alerts: bool = True,
    title: str = "rfs-monitoring",
    cache_seconds: float = 1.0,
    chart_range: ChartRange = DEFAULT_CHART_RANGE,
    chart_points: int = DEFAULT_CHART_POINTS,
) -> APIRouter:
    """The monitoring API and dashboard as a FastAPI APIRouter (``app.include_router(...)``).

    Args:
        collector: the collector served; None uses ``ResultMetricsCollector.instance()``
            (read at each request).
        alert_manager: the alert manager served; None creates one on the collector.
        auth: a FastAPI dependency (``api_key_auth(...)`` or your own) that raises to refuse a
            request. When given, every endpoint but health requires it. Without it a warning
            is logged on ``rfs_monitoring.dashboard_api`` that the API is open.
        prefix: the path prefix ("" or a path starting with "/" and not ending with one).
        protect_reads: with ``auth``, False leaves the read endpoints open and guards only the
            changes (alerts, log levels).
        thresholds: when operations count as degraded/unhealthy.
        refresh_seconds: the dashboard reloads itself this often (0: never).
        start_alerts: the router's lifespan runs the alert manager's background evaluation
            (the app must include the router, which merges the lifespans).
        title: the dashboard's title.
        cache_seconds: the collector-derived answers (operations, metrics, health, top
            errors, the dashboard page) are computed at most once per query in this period
            and served from memory meanwhile; 0 computes every answer afresh.
        chart_range: the span of the charts and of ``GET /timeseries`` (five minutes).
        chart_points: the steps the charts divide ``chart_range`` into (read from the
            collector's own buckets, ``ResultMetricsCollector.series``).

    Raises:
        ConfigurationError: a bad prefix, auth, refresh_seconds, thresholds, cache_seconds,
            chart_range or chart_points.
    """
    _check_figures(thresholds, cache_seconds)
    _check_access(prefix, auth)
    _check_page(refresh_seconds, chart_range, chart_points)
    manager = alert_manager if alert_manager is not None else AlertManager(collector)
    if auth is None:
        _logger.warning(_OPEN_WARNING, prefix or "/")
    router = APIRouter(
        prefix=prefix,
        tags=["monitoring"],
        lifespan=_lifespan(manager, start_alerts),
        route_class=MonitoringRoute,
    )
    ctx = _context(router, collector, manager, thresholds, auth, protect_reads, cache_seconds)
    endpoints.operation_routes(ctx)
    endpoints.health_routes(ctx)
    endpoints.error_routes(ctx)
    endpoints.chart_routes(ctx, chart_range, chart_points)
    # The fixed paths (/alerts/history) come before the /alerts/{alert_id} ones.
    endpoints.alert_read_routes(ctx)
    endpoints.alert_change_routes(ctx)
    endpoints.alert_item_routes(ctx)
    endpoints.log_level_routes(ctx)
    endpoints.export_routes(ctx)
    endpoints.page_routes(ctx, refresh_seconds, title, prefix, chart_range, chart_points)
    return router
