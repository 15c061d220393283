"""``monitoring_router(...)``: the monitoring API and dashboard as a FastAPI APIRouter.

=======  ==========================================  ===========================================
method   path (under ``prefix``, "/monitoring")      answer
=======  ==========================================  ===========================================
GET      /operations?time_range=1h                   ``OperationSummary`` per operation
GET      /operations/{name}/metrics?time_range=1h    ``OperationMetrics`` (404 unknown, 422 range)
GET      /health/result-patterns                     status only; ``ResultPatternHealth`` with auth
GET      /errors/top?limit=10&time_range=1h          ``ErrorSummary`` list (limit 1..100)
GET      /timeseries?operation=*                     ``SeriesPoint`` list (the dashboard charts)
POST     /alerts/configure                           the new alert id (201)
GET      /alerts, /alerts/history, /alerts/{id}      ``AlertStatus`` / ``AlertEvent`` s
DELETE   /alerts/{id}                                the removed ``AlertStatus`` (404 unknown)
POST     /alerts/evaluate                            the state changes of an evaluation now
POST     /alerts/{id}/acknowledge                    the ``AlertStatus`` (409 when not firing)
POST     /alerts/{id}/silence                        silence notifications ``{"seconds": s}``
DELETE   /alerts/{id}/silence                        lift the silence
GET      /errors/examples?message=...                ``ErrorExample`` s of an error group
GET/PUT  /log-levels                                 ``LogLevelState`` (``set_log_level``)
GET      /metrics                                    Prometheus text (the ``prometheus`` extra)
GET      /dashboard                                  the HTML page (then updated in place), no CDN
GET      /dashboard/data                             the page's view-model as JSON (polled)
GET      /static/{name}                              the page's stylesheet and script
GET/POST /login, POST /logout                        browser sessions (``api_key_auth`` only)
=======  ==========================================  ===========================================

Secure by default: without ``auth`` every change answers 403 (read-only) and health shows
only the overall status; bodies over ``max_body_bytes`` answer 413, rules past
``max_alert_rules`` 409; every response carries nosniff, no-referrer and no-store, HTML a
Content-Security-Policy without inline code (see ``security``).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from rfs_monitoring.alerts import AlertManager
from rfs_monitoring.dashboard.cache import SnapshotCache
from rfs_monitoring.dashboard.health import HealthThresholds
from rfs_monitoring.dashboard.queries import is_finite_number
from rfs_monitoring.dashboard.security import (
    DEFAULT_MAX_ALERT_RULES,
    DEFAULT_MAX_BODY_BYTES,
    read_only_refusal,
    viewer,
)
from rfs_monitoring.dashboard.view import DEFAULT_CHART_POINTS, DEFAULT_CHART_RANGE, ChartRange
from rfs_monitoring.errors import ConfigurationError, MissingExtraError
from rfs_monitoring.masking import masked_logger
from rfs_monitoring.metrics import MetricsSource, ResultMetricsCollector, parse_time_range

try:
    from fastapi import Depends, FastAPI
    from fastapi.routing import APIRouter

    from rfs_monitoring.dashboard import browser, endpoints
    from rfs_monitoring.dashboard.auth import APIKeyAuth
    from rfs_monitoring.dashboard.routing import MonitoringRoute
    from rfs_monitoring.web import api_error_responses
except ImportError as exc:  # pragma: no cover - only without the extra
    raise MissingExtraError("rfs_monitoring.dashboard", "fastapi", exc.name or "fastapi") from exc

__all__ = ["monitoring_router"]

# The documented logger of the open-API warning (the module's old, public name).
_logger = masked_logger("rfs_monitoring.dashboard_api")
_OPEN_WARNING = (
    "the monitoring API at %s has no auth dependency, so it is read-only (changes answer "
    "403) and anyone who can reach it can read metrics; give monitoring_router an auth "
    "dependency such as api_key_auth(...)"
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


def _check_caps(max_alert_rules: object, max_body_bytes: object) -> None:
    for name, value in (("max_alert_rules", max_alert_rules), ("max_body_bytes", max_body_bytes)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            msg = f"monitoring_router {name} must be an int >= 1, got {value!r}"
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
    max_alert_rules: int,
    source: MetricsSource | None = None,
) -> endpoints.RouteContext:
    # Without auth the API is read-only: every change is refused with 403.
    guard = [Depends(auth if auth is not None else read_only_refusal)]
    # APIError bodies documented in OpenAPI: only the statuses each route can answer.
    guard_doc = api_error_responses([401] if auth is not None else [403])
    read_guard = guard if auth is not None and protect_reads else []
    read_doc = guard_doc if read_guard else api_error_responses([])
    return endpoints.RouteContext(
        router=router,
        collector=collector,
        manager=manager,
        judge=thresholds or HealthThresholds(),
        cache=SnapshotCache(cache_seconds),
        guard=guard,
        read_guard=read_guard,
        guard_doc=guard_doc,
        read_doc=read_doc,
        viewer=viewer(auth),
        max_alert_rules=max_alert_rules,
        logout=isinstance(auth, APIKeyAuth),
        can_act=auth is not None,
        source=source,
    )


def _check_source(collector: object, source: object) -> None:
    if source is None:
        return
    if collector is not None:
        msg = (
            "monitoring_router takes a collector or a source, not both; got collector="
            f"{collector!r} and source={source!r}"
        )
        raise ConfigurationError(msg)
    if not isinstance(source, MetricsSource):
        msg = (
            "monitoring_router source must be a MetricsSource (a ResultMetricsCollector or "
            f"rfs_monitoring.sources.PrometheusSource), got {source!r}"
        )
        raise ConfigurationError(msg)


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
    max_alert_rules: int = DEFAULT_MAX_ALERT_RULES,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    source: MetricsSource | None = None,
) -> APIRouter:
    """The monitoring API and dashboard as a FastAPI APIRouter (``app.include_router(...)``).

    Args:
        collector: the collector served; None uses ``ResultMetricsCollector.instance()``
            (read at each request).
        alert_manager: the alert manager served; None creates one on the source (or the
            collector).
        source: where the figures come from instead of a collector: any
            ``rfs_monitoring.metrics.MetricsSource``, e.g.
            ``rfs_monitoring.sources.PrometheusSource("http://127.0.0.1:9090")`` to show
            every worker and host (``GET /metrics`` still exports this process's
            collector). A source that cannot answer gives 503s.
        auth: a FastAPI dependency (``api_key_auth(...)`` or your own) that raises to refuse a
            request. When given, every endpoint but health requires it, and health shows its
            details only to requests passing it. Without it the API is read-only: every
            change answers 403, health shows only the overall status, and a warning is
            logged on ``rfs_monitoring.dashboard_api``. With ``api_key_auth`` browsers sign
            in at ``<prefix>/login`` (a session cookie; the key never goes in a URL).
        prefix: the path prefix ("" or a path starting with "/" and not ending with one).
        protect_reads: with ``auth``, False leaves the read endpoints open and guards only the
            changes (alerts, log levels).
        thresholds: when operations count as degraded/unhealthy.
        refresh_seconds: the dashboard's script polls its data this often and updates the
            page in place (0: never).
        start_alerts: the router's lifespan runs the alert manager's background evaluation
            (the app must include the router, which merges the lifespans).
        title: the dashboard's title.
        cache_seconds: the collector-derived answers (operations, metrics, health, top
            errors, the dashboard page) are computed at most once per query in this period
            and served from memory meanwhile; 0 computes every answer afresh.
        chart_range: the span of ``GET /timeseries`` without a ``time_range`` (five
            minutes); the dashboard's charts follow its selected window.
        chart_points: the steps the charts divide ``chart_range`` into (read from the
            collector's own buckets, ``ResultMetricsCollector.series``).
        max_alert_rules: ``POST /alerts/configure`` answers 409 once this many rules exist.
        max_body_bytes: a request body larger than this answers 413 unread.

    Raises:
        ConfigurationError: a bad prefix, auth, refresh_seconds, thresholds, cache_seconds,
            chart_range, chart_points, max_alert_rules, max_body_bytes or source (or both a
            collector and a source).
    """
    _check_caps(max_alert_rules, max_body_bytes)
    _check_figures(thresholds, cache_seconds)
    _check_access(prefix, auth)
    _check_page(refresh_seconds, chart_range, chart_points)
    _check_source(collector, source)
    measured = source if source is not None else collector
    manager = alert_manager if alert_manager is not None else AlertManager(measured)
    if auth is None:
        _logger.warning(_OPEN_WARNING, prefix or "/")
    router = APIRouter(
        prefix=prefix,
        tags=["monitoring"],
        lifespan=_lifespan(manager, start_alerts),
        route_class=MonitoringRoute.configured(
            max_body_bytes=max_body_bytes, login_redirect=isinstance(auth, APIKeyAuth)
        ),
    )
    ctx = _context(
        router,
        collector,
        manager,
        thresholds,
        auth,
        protect_reads,
        cache_seconds,
        max_alert_rules,
        source,
    )
    # FastAPI matches a request against the routes in order, twice (the app's router, then
    # this one's): the paths polled most (the page and its data, the health check,
    # Prometheus, the charts and errors the page reads) come first, so that a poll, which
    # runs on the application's event loop, does not scan every route (bench_event_loop).
    endpoints.page_routes(ctx, refresh_seconds, title, prefix, chart_range, chart_points)
    endpoints.health_routes(ctx)
    endpoints.export_routes(ctx)
    endpoints.error_routes(ctx)
    endpoints.chart_routes(ctx, chart_range, chart_points)
    endpoints.operation_routes(ctx)
    # The fixed paths (/alerts/history) come before the /alerts/{alert_id} ones.
    endpoints.alert_read_routes(ctx)
    endpoints.alert_change_routes(ctx)
    endpoints.alert_item_routes(ctx)
    endpoints.alert_action_routes(ctx)
    endpoints.log_level_routes(ctx)
    browser.static_routes(router)
    if isinstance(auth, APIKeyAuth):
        browser.login_routes(router, auth, title)
    return router
