"""The log entry: one field table, and everything derived from it.

``ResultLogEntry``'s dataclass fields are the table: their order is the order of the keys
in the JSON object and of the values in a ``Record`` (the tuple an entry travels as from
the caller to the writer thread); the fields marked ``omitted_when_none`` are left out of
the JSON object when unset. ``entry_to_dict`` and ``entry_from_record`` are generated from
that table, and the shipped JSON schema (``result_log_entry_schema()``) is checked against
it by the tests.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import time
from importlib import resources
from typing import Any, Literal, cast

__all__ = [
    "FIELD_NAMES",
    "OPTIONAL_FIELDS",
    "REQUIRED_FIELDS",
    "Record",
    "ResultLogEntry",
    "entry_from_record",
    "entry_to_dict",
    "format_timestamp",
    "result_log_entry_schema",
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

    result_type: Literal["success", "error"]
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

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of this entry (timestamp as ISO-8601 UTC; no trace keys when off)."""
        data = {name: getattr(self, name) for name in FIELD_NAMES}
        return _json_object(data, _iso(self.timestamp))


_FIELDS = dataclasses.fields(ResultLogEntry)
FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in _FIELDS)
"""Every field, in the order of the JSON keys and of a ``Record``'s values."""
OPTIONAL_FIELDS: tuple[str, ...] = tuple(f.name for f in _FIELDS if f.metadata)
"""Fields left out of the JSON object when unset (the trace ids)."""
REQUIRED_FIELDS: tuple[str, ...] = tuple(f.name for f in _FIELDS if not f.metadata)
"""Fields every JSON object has (the schema's ``required``)."""

Record = tuple[Any, ...]
"""An entry on its way to the writer: the values in ``FIELD_NAMES`` order, except that the
timestamp is epoch seconds and an empty ``metadata`` may be None (cheaper to build)."""

_TIMESTAMP = FIELD_NAMES.index("timestamp")
_METADATA = FIELD_NAMES.index("metadata")
_UTC = datetime.timezone.utc


def _json_object(data: dict[str, Any], timestamp: str) -> dict[str, Any]:
    data["timestamp"] = timestamp
    if data["metadata"] is None:
        data["metadata"] = {}
    for name in OPTIONAL_FIELDS:
        if data[name] is None:
            del data[name]
    return data


def entry_to_dict(record: Record) -> dict[str, Any]:
    """The JSON object of a record (what ``ResultLogEntry.to_dict`` gives for it too)."""
    return _json_object(
        dict(zip(FIELD_NAMES, record, strict=True)), format_timestamp(record[_TIMESTAMP])
    )


def entry_from_record(record: Record) -> ResultLogEntry:
    """The ``ResultLogEntry`` of a record (its metadata a copy of the record's)."""
    values = list(record)
    values[_TIMESTAMP] = datetime.datetime.fromtimestamp(record[_TIMESTAMP], _UTC)
    metadata = record[_METADATA]
    values[_METADATA] = {} if metadata is None else dict(metadata)
    return ResultLogEntry(*values)


def _iso(moment: datetime.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_UTC)
    utc = moment.astimezone(_UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds") + "Z"


_second_cache: list[tuple[int, str]] = [(-1, "")]


def format_timestamp(epoch: float) -> str:
    """``epoch`` seconds as ISO-8601 UTC with microseconds, e.g. ``1970-01-01T00:00:01.500000Z``.

    Rounded like ``datetime.fromtimestamp``; the date-time prefix is cached per second.
    """
    second = int(epoch)
    micro = round((epoch - second) * 1e6)
    if micro >= 1_000_000:
        second += 1
        micro -= 1_000_000
    cached = _second_cache[0]
    if cached[0] != second:
        cached = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
        _second_cache[0] = cached
    return f"{cached[1]}.{micro:06d}Z"


def result_log_entry_schema() -> dict[str, Any]:
    """The JSON schema (draft 2020-12) every rendered entry validates against."""
    text = (
        resources.files("rfs_monitoring")
        .joinpath("schemas/result_log_entry.schema.json")
        .read_text(encoding="utf-8")
    )
    return cast("dict[str, Any]", json.loads(text))
