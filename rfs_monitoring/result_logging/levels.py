"""Log levels of Result entries: names, parsing, and the threshold in force.

The one threshold rule: an operation's own level (``set_log_level(level, operation)``)
when it has one, else the global level (``RFS_LOG_LEVEL`` at start, INFO by default). An
entry is written when its level is at or above the threshold. ``LEVELS.watch(op)`` keeps
``op.threshold`` current so that the decorator's hot path reads one attribute.

Changes are atomic under concurrent writers: each one (the global level, an operation's
override, clearing them) and the refresh of the watched thresholds happen under one lock,
so that no override is lost to a concurrent one and, once the writers are done, every
watched threshold equals the one rule. Readers never lock: the per-operation table is
replaced, never changed in place.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from typing import Protocol

from rfs_monitoring.errors import ConfigurationError

__all__ = [
    "LEVELS",
    "LEVEL_NAMES",
    "OFF",
    "Levels",
    "Watched",
    "env_level",
    "get_log_level",
    "level_name",
    "parse_level",
    "set_log_level",
]

OFF = 100
"""A threshold above every level: nothing is logged."""

LEVEL_NAMES = {
    "NOTSET": 0,
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARNING": logging.WARNING,
    "WARN": logging.WARNING,
    "ERROR": logging.ERROR,
    "CRITICAL": logging.CRITICAL,
    "FATAL": logging.CRITICAL,
    "OFF": OFF,
}
"""Accepted level names (any case) and their values."""


def parse_level(level: object, what: str = "log level") -> int:
    """The int of a level name (any case) or an int >= 0.

    Raises:
        ConfigurationError: ``level`` is neither; the message names ``what``.
    """
    if isinstance(level, int) and not isinstance(level, bool) and level >= 0:
        return level
    if isinstance(level, str) and level.strip().upper() in LEVEL_NAMES:
        return LEVEL_NAMES[level.strip().upper()]
    msg = (
        f"{what} {level!r} is not accepted: use DEBUG, INFO, WARNING, ERROR, CRITICAL, OFF "
        "(any case) or an int >= 0"
    )
    raise ConfigurationError(msg)


def level_name(level: int) -> str:
    """The canonical name of ``level`` (its number as text when it has none)."""
    for name, value in LEVEL_NAMES.items():
        if value == level and name not in ("WARN", "FATAL"):
            return name
    return str(level)


def env_level() -> tuple[int, str | None]:
    """``(level, error)`` from ``RFS_LOG_LEVEL``: INFO when unset, INFO and the message when bad."""
    raw = os.environ.get("RFS_LOG_LEVEL")
    if raw is None or not raw.strip():
        return logging.INFO, None
    try:
        return parse_level(raw, "RFS_LOG_LEVEL"), None
    except ConfigurationError as exc:
        return logging.INFO, str(exc)


class Watched(Protocol):
    """What ``Levels.watch`` keeps current: an operation's name and threshold."""

    name: str
    threshold: int


class Levels:
    """The thresholds in force: the global level and per-operation overrides."""

    def __init__(self) -> None:
        self.level = logging.INFO
        self.env_error: str | None = None
        self.op_levels: dict[str, int] = {}
        self._watched: weakref.WeakSet[Watched] = weakref.WeakSet()
        self._lock = threading.Lock()
        self.load_env()

    def threshold(self, operation: str) -> int:
        """The threshold for ``operation`` (the one rule; see the module docstring)."""
        return self.op_levels.get(operation, self.level)

    def load_env(self) -> int:
        """Take the global level from ``RFS_LOG_LEVEL`` (what happens at import); a bad value
        is kept in ``env_error`` for ``configure_logging`` to raise. Returns the level."""
        self.env_error = env_level()[1]
        return self.set_global(env_level()[0])

    def set_global(self, level: int) -> int:
        """Set the global level (an already parsed int); returns it."""
        with self._lock:
            self.level = level
            self._refresh()
        return level

    def set_operation(self, operation: str, level: int | None) -> None:
        """Set (None: remove) the override of one operation."""
        with self._lock:
            levels = dict(self.op_levels)  # copy on write: readers never lock
            if level is None:
                levels.pop(operation, None)
            else:
                levels[operation] = level
            self.op_levels = levels
            self._refresh()

    def clear_operations(self) -> None:
        """Remove every per-operation override."""
        with self._lock:
            self.op_levels = {}
            self._refresh()

    def watch(self, op: Watched) -> None:
        """Keep ``op.threshold`` equal to ``threshold(op.name)`` from now on."""
        with self._lock:
            self._watched.add(op)
            op.threshold = self.threshold(op.name)

    def after_fork(self) -> None:
        """In a forked child: a fresh lock (another thread may have held it at the fork)."""
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        """Bring every watched threshold up to date (the lock held by the caller)."""
        for op in list(self._watched):
            op.threshold = self.threshold(op.name)


LEVELS = Levels()
"""The process-wide thresholds."""


def set_log_level(level: str | int | None, operation: str | None = None) -> None:
    """Set the threshold for Result entries, globally or for one ``operation``.

    Args:
        level: a level name (DEBUG..CRITICAL, OFF) or int; with ``operation``, None
            removes that operation's override.
        operation: the operation name (as given to ``log_result_operation``).

    Raises:
        ConfigurationError: ``level`` is not a level, or is None without ``operation``.
    """
    if operation is None:
        if level is None:
            msg = "set_log_level(None) needs an operation: None only removes a per-operation level"
            raise ConfigurationError(msg)
        LEVELS.set_global(parse_level(level))
        return
    LEVELS.set_operation(operation, None if level is None else parse_level(level))


def get_log_level(operation: str | None = None) -> str:
    """The threshold in force (for ``operation`` when given) as a level name."""
    if operation is None:
        return level_name(LEVELS.level)
    return level_name(LEVELS.threshold(operation))
