"""The state machine of one alert: measure its metric, then move it along.

::

    ok ──breach──> pending ──breach held for_seconds──> firing ──no breach──> resolved
    ^                 │ no breach                                    │ breach
    └─────────────────┘                                              └──> pending

A resolved alert does not fire again before ``cooldown_seconds`` have passed since it
resolved (it stays pending meanwhile), which keeps a flapping metric from paging twice.

An alert whose operation has no figures because the collector's operation cap sent its
samples to ``__other__`` (``CAPPED``) moves to ``no_data`` with the reason "over the
cardinality cap" instead of staying ``ok`` (a firing alert stays firing, with the reason);
figures coming back move it on as from ``ok``.
"""

from __future__ import annotations

import datetime as dt
import enum
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, cast

from rfs_monitoring.alerts.config import ALERT_METRICS, AlertConfiguration, AlertState
from rfs_monitoring.alerts.events import (
    AlertAction,
    AlertEvent,
    AlertNotification,
    AlertStatus,
    utc,
)
from rfs_monitoring.metrics import CAP_REASON, OperationMetrics

__all__ = [
    "CAPPED",
    "UNREADABLE",
    "AlertTracker",
    "Unreadable",
    "capped_or_unknown",
    "describe",
    "measure",
    "no_data_reason",
    "reserve_operation",
]

# Metrics that mean nothing without requests in the window ("no data" never fires).
_NEEDS_REQUESTS = frozenset(ALERT_METRICS) - {"rps", "error_count"}
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}
_LATENCY_FIELDS = {
    "p50_latency": "p50_response_time_ms",
    "p90_latency": "p90_response_time_ms",
    "p99_latency": "p99_response_time_ms",
    "avg_latency": "avg_response_time_ms",
    "max_latency": "max_response_time_ms",
}


class Unreadable(enum.Enum):
    """The figures could not be read: a collector fault (counted by the manager), or the
    operation's samples went to ``__other__`` because of the operation cap."""

    UNREADABLE = "unreadable"
    CAPPED = CAP_REASON


UNREADABLE = Unreadable.UNREADABLE
CAPPED = Unreadable.CAPPED


def reserve_operation(collector: object, operation: str) -> None:
    """Ask ``collector`` never to cap ``operation`` (a collector without ``reserve``, or
    the ``"*"`` of all operations: nothing to do)."""
    reserve = getattr(collector, "reserve", None)
    if operation != "*" and callable(reserve):
        reserve(operation)


def capped_or_unknown(collector: object, operation: str) -> Unreadable | None:
    """What an operation the collector does not know is: ``CAPPED`` when the operation cap
    sent its samples to ``__other__``, else None (never seen, or expired)."""
    is_capped = getattr(collector, "is_capped", None)
    return CAPPED if callable(is_capped) and is_capped(operation) is True else None


def no_data_reason(metrics: OperationMetrics | Unreadable | None) -> str | None:
    """Why ``metrics`` give no value, when it is a known cause (the operation cap)."""
    return CAP_REASON if metrics is CAPPED else None


def measure(
    metrics: OperationMetrics | Unreadable | None, config: AlertConfiguration
) -> float | None:
    """The value ``config.metric`` has in ``metrics``; None means "no data".

    ``metrics`` is None for an operation never seen (or expired): it had no requests and no
    errors.
    """
    metric = config.metric
    if isinstance(metrics, Unreadable):
        return None
    if metrics is None:
        return 0.0 if metric in ("rps", "error_count") else None
    if metric in _NEEDS_REQUESTS and metrics.total_requests < config.min_requests:
        return None
    if metric == "availability":
        return float(metrics.availability)
    if metric == "client_error_rate":
        return float(metrics.client_error_rate)
    if metric == "success_rate":
        return metrics.success_rate
    if metric == "error_rate":
        return metrics.failed_requests / metrics.total_requests
    if metric == "rps":
        return metrics.requests_per_second
    if metric == "error_count":
        return float(metrics.failed_requests)
    return float(getattr(metrics, _LATENCY_FIELDS[metric]))


def describe(
    config: AlertConfiguration, value: float | None, state: str, reason: str | None = None
) -> str:
    """The one-line message of a state change or notification."""
    if value is not None:
        shown = f"{value:.4g}"
    else:
        shown = "no data" if reason is None else f"no data: {reason}"
    return (
        f"[{state}] {config.operation}: {config.metric} is {shown} "
        f"(alert when {config.comparison} {config.threshold:g} over {config.window})"
    )


