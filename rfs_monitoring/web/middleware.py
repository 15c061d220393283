"""``CorrelationIdMiddleware``: a pure ASGI middleware giving every request a correlation id."""

from __future__ import annotations

from rfs_monitoring.context import (
    is_valid_correlation_id,
    new_correlation_id,
    reset_correlation_id,
    reset_request_id,
    set_correlation_id,
    set_request_id,
)
from rfs_monitoring.errors import ConfigurationError, MissingExtraError

try:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send
except ImportError as exc:
    raise MissingExtraError("rfs_monitoring.web", "fastapi", exc.name or "fastapi") from exc

__all__ = ["CorrelationIdMiddleware"]

_HEADER_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz")


def _header_name(value: object, what: str) -> bytes:
    if not isinstance(value, str) or not value or not set(value.lower()) <= _HEADER_TOKEN:
        msg = f"CorrelationIdMiddleware {what} must be an HTTP header name, got {value!r}"
        raise ConfigurationError(msg)
    return value.lower().encode("ascii")


class CorrelationIdMiddleware:
    """Pure ASGI middleware giving every request a correlation id.

    The id is the request's ``X-Correlation-ID`` header, else its ``X-Request-ID``, when it
    is 1..128 characters of ``[A-Za-z0-9._-]``; otherwise (missing, too long, CR/LF or any
    other character) a new one is generated. For the request's duration it is bound as the
    correlation id of ``rfs_monitoring.context`` (the request id is a valid ``X-Request-ID``,
    else the same id), stored as ``request.state.correlation_id`` and echoed in the
    ``X-Correlation-ID`` response header. The binding is undone when the request ends (a
    token reset), so nothing of it stays behind; work the request hands to
    ``run_in_threadpool`` / ``asyncio.to_thread`` carries the id (the context is copied),
    ``loop.run_in_executor`` does not (docs/fastapi.md).

    Args:
        app: the ASGI app to wrap.
        header_name: the header read first and echoed.
        fallback_header: the header read when ``header_name`` gives no valid id.
    """

    __slots__ = ("_fallback", "_header", "app")

    def __init__(
        self,
        app: ASGIApp,
        *,
        header_name: str = "X-Correlation-ID",
        fallback_header: str = "X-Request-ID",
    ) -> None:
        self.app = app
        self._header = _header_name(header_name, "header_name")
        self._fallback = _header_name(fallback_header, "fallback_header")

    def _incoming(self, scope: Scope) -> tuple[str | None, str | None]:
        primary: str | None = None
        fallback: str | None = None
        for raw_name, raw_value in scope.get("headers") or ():
            name = raw_name.lower()
            if name == self._header and primary is None:
                primary = raw_value.decode("latin-1")
            elif name == self._fallback and fallback is None:
                fallback = raw_value.decode("latin-1")
        return (
            primary if is_valid_correlation_id(primary) else None,
            fallback if is_valid_correlation_id(fallback) else None,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        primary, fallback = self._incoming(scope)
        correlation_id = primary or fallback or new_correlation_id()
        state = scope.setdefault("state", {})
        if isinstance(state, dict):
            state["correlation_id"] = correlation_id
        header = (self._header, correlation_id.encode("latin-1"))

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", ()) if h[0].lower() != header[0]]
                headers.append(header)
                message = {**message, "headers": headers}
            await send(message)

        cid_token = set_correlation_id(correlation_id)
        rid_token = set_request_id(fallback or correlation_id)
        try:
            await self.app(scope, receive, send_with_header)
        finally:
            reset_request_id(rid_token)
            reset_correlation_id(cid_token)
