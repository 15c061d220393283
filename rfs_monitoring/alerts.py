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
never breaks evaluation nor the other notifiers.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import enum
import importlib.metadata
import inspect
import logging
import math
import operator
import threading
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

from rfs_monitoring.errors import APIError, ConfigurationError, ErrorCode, MissingExtraError
from rfs_monitoring.metrics import OperationMetrics, ResultMetricsCollector, parse_time_range
from rfs_monitoring.result import Result

try:
    import httpx
    import pluggy
    import structlog
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
    "ENTRY_POINT_GROUP",
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
    "WebhookNotifier",
    "hookimpl",
    "hookspec",
]

_logger = logging.getLogger("rfs_monitoring.alerts")

AlertMetric = Literal[
    "success_rate",
    "error_rate",
    "p50_latency",
    "p90_latency",
    "p99_latency",
    "avg_latency",
    "max_latency",
    "rps",
    "error_count",
]
"""What a rule watches. Rates are fractions in 0..1, latencies milliseconds."""

Comparison = Literal[">", ">=", "<", "<=", "==", "!="]
Severity = Literal["info", "warning", "critical"]
AlertState = Literal["ok", "pending", "firing", "resolved"]

_RATE_METRICS = frozenset({"success_rate", "error_rate"})
# Metrics that mean nothing without requests in the window ("no data" never fires).
_NEEDS_REQUESTS = frozenset(get_args(AlertMetric)) - {"rps", "error_count"}
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}

PROJECT_NAME = "rfs_monitoring"
ENTRY_POINT_GROUP = "rfs_monitoring.notifiers"
"""Entry-point group scanned for notifier plugins (modules implementing the hook)."""

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


class NotifierHookSpec:
    """The hook third-party notifier plugins implement."""

    @hookspec
    def rfs_monitoring_notify(self, notification: AlertNotification) -> object:
        """Deliver one notification (an alert fired or resolved); may return an awaitable."""


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
        if self.metric in _RATE_METRICS and not 0.0 <= self.threshold <= 1.0:
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


def _utc(timestamp: float | None) -> dt.datetime | None:
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


@dataclass(frozen=True)
class AlertEvent:
    """One state change of one alert, kept in the manager's history."""

    alert_id: str
    name: str
    previous_state: AlertState
    state: AlertState
    value: float | None
    threshold: float
    timestamp: dt.datetime
    message: str


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


@dataclass
class _Alert:
    alert_id: str
    config: AlertConfiguration
    state: AlertState = "ok"
    value: float | None = None
    pending_since: float | None = None
    fired_at: float | None = None
    resolved_at: float | None = None
    last_evaluated_at: float | None = None

    def snapshot(self) -> AlertStatus:
        return AlertStatus(
            alert_id=self.alert_id,
            config=self.config,
            state=self.state,
            value=self.value,
            pending_since=_utc(self.pending_since),
            fired_at=_utc(self.fired_at),
            resolved_at=_utc(self.resolved_at),
            last_evaluated_at=_utc(self.last_evaluated_at),
        )


Notifier = Callable[[AlertNotification], object]
"""Any callable taking an AlertNotification; it may be async or return an awaitable."""


class LogNotifier:
    """Writes each notification as one structured log entry (structlog, ``rfs_monitoring.alerts``).

    Firing alerts log at ``warning`` (``error`` for severity ``critical``), resolved ones at
    ``info``; the event is ``alert_firing`` / ``alert_resolved`` with every notification field
    (its ``timestamp`` as ``evaluated_at``).
    """

    __slots__ = ("_logger",)

    def __init__(self, logger_name: str = "rfs_monitoring.alerts") -> None:
        self._logger = structlog.get_logger(logger_name)

    async def __call__(self, notification: AlertNotification) -> None:
        fields = notification.to_dict()
        # The log pipeline stamps its own "timestamp"; keep the evaluation time apart.
        fields["evaluated_at"] = fields.pop("timestamp")
        if notification.state == "resolved":
            self._logger.info("alert_resolved", **fields)
        elif notification.severity == "critical":
            self._logger.error("alert_firing", **fields)
        else:
            self._logger.warning("alert_firing", **fields)


