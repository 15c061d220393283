"""Misuse that would otherwise pass silently: a forgotten ``await`` on an async helper.

``track(coroutine, name)`` wraps the coroutine of an async assertion helper
(``assert_mono_result_success`` ...) in a ``PendingHelper``: a coroutine object remembering
where it was made. During a test the plugin watches them (``watch_call`` wraps the call
phase): one that was never awaited when the test returns fails the test with "did you forget
await?", the helper's name and its call site. Outside pytest (or outside a test) a helper
dropped without being awaited warns (RuntimeWarning) with the same words.

It also keeps what the call phase raised (``call_exception``), so that a fixture can tell a
refusal the test saw from one the code under test swallowed.

Imports only the standard library and pytest: the plugin's hooks use it on every test.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Coroutine, Generator
from typing import Any, TypeVar

import pytest

from pytest_rfs.frames import call_site, caller_frame

__all__ = [
    "PendingHelper",
    "call_exception",
    "exception_chain",
    "track",
    "watch_call",
]

T = TypeVar("T")

_lock = threading.Lock()
_watched: list[PendingHelper[Any]] | None = None  # the helpers made during the current test
_call_exception_key = pytest.StashKey[BaseException]()


class PendingHelper(Coroutine[Any, Any, T]):
    """An async helper's coroutine that knows its name and call site.

    Await it as the coroutine itself (``asyncio.run``, ``create_task`` and ``gather`` take
    it too). Dropped without being awaited, it closes the coroutine (no second warning from
    Python) and says so: a test failure under the plugin, else a RuntimeWarning.
    """

    __slots__ = ("_coro", "_name", "_site", "_state")

    def __init__(self, coro: Coroutine[Any, Any, T], name: str, site: str) -> None:
        self._coro = coro
        self._name = name
        self._site = site
        self._state = "pending"  # -> "started" (awaited) or "reported" / "closed"

    @property
    def name(self) -> str:
        """The helper's name, e.g. ``assert_mono_result_error``."""
        return self._name

    @property
    def site(self) -> str:
        """``path:line`` where the helper was called."""
        return self._site

    @property
    def pending(self) -> bool:
        """True while it has been neither awaited, closed nor reported."""
        return self._state == "pending"

    @property
    def awaited(self) -> bool:
        """True once it has been awaited (or driven with ``send``)."""
        return self._state == "started"

    def describe(self) -> str:
        """``name(...) at path:line was never awaited: did you forget await?``."""
        return f"{self._name}(...) at {self._site} was never awaited: did you forget await?"

    def __await__(self) -> Generator[Any, None, T]:
        self._state = "started"
        return self._coro.__await__()

    def send(self, value: Any) -> Any:
        self._state = "started"
        return self._coro.send(value)

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        self._state = "started"
        if val is None and tb is None:
            return self._coro.throw(typ)
        return self._coro.throw(typ, val, tb)  # pragma: no cover - legacy 3-argument form

    def close(self) -> None:
        if self._state == "pending":
            self._state = "closed"
        self._coro.close()

    def report(self) -> None:
        """Close it unawaited and mark it reported (no warning when it is collected)."""
        self._state = "reported"
        self._coro.close()

    def __del__(self) -> None:
        if self._state != "pending":
            return
        self._coro.close()
        warnings.warn(self.describe(), RuntimeWarning, stacklevel=1)


def track(coro: Coroutine[Any, Any, T], name: str) -> PendingHelper[T]:
    """Wrap the coroutine of the helper ``name`` (called from user code) for watching."""
    helper = PendingHelper(coro, name, call_site(caller_frame()))
    with _lock:
        if _watched is not None:
            _watched.append(helper)
    return helper


def _begin() -> list[PendingHelper[Any]] | None:
    global _watched
    with _lock:
        previous, _watched = _watched, []
    return previous


def _end(previous: list[PendingHelper[Any]] | None) -> list[PendingHelper[Any]]:
    global _watched
    with _lock:
        made, _watched = _watched or [], previous
    forgotten = [h for h in made if h.pending]
    for helper in forgotten:
        helper.report()
    return forgotten


def watch_call(item: pytest.Item) -> Generator[None, object, object]:
    """The body of the plugin's ``pytest_runtest_call`` wrapper.

    Fails a test that returned with an async helper never awaited; keeps what a failing
    call raised in the item's stash (``call_exception``).
    """
    previous = _begin()
    try:
        outcome = yield
    except BaseException as exc:
        item.stash[_call_exception_key] = exc
        for helper in _end(previous):
            _add_note(exc, helper.describe())
        raise
    forgotten = _end(previous)
    if forgotten:
        pytest.fail("\n".join(h.describe() for h in forgotten), pytrace=False)
    return outcome


def _add_note(exc: BaseException, note: str) -> None:
    """``exc.add_note(note)``; on Python 3.10, PEP 678's ``__notes__`` list itself (pytest
    shows it there too)."""
    add_note = getattr(exc, "add_note", None)  # Python 3.11+
    if add_note is not None:
        add_note(note)
        return
    notes = getattr(exc, "__notes__", None)
    try:
        if isinstance(notes, list):
            notes.append(note)
        else:
            exc.__notes__ = [note]  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - an exception refusing attributes keeps its report
        return


def call_exception(item: pytest.Item) -> BaseException | None:
    """What the test's call phase raised (None: it returned, or has not run yet)."""
    return item.stash.get(_call_exception_key, None)


def exception_chain(exc: BaseException | None) -> list[BaseException]:
    """``exc``, its causes and contexts, and the members of exception groups, once each."""
    seen: list[BaseException] = []
    stack = [exc] if exc is not None else []
    while stack:
        current = stack.pop()
        if any(current is s for s in seen):
            continue
        seen.append(current)
        stack.extend(e for e in (current.__cause__, current.__context__) if e is not None)
        stack.extend(getattr(current, "exceptions", ()))
    return seen
