"""What the decorator knows about one operation, and the context bound around one call."""

from __future__ import annotations

import contextvars
import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from rfs_monitoring import context as _context
from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.result_logging.emit import fresh_correlation_id, pooled_correlation_id

__all__ = [
    "ArgGetter",
    "Bound",
    "Call",
    "Operation",
    "arg_getters",
    "bind",
    "bind_own",
    "call_var",
    "correlation_var",
    "current_operation",
    "unbind",
]

ArgGetter = tuple[str, "int | None", object]
"""``(parameter name, positional index or None, default)``."""


class Operation:
    """One decorated operation: fixed at decoration time, except ``threshold`` (kept
    current by ``LEVELS.watch``)."""

    __slots__ = (
        "__weakref__",
        "arg_getters",
        "error_level",
        "level",
        "metadata",
        "name",
        "record_metrics",
        "sample_rate",
        "threshold",
        "user_at",
    )

    def __init__(
        self,
        name: str,
        level: int,
        error_level: int,
        sample_rate: float,
        arg_getters: tuple[ArgGetter, ...],
        metadata: Mapping[str, Any] | None,
        record_metrics: bool,
    ) -> None:
        self.name = name
        self.level = level
        self.error_level = error_level
        self.sample_rate = sample_rate
        self.arg_getters = arg_getters
        self.metadata = dict(metadata) if metadata else None
        self.record_metrics = record_metrics
        self.threshold = 0
        only = arg_getters[0] if len(arg_getters) == 1 and not self.metadata else None
        self.user_at = only[1] if only is not None and only[0] == "user_id" else None
        """With ``context_args=["user_id"]`` only and no metadata: the user id's position,
        read in place of ``call_context`` when the call passed it there (else None)."""

    def call_context(
        self, args: tuple[Any, ...], kwargs: Mapping[str, Any]
    ) -> tuple[object, dict[str, Any] | None]:
        """``(user_id, metadata)`` taken from the call's arguments named in context_args."""
        user_id: object = None
        extra = dict(self.metadata) if self.metadata else None
        for name, index, default in self.arg_getters:
            if name in kwargs:
                value = kwargs[name]
            elif index is not None and index < len(args):
                value = args[index]
            else:
                value = default
            if name == "user_id":
                user_id = value
            else:
                if extra is None:
                    extra = {}
                extra[name] = value
        return user_id, extra


def arg_getters(fn: Callable[..., Any], context_args: Iterable[str]) -> tuple[ArgGetter, ...]:
    """How to find each of ``context_args`` in a call of ``fn``.

    Raises:
        ConfigurationError: a name is not a parameter of ``fn``.
    """
    names = (context_args,) if isinstance(context_args, str) else tuple(context_args)
    if not names:
        return ()
    try:
        params = dict(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        params = {}
    positional = [
        p.name for p in params.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    getters = []
    for name in names:
        if not isinstance(name, str) or name not in params:
            accepted = ", ".join(params) or "(none)"
            msg = (
                f"log_result_operation(context_args=...) names {name!r}, which is not a "
                f"parameter of {getattr(fn, '__qualname__', fn)!r}; its parameters: {accepted}"
            )
            raise ConfigurationError(msg)
        default = params[name].default
        index = positional.index(name) if name in positional else None
        getters.append((name, index, None if default is inspect.Parameter.empty else default))
    return tuple(getters)


call_var: contextvars.ContextVar[object] = _context._logged_call
"""The logged call running in this context: its ``Operation``, or ``(Operation,
correlation id)`` when it made its own id (see ``context._logged_call``)."""
correlation_var = _context._correlation_id
"""The correlation id's context variable (read directly on the hot path)."""

_correlation_get = correlation_var.get
_call_get = call_var.get
_call_set = call_var.set
_pooled_id = pooled_correlation_id


def current_operation() -> Operation | None:
    """The operation running in this context (None outside any)."""
    call = _call_get()
    if type(call) is tuple:
        call = call[0]
    return call  # type: ignore[return-value]


Bound = tuple[str, "contextvars.Token[object]"]


def bind(op: Operation) -> Bound:
    """Bind ``op`` as the running call, with a correlation id: the bound one, else
    ``bind_own``'s; returns ``(correlation_id, token)`` for ``unbind``."""
    correlation_id = _correlation_get()
    if correlation_id is not None:
        return correlation_id, _call_set(op)
    return bind_own(op)


def bind_own(op: Operation) -> Bound:
    """Bind ``op`` as the running call where no correlation id is bound, with the id the
    enclosing logged call made, else a fresh one: ``(op, id)`` in the one variable, read
    by ``get_correlation_id``; returns ``(correlation_id, token)`` for ``unbind``."""
    outer = _call_get()
    if type(outer) is tuple:
        correlation_id: str = outer[1]
    else:
        try:
            correlation_id = _pooled_id()  # fresh_correlation_id's common case, inlined
        except IndexError:
            correlation_id = fresh_correlation_id()
    return correlation_id, _call_set((op, correlation_id))


def unbind(bound: Bound) -> None:
    """Undo ``bind``."""
    call_var.reset(bound[1])


class Call:
    """The context bound around one call (``bind`` as an object), undone by ``close()``."""

    __slots__ = ("bound", "correlation_id")

    def __init__(self, op: Operation) -> None:
        self.bound = bind(op)
        self.correlation_id = self.bound[0]

    def close(self) -> None:
        """Undo the binding."""
        unbind(self.bound)
