"""Threshold alerts on the metrics collector: rules, their state machine and notifiers.

Needs the ``fastapi`` extra (pydantic, httpx, pluggy). One ``AlertConfiguration`` is a rule
("``user_retrieval`` p99 latency > 250 ms over 5m, held 60 s"); an ``AlertManager`` holds the
rules, evaluates them against a ``ResultMetricsCollector`` (on demand with ``evaluate()`` or
on a background asyncio task with ``start()``) and tells its notifiers when an alert fires
or resolves. The states of one alert::

    ok ──breach──> pending ──breach held for_seconds──> firing ──no breach──> resolved
    ^                 │ no breach                                    │ breach
    └─────────────────┘                                              └──> pending

A resolved alert does not fire again before ``cooldown_seconds`` have passed since it
resolved (it stays pending meanwhile), which keeps a flapping metric from paging twice.

Notifiers are any sync or async callables taking an ``AlertNotification``; built in are
``LogNotifier`` (a structured log entry, on by default) and ``WebhookNotifier`` (a JSON POST
through httpx). Packages add notifiers without code changes here by implementing the
``rfs_monitoring_notify`` hook (``hookimpl``) in a module named by an entry point in the group
``rfs_monitoring.notifiers``. A notifier that raises or hangs is counted and timed out; it
never breaks evaluation nor the other notifiers. Notifications are delivered all at once,
after the evaluation; sync notifiers run on a bounded thread pool shared by every manager
(``delivery.DeliveryPool``): a hung one keeps only its thread, and a full pool drops and
counts (``stats()["notifier_dropped"]``).

Modules: ``config`` (the rule and its validation), ``events`` (what is reported), ``state``
(measuring a rule, the state machine of one alert), ``notifiers`` (built-in notifiers and the
plugin hook), ``delivery`` (calling notifiers at once, each with a timeout, on the bounded
pool), ``manager``
(``AlertManager``).
"""

from __future__ import annotations

from rfs_monitoring.alerts.config import (
    ALERT_METRICS,
    COMPARISONS,
    AlertConfiguration,
    AlertMetric,
    AlertState,
    Comparison,
    Severity,
    format_validation_error,
    parse_alert_configuration,
)
from rfs_monitoring.alerts.events import AlertEvent, AlertNotification, AlertStatus
from rfs_monitoring.alerts.manager import AlertManager
from rfs_monitoring.alerts.notifiers import (
    ENTRY_POINT_GROUP,
    PROJECT_NAME,
    LogNotifier,
    Notifier,
    NotifierHookSpec,
    WebhookNotifier,
    hookimpl,
    hookspec,
)
from rfs_monitoring.alerts.state import UNREADABLE

__all__ = [
    "ALERT_METRICS",
    "COMPARISONS",
    "ENTRY_POINT_GROUP",
    "PROJECT_NAME",
    "UNREADABLE",
    "AlertConfiguration",
    "AlertEvent",
    "AlertManager",
    "AlertMetric",
    "AlertNotification",
    "AlertState",
    "AlertStatus",
    "Comparison",
    "LogNotifier",
    "Notifier",
    "NotifierHookSpec",
    "Severity",
    "WebhookNotifier",
    "format_validation_error",
    "hookimpl",
    "hookspec",
    "parse_alert_configuration",
]
