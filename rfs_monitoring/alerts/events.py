"""What the alert manager reports: notifications, state-change events and status snapshots."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from rfs_monitoring.alerts.config import AlertConfiguration, AlertState

__all__ = ["AlertAction", "AlertEvent", "AlertNotification", "AlertStatus", "utc"]


def utc(timestamp: float | None) -> dt.datetime | None:
    """Epoch seconds as an aware UTC datetime; None stays None."""
    if timestamp is None:
        return None
    return dt.datetime.fromtimestamp(timestamp, tz=dt.timezone.utc)


@dataclass(frozen=True)
class AlertNotification:
    """What notifiers receive when an alert fires or resolves."""

    alert_id: str
    name: str
    state: Literal["firing", "resolved"]
    severity: str
    operation: str
    metric: str
    comparison: str
    threshold: float
    value: float | None
    window: str
    message: str
    description: str
    timestamp: dt.datetime
    fired_at: dt.datetime | None
    resolved_at: dt.datetime | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (timestamps as ISO 8601 strings)."""
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            out[key] = value.isoformat() if isinstance(value, dt.datetime) else value
        return out


AlertAction = Literal["transition", "acknowledged", "silenced", "unsilenced"]
"""What an ``AlertEvent`` records: a state change, or what someone did to the alert."""


@dataclass(frozen=True)
class AlertEvent:
    """One state change of one alert, or an acknowledgement or silence (``action``), kept in
    the manager's bounded history."""

    alert_id: str
    name: str
    previous_state: AlertState
    state: AlertState
    value: float | None
    threshold: float
    timestamp: dt.datetime
    message: str
    action: AlertAction = "transition"


@dataclass(frozen=True)
class AlertStatus:
    """A snapshot of one alert: its rule and where it stands."""

    alert_id: str
    config: AlertConfiguration
    state: AlertState
    value: float | None
    pending_since: dt.datetime | None
    fired_at: dt.datetime | None
    resolved_at: dt.datetime | None
    last_evaluated_at: dt.datetime | None
    reason: str | None = None
    """Why the value is missing, when it is for a known cause (``"over the cardinality cap"``)."""
    acknowledged_at: dt.datetime | None = None
    """When someone acknowledged the firing alert (cleared when it resolves)."""
    silenced_until: dt.datetime | None = None
    """Until when its notifications are held back (None: not silenced)."""
