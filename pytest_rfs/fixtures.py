"""Fixtures of the ``rfs`` plugin and the classes behind them.

Each fixture is create -> ``yield`` -> undo; the logic lives in a class:

- ``result_mocker`` (``ResultMocker``): ``result_mocker.patch(target, method)`` like
  ``mock_result_service``, ``result_mocker.spy(target, method)``; every patch and
  registration is undone at teardown, and a refusal the code under test swallowed fails
  the test there.
- ``rfs_logs`` (``LogCapture``): every ``ResultLogEntry`` emitted during the test.
- ``rfs_metrics``: an isolated ``ResultMetricsCollector`` driven by ``rfs_clock``;
  ``ResultMetricsCollector.instance()`` returns it during the test.
- ``rfs_clock`` (``FakeClock``): a clock that moves only when told to.
- ``rfs_correlation_id``: a fixed correlation id, bound for the test.
- ``rfs_factory`` (``ResultFactory``): seeded test data.

``fake_clock`` and ``correlation_id``, the old names, stay for one release: using them
warns (DeprecationWarning) naming the new name.
"""

from __future__ import annotations

import datetime as _dt
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from pytest_rfs.generators import ResultFactory, seed_for
from pytest_rfs.log_capture import LogCapture
from pytest_rfs.misuse import call_exception, exception_chain
from pytest_rfs.mocking import ResultServiceMocker
from pytest_rfs.registry import caller_frame, register_service, unregister_service
from pytest_rfs.spying import ResultSpy, spy_on
from rfs_monitoring.context import correlation_context
from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.metrics import ResultMetricsCollector

