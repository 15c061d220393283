"""The writer's template fast path (``fastline``) writes exactly the full renderer's line.

Property: for any sequence of records (arbitrary text, ints, floats, None in every field,
values repeated as the same objects so that templates are learnt and reused, ``0.0`` next
to ``-0.0``, ``1`` next to ``1.0``, the per-request values (user id, request id, trace
and span ids) varying between records as in an app, shared or fresh), each line the
encoder gives is byte for byte the line of ``render_json(entry_to_dict(record))``; a
record it declines (None) is one the full path must render.
"""

from __future__ import annotations

import io
import logging
import math
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rfs_monitoring.result import Success
from rfs_monitoring.result_logging import fastline
from rfs_monitoring.result_logging.emit import emit_entry
from rfs_monitoring.result_logging.entry import RECORD_FIELDS, entry_to_dict
from rfs_monitoring.result_logging.fastline import (
    RELEARN_AFTER,
    LineEncoders,
)
from rfs_monitoring.result_logging.render import DEFAULT_BOUNDS, render_json
from rfs_monitoring.result_logging.state import STATE
from rfs_monitoring.result_logging.writer import ITEM_ENTRY, ITEM_EVENT, Writer

from .support import make_record

_VALUES = st.one_of(
    st.none(),
    st.text(),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.sampled_from([0.0, -0.0, 1, 1.0, True, "", "INFO", 1e-5, 1e16]),
)
_EPOCHS = st.one_of(
    st.floats(min_value=0.0, max_value=4e9),
    st.floats(min_value=-1e6, max_value=0.0),
    st.integers(min_value=-(10**6), max_value=4 * 10**9),
    _VALUES,
)
_TIMESTAMP = RECORD_FIELDS.index("timestamp")
_CORRELATION = RECORD_FIELDS.index("correlation_id")
_DURATION = RECORD_FIELDS.index("processing_time_ms")
_METADATA = RECORD_FIELDS.index("metadata")
_MEMORY = RECORD_FIELDS.index("memory_usage_mb")
_CPU = RECORD_FIELDS.index("cpu_usage_percent")
_FIGURES = st.sampled_from([None, 0.0, -0.0, 1.0, 12.5, math.inf, math.nan])
_IDS = tuple(RECORD_FIELDS.index(name) for name in ("user_id", "request_id", "trace_id", "span_id"))


@st.composite
def _records(draw: st.DrawFn) -> list[tuple[Any, ...]]:
    """A base record and variations of it: one to three fields replaced by values of a
    small pool (shared objects: templates are learnt and hit) or fresh ones; the
    timestamp, correlation id and duration vary freely, the resource figures vary as floats
    (``0.0`` next to ``-0.0``), the user, request, trace and span ids vary as text (shared
    or fresh; the trace ids present where the base has them, else None), metadata is
    mostly None."""
    pool = draw(st.lists(_VALUES, min_size=1, max_size=4))
    fields = st.one_of(st.sampled_from(pool), _VALUES)
    texts = st.one_of(st.none(), st.text(max_size=8), st.sampled_from(["", "INFO", "op"]))
    base: list[Any] = [draw(texts) for _ in RECORD_FIELDS]  # what a template can hold
    base[_MEMORY] = draw(st.one_of(st.none(), st.floats(), st.sampled_from(pool)))
    base[_CPU] = draw(st.one_of(st.none(), st.floats(), st.sampled_from(pool)))
    base[_METADATA] = None
    id_pool = draw(st.lists(st.text(max_size=8), min_size=1, max_size=3))
    ids = st.one_of(st.sampled_from(id_pool), st.text(max_size=8))
    records = []
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        values = list(base)
        for index in _IDS:  # per request / per call: the trace ids keep their presence
            if base[index] is not None or index < _METADATA:
                values[index] = draw(st.one_of(st.none(), ids) if index < _METADATA else ids)
        for index in (_MEMORY, _CPU):  # sampled once a second: shared objects, or fresh
            values[index] = draw(st.one_of(st.just(base[index]), _FIGURES, st.floats()))
        for index in draw(st.lists(st.integers(0, len(RECORD_FIELDS) - 1), max_size=3)):
            values[index] = draw(fields)
        values[_TIMESTAMP] = draw(st.one_of(st.sampled_from(pool), _EPOCHS))
        values[_CORRELATION] = draw(fields)
        values[_DURATION] = draw(fields)
        values[_METADATA] = draw(
            st.one_of(st.none(), st.none(), st.none(), st.dictionaries(st.text(), _VALUES))
        )
        records.append(tuple(values))
    return records


