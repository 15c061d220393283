"""ResultLogEntry, its field table, records, timestamps, and the JSON schema (shipped with
the package, strict, and met by every entry)."""

from __future__ import annotations

import dataclasses
import datetime
import io
import json
import types
import typing
from logging import ERROR, INFO
from typing import Any

import jsonschema
import pytest

from rfs_monitoring import APIError, Failure, MonoResult, Success
from rfs_monitoring.result_logging import (
    ResultLogEntry,
    configure_logging,
    log_result_operation,
    logging_stats,
    reset_logging,
    result_log_entry_schema,
)
from rfs_monitoring.result_logging.emit import emit_entry
from rfs_monitoring.result_logging.entry import (
    FIELD_NAMES,
    OPTIONAL_FIELDS,
    RECORD_FIELDS,
    REQUIRED_FIELDS,
    entry_from_record,
    entry_to_dict,
    format_timestamp,
)

PLAN_FIELDS = [
    "timestamp",
    "correlation_id",
    "operation_name",
    "step_name",
    "result_type",
    "processing_time_ms",
    "success_type",
    "error_type",
    "error_code",
    "error_message",
    "user_id",
    "request_id",
    "service_name",
    "environment",
    "memory_usage_mb",
    "cpu_usage_percent",
    "metadata",
]


@pytest.fixture
def validator() -> jsonschema.Draft202012Validator:
    schema = result_log_entry_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _entry(**overrides: Any) -> dict[str, Any]:
    entry = ResultLogEntry(
        timestamp=datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
        correlation_id="abc-123",
        operation_name="op",
        step_name=None,
        result_type="success",
        processing_time_ms=1.5,
        success_type="int",
    )
    return {**entry.to_dict(), **overrides}


_JSON_TYPES = {str: "string", float: "number", dict: "object", datetime.datetime: "string"}


def _json_type(hint: Any, omitted_when_none: bool) -> object:
    """The schema's ``type`` (or ``enum``) for a field annotation."""
    if typing.get_origin(hint) is typing.Literal:
        return list(typing.get_args(hint))
    if isinstance(hint, types.UnionType):
        [inner] = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        # a field left out when unset has no null in the schema
        return _JSON_TYPES[inner] if omitted_when_none else [_JSON_TYPES[inner], "null"]
    return _JSON_TYPES[typing.get_origin(hint) or hint]


class TestSchemaFile:
    def test_the_dataclass_has_exactly_the_plan_fields_plus_trace_ids(self) -> None:
        names = [f.name for f in dataclasses.fields(ResultLogEntry)]
        assert names == [*PLAN_FIELDS, "trace_id", "span_id", "level"]

    def test_the_schema_requires_exactly_the_plan_fields(self) -> None:
        schema = result_log_entry_schema()
        assert schema["required"] == PLAN_FIELDS
        assert set(schema["properties"]) == {*PLAN_FIELDS, "trace_id", "span_id", "level"}
        assert schema["additionalProperties"] is False

    def test_the_schema_follows_the_field_table(self) -> None:
        """Keys, required keys and each key's JSON type are those of ResultLogEntry's fields."""
        schema = result_log_entry_schema()
        assert list(schema["properties"]) == list(FIELD_NAMES)
        assert schema["required"] == list(REQUIRED_FIELDS)
        assert OPTIONAL_FIELDS == ("trace_id", "span_id", "level")
        hints = typing.get_type_hints(ResultLogEntry)
        for name in FIELD_NAMES:
            prop = schema["properties"][name]
            declared = prop["enum"] if "enum" in prop else prop["type"]
            assert declared == _json_type(hints[name], name in OPTIONAL_FIELDS), name

    def test_a_record_in_record_order_gives_each_value_under_its_field(self) -> None:
        """A Record holds the fields in RECORD_FIELDS order (what changes per entry first, the
        ids before the rest: the writer compares slices of it); the JSON object and the
        entry take each value from its place, in FIELD_NAMES order."""
        assert sorted(RECORD_FIELDS) == sorted(FIELD_NAMES)
        leading = "timestamp processing_time_ms correlation_id operation_name user_id request_id"
        first = tuple(leading.split())
        assert RECORD_FIELDS[:6] == first
        assert RECORD_FIELDS[6:] == tuple(name for name in FIELD_NAMES if name not in first)
        special = {"timestamp": 1.5, "processing_time_ms": 2.25, "metadata": {"k": 1}}
        record = tuple(special.get(name, f"value of {name}") for name in RECORD_FIELDS)
        data = entry_to_dict(record)
        assert list(data) == list(FIELD_NAMES)
        assert data == {
            **{name: f"value of {name}" for name in FIELD_NAMES},
            **special,
            "timestamp": "1970-01-01T00:00:01.500000Z",
        }
        entry = entry_from_record(record)
        assert entry.to_dict() == data
        assert entry.metadata == {"k": 1}
        assert entry.metadata is not record[RECORD_FIELDS.index("metadata")]

    def test_to_dict_matches_the_schema(self, validator: jsonschema.Draft202012Validator) -> None:
        validator.validate(_entry())
        assert _entry()["timestamp"] == "2026-01-02T03:04:05.000000Z"

    def test_trace_ids_appear_only_when_set(self) -> None:
        assert "trace_id" not in _entry()
        traced = ResultLogEntry(
            timestamp=datetime.datetime.now(datetime.timezone.utc),
            correlation_id="c",
            operation_name="op",
            step_name="s",
            result_type="error",
            processing_time_ms=0.0,
            error_type="ValueError",
            error_message="bad",
            trace_id="0" * 32,
            span_id="1" * 16,
        ).to_dict()
        assert (traced["trace_id"], traced["span_id"]) == ("0" * 32, "1" * 16)

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("result_type", "maybe"),
            ("processing_time_ms", -1.0),
            ("timestamp", "2026-01-02 03:04:05"),
            ("correlation_id", "has space"),
            ("metadata", []),
            ("unexpected", 1),
            ("error_type", "ValueError"),  # a success entry carries no error
            ("trace_id", "xyz"),
        ],
    )
    def test_bad_entries_are_rejected(
        self, validator: jsonschema.Draft202012Validator, field: str, value: object
    ) -> None:
        assert not validator.is_valid(_entry(**{field: value}))

    def test_an_error_entry_needs_its_error_type(
        self, validator: jsonschema.Draft202012Validator
    ) -> None:
        bad = _entry(result_type="error", success_type=None, error_message="x")
        assert not validator.is_valid(bad)
        validator.validate({**bad, "error_type": "APIError"})


