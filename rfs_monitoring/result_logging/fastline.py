"""The JSON line of a common entry from a cached template (the writer thread's fast path).

Consecutive entries of one operation differ in a few values only: the timestamp, the
correlation id, the duration, the per-request / per-call values (the request id, the user
id, the trace and span ids) and the resource figures (sampled once a second). The others
(names, result type, error fields, service, environment, the level) repeat.
``LineEncoders`` (one per writer) keep, per operation, the JSON bytes around those
varying values (its slots), learnt from one entry rendered by the full path (``orjson`` of
``entry.entry_to_dict``) and used only if it reproduces that entry's line byte for byte;
every later entry reuses it when its fixed values equal the learnt ones (text and None,
compared by value) and its slots hold text or None (the ids; the trace ids left out when
None, present where the template has them) or floats or None (the figures). The slots are
rendered exactly as ``entry_to_dict`` + ``orjson`` render them, so the line is the one the
full path writes (a Hypothesis property test compares both on arbitrary records). The JSON
after the duration is kept per operation with the last entry's values from the ids on (a
``Record`` holds those last, ``entry.RECORD_FIELDS``, so one slice compares them): the next
call of the same request reuses it (the figures compared by identity, ``0.0 == -0.0`` and
``1.0 == 1`` being equal but spelled differently); the last correlation id is kept by
identity.
A new request rebuilds that JSON from kept pieces: the user id's JSON (kept per id, at most
``_MAX_TEXTS``), the correlation id's JSON as the request id's when they are one object (as
``CorrelationIdMiddleware`` binds them), and the JSON after the request id (kept per
template for the last figures and trace ids); where only the user and request ids differ
from the last entry matched (the common new request: one slice compares the values after
the ids), that entry's JSON after the request id is reused without checking its values
again.

An entry its operation's template cannot hold is rendered by the full path inside the
encoder; a new template is learnt from it only when the operation has none, or after
``RELEARN_AFTER`` misses in a row (an operation whose entries keep missing, e.g. varying
error messages, pays the plain full path, not a learning per entry). The encoder returns
None for an entry with metadata (its keys need the bounded renderer) and when ``orjson``
cannot render the entry: the caller's bounded renderer (``render.render_json``) takes
over. Durations under a second are spelled from digit tables checked against orjson.
"""

from __future__ import annotations

import functools
import math
import operator
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from rfs_monitoring.result_logging.entry import FIELD_NAMES, RECORD_FIELDS, Record, entry_to_dict

__all__ = [
    "RELEARN_AFTER",
    "BatchEncoder",
    "Fallback",
    "LineEncoder",
    "LineEncoders",
    "Template",
]

LineEncoder = Callable[[Record], "bytes | None"]
"""Returns a record's JSON line (with its newline), or None for an entry with metadata
or one ``orjson`` cannot render."""
Fallback = Callable[[Any], Any]
"""Gives what is added for an item the encoder does not write (the writer: its line)."""
BatchEncoder = Callable[[Iterable[Any], Callable[[Any], object], int, Fallback], None]
"""``encode_many(items, add, limit, other)``: for each item in order, ``add(line)`` with
its line (what ``LineEncoder`` returns) when it has one of at most ``limit`` bytes, else
``add(other(item))``; an item of two values (the writer's ``(kind, payload)``) always
goes to ``other``. The same lines as the ``LineEncoder``, without a call per entry."""

RELEARN_AFTER = 32
"""Misses in a row (no entry of the operation matching its template in between) after
which the next miss learns a new template; the others take the plain full path."""

