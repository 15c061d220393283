"""Alert notifiers: the ``Notifier`` form, the built-in ones and the plugin hook.

Notifiers are any sync or async callables taking an ``AlertNotification``; built in are
``LogNotifier`` (a structured log entry, on by default) and ``WebhookNotifier`` (a JSON POST
through httpx). Packages add notifiers without code changes here by implementing the
``rfs_monitoring_notify`` hook (``hookimpl``) in a module named by an entry point in the group
``rfs_monitoring.notifiers``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import cast

from rfs_monitoring.alerts.events import AlertNotification
from rfs_monitoring.callables import is_async_callable
from rfs_monitoring.errors import ConfigurationError, MissingExtraError

try:
    import httpx
    import pluggy
    import structlog
except ImportError as exc:  # pragma: no cover - only without the extra
    raise MissingExtraError("rfs_monitoring.alerts", "fastapi", exc.name or "httpx") from exc

__all__ = [
    "ENTRY_POINT_GROUP",
    "PROJECT_NAME",
    "LogNotifier",
    "Notifier",
    "NotifierHookSpec",
    "WebhookNotifier",
    "hook_notifier",
    "hookimpl",
    "hookspec",
]

PROJECT_NAME = "rfs_monitoring"
ENTRY_POINT_GROUP = "rfs_monitoring.notifiers"
"""Entry-point group scanned for notifier plugins (modules implementing the hook)."""

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

Notifier = Callable[[AlertNotification], object]
"""Any callable taking an AlertNotification; it may be async or return an awaitable."""


class NotifierHookSpec:
    """The hook third-party notifier plugins implement."""

    @hookspec
    def rfs_monitoring_notify(self, notification: AlertNotification) -> object:
        """Deliver one notification (an alert fired or resolved); may return an awaitable."""


def hook_notifier(function: Callable[..., object]) -> Notifier:
    """Adapt a hookimpl (called with keyword arguments) to the one-argument notifier form."""
    if is_async_callable(function):

        async def call_async(notification: AlertNotification) -> object:
            return await cast(Awaitable[object], function(notification=notification))

        return call_async

    def call(notification: AlertNotification) -> object:
        return function(notification=notification)

    return call


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