class WebhookNotifier:
    """POSTs each notification as JSON to ``url`` with httpx; a non-2xx answer is a failure.

    Args:
        url: an ``http://`` or ``https://`` URL.
        headers: extra request headers (e.g. an authorization token).
        timeout: seconds for the whole request.
    """

    __slots__ = ("headers", "timeout", "url")

    def __init__(
        self, url: str, *, headers: Mapping[str, str] | None = None, timeout: float = 5.0
    ) -> None:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            msg = f"WebhookNotifier url must start with http:// or https://, got {url!r}"
            raise ConfigurationError(msg)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            msg = f"WebhookNotifier timeout must be a number of seconds > 0, got {timeout!r}"
            raise ConfigurationError(msg)
        self.url = url
        self.headers = dict(headers or {})
        self.timeout = float(timeout)

    async def __call__(self, notification: AlertNotification) -> None:
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            response = await client.post(
                self.url, json=notification.to_dict(), headers=self.headers
            )
            response.raise_for_status()

    def __repr__(self) -> str:
        return f"WebhookNotifier({self.url!r})"


def _positive(value: object, what: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        msg = f"AlertManager {what} must be a finite number of seconds > 0, got {value!r}"
        raise ConfigurationError(msg)
    return float(value)


def _call_in_daemon_thread(fn: Notifier, notification: AlertNotification) -> asyncio.Future[Any]:
    """Run a sync notifier on its own daemon thread so a hang can be timed out and abandoned."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(value: object, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)

    def target() -> None:
        try:
            value, error = fn(notification), None
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting side
            value, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop closed while we hung
            loop.call_soon_threadsafe(settle, value, error)

    threading.Thread(target=target, name="rfs-alert-notifier", daemon=True).start()
    return future


def _is_async_callable(fn: object) -> bool:
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004 - an instance with an async __call__
    )


_MetricsSource = Callable[[], ResultMetricsCollector]


class AlertManager:
    """Holds alert rules, evaluates them and notifies.

    Args:
        collector: the collector measured; None uses ``ResultMetricsCollector.instance()`` at
            each evaluation.
        interval: seconds between evaluations of the background task (``start()``).
        clock: returns the current time in epoch seconds (inject a fake one in tests).
        notifiers: callables notified on each firing/resolved transition.
        notifier_timeout: seconds one notifier may take before it is abandoned and counted.
        log_notifications: add a ``LogNotifier`` (structured log entry per notification).
        discover_plugins: load notifier plugins from the ``rfs_monitoring.notifiers``
            entry-point group.
        max_history: how many state changes ``history()`` keeps.
    """

    def __init__(
        self,
        collector: ResultMetricsCollector | None = None,
        *,
        interval: float = 15.0,
        clock: Callable[[], float] = time.time,
        notifiers: Iterable[Notifier] = (),
        notifier_timeout: float = 5.0,
        log_notifications: bool = True,
        discover_plugins: bool = True,
        max_history: int = 1000,
    ) -> None:
        self.interval = _positive(interval, "interval")
        self.notifier_timeout = _positive(notifier_timeout, "notifier_timeout")
        history_size: object = max_history
        if isinstance(history_size, bool) or not isinstance(history_size, int) or history_size < 1:
            msg = f"AlertManager max_history must be an int >= 1, got {max_history!r}"
            raise ConfigurationError(msg)
        clock_candidate: object = clock
        if not callable(clock_candidate):
            msg = f"AlertManager clock must be a callable returning epoch seconds, got {clock!r}"
            raise ConfigurationError(msg)
        self._collector = collector
        self._clock = clock
        self._alerts: dict[str, _Alert] = {}
        self._history: deque[AlertEvent] = deque(maxlen=max_history)
        self._notifiers: list[tuple[str, Notifier]] = []
        self._stats: dict[str, int] = {
            "evaluations": 0,
            "evaluation_errors": 0,
            "notifications": 0,
            "notifier_calls": 0,
            "notifier_failures": 0,
            "notifier_timeouts": 0,
            "plugin_load_errors": 0,
        }
        self._task: asyncio.Task[None] | None = None
        self._locks: dict[int, asyncio.Lock] = {}
        self.plugin_manager = pluggy.PluginManager(PROJECT_NAME)
        self.plugin_manager.add_hookspecs(NotifierHookSpec)
        if log_notifications:
            self.add_notifier(LogNotifier(), name="log")
        for notifier in notifiers:
            self.add_notifier(notifier)
        if discover_plugins:
            self.load_plugins()

    # ------------------------------------------------------------------ rules

    @property
    def collector(self) -> ResultMetricsCollector:
        """The collector measured (the process-wide instance unless one was given)."""
        return self._collector or ResultMetricsCollector.instance()

    def add(self, config: AlertConfiguration | Mapping[str, Any]) -> str:
        """Add a rule and return its new alert id.

        Raises:
            ConfigurationError: ``config`` is invalid (the message names the field).
        """
        rule = parse_alert_configuration(config)
        alert_id = "alert-" + uuid.uuid4().hex[:12]
        self._alerts[alert_id] = _Alert(alert_id, rule)
        return alert_id

    def remove(self, alert_id: str) -> bool:
        """Remove a rule; False when there is none with that id."""
        return self._alerts.pop(alert_id, None) is not None

    def get(self, alert_id: str) -> AlertStatus | None:
        """The status of one alert, or None."""
        alert = self._alerts.get(alert_id)
        return alert.snapshot() if alert is not None else None

    def alerts(self) -> list[AlertStatus]:
        """Every alert, in the order they were added."""
        return [alert.snapshot() for alert in self._alerts.values()]

    def firing(self) -> list[AlertStatus]:
        """The alerts firing now."""
        return [a.snapshot() for a in self._alerts.values() if a.state == "firing"]

    def history(self, alert_id: str | None = None, limit: int | None = None) -> list[AlertEvent]:
        """State changes, oldest first (of one alert when ``alert_id`` is given)."""
        events = [e for e in self._history if alert_id is None or e.alert_id == alert_id]
        return events[-limit:] if limit else events

    def stats(self) -> dict[str, int]:
        """Counters: evaluations, evaluation_errors, notifications, notifier_calls,
        notifier_failures, notifier_timeouts, plugin_load_errors, alerts, firing."""
        out = dict(self._stats)
        out["alerts"] = len(self._alerts)
        out["firing"] = sum(1 for a in self._alerts.values() if a.state == "firing")
        return out

    # ------------------------------------------------------------------ notifiers

    def add_notifier(self, notifier: Notifier, *, name: str | None = None) -> Callable[[], None]:
        """Add a sync or async callable notifier; returns a function that removes it."""
        candidate: object = notifier
        if not callable(candidate):
            msg = f"a notifier must be callable, got {type(notifier).__name__}: {notifier!r}"
            raise ConfigurationError(msg)
        entry = (name or getattr(notifier, "__name__", None) or repr(notifier), notifier)
        self._notifiers.append(entry)

        def remove() -> None:
            with contextlib.suppress(ValueError):
                self._notifiers.remove(entry)

        return remove

    def register_plugin(self, plugin: object, name: str | None = None) -> str:
        """Register a plugin: an object or module with an ``rfs_monitoring_notify`` hookimpl.

        Raises:
            ConfigurationError: the plugin's hook does not match the spec.
        """
        try:
            registered = self.plugin_manager.register(plugin, name=name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            msg = f"notifier plugin {name or plugin!r} is invalid: {exc}"
            raise ConfigurationError(msg) from None
        return cast(str, registered)

    def load_plugins(self) -> list[str]:
        """Load notifier plugins from the entry-point group; a broken one is logged and counted."""
        loaded = []
        for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            if self.plugin_manager.has_plugin(entry_point.name):
                continue
            try:
                self.register_plugin(entry_point.load(), name=entry_point.name)
            except Exception as exc:  # noqa: BLE001 - a broken plugin must not stop the others
                self._stats["plugin_load_errors"] += 1
                _logger.warning(
                    "could not load notifier plugin %r (%s): %r",
                    entry_point.name,
                    entry_point.value,
                    exc,
                )
                continue
            loaded.append(entry_point.name)
        return loaded

    def _targets(self) -> list[tuple[str, Notifier]]:
        targets = list(self._notifiers)
        for impl in self.plugin_manager.hook.rfs_monitoring_notify.get_hookimpls():
            targets.append((f"plugin:{impl.plugin_name}", _plugin_caller(impl.function)))
        return targets

    async def _deliver(self, notification: AlertNotification) -> None:
        self._stats["notifications"] += 1
        targets = self._targets()
        await asyncio.gather(*(self._call(name, fn, notification) for name, fn in targets))

    async def _call(self, name: str, fn: Notifier, notification: AlertNotification) -> None:
        self._stats["notifier_calls"] += 1
        try:
            if _is_async_callable(fn):
                outcome: object = await asyncio.wait_for(
                    cast(Awaitable[object], fn(notification)), self.notifier_timeout
                )
            else:
                outcome = await asyncio.wait_for(
                    _call_in_daemon_thread(fn, notification), self.notifier_timeout
                )
                if inspect.isawaitable(outcome):
                    await asyncio.wait_for(outcome, self.notifier_timeout)
        except asyncio.TimeoutError:
            self._stats["notifier_timeouts"] += 1
            _logger.warning(
                "alert notifier %s timed out after %gs for %s",
                name,
                self.notifier_timeout,
                notification.alert_id,
            )
        except Exception as exc:  # noqa: BLE001 - a notifier never breaks evaluation
            self._stats["notifier_failures"] += 1
            _logger.warning("alert notifier %s failed for %s: %r", name, notification.alert_id, exc)

    # ------------------------------------------------------------------ evaluation

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(id(loop))
        if lock is None:
            self._locks = {id(loop): asyncio.Lock()}
            lock = self._locks[id(loop)]
        return lock

    async def evaluate(self) -> list[AlertEvent]:
        """Evaluate every rule now; returns the state changes, after notifying them."""
        async with self._lock():
            self._stats["evaluations"] += 1
            collector = self.collector
            cache: dict[tuple[str, str], OperationMetrics | _Unreadable | None] = {}
            events: list[AlertEvent] = []
            notifications: list[AlertNotification] = []
            for alert in list(self._alerts.values()):
                key = (alert.config.operation, alert.config.window)
                if key not in cache:
                    cache[key] = await self._fetch(collector, *key)
                value = _measure(cache[key], alert.config)
                self._advance(alert, value, events, notifications)
            for notification in notifications:
                await self._deliver(notification)
            return events

    async def _fetch(
        self, collector: ResultMetricsCollector, operation: str, window: str
    ) -> OperationMetrics | _Unreadable | None:
        """The figures; None when the operation is unknown, UNREADABLE on any other fault."""
        try:
            if operation == "*":
                raw: object = collector.overall(window)
            else:
                raw = collector.get_operation_metrics(operation, time_range=window)
            if inspect.isawaitable(raw):
                raw = await raw
            if not isinstance(raw, Result):
                return cast(OperationMetrics, raw)
            if raw.is_success():
                return cast(OperationMetrics, raw.unwrap())
            error = raw.unwrap_error()
            if isinstance(error, APIError) and error.code is ErrorCode.NOT_FOUND:
                return None
            problem: object = error
        except Exception as exc:  # noqa: BLE001 - a collector fault is counted, not raised
            problem = exc
        self._stats["evaluation_errors"] += 1
        _logger.warning("alert evaluation could not read metrics of %r: %r", operation, problem)
        return UNREADABLE

    def _advance(
        self,
        alert: _Alert,
        value: float | None,
        events: list[AlertEvent],
        notifications: list[AlertNotification],
    ) -> None:
        config = alert.config
        now = self._clock()
        alert.value = value
        alert.last_evaluated_at = now
        breach = value is not None and _COMPARE[config.comparison](value, config.threshold)
        if breach:
            if alert.state in ("ok", "resolved"):
                self._transition(alert, "pending", now, events)
                alert.pending_since = now
            cooling = (
                alert.resolved_at is not None and now - alert.resolved_at < config.cooldown_seconds
            )
            if (
                alert.state == "pending"
                and alert.pending_since is not None
                and not cooling
                and now - alert.pending_since >= config.for_seconds
            ):
                alert.fired_at = now
                alert.resolved_at = None
                self._transition(alert, "firing", now, events)
                notifications.append(self._notification(alert, "firing", now))
        elif alert.state == "pending":
            alert.pending_since = None
            self._transition(alert, "ok", now, events)
        elif alert.state == "firing":
            alert.resolved_at = now
            alert.pending_since = None
            self._transition(alert, "resolved", now, events)
            notifications.append(self._notification(alert, "resolved", now))

    def _transition(
        self, alert: _Alert, state: AlertState, now: float, events: list[AlertEvent]
    ) -> None:
        event = AlertEvent(
            alert_id=alert.alert_id,
            name=alert.config.label,
            previous_state=alert.state,
            state=state,
            value=alert.value,
            threshold=alert.config.threshold,
            timestamp=cast(dt.datetime, _utc(now)),
            message=_describe(alert.config, alert.value, state),
        )
        alert.state = state
        self._history.append(event)
        events.append(event)

    def _notification(
        self, alert: _Alert, state: Literal["firing", "resolved"], now: float
    ) -> AlertNotification:
        config = alert.config
        return AlertNotification(
            alert_id=alert.alert_id,
            name=config.label,
            state=state,
            severity=config.severity,
            operation=config.operation,
            metric=config.metric,
            comparison=config.comparison,
            threshold=config.threshold,
            value=alert.value,
            window=config.window,
            message=_describe(config, alert.value, state),
            description=config.description,
            timestamp=cast(dt.datetime, _utc(now)),
            fired_at=_utc(alert.fired_at),
            resolved_at=_utc(alert.resolved_at),
        )

    # ------------------------------------------------------------------ background task

    @property
    def running(self) -> bool:
        """True while the background evaluation task runs."""
        return self._task is not None and not self._task.done()

    def start(self, interval: float | None = None) -> None:
        """Start evaluating every ``interval`` seconds on the running event loop (idempotent)."""
        period = self.interval if interval is None else _positive(interval, "interval")
        if self.running:
            return
        self._task = asyncio.get_running_loop().create_task(
            self._run(period), name="rfs-alert-manager"
        )

    async def stop(self) -> None:
        """Stop the background task and wait for it to end."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    @contextlib.asynccontextmanager
    async def running_task(self, interval: float | None = None) -> AsyncIterator[AlertManager]:
        """``async with manager.running_task():`` evaluates in the background inside the block."""
        self.start(interval)
        try:
            yield self
        finally:
            await self.stop()

    async def _run(self, interval: float) -> None:
        while True:
            try:
                await self.evaluate()
            except Exception as exc:  # noqa: BLE001 - the loop must survive any fault
                self._stats["evaluation_errors"] += 1
                _logger.warning("alert evaluation failed: %r", exc)
            await asyncio.sleep(interval)


def _plugin_caller(function: Callable[..., object]) -> Notifier:
    """Adapt a hookimpl (called with keyword arguments) to the one-argument notifier form."""
    if inspect.iscoroutinefunction(function):

        async def call_async(notification: AlertNotification) -> object:
            return await cast(Awaitable[object], function(notification=notification))

        return call_async

    def call(notification: AlertNotification) -> object:
        return function(notification=notification)

    return call


class _Unreadable(enum.Enum):
    UNREADABLE = "unreadable"


UNREADABLE = _Unreadable.UNREADABLE


def _measure(
    metrics: OperationMetrics | _Unreadable | None, config: AlertConfiguration
) -> float | None:
    """The value ``config.metric`` has in ``metrics``; None means "no data"."""
    metric = config.metric
    if metrics is UNREADABLE:
        return None
    if metrics is None:
        # An operation never seen (or expired) had no requests and no errors.
        return 0.0 if metric in ("rps", "error_count") else None
    if metric in _NEEDS_REQUESTS and metrics.total_requests < config.min_requests:
        return None
    value: float
    if metric == "success_rate":
        value = metrics.success_rate
    elif metric == "error_rate":
        value = metrics.failed_requests / metrics.total_requests
    elif metric == "rps":
        value = metrics.requests_per_second
    elif metric == "error_count":
        value = float(metrics.failed_requests)
    else:
        attribute = {
            "p50_latency": "p50_response_time_ms",
            "p90_latency": "p90_response_time_ms",
            "p99_latency": "p99_response_time_ms",
            "avg_latency": "avg_response_time_ms",
            "max_latency": "max_response_time_ms",
        }[metric]
        value = float(getattr(metrics, attribute))
    return value


def _describe(config: AlertConfiguration, value: float | None, state: str) -> str:
    shown = "no data" if value is None else f"{value:.4g}"
    return (
        f"[{state}] {config.operation}: {config.metric} is {shown} "
        f"(alert when {config.comparison} {config.threshold:g} over {config.window})"
    )


ALERT_METRICS: tuple[str, ...] = get_args(AlertMetric)
COMPARISONS: tuple[str, ...] = get_args(Comparison)
