"""The monitoring API's alert endpoints: rules, states, history, acknowledge and silence.

Reads follow the router's read guard; every change (configure, evaluate, delete,
acknowledge, silence) its change guard, so a router without ``auth`` answers 403.
"""

from __future__ import annotations

import dataclasses

from rfs_monitoring.alerts import AlertConfiguration, AlertEvent, AlertStatus
from rfs_monitoring.dashboard.route_context import RouteContext
from rfs_monitoring.dashboard.security import alert_capacity_error
from rfs_monitoring.errors import APIError, MissingExtraError
from rfs_monitoring.result import Failure, Success

try:
    from rfs_monitoring.web import FastAPIResult, api_error_responses, handle_result
except ImportError as exc:  # pragma: no cover - only without the extra
    raise MissingExtraError("rfs_monitoring.dashboard", "fastapi", exc.name or "fastapi") from exc

__all__ = [
    "HISTORY_LIMIT",
    "SilenceRequest",
    "alert_action_routes",
    "alert_change_routes",
    "alert_item_routes",
    "alert_read_routes",
]

HISTORY_LIMIT = 1000
"""The most events one ``GET /alerts/history`` answers (the manager keeps ``max_history``)."""

_ALERT_STATES = ("ok", "pending", "firing", "resolved", "no_data")


@dataclasses.dataclass
class SilenceRequest:
    """Body of ``POST /alerts/{alert_id}/silence``: hold notifications back ``seconds``."""

    seconds: float


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
        if not 1 <= limit <= HISTORY_LIMIT:
            return Failure(
                APIError.validation_error(
                    f"limit {limit} is out of range; accepted: an integer from 1 to "
                    f"{HISTORY_LIMIT}",
                    field="limit",
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


def alert_action_routes(ctx: RouteContext) -> None:
    """POST /alerts/{alert_id}/acknowledge, POST and DELETE /alerts/{alert_id}/silence."""
    router, manager = ctx.router, ctx.manager
    acting_doc = {**ctx.guard_doc, **api_error_responses([404])}

    @router.post(
        "/alerts/{alert_id}/acknowledge",
        dependencies=ctx.guard,
        responses={**acting_doc, **api_error_responses([409])},
    )
    @handle_result
    async def acknowledge_alert(alert_id: str) -> FastAPIResult[AlertStatus]:
        """Acknowledge a firing alert (409 when it is not firing); cleared when it resolves."""
        return manager.acknowledge(alert_id)

    @router.post("/alerts/{alert_id}/silence", dependencies=ctx.guard, responses=acting_doc)
    @handle_result
    async def silence_alert(alert_id: str, request: SilenceRequest) -> FastAPIResult[AlertStatus]:
        """Hold the alert's notifications back for ``seconds`` (its state still moves)."""
        return manager.silence(alert_id, request.seconds)

    @router.delete("/alerts/{alert_id}/silence", dependencies=ctx.guard, responses=acting_doc)
    @handle_result
    async def unsilence_alert(alert_id: str) -> FastAPIResult[AlertStatus]:
        """Lift the alert's silence: its next firing or resolving is notified again."""
        return manager.silence(alert_id, None)
