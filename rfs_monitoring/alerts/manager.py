"""``AlertManager``: holds the rules, evaluates them against the collector and notifies.

People act on alerts through it too: ``acknowledge`` a firing alert (cleared when it
resolves) and ``silence`` one for a period (its state still moves and is kept in the
history; only its notifications are held back, and counted in
``stats()["notifications_silenced"]``).

Rules are evaluated on demand with ``evaluate()`` or on a background asyncio task with
``start()``; each state change is kept in a bounded history, and each firing or resolved
transition is delivered to the notifiers (see ``delivery``: all at once, after the
evaluation lock is released, sync ones on a bounded shared thread pool). A notifier that
raises or hangs is counted and timed out; it never breaks evaluation nor the other notifiers.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import math
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import Any, cast

import pluggy

from rfs_monitoring.alerts.config import AlertConfiguration, parse_alert_configuration
from rfs_monitoring.alerts.delivery import DeliveryPool, default_pool, deliver_all
from rfs_monitoring.alerts.events import AlertEvent, AlertNotification, AlertStatus
from rfs_monitoring.alerts.notifiers import (
    ENTRY_POINT_GROUP,
    PROJECT_NAME,
    LogNotifier,
    Notifier,
    NotifierHookSpec,
    hook_notifier,
)
from rfs_monitoring.alerts.state import (
    UNREADABLE,
    AlertTracker,
    Unreadable,
    capped_or_unknown,
    measure,
    no_data_reason,
    reserve_operation,
)
from rfs_monitoring.errors import APIError, ConfigurationError, ErrorCode, ResultAdapterError
from rfs_monitoring.masking import masked_logger
from rfs_monitoring.metrics import MetricsSource, OperationMetrics, ResultMetricsCollector
from rfs_monitoring.mono import settle
from rfs_monitoring.result import Failure, Result, Success

__all__ = ["MAX_SILENCE_SECONDS", "AlertManager"]

MAX_SILENCE_SECONDS = 7 * 86400.0
"""The longest silence ``AlertManager.silence`` accepts."""

_logger = masked_logger("rfs_monitoring.alerts")


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


def _history_size(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        msg = f"AlertManager max_history must be an int >= 1, got {value!r}"
        raise ConfigurationError(msg)
    return value


class AlertManager:
    """Holds alert rules, evaluates them and notifies.

    Args:
        collector: the source measured: a collector or any ``MetricsSource`` (e.g.
            ``rfs_monitoring.sources.PrometheusSource``); None uses
            ``ResultMetricsCollector.instance()`` at each evaluation.
        interval: seconds between evaluations of the background task (``start()``).
        clock: returns the current time in epoch seconds (inject a fake one in tests).
        notifiers: callables notified on each firing/resolved transition.
        notifier_timeout: seconds one notifier may take before it is abandoned and counted.
        log_notifications: add a ``LogNotifier`` (structured log entry per notification).
        discover_plugins: load notifier plugins from the ``rfs_monitoring.notifiers``
            entry-point group.
        max_history: how many state changes ``history()`` keeps.
        delivery_pool: the bounded thread pool sync notifiers run on (None: the pool shared
            by every manager, ``delivery.default_pool()``). When all its threads are taken
            (e.g. by hung notifiers), deliveries are dropped and counted in
            ``stats()["notifier_dropped"]``.
    """

    def __init__(
        self,
        collector: MetricsSource | None = None,
        *,
        interval: float = 15.0,
        clock: Callable[[], float] = time.time,
        notifiers: Iterable[Notifier] = (),
        notifier_timeout: float = 5.0,
        log_notifications: bool = True,
        discover_plugins: bool = True,
        max_history: int = 1000,
        delivery_pool: DeliveryPool | None = None,
    ) -> None:
        self.interval = _positive(interval, "interval")
        self.notifier_timeout = _positive(notifier_timeout, "notifier_timeout")
        history_size = _history_size(max_history)
        clock_candidate: object = clock
        if not callable(clock_candidate):
            msg = f"AlertManager clock must be a callable returning epoch seconds, got {clock!r}"
            raise ConfigurationError(msg)
        pool_candidate: object = delivery_pool
        if pool_candidate is not None and not isinstance(pool_candidate, DeliveryPool):
            msg = (
                f"AlertManager delivery_pool must be a DeliveryPool or None, got {pool_candidate!r}"
            )
            raise ConfigurationError(msg)
        self._pool = delivery_pool
        self._collector = collector
        self._clock = clock
        self._alerts: dict[str, AlertTracker] = {}
        self._history: deque[AlertEvent] = deque(maxlen=history_size)
        self._notifiers: list[tuple[str, Notifier]] = []
        self._stats: dict[str, int] = dict.fromkeys(
            (
                "evaluations",
                "evaluation_errors",
                "notifications",
                "notifications_silenced",
                "notifier_calls",
                "notifier_failures",
                "notifier_timeouts",
                "notifier_dropped",
                "plugin_load_errors",
            ),
            0,
        )
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
    def collector(self) -> MetricsSource:
        """The source measured (the process-wide collector unless one was given)."""
        return self._collector or ResultMetricsCollector.instance()

    def add(self, config: AlertConfiguration | Mapping[str, Any]) -> str:
        """Add a rule and return its new alert id.

        Raises:
            ConfigurationError: ``config`` is invalid (the message names the field).
        """
        rule = parse_alert_configuration(config)
        alert_id = "alert-" + uuid.uuid4().hex[:12]
        self._alerts[alert_id] = AlertTracker(alert_id, rule)
        reserve_operation(self.collector, rule.operation)  # a rule's operation is never capped
        return alert_id

    def remove(self, alert_id: str) -> bool:
        """Remove a rule; False when there is none with that id."""
        return self._alerts.pop(alert_id, None) is not None

    def get(self, alert_id: str) -> AlertStatus | None:
        """The status of one alert, or None."""
        alert = self._alerts.get(alert_id)
        return alert.snapshot(self._clock()) if alert is not None else None

    def alerts(self) -> list[AlertStatus]:
        """Every alert, in the order they were added (safe from any thread)."""
        now = self._clock()
        return [alert.snapshot(now) for alert in list(self._alerts.values())]

    def firing(self) -> list[AlertStatus]:
        """The alerts firing now (safe from any thread)."""
        now = self._clock()
        return [a.snapshot(now) for a in list(self._alerts.values()) if a.state == "firing"]

    # ------------------------------------------------------------------ people

    def acknowledge(self, alert_id: str) -> Result[AlertStatus, APIError]:
        """Acknowledge a firing alert (someone is on it); cleared when it resolves.

        A ``Failure``: NOT_FOUND for an unknown id, CONFLICT when the alert is not firing.
        """
        alert = self._alerts.get(alert_id)
        if alert is None:
            return Failure(APIError.not_found("alert", alert_id))
        if alert.state != "firing":
            return Failure(
                APIError.conflict(
                    f"alert {alert_id!r} is {alert.state}; only a firing alert can be acknowledged",
                    {"state": alert.state},
                )
            )
        now = self._clock()
        self._history.append(alert.acknowledge(now))
        return Success(alert.snapshot(now))

    def silence(self, alert_id: str, seconds: float | None) -> Result[AlertStatus, APIError]:
        """Hold back ``alert_id``'s notifications for ``seconds`` (None: lift the silence).

        A ``Failure``: NOT_FOUND for an unknown id, VALIDATION_ERROR for ``seconds`` outside
        (0, ``MAX_SILENCE_SECONDS``].
        """
        alert = self._alerts.get(alert_id)
        if alert is None:
            return Failure(APIError.not_found("alert", alert_id))
        if seconds is not None and (
            isinstance(seconds, bool)
            or not isinstance(seconds, (int, float))
            or not 0 < seconds <= MAX_SILENCE_SECONDS
        ):
            return Failure(
                APIError.validation_error(
                    f"seconds {seconds!r} is out of range; accepted: a number of seconds > 0 "
                    f"and <= {MAX_SILENCE_SECONDS:g} (7 days)",
                    field="seconds",
                )
            )
        now = self._clock()
        self._history.append(alert.silence(None if seconds is None else now + seconds, now))
        return Success(alert.snapshot(now))

    def history(self, alert_id: str | None = None, limit: int | None = None) -> list[AlertEvent]:
        """State changes, oldest first (of one alert when ``alert_id`` is given)."""
        events = [e for e in self._history if alert_id is None or e.alert_id == alert_id]
        return events[-limit:] if limit else events

    @property
    def delivery_pool(self) -> DeliveryPool:
        """The thread pool sync notifiers run on (the shared one unless one was given)."""
        return self._pool if self._pool is not None else default_pool()

    def stats(self) -> dict[str, int]:
        """Counters: evaluations, evaluation_errors, notifications, notifications_silenced
        (held back by a silence), notifier_calls,
        notifier_failures, notifier_timeouts, notifier_dropped (the delivery pool was full),
        plugin_load_errors, alerts, firing, and delivery_threads_busy (threads of the
        delivery pool taken now, hung notifiers included)."""
        out = dict(self._stats)
        alerts = list(self._alerts.values())
        out["alerts"] = len(alerts)
        out["firing"] = sum(1 for a in alerts if a.state == "firing")
        out["delivery_threads_busy"] = self.delivery_pool.stats()["busy"]
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
            targets.append((f"plugin:{impl.plugin_name}", hook_notifier(impl.function)))
        return targets

    # ------------------------------------------------------------------ evaluation

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(id(loop))
        if lock is None:
            self._locks = {id(loop): asyncio.Lock()}
            lock = self._locks[id(loop)]
        return lock

    async def evaluate(self) -> list[AlertEvent]:
        """Evaluate every rule now; returns the state changes, after notifying them.

        The figures are read in a worker thread; the notifications are delivered all at once
        (about one ``notifier_timeout`` at most) after the evaluation lock is released.
        """
        async with self._lock():
            self._stats["evaluations"] += 1
            collector = self.collector
            cache: dict[tuple[str, str], OperationMetrics | Unreadable | None] = {}
            events: list[AlertEvent] = []
            notifications: list[AlertNotification] = []
            for alert in list(self._alerts.values()):
                key = (alert.config.operation, alert.config.window)
                if key not in cache:
                    reserve_operation(collector, alert.config.operation)  # the instance may change
                    cache[key] = await self._fetch(collector, *key)
                changes, notification = alert.advance(
                    measure(cache[key], alert.config), self._clock(), no_data_reason(cache[key])
                )
                self._history.extend(changes)
                events.extend(changes)
                if notification is not None and alert.silenced(self._clock()):
                    self._stats["notifications_silenced"] += 1
                elif notification is not None:
                    notifications.append(notification)
        if notifications:
            targets = self._targets()
            await deliver_all(
                [(n, targets) for n in notifications],
                self.notifier_timeout,
                self._stats,
                self.delivery_pool,
            )
        return events

    async def _fetch(
        self, collector: MetricsSource, operation: str, window: str
    ) -> OperationMetrics | Unreadable | None:
        """The figures; None when the operation is unknown, CAPPED when the operation cap sent
        its samples to ``__other__``, UNREADABLE on any other fault."""

        def read() -> object:
            if operation == "*":
                return collector.overall(window)
            return collector.get_operation_metrics(operation, time_range=window)

        try:
            # the collector computes (and may read its archive) eagerly: off the event loop
            raw = await asyncio.to_thread(read)
            outcome = await settle(raw)
            if outcome.is_success():
                return cast(OperationMetrics, outcome.unwrap())
            problem: object = outcome.unwrap_error()
            if isinstance(problem, ResultAdapterError) and isinstance(
                problem.value, OperationMetrics
            ):
                return problem.value  # a collector answering plain figures
            if isinstance(problem, APIError) and problem.code is ErrorCode.NOT_FOUND:
                return capped_or_unknown(collector, operation)  # CAPPED: "over the cap"
        except Exception as exc:  # noqa: BLE001 - a collector fault is counted, not raised
            problem = exc
        self._stats["evaluation_errors"] += 1
        _logger.warning("alert evaluation could not read metrics of %r: %r", operation, problem)
        return UNREADABLE

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