def _full_line(record: tuple[Any, ...]) -> bytes | None:
    """The full renderer's line of ``record`` (None: the record cannot be made a dict)."""
    try:
        data = entry_to_dict(record)
    except Exception:  # such a record is written reduced by the writer
        return None
    return render_json(data, DEFAULT_BOUNDS, fixed_keys=True) + b"\n"


@settings(max_examples=400, deadline=None)
@given(st.lists(_records(), min_size=1, max_size=4))
def test_template_lines_are_the_full_renderers_lines(batches: list[list[tuple[Any, ...]]]) -> None:
    encode = LineEncoders().encode
    for records in batches:
        for record in records + records:  # twice: the second time from a learnt template
            line = encode(record)
            if line is None:
                assert record[_METADATA] is not None or _orjson_fails(record)
                continue
            assert line == _full_line(record)


def _orjson_fails(record: tuple[Any, ...]) -> bool:
    try:
        orjson.dumps(entry_to_dict(record))
    except Exception:  # what the property checks for
        return True
    return False


def test_a_template_is_reused_and_keeps_the_varying_values_exact() -> None:
    encode = LineEncoders().encode
    base = {
        "operation_name": "op",
        "result_type": "success",
        "success_type": "int",
        "service_name": "svc",
        "environment": "test",
        "memory_usage_mb": 12.5,
        "level": "INFO",
    }
    lines = []
    for i, (epoch, duration) in enumerate([(1.9999999, 0.0004), (2.5, 12.3456789), (3.0, 1e16)]):
        correlation_id = "same" if i < 2 else f"id-{i}"
        record = make_record(
            **base, timestamp=epoch, processing_time_ms=duration, correlation_id=correlation_id
        )
        lines.append(encode(record))
        assert lines[-1] == _full_line(record)
    assert b'"timestamp":"1970-01-01T00:00:02.000000Z"' in lines[0]
    assert b'"processing_time_ms":12.346' in lines[1]


def test_templates_are_bounded_and_relearnt_after_the_cap() -> None:
    encode = LineEncoders().encode
    values = {"timestamp": 10.5, "correlation_id": "c", "result_type": "success"}
    for index in (*range(1100), 0, 1099):
        record = make_record(**values, processing_time_ms=1.0, operation_name=f"op-{index}")
        assert encode(record) == _full_line(record)


def test_negative_and_boundary_epochs_are_spelled_as_the_full_path_spells_them() -> None:
    encode = LineEncoders().encode
    values = {"correlation_id": "c", "operation_name": "op", "result_type": "success"}
    for epoch in (-1.5, -0.7, -0.0, 0.0, 0.3, 2.9999997, 3.0, -2.25, -0.25, 5, 1.9999999):
        record = make_record(**values, processing_time_ms=1.0, timestamp=epoch)
        assert encode(record) == _full_line(record), epoch


@pytest.mark.parametrize("field", ["memory_usage_mb", "cpu_usage_percent"])
def test_floats_equal_but_spelled_differently_never_share_a_template(field: str) -> None:
    encode = LineEncoders().encode
    for figure in (0.0, -0.0, 0, 1.0, 1, True, math.inf):
        values = {"timestamp": 1.0, "correlation_id": "c", "operation_name": "op"}
        record = make_record(
            **values, result_type="success", processing_time_ms=1.0, **{field: figure}
        )
        assert encode(record) == _full_line(record)