_MAX_TEMPLATES = 1024
_MAX_TEXTS = 4096
_INDEX = {name: index for index, name in enumerate(RECORD_FIELDS)}
_METADATA, _MEMORY, _CPU = (
    _INDEX["metadata"],
    _INDEX["memory_usage_mb"],
    _INDEX["cpu_usage_percent"],
)
_TRACE, _SPAN = _INDEX["trace_id"], _INDEX["span_id"]
_VARYING = (
    "processing_time_ms",
    "user_id",
    "request_id",
    "memory_usage_mb",
    "cpu_usage_percent",
    "trace_id",
    "span_id",
)
"""The template's slots, in ``FIELD_NAMES`` order (the JSON's; each between two of its
segments)."""
_FIXED = tuple(
    name
    for name in FIELD_NAMES
    if name not in {"timestamp", "correlation_id", "operation_name", *_VARYING}
)
"""Compared by value (the operation name is the key a template is found under)."""
_fixed_values = operator.itemgetter(*(_INDEX[name] for name in _FIXED))
_varying = operator.itemgetter(
    _INDEX["user_id"], _INDEX["request_id"], _MEMORY, _CPU, _TRACE, _SPAN
)
# The hot loop reads these indexes as literals (no global lookup per entry): checked here.
assert [_INDEX[name] for name in ("timestamp", "correlation_id", "operation_name")] == [0, 2, 3]
assert [_INDEX[name] for name in _VARYING] == [1, 4, 5, 14, 15, 17, 18], RECORD_FIELDS
assert (_MEMORY, _CPU) == (14, 15), RECORD_FIELDS
assert list(FIELD_NAMES).index("metadata") < FIELD_NAMES.index("trace_id"), FIELD_NAMES

_TEXT = frozenset((str, type(None)))
"""The types an id's slot holds."""
_FIGURE = frozenset((float, type(None)))
"""The types a resource figure's slot holds (an int or a bool is spelled differently)."""
_SLOT = "\x00\x01rfs-fastline-slot\x01\x00"
"""Stands for a varying value while a template is rendered (its JSON is split on)."""

Template = list[Any]
"""[fixed values, the last memory and CPU figures matched (compared by identity: ``0.0 ==
-0.0`` and ``1.0 == 1`` are equal but render differently), trace ids' presence (1: the
trace id, 2: the span id, summed), misses in a row, then eight segments of JSON: after the
correlation id up to the duration, then after each slot of ``_VARYING`` (a segment after a
left-out trace id is empty; the last ends with the newline); then the last entry matched's
values from the ids on (None: none since the last miss) and its JSON after the duration,
then (memory, CPU, trace id, span id, the JSON after the request id) of the last entry
matched (None: none yet), and that entry's values after the ids (equal to the kept values
from the ids on without their first two; kept as a tuple of their own: slicing those anew
for each new request cost 70-100 ns, ``_match``)]."""
_MISSES, _LAST_TAIL, _LAST_END, _REST, _LAST_REST = 4, 13, 14, 15, 16
_OPERATION = _INDEX["operation_name"]
_FROM_IDS = slice(_INDEX["user_id"], None)
"""A record's values from the ids on (the operation's last entry's: ``_LAST_TAIL``)."""
_AFTER_IDS = slice(_INDEX["request_id"] + 1, None)
"""A record's values after the ids (``_LAST_REST``)."""
assert (_FROM_IDS.start, _AFTER_IDS.start) == (4, 6), RECORD_FIELDS


def _holdable(record: Record) -> bool:
    """Whether a template can hold ``record``: text or None (metadata None), and floats
    (or None) as the resource figures."""
    user, request, memory, cpu, trace, span = _varying(record)
    return (
        all(value is None or type(value) is str for value in _fixed_values(record))
        and all(value is None or type(value) is str for value in (user, request, trace, span))
        and all(value is None or type(value) is float for value in (memory, cpu))
    )


