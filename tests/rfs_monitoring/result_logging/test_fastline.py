"""The writer's template fast path (``fastline``) writes exactly the full renderer's line.

Property: for any sequence of records (arbitrary text, ints, floats, None in every field,
values repeated as the same objects so that templates are learnt and reused, ``0.0`` next
to ``-0.0``, ``1`` next to ``1.0``), each line the encoder gives is byte for byte the line
of ``render_json(entry_to_dict(record))``; a record it declines (None) is one the full
path must render.
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

from rfs_monitoring.result_logging.entry import FIELD_NAMES, entry_to_dict
from rfs_monitoring.result_logging.fastline import make_line_encoder
from rfs_monitoring.result_logging.render import DEFAULT_BOUNDS, render_json
from rfs_monitoring.result_logging.writer import ITEM_ENTRY, Writer

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
_METADATA = FIELD_NAMES.index("metadata")
_MEMORY = FIELD_NAMES.index("memory_usage_mb")
_CPU = FIELD_NAMES.index("cpu_usage_percent")


@st.composite
def _records(draw: st.DrawFn) -> list[tuple[Any, ...]]:
    """A base record and variations of it: one to three fields replaced by values of a
    small pool (shared objects: templates are learnt and hit) or fresh ones; the
    timestamp, correlation id and duration vary freely, metadata is mostly None."""
    pool = draw(st.lists(_VALUES, min_size=1, max_size=4))
    fields = st.one_of(st.sampled_from(pool), _VALUES)
    texts = st.one_of(st.none(), st.text(max_size=8), st.sampled_from(["", "INFO", "op"]))
    base = [draw(texts) for _ in FIELD_NAMES]  # what a template can hold
    base[_MEMORY] = draw(st.one_of(st.none(), st.floats(), st.sampled_from(pool)))
    base[_CPU] = draw(st.one_of(st.none(), st.floats(), st.sampled_from(pool)))
    base[_METADATA] = None
    records = []
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        values = list(base)
        for index in draw(st.lists(st.integers(0, len(FIELD_NAMES) - 1), max_size=3)):
            values[index] = draw(fields)
        values[0] = draw(st.one_of(st.sampled_from(pool), _EPOCHS))
        values[1] = draw(fields)
        values[5] = draw(fields)
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
    encode = make_line_encoder()
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
    encode = make_line_encoder()
    base = dict.fromkeys(FIELD_NAMES)
    base.update(
        operation_name="op",
        result_type="success",
        success_type="int",
        service_name="svc",
        environment="test",
        memory_usage_mb=12.5,
        level="INFO",
    )
    lines = []
    for i, (epoch, duration) in enumerate([(1.9999999, 0.0004), (2.5, 12.3456789), (3.0, 1e16)]):
        values = {**base, "timestamp": epoch, "processing_time_ms": duration}
        values["correlation_id"] = "same" if i < 2 else f"id-{i}"
        record = tuple(values[name] for name in FIELD_NAMES)
        lines.append(encode(record))
        assert lines[-1] == _full_line(record)
    assert b'"timestamp":"1970-01-01T00:00:02.000000Z"' in lines[0]
    assert b'"processing_time_ms":12.346' in lines[1]


def test_templates_are_bounded_and_relearnt_after_the_cap() -> None:
    encode = make_line_encoder()
    values = dict.fromkeys(FIELD_NAMES)
    values.update(timestamp=10.5, correlation_id="c", result_type="success")
    values.update(processing_time_ms=1.0)
    for index in (*range(1100), 0, 1099):
        record = tuple({**values, "operation_name": f"op-{index}"}[name] for name in FIELD_NAMES)
        assert encode(record) == _full_line(record)


def test_negative_and_boundary_epochs_are_spelled_as_the_full_path_spells_them() -> None:
    encode = make_line_encoder()
    values = dict.fromkeys(FIELD_NAMES)
    values.update(correlation_id="c", operation_name="op", result_type="success")
    values.update(processing_time_ms=1.0)
    for epoch in (-1.5, -0.7, -0.0, 0.0, 0.3, 2.9999997, 3.0, -2.25, -0.25, 5, 1.9999999):
        record = tuple({**values, "timestamp": epoch}[name] for name in FIELD_NAMES)
        assert encode(record) == _full_line(record), epoch


@pytest.mark.parametrize("field", ["memory_usage_mb", "cpu_usage_percent"])
def test_floats_equal_but_spelled_differently_never_share_a_template(field: str) -> None:
    encode = make_line_encoder()
    for figure in (0.0, -0.0, 0, 1.0, 1, True, math.inf):
        values = dict.fromkeys(FIELD_NAMES)
        values.update(timestamp=1.0, correlation_id="c", operation_name="op")
        values.update(result_type="success", processing_time_ms=1.0)
        values[field] = figure
        record = tuple(values[name] for name in FIELD_NAMES)
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
