"""Alert rules: ``AlertConfiguration`` and its validation.

One ``AlertConfiguration`` is a rule ("``user_retrieval`` p99 latency > 250 ms over 5m, held
60 s"). Invalid values are rejected with a message naming the field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal, get_args

from rfs_monitoring.errors import ConfigurationError, MissingExtraError
from rfs_monitoring.metrics import parse_time_range

try:
    from pydantic import (
        AliasChoices,
        BaseModel,
        ConfigDict,
        Field,
        field_validator,
        model_validator,
    )
    from pydantic import ValidationError as PydanticValidationError
except ImportError as exc:  # pragma: no cover - only without the extra
    raise MissingExtraError("rfs_monitoring.alerts", "fastapi", exc.name or "pydantic") from exc

__all__ = [
    "ALERT_METRICS",
    "COMPARISONS",
    "RATE_METRICS",
    "AlertConfiguration",
    "AlertMetric",
    "AlertState",
    "Comparison",
    "Severity",
    "format_validation_error",
    "parse_alert_configuration",
]

AlertMetric = Literal[
    "availability",
    "success_rate",
    "error_rate",
    "client_error_rate",
    "p50_latency",
    "p90_latency",
    "p99_latency",
    "avg_latency",
    "max_latency",
    "rps",
    "error_count",
]
"""What a rule watches. Rates are fractions in 0..1, latencies milliseconds.

``availability`` is the share of calls without a server fault or timeout (alert on it with
``"<"``: it is what health judges); ``client_error_rate`` the share answered with a client
error (4xx); ``success_rate`` / ``error_rate`` / ``error_count`` count every failure,
client errors included."""

Comparison = Literal[">", ">=", "<", "<=", "==", "!="]
Severity = Literal["info", "warning", "critical"]
AlertState = Literal["ok", "pending", "firing", "resolved", "no_data"]

ALERT_METRICS: tuple[str, ...] = get_args(AlertMetric)
COMPARISONS: tuple[str, ...] = get_args(Comparison)
RATE_METRICS = frozenset({"availability", "success_rate", "error_rate", "client_error_rate"})
"""The metrics that are fractions in 0..1."""


class AlertConfiguration(BaseModel):
    """One alert rule; invalid values are rejected with a message naming the field.

    Args:
        operation: the operation watched, or ``"*"`` for all operations together.
        metric: one of ``AlertMetric`` (rates are fractions in 0..1, latencies in ms).
        comparison: how the measured value is compared with ``threshold``.
        threshold: the limit.
        window: the time range the metric is measured over (``"5m"``, ``"1h"``, seconds...).
        for_seconds: how long the breach must hold before the alert fires (0: at once).
        cooldown_seconds: after resolving, the alert fires again only this much later
            (``cooldown`` is accepted as an alias).
        min_requests: rates and latencies of a window with fewer requests are "no data"
            and never breach.
        severity: ``info``, ``warning`` or ``critical``.
        name: a label shown in notifications (default: built from the rule).
        description: free text passed along in notifications.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    operation: str = Field(default="*", min_length=1, max_length=200)
    metric: AlertMetric
    comparison: Comparison = ">"
    threshold: float
    window: str = Field(default="5m", min_length=1, max_length=32)
    for_seconds: float = Field(default=0.0, ge=0.0, le=7 * 86400.0)
    cooldown_seconds: float = Field(
        default=0.0,
        ge=0.0,
        le=7 * 86400.0,
        validation_alias=AliasChoices("cooldown_seconds", "cooldown"),
    )
    min_requests: int = Field(default=1, ge=1)
    severity: Severity = "warning"
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)

    @field_validator("threshold")
    @classmethod
    def _finite_threshold(cls, value: float) -> float:
        if not math.isfinite(value):
            msg = f"threshold must be a finite number, got {value!r}"
            raise ValueError(msg)
        return value

    @field_validator("window")
    @classmethod
    def _known_window(cls, value: str) -> str:
        parsed = parse_time_range(value)
        if parsed.is_failure():
            raise ValueError(parsed.unwrap_error().message)
        return value

    @model_validator(mode="after")
    def _rate_threshold(self) -> AlertConfiguration:
        if self.metric in RATE_METRICS and not 0.0 <= self.threshold <= 1.0:
            msg = (
                f"threshold {self.threshold!r} is out of range for metric {self.metric!r}: "
                "rates are fractions between 0 and 1"
            )
            raise ValueError(msg)
        return self

    @property
    def label(self) -> str:
        """The rule's name, or one built from operation, metric, comparison and threshold."""
        return self.name or f"{self.operation} {self.metric} {self.comparison} {self.threshold:g}"


def parse_alert_configuration(data: AlertConfiguration | Mapping[str, Any]) -> AlertConfiguration:
    """Validate ``data`` into an AlertConfiguration.

    Raises:
        ConfigurationError: naming each bad field and what it accepts.
    """
    if isinstance(data, AlertConfiguration):
        return data
    candidate: object = data
    if not isinstance(candidate, Mapping):
        msg = f"an alert configuration must be an AlertConfiguration or a mapping, got {data!r}"
        raise ConfigurationError(msg)
    try:
        return AlertConfiguration.model_validate(dict(candidate))
    except PydanticValidationError as exc:
        raise ConfigurationError(format_validation_error(exc)) from None


def format_validation_error(exc: PydanticValidationError) -> str:
    """One line per bad field: ``field: message``."""
    parts = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(p) for p in error["loc"]) or "configuration"
        parts.append(f"{where}: {error['msg']}")
    return "invalid alert configuration: " + "; ".join(parts)