@settings(max_examples=100, deadline=None)
@given(_records())
def test_the_writer_writes_the_full_renderers_lines(records: list[tuple[Any, ...]]) -> None:
    sink = io.BytesIO()
    writer = Writer(
        sink.write,
        sink.flush,
        None,
        json=True,
        background=False,
        queue_size=100,
        formatter=logging.Formatter(),
    )
    renderable = [r for r in records + records if _full_line(r) is not None]
    for record in renderable:
        writer.submit((ITEM_ENTRY, record))
    assert sink.getvalue() == b"".join(_full_line(r) or b"" for r in renderable)


def _writer(sink: io.BytesIO, *, json: bool = True) -> Writer:
    """A background writer whose thread is never started: ``close()`` writes what is
    queued as one batch."""
    return Writer(
        sink.write,
        sink.flush,
        None,
        json=json,
        background=True,
        queue_size=10_000,
        formatter=logging.Formatter(),
        start=False,
    )


@settings(max_examples=100, deadline=None)
@given(_records())
def test_a_batch_of_records_and_items_is_written_in_order(records: list[tuple[Any, ...]]) -> None:
    sink = io.BytesIO()
    writer = _writer(sink)
    renderable = [r for r in records + records if _full_line(r) is not None]
    expected = []
    for index, record in enumerate(renderable):
        # as emit_entry() queues entries (the record itself), and as (kind, payload) items
        writer.submit(record if index % 2 else (ITEM_ENTRY, record))
        expected.append(_full_line(record) or b"")
    writer.submit((ITEM_EVENT, {"event": "between"}))
    expected.append(b'{"event":"between"}\n')
    writer.close()
    assert sink.getvalue() == b"".join(expected)


def test_durations_under_a_second_are_spelled_as_the_full_path_spells_them() -> None:
    encode = LineEncoders().encode
    values = {"timestamp": 7.25, "correlation_id": "c", "operation_name": "op"}
    micros = [*range(0, 1_000_000, 997), 1, 10, 100, 999, 1000, 1001, 999_999, 1_000_000]
    for duration in [m / 1000.0 for m in micros] + [0.0004999, 0.0005, 999.9995, 1e16, -1.0]:
        record = make_record(**values, result_type="success", processing_time_ms=duration)
        assert encode(record) == _full_line(record), duration


def test_the_batch_encoder_hands_over_long_lines_and_items() -> None:
    encode_many = LineEncoders().encode_many
    record = _entry()
    line = _full_line(record)
    assert line is not None
    item = (ITEM_EVENT, {"event": "x"})
    out: list[Any] = []
    encode_many([record, item, record], out.append, len(line), lambda other: ("full", other))
    assert out == [line, ("full", item), line]
    out.clear()  # one byte under the line: the full path's (which bounds it)
    encode_many([record], out.append, len(line) - 1, lambda other: ("full", other))
    assert out == [("full", record)]


def test_a_text_writer_never_uses_the_json_templates() -> None:
    sink = io.BytesIO()
    writer = _writer(sink, json=False)
    record = _entry()
    writer.submit(record)
    writer.submit((ITEM_ENTRY, record))
    writer.close()
    first, second = sink.getvalue().decode().splitlines()
    assert first == second
    assert first.startswith("timestamp=1970-01-01T00:00:07.250000Z ")


