"""``LogCapture``, the class behind the ``rfs_logs`` fixture: the entries a test emitted.

Field filters (``operation_name="x"``, ``result_type="error"``, a metadata key, or a
predicate) select entries; ``assert_logged``, ``assert_logged_once``,
``assert_logged_in_order``, ``assert_not_logged`` and ``count`` use them, and
``entries(normalize=True)`` gives plain dicts a test can compare to a literal.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import importlib
import json
import threading
from collections.abc import Callable, Mapping
from typing import Any

from pytest_rfs.explain import describe_value, plural
from pytest_rfs.log_normalize import normalize_entries
from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.result_logging import ResultLogEntry, add_entry_listener

__all__ = ["Entries", "LogCapture"]


class Entries(list[ResultLogEntry]):
    """The captured entries (a list); call it for a copy, ``normalize=True`` for dicts.

    ``rfs_logs.entries`` is the list of ``ResultLogEntry``; ``rfs_logs.entries()`` the
    same; ``rfs_logs.entries(normalize=True)`` their JSON objects with the volatile fields
    replaced by stable placeholders (see ``pytest_rfs.log_normalize``).
    """

    def __call__(self, *, normalize: bool = False) -> list[Any]:
        if normalize:
            return normalize_entries(self)
        return list(self)


_ENTRY_FIELDS = tuple(f.name for f in dataclasses.fields(ResultLogEntry))
_LISTED = 5
_MAX_SHOWN = 20


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
    def entries(self) -> Entries:
        """The entries so far, in emission order (a copy; ``entries(normalize=True)``: dicts)."""
        with self._lock:
            return Entries(self._entries)

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

    def count(self, **fields: object) -> int:
        """How many entries match ``fields`` (all entries without any)."""
        return len(self.filter(**fields)) if fields else len(self.entries)

    def assert_logged_once(self, **fields: object) -> ResultLogEntry:
        """Assert exactly one entry matches ``fields``; returns it."""
        __tracebackhide__ = True
        self._check_fields(fields, "assert_logged_once")
        found = self.filter(**fields)
        if len(found) == 1:
            return found[0]
        if not found:
            self.assert_logged(**fields)  # fails, showing the nearest entries
        listed = "\n".join(f"  {_summary(e)}" for e in found[:_LISTED])
        msg = (
            f"expected one ResultLogEntry matching {self._wanted(fields)}; "
            f"found {len(found)}:\n{listed}"
        )
        raise AssertionError(msg)

    def assert_logged_in_order(self, *steps: Mapping[str, object]) -> list[ResultLogEntry]:
        """Assert entries matching each of ``steps`` were logged in this order.

        Each step is a mapping of fields (as ``assert_logged`` takes them); other entries
        may come between. Returns the matched entries.
        """
        __tracebackhide__ = True
        if not steps or not all(isinstance(s, Mapping) and s for s in steps):
            msg = (
                "rfs_logs.assert_logged_in_order() expects mappings of field=value, e.g. "
                f"assert_logged_in_order({{'step_name': 'fetch'}}, {{'step_name': 'save'}}), "
                f"got {steps!r}"
            )
            raise ConfigurationError(msg)
        entries = self.entries
        matched: list[ResultLogEntry] = []
        start = 0
        for number, step in enumerate(steps, start=1):
            index = next(
                (i for i in range(start, len(entries)) if not self._differences(entries[i], step)),
                None,
            )
            if index is None:
                raise AssertionError(self._order_message(number, step, start, entries))
            matched.append(entries[index])
            start = index + 1
        return matched

    def _order_message(
        self, number: int, step: Mapping[str, object], start: int, entries: list[ResultLogEntry]
    ) -> str:
        earlier = [i for i in range(start) if not self._differences(entries[i], step)]
        where = f"only before it, at [{', '.join(map(str, earlier))}]" if earlier else "nowhere"
        after = f" after entry [{start - 1}]" if start else ""
        lines = [
            f"step {number} ({self._wanted(step)}) was not logged{after}: it matches {where}; "
            f"{plural(len(entries), 'entry', 'entries')} logged:"
        ]
        lines.extend(f"  [{i}] {_summary(e)}" for i, e in enumerate(entries[:_MAX_SHOWN]))
        if len(entries) > _MAX_SHOWN:
            lines.append(f"  ... and {len(entries) - _MAX_SHOWN} more")
        return "\n".join(lines)

    def assert_not_logged(self, **fields: object) -> None:
        """Assert no entry matches ``fields``."""
        __tracebackhide__ = True
        self._check_fields(fields, "assert_not_logged")
        found = self.filter(**fields)
        if found:
            listed = "\n".join(f"  {_summary(e)}" for e in found[:_LISTED])
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