class TestEmittedEntries:
    def test_written_json_lines_validate(self, validator: jsonschema.Draft202012Validator) -> None:
        sink = io.StringIO()
        configure_logging(sink=sink, background=False)
        try:

            @log_result_operation("schema_op")
            def op(n: int) -> MonoResult[int, APIError]:
                mono = MonoResult.from_value(n).log_step("first")
                if n < 0:
                    return mono.bind_result(
                        lambda v: Failure(APIError.not_found("thing", v))
                    ).log_error("bad")
                return mono.map(lambda v: v + 1).log_step("second")

            import asyncio

            assert asyncio.run(op(1).to_result()) == Success(2)
            assert asyncio.run(op(-1).to_result()).is_failure()
        finally:
            reset_logging()
        lines = [json.loads(line) for line in sink.getvalue().splitlines()]
        assert len(lines) == 6
        for line in lines:
            validator.validate(line)

    def test_the_session_audit_is_validating_entries(self, request: pytest.FixtureRequest) -> None:
        audit = request.getfixturevalue("rfs_entry_schema_audit")

        @log_result_operation("audited")
        def op() -> Success[int]:
            return Success(1)

        before = audit.checked
        op()
        assert audit.checked == before + 1
        assert audit.invalid == []


class TestStats:
    def test_stats_keys(self) -> None:
        assert set(logging_stats()) >= {
            "emitted",
            "dropped",
            "sink_errors",
            "serialization_errors",
            "masking_errors",
            "queued",
        }

    def test_entry_to_record_round_trip(self) -> None:
        rec = emit_entry(INFO, "op", "s", Success(1), -1.0, "c", None, {"k": "v"}, None, "u")
        entry = entry_from_record(rec)
        assert entry.processing_time_ms == 0.0
        assert entry.to_dict() == entry_to_dict(rec)

    @pytest.mark.parametrize(
        "ts", [0.0, 1.5, 1767225599.9999996, 1767225600.0000004, 1700000000.123456]
    )
    def test_timestamps_render_like_datetime(self, ts: float) -> None:
        import datetime

        expected = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)
        assert (
            format_timestamp(ts)
            == expected.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
        )

    def test_a_record_holds_each_value_under_its_field(self) -> None:
        configure_logging(
            sink=io.StringIO(), background=False, service_name="svc", environment="env"
        )
        error = APIError.not_found("thing", 7)
        rec = emit_entry(
            ERROR, "op", "step", Failure(error), 2.5, "cid", None, {"k": 1}, None, "u-1"
        )
        data = entry_to_dict(rec)
        assert list(data) == [*REQUIRED_FIELDS, "level"]  # no trace ids: tracing is off
        described = {k: v for k, v in data.items() if k not in ("timestamp", "error_message")}
        assert described == {
            "correlation_id": "cid",
            "operation_name": "op",
            "step_name": "step",
            "result_type": "error",
            "processing_time_ms": 2.5,
            "success_type": None,
            "error_type": "APIError",
            "error_code": "NOT_FOUND",
            "user_id": "u-1",
            "request_id": None,
            "service_name": "svc",
            "environment": "env",
            "memory_usage_mb": data["memory_usage_mb"],
            "cpu_usage_percent": data["cpu_usage_percent"],
            "metadata": {"k": 1},
            "level": "ERROR",
        }
        assert data["error_message"] == error.message