def test_the_thread_is_woken_once_per_filling_by_both_paths(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    writer = Writer(
        io.BytesIO().write,
        lambda: None,
        None,
        json=True,
        background=True,
        queue_size=8,  # woken when the queue reaches 2
        formatter=logging.Formatter(),
        start=False,
    )
    woken: list[int] = []
    monkeypatch.setattr(writer, "wake", lambda: woken.append(len(writer.queue)))
    writer.submit((ITEM_EVENT, {"event": "a"}))
    writer.submit((ITEM_EVENT, {"event": "b"}))
    writer.submit((ITEM_EVENT, {"event": "c"}))
    assert woken == [2]
    writer.queue.clear()  # drained: the next filling wakes it again, through emit_entry()
    monkeypatch.setattr(STATE, "writer", writer)
    before = STATE.dropped
    for _ in range(10):
        emit_entry(logging.INFO, "op", None, Success(1), 1.5, "c")
    assert woken == [2, 2]
    assert (len(writer.queue), writer.submitted, STATE.dropped - before) == (8, 11, 2)


def _entry(**fields: Any) -> tuple[Any, ...]:
    """A valid record of operation "op" at 7.25 s with ``fields`` set."""
    values: dict[str, Any] = {
        "timestamp": 7.25,
        "correlation_id": "c",
        "operation_name": "op",
        "level": "INFO",
        "result_type": "success",
        "processing_time_ms": 1.5,
        "service_name": "svc",
    }
    return make_record(**{**values, **fields})


class TestPerRequestValues:
    """The request id, user id and trace ids are slots of the template, not part of it."""

    def test_requests_users_and_traces_keep_hitting_one_template(self) -> None:
        encoders = LineEncoders()
        for call in range(40):
            request = f"req-{call // 4}"  # the middleware's: one per request of four calls
            record = _entry(
                correlation_id=request,
                request_id=request,
                user_id=None if call % 5 == 0 else f"user-{call % 3}",
                trace_id=f"{call // 4:032x}",
                span_id=f"{call:016x}",
                timestamp=7.25 + call / 8,
            )
            assert encoders.encode(record) == _full_line(record), call
        assert (encoders.misses, encoders.learnt) == (1, 1)

    @pytest.mark.parametrize("same_object", [True, False])
    def test_request_ids_that_are_not_the_correlation_id_are_spelled_exactly(
        self, same_object: bool
    ) -> None:
        encoders = LineEncoders()
        for call in range(24):
            correlation = f"corr-{call // 4}"
            request = correlation if same_object else f"hdr-{call // 3}"  # another cadence
            if call % 7 == 6:
                request = "".join(correlation)  # equal text, another object
            record = _entry(correlation_id=correlation, request_id=request, user_id="u")
            assert encoders.encode(record) == _full_line(record), call
        assert (encoders.misses, encoders.learnt) == (1, 1)

    def test_user_ids_past_what_is_kept_are_spelled_exactly(self) -> None:
        encoders = LineEncoders()
        for call in range(fastline._MAX_TEXTS + 100):
            record = _entry(correlation_id=f"c{call}", request_id=None, user_id=f"user-{call}")
            assert encoders.encode(record) == _full_line(record), call
        assert len(encoders._users) <= fastline._MAX_TEXTS
        again = _entry(correlation_id="c", user_id="user-1")  # dropped from what is kept
        assert encoders.encode(again) == _full_line(again)

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("step_name", "validate"),
            ("result_type", "error"),
            ("success_type", "int"),
            ("error_type", "ValueError"),
            ("error_code", "E1"),
            ("error_message", "bad"),
            ("service_name", "other"),
            ("environment", "prod"),
            ("memory_usage_mb", -0.0),
            ("cpu_usage_percent", -0.0),
            ("cpu_usage_percent", 1.0),
            ("trace_id", None),
            ("span_id", None),
            ("level", "ERROR"),
        ],
    )
    def test_a_new_request_with_another_fixed_value_is_spelled_exactly(
        self, field: str, value: object
    ) -> None:
        # a new request's entry reuses the JSON after the request id only when nothing
        # but the user and request ids changed: each other value changed with them
        encoders = LineEncoders()
        traced = {"trace_id": "t" * 32, "span_id": "s" * 16}
        figures = {"memory_usage_mb": 0.0, "cpu_usage_percent": 0.0}  # -0.0: equal, spelled apart
        for call in range(6):
            fields: dict[str, Any] = {**traced, **figures, "correlation_id": f"req-{call}"}
            fields.update(request_id=fields["correlation_id"], user_id=f"user-{call}")
            if call >= 3:
                fields[field] = value
            record = _entry(**fields)
            assert encoders.encode(record) == _full_line(record), (call, field)

    def test_values_a_slot_cannot_hold_take_the_full_path(self) -> None:
        encoders = LineEncoders()
        cases: list[dict[str, Any]] = [
            {"user_id": "u"},
            {"user_id": 7},  # a number: spelled by the full path
            {"request_id": 1.0},
            {"trace_id": "t", "span_id": "s"},  # present where the template has none
            {"trace_id": 5, "span_id": "s"},
            {"user_id": "v"},
        ]
        for fields in cases:
            record = _entry(**fields)
            assert encoders.encode(record) == _full_line(record), fields
        assert (encoders.misses, encoders.learnt) == (5, 1)

    def test_a_value_holding_the_placeholder_text_is_rendered_exactly(self) -> None:
        encoders = LineEncoders()
        record = _entry(error_message="\x00\x01rfs-fastline-slot\x01\x00")  # its text
        assert encoders.encode(record) == _full_line(record)
        assert encoders.encode(record) == _full_line(record)
        assert encoders.learnt == 0


