"""Fixtures of the ``rfs`` plugin and the classes behind them.

Each fixture is create -> ``yield`` -> undo; the logic lives in a class:

- ``result_mocker`` (``ResultMocker``): ``result_mocker.patch(target, method)`` like
  ``mock_result_service``; every patch and registration is undone at teardown.
- ``rfs_logs`` (``LogCapture``): every ``ResultLogEntry`` emitted during the test.
- ``rfs_metrics``: an isolated ``ResultMetricsCollector`` driven by ``fake_clock``;
  ``ResultMetricsCollector.instance()`` returns it during the test.
- ``fake_clock`` (``FakeClock``): a clock that moves only when told to.
- ``correlation_id``: a fixed correlation id, bound for the test.
- ``rfs_factory`` (``ResultFactory``): seeded test data.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import importlib
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from pytest_rfs.explain import describe_value
from pytest_rfs.generators import ResultFactory, seed_for
from pytest_rfs.mocking import ResultServiceMocker
from pytest_rfs.registry import caller_frame, register_service, unregister_service
from rfs_monitoring.context import correlation_context
from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.metrics import ResultMetricsCollector
from rfs_monitoring.result_logging import ResultLogEntry, add_entry_listener

__all__ = [
    "FIXED_EPOCH",
    "FakeClock",
    "LogCapture",
    "ResultMocker",
    "base_seed_key",
    "correlation_id",
    "correlation_id_for",
    "fake_clock",
    "result_mocker",
    "rfs_factory",
    "rfs_logs",
    "rfs_metrics",
]

base_seed_key = pytest.StashKey[int]()
"""Where the plugin keeps the ``--rfs-seed`` value in ``config.stash``."""

FIXED_EPOCH = 1_767_225_600.0
"""Where ``FakeClock`` starts: 2026-01-01T00:00:00Z."""


# --------------------------------------------------------------------------- mocking


class ResultMocker:
    """Patches made through the ``result_mocker`` fixture; ``undo()`` reverts them all."""

    def __init__(self) -> None:
        self._mockers: list[ResultServiceMocker] = []
        self._registered: list[tuple[str, object]] = []

    @property
    def mockers(self) -> tuple[ResultServiceMocker, ...]:
        """The mockers created so far, in order."""
        return tuple(self._mockers)

    def patch(self, target: object, method_name: str) -> ResultServiceMocker:
        """Replace ``target.method_name`` until the end of the test; returns the mocker.

        ``target`` is resolved like ``mock_result_service``'s (object, import path,
        registered name, or a name in the calling module).
        """
        mocker = ResultServiceMocker.for_service(target, method_name, frame=caller_frame())
        mocker.start()
        self._mockers.append(mocker)
        return mocker

    def register(self, name: str, service: object) -> None:
        """``register_service(name, service)`` until the end of the test."""
        previous = unregister_service(name)
        register_service(name, service)
        self._registered.append((name, previous))

    def undo(self) -> None:
        """Restore every patched method (newest first) and every registration."""
        while self._mockers:
            self._mockers.pop().stop()
        while self._registered:
            name, previous = self._registered.pop()
            unregister_service(name)
            if previous is not None:
                register_service(name, previous)


@pytest.fixture
def result_mocker() -> Iterator[ResultMocker]:
    """Result-aware method patching, undone at the end of the test."""
    mocker = ResultMocker()
    yield mocker
    mocker.undo()


# --------------------------------------------------------------------------- logs

_ENTRY_FIELDS = tuple(f.name for f in dataclasses.fields(ResultLogEntry))


def _field(entry: ResultLogEntry, name: str) -> tuple[bool, object]:
    if name in _ENTRY_FIELDS:
        return True, getattr(entry, name)
    if name in entry.metadata:
        return True, entry.metadata[name]
    return False, None


def _field_matches(expected: object, actual: object) -> bool:
    if callable(expected) and not isinstance(expected, type):
        return bool(expected(actual))
    return bool(actual == expected)


def _expected_text(expected: object) -> str:
    if callable(expected) and not isinstance(expected, type):
        return f"<predicate {getattr(expected, '__qualname__', repr(expected))}>"
    return describe_value(expected)


def _summary(entry: ResultLogEntry) -> str:
    parts = [
        f"operation_name={entry.operation_name!r}",
        f"step_name={entry.step_name!r}",
        f"result_type={entry.result_type!r}",
    ]
    if entry.error_code is not None:
        parts.append(f"error_code={entry.error_code!r}")
    return " ".join(parts)


class LogCapture:
    """The ResultLogEntries emitted while it listens (``rfs_logs`` fixture).

    Field filters compare entry fields (``operation_name``, ``result_type``,
    ``error_code``...) and ``metadata`` keys by equality; a callable is used as a
    predicate on the field's value.
    """

    def __init__(self) -> None:
        self._entries: list[ResultLogEntry] = []
        self._lock = threading.Lock()
        self._remove: Callable[[], None] | None = None

    def append(self, entry: ResultLogEntry) -> None:
        """Add one entry, as if it had been emitted (the listener ``start`` registers)."""
        with self._lock:
            self._entries.append(entry)

    def start(self) -> LogCapture:
        """Start listening; returns self."""
        if self._remove is None:
            self._remove = add_entry_listener(self.append)
        return self

    def stop(self) -> None:
        """Stop listening (entries stay)."""
        remove, self._remove = self._remove, None
        if remove is not None:
            remove()

    @property
    def entries(self) -> list[ResultLogEntry]:
        """The entries so far, in emission order (a copy)."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        """Forget the entries captured so far."""
        with self._lock:
            self._entries.clear()

    @staticmethod
    def _check_fields(fields: Mapping[str, object], method: str) -> None:
        if not fields:
            msg = f"rfs_logs.{method}() needs at least one field=value, e.g. operation_name='x'"
            raise ConfigurationError(msg)

    def filter(self, **fields: object) -> list[ResultLogEntry]:
        """The entries whose fields all match ``fields``."""
        return [e for e in self.entries if self._differences(e, fields) == []]

    @staticmethod
    def _differences(entry: ResultLogEntry, fields: Mapping[str, object]) -> list[str]:
        problems: list[str] = []
        for name, expected in fields.items():
            present, actual = _field(entry, name)
            if not present:
                problems.append(f"{name}: missing (expected {_expected_text(expected)})")
            elif not _field_matches(expected, actual):
                problems.append(
                    f"{name}: {describe_value(actual)} (expected {_expected_text(expected)})"
                )
        return problems

    def _wanted(self, fields: Mapping[str, object]) -> str:
        return ", ".join(f"{k}={_expected_text(v)}" for k, v in fields.items())

    def assert_logged(self, **fields: object) -> ResultLogEntry:
        """Assert some entry matches ``fields``; returns the first that does.

        The failure shows the nearest entries (most fields matching) and what differed.
        """
        __tracebackhide__ = True
        self._check_fields(fields, "assert_logged")
        entries = self.entries
        for entry in entries:
            if not self._differences(entry, fields):
                return entry
        wanted = self._wanted(fields)
        if not entries:
            msg = f"no ResultLogEntry matched {wanted}: no entries were logged"
            raise AssertionError(msg)
        ranked = sorted(
            enumerate(entries), key=lambda item: len(self._differences(item[1], fields))
        )
        lines = [f"no ResultLogEntry matched {wanted}; {len(entries)} logged, the nearest:"]
        for index, entry in ranked[:3]:
            lines.append(f"  [{index}] {_summary(entry)}")
            lines.extend(f"        {p}" for p in self._differences(entry, fields))
        raise AssertionError("\n".join(lines))

    def assert_not_logged(self, **fields: object) -> None:
        """Assert no entry matches ``fields``."""
        __tracebackhide__ = True
        self._check_fields(fields, "assert_not_logged")
        found = self.filter(**fields)
        if found:
            listed = "\n".join(f"  {_summary(e)}" for e in found[:5])
            msg = (
                f"expected no ResultLogEntry matching {self._wanted(fields)}; "
                f"found {len(found)}:\n{listed}"
            )
            raise AssertionError(msg)

    def assert_all_structured(self) -> None:
        """Assert every entry is a ResultLogEntry whose JSON form is complete and valid.

        Each entry's ``to_dict()`` must serialise to JSON; when ``jsonschema`` is installed
        it must also validate against the ResultLogEntry schema.
        """
        __tracebackhide__ = True
        validate = _schema_validator()
        for index, entry in enumerate(self.entries):
            problem = _structure_problem(entry, validate)
            if problem is not None:
                msg = f"entry [{index}] is not a structured ResultLogEntry: {problem}"
                raise AssertionError(msg)


def _no_schema(data: dict[str, Any]) -> str | None:  # pragma: no cover - without jsonschema
    return None


def _schema_validator() -> Callable[[dict[str, Any]], str | None]:
    try:
        jsonschema: Any = importlib.import_module("jsonschema")
    except ImportError:  # pragma: no cover - jsonschema is in the test extra
        return _no_schema
    from rfs_monitoring.result_logging import result_log_entry_schema

    validator = jsonschema.Draft202012Validator(result_log_entry_schema())

    def validate(data: dict[str, Any]) -> str | None:
        error = jsonschema.exceptions.best_match(validator.iter_errors(data))
        if error is None:
            return None
        where = "/".join(str(p) for p in error.absolute_path) or "(entry)"
        return f"{where}: {error.message}"

    return validate


def _structure_problem(
    entry: object, validate: Callable[[dict[str, Any]], str | None]
) -> str | None:
    if not isinstance(entry, ResultLogEntry):
        return f"got {type(entry).__name__}: {describe_value(entry)}"
    moment: object = entry.timestamp
    if not isinstance(moment, _dt.datetime):
        return f"timestamp is {describe_value(moment)}, not a datetime"
    data = entry.to_dict()
    try:
        json.loads(json.dumps(data))
    except (TypeError, ValueError) as exc:
        return f"{_summary(entry)}: not JSON-serialisable ({exc})"
    problem = validate(data)
    return None if problem is None else f"{_summary(entry)}: {problem}"


@pytest.fixture
def rfs_logs() -> Iterator[LogCapture]:
    """Every ResultLogEntry emitted during the test (``.entries``, ``.assert_logged()``...)."""
    capture = LogCapture().start()
    yield capture
    capture.stop()


# --------------------------------------------------------------------------- clock, metrics


class FakeClock:
    """A wall clock (epoch seconds) that moves only through ``advance`` and ``set``.

    Args:
        start: the initial time in epoch seconds (default 2026-01-01T00:00:00Z).
    """

    __slots__ = ("_lock", "_now")

    def __init__(self, start: float = FIXED_EPOCH) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self._now

    def __repr__(self) -> str:
        return f"FakeClock({self.datetime.isoformat()})"

    @property
    def now(self) -> float:
        """The current time in epoch seconds."""
        return self._now

    @property
    def datetime(self) -> _dt.datetime:
        """The current time as an aware UTC datetime."""
        return _dt.datetime.fromtimestamp(self._now, tz=_dt.timezone.utc)

    def advance(self, seconds: float = 1.0) -> float:
        """Move forward by ``seconds`` (>= 0); returns the new time.

        Raises:
            ConfigurationError: ``seconds`` is negative or not a number.
        """
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            msg = f"FakeClock.advance() expects seconds >= 0, got {seconds!r}; use set() to go back"
            raise ConfigurationError(msg)
        with self._lock:
            self._now += seconds
            return self._now

    def set(self, timestamp: float | _dt.datetime) -> float:
        """Jump to ``timestamp`` (epoch seconds or a datetime; naive means UTC)."""
        if isinstance(timestamp, _dt.datetime):
            if timestamp.tzinfo is None:
                timestamp = timestamp.replace(tzinfo=_dt.timezone.utc)
            value = timestamp.timestamp()
        elif isinstance(timestamp, (int, float)) and not isinstance(timestamp, bool):
            value = float(timestamp)
        else:
            msg = f"FakeClock.set() expects epoch seconds or a datetime, got {timestamp!r}"
            raise ConfigurationError(msg)
        with self._lock:
            self._now = value
            return value


@pytest.fixture
def fake_clock() -> FakeClock:
    """A clock at 2026-01-01T00:00:00Z that moves only when told (drives ``rfs_metrics``)."""
    return FakeClock()


@pytest.fixture
def rfs_metrics(fake_clock: FakeClock) -> Iterator[ResultMetricsCollector]:
    """An isolated collector on ``fake_clock``, served by ``ResultMetricsCollector.instance()``."""
    collector = ResultMetricsCollector(clock=fake_clock)
    previous = ResultMetricsCollector.set_instance(collector)
    yield collector
    ResultMetricsCollector.set_instance(previous)


# --------------------------------------------------------------------------- context, data


def correlation_id_for(node_id: str) -> str:
    """The fixed correlation id the ``correlation_id`` fixture binds for ``node_id``."""
    return f"test-{seed_for(node_id):08x}"


@pytest.fixture
def correlation_id(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fixed correlation id (stable per test id), bound for the test."""
    with correlation_context(correlation_id_for(request.node.nodeid)) as value:
        yield value


@pytest.fixture
def rfs_factory(request: pytest.FixtureRequest) -> ResultFactory:
    """A ResultFactory seeded from the test id and ``--rfs-seed`` (reproducible)."""
    base = request.config.stash.get(base_seed_key, 0)
    return ResultFactory(seed_for(request.node.nodeid, base))