__all__ = [
    "DEPRECATED_FIXTURES",
    "FIXED_EPOCH",
    "FakeClock",
    "LogCapture",
    "ResultMocker",
    "base_seed_key",
    "correlation_id",
    "correlation_id_for",
    "fake_clock",
    "result_mocker",
    "rfs_clock",
    "rfs_correlation_id",
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
    """Patches and spies made through the ``result_mocker`` fixture; ``undo()`` reverts them.

    At the end of the test the fixture fails it when a mocker refused a call (it was not
    configured, or its ``return_sequence`` ran out) and the code under test swallowed the
    refusal (a broad ``except``, ``asyncio.gather(..., return_exceptions=True)``).
    """

    def __init__(self) -> None:
        self._mockers: list[ResultServiceMocker] = []
        self._patched: list[ResultServiceMocker | ResultSpy] = []
        self._spies: list[ResultSpy] = []
        self._registered: list[tuple[str, object]] = []
        self._watched: list[ResultServiceMocker] = []  # refusals checked at teardown

    @property
    def mockers(self) -> tuple[ResultServiceMocker, ...]:
        """The mockers created so far, in order."""
        return tuple(self._mockers)

    @property
    def spies(self) -> tuple[ResultSpy, ...]:
        """The spies created so far, in order."""
        return tuple(self._spies)

    def patch(self, target: object, method_name: str) -> ResultServiceMocker:
        """Replace ``target.method_name`` until the end of the test; returns the mocker.

        ``target`` is resolved like ``mock_result_service``'s (object, import path,
        registered name, or a name in the calling module).
        """
        mocker = ResultServiceMocker.for_service(target, method_name, frame=caller_frame())
        mocker.start()
        self._mockers.append(mocker)
        self._watched.append(mocker)
        self._patched.append(mocker)
        return mocker

    def spy(self, target: object, method_name: str) -> ResultSpy:
        """Wrap ``target.method_name`` until the end of the test: the real method runs.

        The spy records the calls (``assert_called_once_with`` ...), the awaits and the
        Results the real method returned (``results``, ``spy_return``).
        """
        spy = spy_on(target, method_name, frame=caller_frame())
        spy.start()
        self._spies.append(spy)
        self._patched.append(spy)
        return spy

    def register(self, name: str, service: object) -> None:
        """``register_service(name, service)`` until the end of the test."""
        previous = unregister_service(name)
        register_service(name, service)
        self._registered.append((name, previous))

    def resetall(self) -> None:
        """Forget the calls, awaits and results of every mocker and spy (configuration stays)."""
        for stand_in in self._patched:
            stand_in.reset_calls()

    def stopall(self) -> None:
        """Restore every patched method (newest first) and forget the mockers and spies.

        Their records stay readable on the objects ``patch`` and ``spy`` returned.
        """
        while self._patched:
            self._patched.pop().stop()
        self._mockers.clear()
        self._spies.clear()

    def undo(self) -> None:
        """Restore every patched method (newest first) and every registration."""
        self.stopall()
        while self._registered:
            name, previous = self._registered.pop()
            unregister_service(name)
            if previous is not None:
                register_service(name, previous)

    def swallowed_refusals(self, raised: BaseException | None) -> str | None:
        """What to fail the test with when a refusal never reached it (None: nothing).

        Args:
            raised: what the test raised, if anything; a refusal among it (or its causes)
                reached the test and is not reported again.
        """
        seen = exception_chain(raised)
        lines: list[str] = []
        for mocker in self._watched:
            for refusal in mocker.refusals:
                if any(refusal.exception is e for e in seen):
                    continue
                lines.append(
                    f"{mocker.name} refused call {refusal.number}, {refusal.call}, and the "
                    "code under test swallowed the refusal (a broad except, or "
                    "asyncio.gather(..., return_exceptions=True)):\n"
                    f"  {refusal.exception}"
                )
        return "\n".join(lines) if lines else None


@pytest.fixture
def result_mocker(request: pytest.FixtureRequest) -> Iterator[ResultMocker]:
    """Result-aware method patching and spying, undone at the end of the test."""
    mocker = ResultMocker()
    yield mocker
    try:
        problem = mocker.swallowed_refusals(call_exception(request.node))
    finally:
        mocker.undo()
    if problem is not None:
        pytest.fail(problem, pytrace=False)


# --------------------------------------------------------------------------- logs


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
def rfs_clock() -> FakeClock:
    """A clock at 2026-01-01T00:00:00Z that moves only when told (drives ``rfs_metrics``)."""
    return FakeClock()


@pytest.fixture
def rfs_metrics(rfs_clock: FakeClock) -> Iterator[ResultMetricsCollector]:
    """An isolated collector on ``rfs_clock``, served by ``ResultMetricsCollector.instance()``."""
    collector = ResultMetricsCollector(clock=rfs_clock)
    previous = ResultMetricsCollector.set_instance(collector)
    yield collector
    ResultMetricsCollector.set_instance(previous)


# --------------------------------------------------------------------------- context, data


def correlation_id_for(node_id: str) -> str:
    """The fixed correlation id the ``rfs_correlation_id`` fixture binds for ``node_id``."""
    return f"test-{seed_for(node_id):08x}"


@pytest.fixture
def rfs_correlation_id(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fixed correlation id (stable per test id), bound for the test."""
    with correlation_context(correlation_id_for(request.node.nodeid)) as value:
        yield value


@pytest.fixture
def rfs_factory(request: pytest.FixtureRequest) -> ResultFactory:
    """A ResultFactory seeded from the test id and ``--rfs-seed`` (reproducible)."""
    base = request.config.stash.get(base_seed_key, 0)
    return ResultFactory(seed_for(request.node.nodeid, base))


# --------------------------------------------------------------------------- old names

DEPRECATED_FIXTURES: dict[str, str] = {
    "fake_clock": "rfs_clock",
    "correlation_id": "rfs_correlation_id",
}
"""Fixture names kept for one release: old name -> new name."""


def _deprecated_alias(old: str, new: str) -> Any:
    def alias(request: pytest.FixtureRequest) -> Any:
        warnings.warn(
            f"the fixture {old!r} is deprecated and will be removed in the next release; "
            f"use {new!r}",
            DeprecationWarning,
            stacklevel=2,
        )
        return request.getfixturevalue(new)

    alias.__name__ = alias.__qualname__ = old
    alias.__doc__ = f"Deprecated: use ``{new}``."
    return pytest.fixture(name=old)(alias)


fake_clock = _deprecated_alias("fake_clock", DEPRECATED_FIXTURES["fake_clock"])
correlation_id = _deprecated_alias("correlation_id", DEPRECATED_FIXTURES["correlation_id"])
