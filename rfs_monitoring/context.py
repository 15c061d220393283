"""Correlation id and log context, carried in contextvars (they follow asyncio tasks).

A correlation id identifies one request or job across every log line, span and metric
sample it produces. It is read with ``get_correlation_id()`` (None when none is bound),
bound for a block with ``correlation_context(id)``, and set per request by
``CorrelationIdMiddleware``. ``bind_log_context(user_id=..., **extra)`` adds fields to every
entry logged in the current context.

Nothing here binds an id implicitly: every binding is undone by the code that made it (a
token reset), so an id never outlives its request or block. That matters for pooled threads:
a thread that runs work *without* a copied context (``loop.run_in_executor``, a bare
``ThreadPoolExecutor.submit``) runs it in the thread's own context, which would keep an id
set there for every later job on that thread. ``run_in_threadpool``, ``asyncio.to_thread``
and ``anyio.to_thread.run_sync`` copy the caller's context, so the id follows the work; for
``run_in_executor`` pass ``contextvars.copy_context().run`` (docs/fastapi.md).
"""

from __future__ import annotations

import contextlib
import contextvars
import re
import uuid
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from rfs_monitoring.errors import ConfigurationError

__all__ = [
    "CORRELATION_ID_PATTERN",
    "bind_log_context",
    "correlation_context",
    "get_correlation_id",
    "get_log_context",
    "get_request_id",
    "is_valid_correlation_id",
    "log_context",
    "new_correlation_id",
    "peek_correlation_id",
    "reset_correlation_id",
    "reset_log_context",
    "reset_request_id",
    "set_correlation_id",
    "set_request_id",
]

CORRELATION_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,128}")
"""What an incoming correlation id must look like to be accepted as given."""

_correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "rfs_correlation_id", default=None
)
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "rfs_request_id", default=None
)
_log_context: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
    "rfs_log_context", default=MappingProxyType({})
)
_logged_call: contextvars.ContextVar[object] = contextvars.ContextVar(
    "rfs_logged_call", default=None
)
"""The logged call running in this context (set around each call by
``@log_result_operation``): its operation, or ``(operation, correlation id)`` when no
correlation id was bound and the call made its own. That id is read as the bound one
(``get_correlation_id``) until the call returns: one variable set per call, not two."""


def new_correlation_id() -> str:
    """A fresh random correlation id (32 hex digits)."""
    return uuid.uuid4().hex


def is_valid_correlation_id(value: object) -> bool:
    """True for a str of 1..128 characters from ``[A-Za-z0-9._-]``."""
    return isinstance(value, str) and CORRELATION_ID_PATTERN.fullmatch(value) is not None


def get_correlation_id() -> str | None:
    """The correlation id bound in this context, or None when none is.

    Never generates or binds one: bind an id for a block with ``correlation_context()``
    (a fresh one when called without an id). Every logged operation makes its own id for
    its duration when none is bound, so its entries always carry one; inside such a call
    (and in the calls, tasks and threads it starts with its context) that id is the one
    returned, unless an id is bound there (``correlation_context``, ``set_correlation_id``).
    """
    value = _correlation_id.get()
    if value is None:  # inside a logged call that made its own id?
        call = _logged_call.get()
        if type(call) is tuple:
            return call[1]  # type: ignore[no-any-return]
    return value


peek_correlation_id = get_correlation_id
"""The current correlation id, or None (the same as ``get_correlation_id``)."""


def _checked(value: str) -> str:
    if not is_valid_correlation_id(value):
        msg = (
            f"correlation id {value!r} is not accepted: use 1 to 128 characters "
            "from A-Z, a-z, 0-9, '.', '_' and '-'"
        )
        raise ConfigurationError(msg)
    return value


def set_correlation_id(value: str | None) -> contextvars.Token[str | None]:
    """Bind ``value`` (validated) as the correlation id; returns the token to reset it."""
    return _correlation_id.set(None if value is None else _checked(value))


def reset_correlation_id(token: contextvars.Token[str | None]) -> None:
    """Undo a ``set_correlation_id`` with the token it returned."""
    _correlation_id.reset(token)


def get_request_id() -> str | None:
    """The current request id, when a request is being served."""
    return _request_id.get()


def set_request_id(value: str | None) -> contextvars.Token[str | None]:
    """Bind ``value`` as the request id; returns the token to reset it."""
    return _request_id.set(value)


def reset_request_id(token: contextvars.Token[str | None]) -> None:
    """Undo a ``set_request_id`` with the token it returned."""
    _request_id.reset(token)


@contextlib.contextmanager
def correlation_context(correlation_id: str | None = None) -> Iterator[str]:
    """Bind ``correlation_id`` (or a new one) for the block; yields the id.

    Raises:
        ConfigurationError: the id is not 1..128 characters of ``[A-Za-z0-9._-]``.
    """
    value = new_correlation_id() if correlation_id is None else _checked(correlation_id)
    token = _correlation_id.set(value)
    try:
        yield value
    finally:
        _correlation_id.reset(token)


def get_log_context() -> Mapping[str, Any]:
    """The fields bound with ``bind_log_context`` in the current context (read-only)."""
    return _log_context.get()


def bind_log_context(**fields: Any) -> contextvars.Token[Mapping[str, Any]]:
    """Add ``fields`` (e.g. ``user_id=...``) to every entry logged in this context.

    Returns the token that ``reset_log_context`` takes to undo it.
    """
    merged = dict(_log_context.get())
    merged.update(fields)
    return _log_context.set(MappingProxyType(merged))


def reset_log_context(token: contextvars.Token[Mapping[str, Any]]) -> None:
    """Undo a ``bind_log_context``."""
    _log_context.reset(token)


@contextlib.contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Bind ``fields`` for the duration of the block."""
    token = bind_log_context(**fields)
    try:
        yield
    finally:
        _log_context.reset(token)