def _template(
    record: Record, data: dict[str, Any], dumps: Callable[[Any], bytes]
) -> Template | None:
    """The template of ``record`` (``data``: its JSON object), None when it cannot hold it."""
    if not _holdable(record):
        return None
    present = (True,) * 5 + (record[_TRACE] is not None, record[_SPAN] is not None)
    shown = dict(data)
    del shown["timestamp"], shown["correlation_id"]
    for name, here in zip(_VARYING, present, strict=True):
        if here:
            shown[name] = _SLOT
    pieces = dumps(shown).split(dumps(_SLOT))
    if len(pieces) != sum(present) + 1:  # a fixed value holds the slot's text
        return None
    segments = [b"," + pieces[0][1:]]
    rest = iter(pieces[1:])
    segments += [next(rest) if here else b"" for here in present]
    segments[-1] += b"\n"
    traced = present[5] + 2 * present[6]
    head = (_fixed_values(record), record[_MEMORY], record[_CPU], traced, 0)
    # _LAST_TAIL, _LAST_END, _REST, _LAST_REST: set by the entries matched
    return [*head, *segments, None, b"", None, None]


def _second_prefix(second: int) -> tuple[float, bytes]:
    """``(second, b'{"timestamp":"YYYY-MM-DDTHH:MM:SS.')`` of a non-negative epoch second."""
    prefix = time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(second))
    return float(second), b'{"timestamp":"' + prefix.encode("ascii")


_DIGITS = tuple(b"%03d" % value for value in range(1000))
"""Three digits of the microseconds (``%06d`` is two of these)."""
_DIGITS_ID = tuple(b'%03dZ","correlation_id":' % value for value in range(1000))
_WHOLE = tuple(str(value).encode("ascii") for value in range(1000))
"""The whole milliseconds of a duration under one second."""
_FRACTION = tuple(
    b"." + (b"%03d" % value).rstrip(b"0") if value else b".0" for value in range(1000)
)
"""The fraction of a duration rounded to the microsecond, as the shortest float repr."""


@functools.cache
def _tables_match(dumps: Callable[[Any], bytes]) -> bool:
    """Whether ``_WHOLE`` + ``_FRACTION`` spell durations as ``dumps`` spells the float
    ``micros / 1000.0`` (checked once per process: the full path is the reference; the
    rule is one for all of 0..999_999, checked exhaustively when it was written)."""
    return all(
        _WHOLE[whole] + _FRACTION[fraction] == dumps((whole * 1000 + fraction) / 1000.0)
        for whole in (0, 1, 9, 10, 99, 100, 999)
        for fraction in range(1000)
    )


