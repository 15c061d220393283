"""The JSON line of a common entry from a cached template (the writer thread's fast path).

Consecutive entries of one operation differ in three values only: the timestamp, the
correlation id and the duration; the other seventeen (names, result type, service,
environment, the resource figures, the level) repeat. ``make_line_encoder`` returns an
encoder that keeps, per operation, the JSON bytes around those three values, learnt from
one entry rendered by the full path (``orjson`` of ``entry.entry_to_dict``) and used only
if it reproduces that entry's line byte for byte; every later entry reuses it when its
seventeen values equal the learnt ones (text and None compared by value, the two resource
figures by identity: ``0.0 == -0.0`` and ``1.0 == 1`` are equal but render differently).
The three varying values are rendered exactly as ``entry_to_dict`` + ``orjson`` render
them, so the line is the one the full path writes (a Hypothesis property test compares
both on arbitrary records).

An entry whose values the template cannot hold (a number or another object where text is
expected) is rendered by the full path inside the encoder; the encoder returns None for
an entry with metadata (its keys need the bounded renderer) and when ``orjson`` cannot
render the entry: the caller's bounded renderer (``render.render_json``) takes over.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from rfs_monitoring.result_logging.entry import FIELD_NAMES, Record, entry_to_dict

__all__ = ["LineEncoder", "Template", "make_line_encoder"]

LineEncoder = Callable[[Record], "bytes | None"]
"""Returns a record's JSON line (with its newline), or None for an entry with metadata
or one ``orjson`` cannot render."""

_MAX_TEMPLATES = 1024
_TIMESTAMP = FIELD_NAMES.index("timestamp")
_CORRELATION = FIELD_NAMES.index("correlation_id")
_OPERATION = FIELD_NAMES.index("operation_name")
_DURATION = FIELD_NAMES.index("processing_time_ms")
_METADATA = FIELD_NAMES.index("metadata")
_MEMORY = FIELD_NAMES.index("memory_usage_mb")
_CPU = FIELD_NAMES.index("cpu_usage_percent")
# The template's layout: the timestamp, the correlation id, three fields, the duration,
# the rest. The indexes below are checked against the field table when the module loads.
_HEAD = slice(_OPERATION, _DURATION)
_TAIL = slice(_DURATION + 1, None)
_MEMORY_IN_TAIL = _MEMORY - _DURATION - 1
_CPU_IN_TAIL = _CPU - _DURATION - 1
assert (_TIMESTAMP, _CORRELATION, _OPERATION, _DURATION) == (0, 1, 2, 5), FIELD_NAMES


def _holdable(head: tuple[Any, ...], tail: tuple[Any, ...]) -> bool:
    """Whether a template can hold these values: text or None, and floats (or None) as
    the resource figures (compared by identity, see the module's docstring)."""
    return all(value is None or type(value) is str for value in head) and all(
        value is None
        or type(value) is str
        or (type(value) is float and index in (_MEMORY_IN_TAIL, _CPU_IN_TAIL))
        for index, value in enumerate(tail)
    )


Template = tuple[tuple[Any, ...], tuple[Any, ...], Any, Any, bytes, bytes]
"""(head values, tail values, memory figure, CPU figure, JSON after the correlation id up to
the duration, JSON after the duration)."""


def _template(record: Record, data: dict[str, Any]) -> Template | None:
    """The template of ``record`` (``data``: its JSON object), None when it cannot hold it."""
    from orjson import dumps  # (installed: see make_line_encoder)

    head, tail = record[_HEAD], record[_TAIL]
    if not _holdable(head, tail):
        return None
    items = list(data.items())
    middle = b"," + dumps(dict(items[_HEAD]))[1:-1] + b',"processing_time_ms":'
    end = b"," + dumps(dict(items[_TAIL]))[1:-1] + b"}\n"
    return (head, tail, tail[_MEMORY_IN_TAIL], tail[_CPU_IN_TAIL], middle, end)


def _second_prefix(second: int) -> tuple[float, bytes]:
    """``(second, b'{"timestamp":"YYYY-MM-DDTHH:MM:SS.')`` of a non-negative epoch second."""
    prefix = time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(second))
    return float(second), b'{"timestamp":"' + prefix.encode("ascii")


def _learn(
    record: Record,
    templates: dict[Any, Template],
    learning: list[bool],
    encode: LineEncoder,
) -> bytes | None:
    """The full path's line (None with metadata: its keys need the bounded renderer);
    learns the record's template when it can hold it, kept only when ``encode`` then
    reproduces the line."""
    from orjson import OPT_APPEND_NEWLINE, dumps  # (installed: see make_line_encoder)

    if record[_METADATA] is not None:
        return None
    data = entry_to_dict(record)
    line: bytes = dumps(data, option=OPT_APPEND_NEWLINE)
    template = None if learning[0] else _template(record, data)
    if template is not None:
        if len(templates) >= _MAX_TEMPLATES:
            templates.clear()
        templates[record[_OPERATION]] = template
        learning[0] = True
        try:
            if encode(record) != line:  # pragma: no cover - a safety net, never seen taken
                del templates[record[_OPERATION]]
        finally:
            learning[0] = False
    return line


def make_line_encoder() -> LineEncoder:
    """A new encoder with its own templates (one per writer: used by one thread at a time)."""
    import orjson  # the writer only asks for the fast path when orjson is installed

    dumps = orjson.dumps
    templates: dict[Any, Template] = {}
    second_cache: list[tuple[float, bytes]] = [(math.nan, b"")]  # (second, line prefix)
    last_id: list[Any] = [object(), b""]  # (the last correlation id, its JSON): none yet
    learning = [False]  # learn() is checking a new template with encode()

    def learn(record: Record) -> bytes | None:
        return _learn(record, templates, learning, encode)

    def encode(record: Record) -> bytes | None:
        try:
            # (an entry with metadata never matches a template: learn() declines it)
            template = templates.get(record[_OPERATION])
            if (
                template is None
                or record[_TAIL] != template[1]
                or record[_HEAD] != template[0]
                or record[_MEMORY] is not template[2]
                or record[_CPU] is not template[3]
            ):
                return learn(record)
            # the timestamp as entry.entry_to_dict spells it: epoch - int(epoch) is
            # epoch - float(int(epoch)) exactly, the date-time prefix cached per second
            epoch = record[_TIMESTAMP]
            cached = second_cache[0]
            fraction = epoch - cached[0]
            if not 0.0 <= fraction < 1.0:
                second = int(epoch)
                if second < 0:  # int() rounds toward zero: only non-negative seconds cached
                    return learn(record)
                cached = second_cache[0] = _second_prefix(second)
                fraction = epoch - cached[0]
            micro = round(fraction * 1e6)
            if not 0 <= micro < 1_000_000:  # the next second, or a negative epoch
                return learn(record)
            correlation_id = record[_CORRELATION]
            if correlation_id is last_id[0]:
                encoded_id = last_id[1]
            else:
                encoded_id = dumps(correlation_id)
                if type(correlation_id) is str:  # immutable: safe to reuse by identity
                    last_id[0], last_id[1] = correlation_id, encoded_id
            return b"".join(
                (
                    cached[1],
                    # %06d: entry_to_dict's str(1_000_000 + micro)[1:]
                    b'%06dZ","correlation_id":' % micro,
                    encoded_id,
                    template[4],
                    dumps(round(record[_DURATION] * 1000.0) / 1000.0),
                    template[5],
                )
            )
        except Exception:  # noqa: BLE001 - surrogates, odd values: the caller's full path
            return None

    return encode
