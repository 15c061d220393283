"""The monitoring API and the HTML dashboard: ``monitoring_router(...)`` returns an APIRouter.

Needs the ``fastapi`` extra. The endpoints are listed in ``router``'s docstring.

Auth: ``auth`` is any FastAPI dependency (``api_key_auth(...)`` is a ready one). When given,
every endpoint but health requires it (with ``protect_reads=False`` only the changes do), and
health shows its details only to requests passing it. Without it the API is read-only (every
change answers 403), health shows only the overall status and a warning is logged on
``rfs_monitoring.dashboard_api``. Browsers sign in at ``<prefix>/login`` (``api_key_auth``):
a signed HttpOnly session cookie, never the key in a URL.

The page (``GET <prefix>/dashboard``) is painted on the server, then its scripts
(``static/charts.js`` and ``dashboard.js``, package data: no CDN, works offline, no inline
code) poll ``GET <prefix>/dashboard/data`` with the session cookie and updates cards, tables and
charts in place: latency p50/p90/p99 on a log axis, requests stacked by outcome (success,
client error, server error, timeout, cancelled) and availability, all over the selected
window and operation, from the collector's own buckets (``ResultMetricsCollector.series``).
Health and status badges judge availability and latency; client errors are shown, and
judged only for the operations named in ``HealthThresholds.client_errors_count``. Error
groups open their latest examples (``GET /errors/examples``); firing alerts can be
acknowledged and silenced (auth required). Answers computed from the collector are computed
in a worker thread (never on the event loop), once per query in flight, and kept for
``cache_seconds`` (1 s) per query, so a dashboard open in many browsers reads the collector
about once a second.

Modules: ``router`` (monitoring_router), ``endpoints`` (operations, errors, health, log
levels, export), ``alert_endpoints`` (alerts, acknowledge, silence), ``page_endpoints`` (the
page, its JSON, the chart steps), ``route_context`` (what route groups share), ``routing``
(the route class serving 4xx as APIError bodies), ``models`` (response models), ``health``
(the one health rule), ``auth`` (api_key_auth), ``cache`` (SnapshotCache), ``queries``
(shared collector reads), ``view``, ``rows``, ``charts`` and ``labels`` (the page's
view-model), ``page`` (rendering with the Jinja2 templates in ``templates/``), ``security``
(read-only guard, caps, headers), ``sessions`` (signed session tokens), ``browser`` (static
files, login and logout).
"""

from __future__ import annotations

from rfs_monitoring.dashboard.auth import APIKeyAuth, api_key_auth
from rfs_monitoring.dashboard.health import HealthThresholds
from rfs_monitoring.dashboard.models import (
    HealthSummary,
    LogLevelRequest,
    LogLevelState,
    OperationHealth,
    OperationSummary,
    ResultPatternHealth,
    SeriesPoint,
)
from rfs_monitoring.dashboard.page import render_dashboard
from rfs_monitoring.dashboard.router import monitoring_router
from rfs_monitoring.dashboard.view import DashboardView, build_view

__all__ = [
    "APIKeyAuth",
    "DashboardView",
    "HealthSummary",
    "HealthThresholds",
    "LogLevelRequest",
    "LogLevelState",
    "OperationHealth",
    "OperationSummary",
    "ResultPatternHealth",
    "SeriesPoint",
    "api_key_auth",
    "build_view",
    "monitoring_router",
    "render_dashboard",
]