@dataclass
class AlertTracker:
    """One rule and where it stands (times in epoch seconds)."""

    alert_id: str
    config: AlertConfiguration
    state: AlertState = "ok"
    value: float | None = None
    pending_since: float | None = None
    fired_at: float | None = None
    resolved_at: float | None = None
    last_evaluated_at: float | None = None
    reason: str | None = None
    acknowledged_at: float | None = None
    silenced_until: float | None = None

    def silenced(self, now: float) -> bool:
        """Whether the alert's notifications are held back at ``now``."""
        return self.silenced_until is not None and now < self.silenced_until

    def acknowledge(self, now: float) -> AlertEvent:
        """Mark the (firing) alert acknowledged at ``now``; the event for the history."""
        self.acknowledged_at = now
        return self._note("acknowledged", now, "acknowledged")

    def silence(self, until: float | None, now: float) -> AlertEvent:
        """Hold back notifications until ``until`` (None: lift the silence)."""
        self.silenced_until = until
        if until is None:
            return self._note("unsilenced", now, "notifications resumed")
        shown = cast(dt.datetime, utc(until)).strftime("%Y-%m-%d %H:%M:%S UTC")
        return self._note("silenced", now, f"notifications silenced until {shown}")

    def _note(self, action: AlertAction, now: float, what: str) -> AlertEvent:
        return AlertEvent(
            alert_id=self.alert_id,
            name=self.config.label,
            previous_state=self.state,
            state=self.state,
            value=self.value,
            threshold=self.config.threshold,
            timestamp=cast(dt.datetime, utc(now)),
            message=f"[{action}] {self.config.label}: {what}",
            action=action,
        )

    def snapshot(self, now: float | None = None) -> AlertStatus:
        """A frozen copy, with datetimes (a silence over by ``now`` left out)."""
        silenced = self.silenced_until is not None and (now is None or self.silenced(now))
        return AlertStatus(
            alert_id=self.alert_id,
            config=self.config,
            state=self.state,
            value=self.value,
            pending_since=utc(self.pending_since),
            fired_at=utc(self.fired_at),
            resolved_at=utc(self.resolved_at),
            last_evaluated_at=utc(self.last_evaluated_at),
            reason=self.reason,
            acknowledged_at=utc(self.acknowledged_at),
            silenced_until=utc(self.silenced_until) if silenced else None,
        )

    def advance(
        self, value: float | None, now: float, reason: str | None = None
    ) -> tuple[list[AlertEvent], AlertNotification | None]:
        """Take the value measured at ``now``: the state changes, and what to notify.

        ``reason``: why there is no value, when known (``no_data_reason``): the alert moves
        to ``no_data`` (a firing one stays firing) and says why.
        """
        config = self.config
        self.value = value
        self.last_evaluated_at = now
        self.reason = reason
        events: list[AlertEvent] = []
        if reason is not None:
            if self.state != "firing" and self.state != "no_data":
                self.pending_since = None
                events.append(self._transition("no_data", now))
            return events, None
        if value is not None and _COMPARE[config.comparison](value, config.threshold):
            if self.state in ("ok", "resolved", "no_data"):
                events.append(self._transition("pending", now))
                self.pending_since = now
            if self._due(now):
                self.fired_at = now
                self.resolved_at = None
                events.append(self._transition("firing", now))
                return events, self._notification("firing", now)
        elif self.state in ("pending", "no_data"):
            self.pending_since = None
            events.append(self._transition("ok", now))
        elif self.state == "firing":
            self.resolved_at = now
            self.pending_since = None
            events.append(self._transition("resolved", now))
            return events, self._notification("resolved", now)
        return events, None

    def _due(self, now: float) -> bool:
        """A pending breach held long enough, out of the cooldown: time to fire."""
        config = self.config
        cooling = self.resolved_at is not None and now - self.resolved_at < config.cooldown_seconds
        return (
            self.state == "pending"
            and self.pending_since is not None
            and not cooling
            and now - self.pending_since >= config.for_seconds
        )

    def _transition(self, state: AlertState, now: float) -> AlertEvent:
        event = AlertEvent(
            alert_id=self.alert_id,
            name=self.config.label,
            previous_state=self.state,
            state=state,
            value=self.value,
            threshold=self.config.threshold,
            timestamp=cast(dt.datetime, utc(now)),
            message=describe(self.config, self.value, state, self.reason),
        )
        self.state = state
        if state in ("ok", "resolved"):
            self.acknowledged_at = None  # an acknowledgement covers one firing
        return event

    def _notification(self, state: Literal["firing", "resolved"], now: float) -> AlertNotification:
        config = self.config
        return AlertNotification(
            alert_id=self.alert_id,
            name=config.label,
            state=state,
            severity=config.severity,
            operation=config.operation,
            metric=config.metric,
            comparison=config.comparison,
            threshold=config.threshold,
            value=self.value,
            window=config.window,
            message=describe(config, self.value, state),
            description=config.description,
            timestamp=cast(dt.datetime, utc(now)),
            fired_at=utc(self.fired_at),
            resolved_at=utc(self.resolved_at),
        )
