"""The log entry: one field table, and everything derived from it.

``ResultLogEntry``'s dataclass fields are the table: their order is the order of the keys
in the JSON object; a ``Record`` (the tuple an entry travels as from the caller to the
writer thread) holds the same values in ``RECORD_FIELDS`` order; the fields marked
``omitted_when_none`` are left out of the JSON object when unset. ``entry_to_dict`` and
``entry_from_record`` are generated from that table, and the shipped JSON schema
(``result_log_entry_schema()``) is checked against it by the tests.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import operator
import time
from collections.abc import Callable
from importlib import resources
from typing import Any, Literal, cast

__all__ = [
    "FIELD_NAMES",
    "OPTIONAL_FIELDS",
    "RECORD_FIELDS",
    "REQUIRED_FIELDS",
    "Record",
    "ResultLogEntry",
    "entry_from_record",
    "entry_to_dict",
    "format_timestamp",
    "result_log_entry_schema",
    "round_ms",
]

_OMITTED_WHEN_NONE = {"omitted_when_none": True}


@dataclasses.dataclass
class ResultLogEntry:
    """One structured log entry about a Result operation or a step of its chain.

    The fields are those of the plan's schema; ``trace_id``/``span_id`` are set when
    OpenTelemetry tracing is on. ``to_dict()`` gives the JSON object written per line (it
    validates against ``rfs_monitoring/schemas/result_log_entry.schema.json``).
    """

    timestamp: datetime.datetime
    correlation_id: str
    operation_name: str
    step_name: str | None

    result_type: Literal["success", "error", "cancelled", "skipped"]
    processing_time_ms: float

    success_type: str | None = None

    error_type: str | None = None
    error_code: str | None = None
    error_message: str | None = None

    user_id: str | None = None
    request_id: str | None = None
    service_name: str = "rfs-framework"
    environment: str = "production"

    memory_usage_mb: float | None = None
    cpu_usage_percent: float | None = None

    metadata: dict[str, Any] = dataclasses.field(default_factory=dict)

    trace_id: str | None = dataclasses.field(default=None, metadata=_OMITTED_WHEN_NONE)
    span_id: str | None = dataclasses.field(default=None, metadata=_OMITTED_WHEN_NONE)
    level: str | None = dataclasses.field(default=None, metadata=_OMITTED_WHEN_NONE)
    """The level it was logged at, spelled as structlog events and stdlib records of the
    pipeline spell theirs ("INFO", "ERROR"); set on every emitted entry."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of this entry (timestamp as ISO-8601 UTC; no trace keys when off)."""
        data = {name: getattr(self, name) for name in FIELD_NAMES}
        data["timestamp"] = _iso(self.timestamp)
        if data["metadata"] is None:
            data["metadata"] = {}
        for name in OPTIONAL_FIELDS:
            if data[name] is None:
                del data[name]
        return data


_FIELDS = dataclasses.fields(ResultLogEntry)
FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in _FIELDS)
"""Every field, in the order of the JSON keys."""
OPTIONAL_FIELDS: tuple[str, ...] = tuple(f.name for f in _FIELDS if f.metadata)
"""Fields left out of the JSON object when unset (the trace ids)."""
REQUIRED_FIELDS: tuple[str, ...] = tuple(f.name for f in _FIELDS if not f.metadata)
"""Fields every JSON object has (the schema's ``required``)."""

_LEADING = (
    "timestamp",
    "processing_time_ms",
    "correlation_id",
    "operation_name",
    "user_id",
    "request_id",
)
RECORD_FIELDS: tuple[str, ...] = (*_LEADING, *(n for n in FIELD_NAMES if n not in _LEADING))
"""Every field, in the order of a ``Record``'s values: what changes with every entry first
(timestamp, duration, correlation id), then the operation, then the per-request ids, then
the rest in ``FIELD_NAMES`` order. The writer's template path (``fastline``) compares an
entry's values from the ids on with its operation's last entry as one slice, and those
after the ids as one slice when a new request's ids differ."""
assert sorted(RECORD_FIELDS) == sorted(FIELD_NAMES), RECORD_FIELDS

Record = tuple[Any, ...]
"""An entry on its way to the writer: the values in ``RECORD_FIELDS`` order, except that
the timestamp is epoch seconds and an empty ``metadata`` may be None (cheaper to build)."""

_TIMESTAMP = RECORD_FIELDS.index("timestamp")
_METADATA = RECORD_FIELDS.index("metadata")
_DURATION = RECORD_FIELDS.index("processing_time_ms")
_IN_FIELD_ORDER = tuple(RECORD_FIELDS.index(name) for name in FIELD_NAMES)
"""Where each of ``FIELD_NAMES`` is in a ``Record``."""
_in_field_order = operator.itemgetter(*_IN_FIELD_ORDER)
_FIELD_TIMESTAMP, _FIELD_METADATA, _FIELD_DURATION = (
    FIELD_NAMES.index(name) for name in ("timestamp", "metadata", "processing_time_ms")
)
_UTC = datetime.timezone.utc


