"""Prometheus alerting rules equivalent to ``AlertConfiguration``s.

``prometheus_rules(configs)`` gives the rule groups (a dict ready for YAML / JSON);
``render_rules(configs)`` the YAML text ``rfs-monitoring prometheus-rules`` writes. Each
configuration becomes one alerting rule with the same threshold, window (the PromQL range),
``for`` (``for_seconds``) and ``severity`` label; ``min_requests`` becomes a guard (``and``
at least that many requests in the window) on the metrics that mean nothing without traffic,
as in the in-process alert manager. ``cooldown_seconds`` has no rule equivalent: it is kept
as an annotation (Alertmanager's ``repeat_interval`` plays that part).

``DEFAULT_ALERTS`` are written when no configuration is given.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from rfs_monitoring.alerts.config import (
    ALERT_METRICS,
    AlertConfiguration,
    parse_alert_configuration,
)
from rfs_monitoring.fleet.promql import duration, metric_expression, requests_expression

__all__ = [
    "DEFAULT_ALERTS",
    "GROUP_NAME",
    "alert_name",
    "alerting_rule",
    "prometheus_rules",
    "render_rules",
    "to_yaml",
]

GROUP_NAME = "rfs-monitoring"
"""The name of the rule group written."""

DEFAULT_ALERTS: tuple[AlertConfiguration, ...] = (
    AlertConfiguration(
        name="low availability",
        metric="availability",
        comparison="<",
        threshold=0.95,
        window="5m",
        for_seconds=60,
        min_requests=10,
        severity="critical",
        description=(
            "Less than 95% of the calls were answered without a server fault or a timeout "
            "over the last 5 minutes (client errors do not count)."
        ),
    ),
    AlertConfiguration(
        name="slow p99",
        metric="p99_latency",
        comparison=">",
        threshold=1000.0,
        window="5m",
        for_seconds=300,
        min_requests=10,
        severity="warning",
        description="The 99th percentile latency was above one second for 5 minutes.",
    ),
)
"""Alerts written by ``rfs-monitoring prometheus-rules`` when no configuration is given."""

# The metrics the alert manager reports as "no data" below ``min_requests``: all but the
# counts (``alerts.state``), which never breach without traffic.
_GUARDED = frozenset(ALERT_METRICS) - {"rps", "error_count"}


def alert_name(config: AlertConfiguration, index: int) -> str:
    """A Prometheus alert name (``RfsHighErrorRate``) from the rule's label; ``index``
    (from 1) is appended when two rules would share a name."""
    words = re.findall(r"[A-Za-z0-9]+", config.label)
    name = "Rfs" + "".join(w[:1].upper() + w[1:] for w in words)
    return name if index <= 1 else f"{name}{index}"


def alerting_rule(config: AlertConfiguration, name: str, namespace: str = "rfs") -> dict[str, Any]:
    """The Prometheus alerting rule of one configuration."""
    expr = metric_expression(namespace, config.metric, config.operation, config.window)
    condition = f"({expr}) {config.comparison} {config.threshold!r}"
    if config.metric in _GUARDED:
        traffic = requests_expression(namespace, config.operation, config.window)
        condition = f"{condition} and on() ({traffic} >= {config.min_requests})"
    rule: dict[str, Any] = {"alert": name, "expr": condition}
    if config.for_seconds:
        rule["for"] = duration(config.for_seconds)
    rule["labels"] = {
        "severity": config.severity,
        "operation": config.operation,
        "metric": config.metric,
    }
    annotations = {
        "summary": config.label,
        "threshold": (
            f"{config.metric} {config.comparison} {config.threshold:g} over {config.window}"
        ),
    }
    if config.description:
        annotations["description"] = config.description
    if config.cooldown_seconds:
        annotations["cooldown_seconds"] = f"{config.cooldown_seconds:g}"
    rule["annotations"] = annotations
    return rule


def prometheus_rules(
    configs: Iterable[AlertConfiguration | Mapping[str, Any]] | None = None,
    *,
    namespace: str = "rfs",
) -> dict[str, Any]:
    """The rules file (``{"groups": [...]}``) of ``configs`` (None: ``DEFAULT_ALERTS``).

    Raises:
        ConfigurationError: a configuration that does not validate, naming the field.
    """
    checked = [
        parse_alert_configuration(c) for c in (DEFAULT_ALERTS if configs is None else configs)
    ]
    seen: dict[str, int] = {}
    rules = []
    for config in checked:
        base = alert_name(config, 1)
        seen[base] = seen.get(base, 0) + 1
        rules.append(alerting_rule(config, alert_name(config, seen[base]), namespace))
    return {"groups": [{"name": GROUP_NAME, "rules": rules}]}


def to_yaml(value: object, indent: int = 0) -> str:
    """``value`` (dicts, lists, strings, numbers) as block YAML; strings double-quoted
    (JSON strings are YAML double-quoted scalars)."""
    pad = " " * indent
    if isinstance(value, Mapping):
        if not value:
            return pad + "{}\n"
        lines = []
        for key, item in value.items():
            if isinstance(item, (Mapping, list)) and item:
                lines.append(f"{pad}{key}:\n{to_yaml(item, indent + 2)}")
            else:
                lines.append(f"{pad}{key}: {_scalar(item)}\n")
        return "".join(lines)
    if isinstance(value, list):
        lines = []
        for item in value:
            text = to_yaml(item, indent + 2)
            lines.append(f"{pad}- {text[indent + 2 :]}")
        return "".join(lines)
    return pad + _scalar(value) + "\n"


def _scalar(value: object) -> str:
    if isinstance(value, Mapping):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return json.dumps(value)


def render_rules(
    configs: Iterable[AlertConfiguration | Mapping[str, Any]] | None = None,
    *,
    namespace: str = "rfs",
) -> str:
    """The YAML rules file of ``configs`` (None: ``DEFAULT_ALERTS``)."""
    header = "# Prometheus alerting rules written by `rfs-monitoring prometheus-rules`.\n"
    return header + to_yaml(prometheus_rules(configs, namespace=namespace))
