"""``RouteContext``: what every route group of the monitoring router shares."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from rfs_monitoring.alerts import AlertManager
from rfs_monitoring.dashboard.cache import SnapshotCache
from rfs_monitoring.dashboard.health import HealthThresholds
from rfs_monitoring.errors import APIError, MissingExtraError
from rfs_monitoring.metrics import MetricsSource, ResultMetricsCollector
from rfs_monitoring.result import Result, Success

try:
    from fastapi.routing import APIRouter

    from rfs_monitoring.web import api_error_responses
except ImportError as exc:  # pragma: no cover - only without the extra
    raise MissingExtraError("rfs_monitoring.dashboard", "fastapi", exc.name or "fastapi") from exc

__all__ = ["RouteContext"]


@dataclasses.dataclass(frozen=True)
class RouteContext:
    """What every route group needs: the router, the sources and the guards.

    ``guard``/``read_guard`` are the dependencies of changes and reads, ``guard_doc`` /
    ``read_doc`` the APIError responses they document (401 when guarded, 403 read-only).
    ``viewer`` is a dependency telling whether a request passes ``auth`` (the health
    details); ``max_alert_rules`` caps the rules; ``logout``: the page shows a log-out button;
    ``can_act``: the router has ``auth``, so the page offers acknowledge / silence.
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
    can_act: bool = False
    source: MetricsSource | None = None

    def current(self) -> MetricsSource:
        """The source served: the one given (``monitoring_router(source=...)``), else the
        collector given, else the process-wide collector."""
        if self.source is not None:
            return self.source
        return self.collector or ResultMetricsCollector.instance()

    async def operation_names(self) -> Result[list[str], APIError]:
        """The source's operation names, read off the event loop through the cache (a 503
        Failure when the source cannot answer)."""

        def compute() -> Result[list[str], APIError]:
            return Success(self.current().operation_names())

        return await self.cache.get(("names",), compute)

    @property
    def missing_doc(self) -> dict[int | str, dict[str, Any]]:
        """The documented errors of a read that can answer 404."""
        return {**self.read_doc, **api_error_responses([404])}