def round_ms(milliseconds: float) -> float:
    """A duration in milliseconds rounded to the microsecond (``12.3456789`` -> ``12.346``),
    as every entry shows it (the metrics keep the exact value)."""
    return round(milliseconds * 1000.0) / 1000.0


def _make_entry_to_dict() -> Callable[[Record], dict[str, Any]]:
    """``entry_to_dict`` generated from the field table: one dict display, the timestamp
    and the duration formatted inline (the writer thread runs it once per entry)."""
    names = FIELD_NAMES
    assert names[-len(OPTIONAL_FIELDS) :] == OPTIONAL_FIELDS, "optional fields come last"
    values = {
        "timestamp": "f'{cached[1]}{str(1_000_000 + micro)[1:]}Z'",  # ~ {micro:06d}, faster
        "processing_time_ms": f"round(r[{_DURATION}] * 1000.0) / 1000.0",
        "metadata": f"{{}} if r[{_METADATA}] is None else r[{_METADATA}]",
    }
    items = ", ".join(
        f"{name!r}: {values.get(name, f'r[{i}]')}"
        for i, name in zip(_IN_FIELD_ORDER, names, strict=True)
        if name not in OPTIONAL_FIELDS
    )
    optional = "".join(
        f"    if r[{i}] is not None:\n        d[{name!r}] = r[{i}]\n"
        for i, name in zip(_IN_FIELD_ORDER, names, strict=True)
        if name in OPTIONAL_FIELDS
    )
    source = (
        "def entry_to_dict(r):\n"
        f"    epoch = r[{_TIMESTAMP}]\n"
        "    second = int(epoch)\n"
        "    micro = round((epoch - second) * 1e6)\n"
        "    if micro >= 1_000_000:\n"
        "        second += 1\n"
        "        micro -= 1_000_000\n"
        "    cached = _second_cache[0]\n"
        "    if cached[0] != second:\n"
        "        cached = _second_prefix(second)\n"
        f"    d = {{{items}}}\n"
        f"{optional}"
        "    return d\n"
    )
    namespace: dict[str, Any] = {"_second_cache": _second_cache, "_second_prefix": _second_prefix}
    # generated from the field table, as dataclasses and namedtuple generate their code
    exec(compile(source, f"<generated {__name__}.entry_to_dict>", "exec"), namespace)
    function: Callable[[Record], dict[str, Any]] = namespace["entry_to_dict"]
    function.__module__ = __name__
    function.__doc__ = """The JSON object of a record (what ``ResultLogEntry.to_dict`` gives for it
    too): the timestamp as ``format_timestamp`` spells it, the duration rounded to the
    microsecond (``round_ms``), an unset ``metadata`` as ``{}``, unset trace ids left out."""
    return function


_second_cache: list[tuple[int | None, str]] = [(None, "")]  # None: no second yet


def _second_prefix(second: int) -> tuple[int, str]:
    """``(second, "YYYY-MM-DDTHH:MM:SS.")`` of an epoch second, cached as the current one."""
    cached = (second, time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(second)))
    _second_cache[0] = cached
    return cached


entry_to_dict = _make_entry_to_dict()


def entry_from_record(record: Record) -> ResultLogEntry:
    """The ``ResultLogEntry`` of a record (its metadata a copy of the record's)."""
    values = list(_in_field_order(record))
    values[_FIELD_TIMESTAMP] = datetime.datetime.fromtimestamp(record[_TIMESTAMP], _UTC)
    metadata = record[_METADATA]
    values[_FIELD_METADATA] = {} if metadata is None else dict(metadata)
    values[_FIELD_DURATION] = round_ms(record[_DURATION])
    return ResultLogEntry(*values)


def _iso(moment: datetime.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_UTC)
    utc = moment.astimezone(_UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds") + "Z"


def format_timestamp(epoch: float) -> str:
    """``epoch`` seconds as RFC 3339 UTC with microseconds and ``Z``, e.g.
    ``1970-01-01T00:00:01.500000Z`` (every entry, event and record is spelled so).

    Rounded like ``datetime.fromtimestamp``; the date-time prefix is cached per second.
    """
    second = int(epoch)
    micro = round((epoch - second) * 1e6)
    if micro >= 1_000_000:
        second += 1
        micro -= 1_000_000
    cached = _second_cache[0]
    if cached[0] != second:
        cached = _second_prefix(second)
    return f"{cached[1]}{micro:06d}Z"


def result_log_entry_schema() -> dict[str, Any]:
    """The JSON schema (draft 2020-12) every rendered entry validates against."""
    text = (
        resources.files("rfs_monitoring")
        .joinpath("schemas/result_log_entry.schema.json")
        .read_text(encoding="utf-8")
    )
    return cast("dict[str, Any]", json.loads(text))