class TestResourceFigures:
    """The memory and CPU figures are slots: a new sample is no miss."""

    def test_new_samples_keep_hitting_and_are_spelled_exactly(self) -> None:
        encoders = LineEncoders()
        samples = [(12.5, None), (12.5, 3.0), (0.0, -0.0), (-0.0, 0.0), (None, 1e16), (7.0, 1.0)]
        for call in range(60):
            memory, cpu = samples[call // 10]  # a new sample every ten calls
            record = _entry(memory_usage_mb=memory, cpu_usage_percent=cpu)
            assert encoders.encode(record) == _full_line(record), (memory, cpu)
        assert (encoders.misses, encoders.learnt) == (1, 1)

    def test_figures_kept_across_requests_are_spelled_as_the_sample_changes(self) -> None:
        encoders = LineEncoders()
        samples = [(12.5, 3.0), (12.5, -0.0), (0.0, -0.0), (13.25, 0.5)]
        for call in range(80):  # a new request per call, a new sample every 20 calls
            memory, cpu = samples[call // 20]
            record = _entry(memory_usage_mb=memory, cpu_usage_percent=cpu, request_id=f"req-{call}")
            assert encoders.encode(record) == _full_line(record), (call, memory, cpu)
        assert (encoders.misses, encoders.learnt) == (1, 1)

    @pytest.mark.parametrize("figure", [1, True, "12"])
    def test_a_figure_that_is_not_a_float_takes_the_full_path(self, figure: object) -> None:
        encoders = LineEncoders()
        for memory in (1.0, figure, 1.0):
            record = _entry(memory_usage_mb=memory)
            assert encoders.encode(record) == _full_line(record)
        assert (encoders.misses, encoders.learnt) == (2, 1)


class TestRelearning:
    """An operation whose entries keep missing is not re-learnt on every entry."""

    def test_entries_that_always_miss_learn_once_per_relearn_after_misses(self) -> None:
        encoders = LineEncoders()
        for call in range(200):
            record = _entry(result_type="error", error_message=f"user {call} not found")
            assert encoders.encode(record) == _full_line(record)
        assert encoders.misses == 200
        assert encoders.learnt == len(range(0, 200, RELEARN_AFTER + 1))

    def test_occasional_other_entries_keep_the_template(self) -> None:
        encoders = LineEncoders()
        for call in range(400):
            record = (
                _entry(result_type="error", error_message=f"e{call}")
                if call % 20 == 19
                else _entry(success_type="int")
            )
            assert encoders.encode(record) == _full_line(record)
        assert (encoders.misses, encoders.learnt) == (1 + 400 // 20, 1)

    def test_a_lasting_change_is_relearnt_after_relearn_after_misses(self) -> None:
        encoders = LineEncoders()
        for environment in ["a"] * 10 + ["b"] * 100:
            record = _entry(environment=environment)
            assert encoders.encode(record) == _full_line(record)
        assert (encoders.misses, encoders.learnt) == (1 + RELEARN_AFTER + 1, 2)

    def test_a_hit_ends_a_run_of_misses(self) -> None:
        encoders = LineEncoders()
        for call in range(10 * RELEARN_AFTER):  # runs of RELEARN_AFTER - 1 misses
            record = _entry(environment="a" if call % RELEARN_AFTER == 0 else f"x{call}")
            assert encoders.encode(record) == _full_line(record)
        assert encoders.learnt == 1