class LineEncoders:
    """The templates and caches of one writer's encoders (``encode``: one record,
    ``encode_many``: a batch; used by one thread at a time).

    Attributes:
        misses: entries that did not match their operation's template (none learnt yet,
            a fixed value changed, a value it cannot hold, a timestamp it cannot spell).
        learnt: templates learnt (at most one per ``RELEARN_AFTER`` misses in a row of
            an operation, plus its first).
    """

    def __init__(self) -> None:
        import orjson  # the writer only asks for the fast path when orjson is installed

        self.misses = 0
        self.learnt = 0
        self._dumps = orjson.dumps
        self._option = orjson.OPT_APPEND_NEWLINE
        self._templates: dict[Any, Template] = {}
        self._learning = False  # _miss() is checking a new template with encode()
        self._second, self._prefix = math.nan, b""  # the cached second and its line prefix
        self._cid: tuple[Any, bytes] = (object(), b"")  # the last correlation id, its JSON
        self._users: dict[str, bytes] = {}  # user ids' JSON (they repeat across requests)
        # the last resource figures matched (compared by identity) and their JSON
        self._figures: tuple[object, object, bytes, bytes] = (object(), object(), b"", b"")
        # durations under a second from the tables (else orjson), if they agree
        self._duration_limit = 1_000_000 if _tables_match(self._dumps) else 0

    def encode(self, record: Record) -> bytes | None:
        """See ``LineEncoder``."""
        lines: list[bytes | None] = []
        self.encode_many((record,), lines.append, sys.maxsize, _declined)
        return lines[0]

    def _full(self, record: Record) -> bytes | None:
        """The full path's line (None with metadata: its keys need the bounded renderer)."""
        if record[_METADATA] is not None:
            return None
        line: bytes = self._dumps(entry_to_dict(record), option=self._option)
        return line

    def _miss(self, record: Record, template: Template | None) -> bytes | None:
        """The line of an entry its operation's template does not hold: the full path's,
        learning a template when the operation has none or after ``RELEARN_AFTER``
        misses in a row."""
        if self._learning:  # pragma: no cover - the safety net below: a template that
            return None  # does not hold its own entry is dropped
        self.misses += 1
        if template is not None:
            template[_LAST_TAIL] = None  # the next hit goes through _match(): ends the run
            misses = template[_MISSES]
            if misses < RELEARN_AFTER:
                template[_MISSES] = misses + 1
                return self._full(record)
            template[_MISSES] = 0
        if record[_METADATA] is not None:  # its keys need the bounded renderer
            return None
        data = entry_to_dict(record)
        line: bytes = self._dumps(data, option=self._option)
        learnt = _template(record, data, self._dumps)
        if learnt is not None:
            templates = self._templates
            if len(templates) >= _MAX_TEMPLATES:
                templates.clear()
            templates[record[_OPERATION]] = learnt
            self._learning = True
            try:
                if self.encode(record) != line:  # pragma: no cover - a safety net, never seen
                    del templates[record[_OPERATION]]
                else:
                    self.learnt += 1
            finally:
                self._learning = False
        return line

    def _match(
        self, record: Record, template: Template | None, cid: object, cid_json: bytes
    ) -> bytes | None:
        """The JSON after the duration of ``record`` when ``template`` holds it, kept with
        the record's values from the ids on (the next entry with the same ones reuses it:
        its request's); None for a miss. ``cid_json``: the JSON of the correlation id
        ``cid`` (a request id that is the same object, as the middleware binds it, reuses
        it); a user id's JSON is kept per id. A new request whose other values are the last
        entry's (the common case) reuses that entry's JSON after the request id; else it is
        ``_rest``'s."""
        if template is None:
            return None
        same = (  # only the user and request ids differ from the last entry matched
            template[_LAST_TAIL] is not None
            and record[14] is template[1]  # the figures by identity (see ``Template``)
            and record[15] is template[2]
            and record[6:] == template[_LAST_REST]  # 6: after the ids
        )
        rest = template[_REST] if same else self._rest(record, template)
        if rest is None:
            return None
        user, request = record[4], record[5]
        if type(user) is str:
            user_json = self._users.get(user) or self._user_json(user)
        elif user is None:
            user_json = b"null"
        else:
            return None
        if request is cid:
            request_json = cid_json
        elif type(request) is str or request is None:
            request_json = self._dumps(request)
        else:
            return None
        end: bytes = b"".join((template[6], user_json, template[7], request_json, rest[4]))
        template[_LAST_TAIL] = record[_FROM_IDS]
        template[_LAST_END] = end
        if not same:
            template[1], template[2] = record[_MEMORY], record[_CPU]
            template[_MISSES] = 0
            template[_LAST_REST] = record[_AFTER_IDS]
        return end

    def _rest(self, record: Record, template: Template) -> tuple[Any, ...] | None:
        """``(memory, CPU, trace id, span id, the JSON after the request id)`` of ``record``
        when ``template`` holds its values but the ids (None for a miss): kept per template
        for the last figures and trace ids (compared by identity)."""
        if _fixed_values(record) != template[0]:
            return None
        memory, cpu, trace, span = record[_MEMORY], record[_CPU], record[_TRACE], record[_SPAN]
        if (
            (trace is not None) + 2 * (span is not None) != template[3]
            or type(memory) not in _FIGURE
            or type(cpu) not in _FIGURE
        ):
            return None
        rest: tuple[Any, ...] | None = template[_REST]
        if (
            rest is not None
            and rest[0] is memory
            and rest[1] is cpu
            and rest[2] is trace
            and rest[3] is span
        ):
            return rest
        if type(trace) not in _TEXT or type(span) not in _TEXT:
            return None
        dumps = self._dumps
        figures = self._figures  # sampled once a second: their JSON kept (by identity)
        if memory is not figures[0] or cpu is not figures[1]:
            figures = self._figures = (memory, cpu, dumps(memory), dumps(cpu))
        t = template
        after = b"".join(
            (
                t[8],
                figures[2],
                t[9],
                figures[3],
                t[10],
                b"" if trace is None else dumps(trace),
                t[11],
                b"" if span is None else dumps(span),
                t[12],
            )
        )
        rest = t[_REST] = (memory, cpu, trace, span, after)
        return rest

    def _user_json(self, user: str) -> bytes:
        """A user id's JSON, kept (at most ``_MAX_TEXTS`` ids: emptied when full)."""
        users = self._users
        if len(users) >= _MAX_TEXTS:
            users.clear()
        user_json: bytes = self._dumps(user)
        users[user] = user_json
        return user_json

    def encode_many(
        self, items: Iterable[Any], add: Callable[[Any], object], limit: int, other: Fallback
    ) -> None:
        """See ``BatchEncoder``: one loop for the batch, its state in locals (no call and
        no attribute per common entry: this loop is the writer's cost per entry); the
        timestamp, correlation id and duration are spelled as ``entry.entry_to_dict``
        spells them (the date-time prefix cached per second), the rest is the template's
        JSON for the last values after the duration seen (see ``_match``)."""
        get, dumps, match, miss, full, duration_limit = (
            self._templates.get,
            self._dumps,
            self._match,
            self._miss,
            self._full,
            self._duration_limit,
        )
        second, prefix, (cid, cid_json) = self._second, self._prefix, self._cid
        try:
            for record in items:
                if len(record) == 2:  # a (kind, payload) item: the caller's
                    add(other(record))
                    continue
                try:  # (an entry with metadata never matches a template: its fixed values)
                    template = get(record[3])  # 3: operation_name (indexes checked when loaded)
                    if (
                        template is None
                        or record[4:] != template[13]  # 4: from the ids on, 13: _LAST_TAIL
                        or record[14] is not template[1]  # memory_usage_mb
                        or record[15] is not template[2]  # cpu_usage_percent
                    ):
                        value = record[2]  # the request's correlation id, encoded first: its
                        if value is not cid and type(value) is str:  # request id reuses it
                            cid, cid_json = value, dumps(value)
                        end = match(record, template, cid, cid_json)
                        if end is None:
                            line = miss(record, template)
                            add(line if line is not None and len(line) <= limit else other(record))
                            continue
                    else:
                        end = template[14]  # _LAST_END
                    epoch = record[0]  # 0: timestamp; epoch - int(epoch) is exact
                    fraction = epoch - second
                    if 0.0 <= fraction < 1.0:
                        micro = round(fraction * 1e6)
                    elif epoch >= 0.0:
                        second, prefix = _second_prefix(int(epoch))
                        micro = round((epoch - second) * 1e6)
                    else:
                        micro = -1
                    if not 0 <= micro < 1_000_000:  # the next second, a negative epoch
                        line = full(record)
                    else:
                        encoded_id, value = cid_json, record[2]  # 2: correlation_id
                        if value is not cid:
                            encoded_id = dumps(value)
                            if type(value) is str:  # immutable: reused by identity
                                cid, cid_json = value, encoded_id
                        micros = round(record[1] * 1000.0)  # 1: duration, as round_ms
                        line = b"".join(
                            (
                                prefix,
                                _DIGITS[micro // 1000],  # %06d, as entry_to_dict spells it
                                _DIGITS_ID[micro % 1000],
                                encoded_id,
                                template[5],  # type: ignore[index]  # not None: matched
                                _WHOLE[micros // 1000] + _FRACTION[micros % 1000]
                                if 0 <= micros < duration_limit
                                else dumps(micros / 1000.0),
                                end,
                            )
                        )
                except Exception:  # noqa: BLE001 - surrogates, odd values: the full path
                    line = None
                if line is not None and len(line) <= limit:
                    add(line)
                else:
                    add(other(record))
        finally:
            self._second, self._prefix, self._cid = second, prefix, (cid, cid_json)


def _declined(_record: Any) -> None:
    return None
