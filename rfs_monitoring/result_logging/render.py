"""Rendering of one JSON object as a bounded JSON line or a ``key=value`` text line.

Never raises, never loses the entry. The fast path is one ``orjson`` call; it is taken when
the line is within ``Bounds.max_line_bytes`` and holds no string long enough to break a
key or value bound. Anything else goes through ``Sanitiser``, which escapes text that is
not valid Unicode (a lone surrogate becomes the six characters ``\\ud800``), replaces
values that cannot be rendered with ``<unserialisable TYPE>``, truncates long keys and
values with a marker and, when the line is still too long, replaces the largest fields
(``reduce_to_fit``). Lines written in such a reduced form are counted in
``logging_stats()["reduced"]``, lines with a truncated key or value in ``["truncated"]``.
Text mode escapes control characters and line breaks in every key and value, so no key or
value can start a forged line.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
from collections.abc import Mapping
from typing import Any

from rfs_monitoring.result_logging.state import STATE
from rfs_monitoring.text import clean_text, one_line, truncate

_orjson: Any
try:  # orjson renders 5-10x faster; it is optional.
    import orjson as _orjson
except ImportError:  # pragma: no cover - exercised in environments without orjson
    _orjson = None
_OPT_NON_STR_KEYS = 0 if _orjson is None else _orjson.OPT_NON_STR_KEYS

__all__ = [
    "DEFAULT_BOUNDS",
    "Bounds",
    "Sanitiser",
    "clean_text",
    "cut_line",
    "dumps",
    "json_safe",
    "one_line",
    "render_json",
    "text_line",
    "truncate",
]

_MAX_DEPTH = 32


@dataclasses.dataclass(frozen=True)
class Bounds:
    """Caps on one rendered line (``configure_logging(max_key_chars=..., ...)``).

    Attributes:
        max_key_chars: longest key kept whole (characters).
        max_value_chars: longest string value kept whole (characters).
        max_line_bytes: longest line (bytes, without the newline).
    """

    max_key_chars: int = 256
    max_value_chars: int = 8192
    max_line_bytes: int = 65536

    def fits(self, line: bytes, data: Mapping[str, Any], fixed_keys: bool) -> bool:
        """True when ``line``, rendered from ``data``, needs no bounding.

        A line no longer than ``max_value_chars`` bytes holds no longer string value, so
        only the keys are checked: none of them when ``fixed_keys`` (the entries' own
        field names), except those inside ``metadata``.
        """
        size = len(line)
        if size > self.max_line_bytes or size > self.max_value_chars:
            return False
        if size <= self.max_key_chars:
            return True
        if fixed_keys:
            metadata = data.get("metadata")
            return not metadata or _keys_within(metadata, self.max_key_chars)
        return _keys_within(data, self.max_key_chars)


_CONTAINERS = (dict, list, tuple)


def _keys_within(value: object, cap: int) -> bool:
    """True when every key of every dict inside ``value`` is a str of at most ``cap``."""
    kind = type(value)
    if kind is dict:
        for key, item in value.items():  # type: ignore[attr-defined]
            if type(key) is not str or len(key) > cap:
                return False
            if type(item) in _CONTAINERS and not _keys_within(item, cap):
                return False
        return True
    if kind is list or kind is tuple:
        return all(type(i) not in _CONTAINERS or _keys_within(i, cap) for i in value)  # type: ignore[attr-defined]
    return True


DEFAULT_BOUNDS = Bounds()
"""The bounds in force when ``configure_logging`` is given none."""

_UNBOUNDED = Bounds(1 << 62, 1 << 62, 1 << 62)


def _json_default(value: object) -> Any:
    """orjson/json fallback for values without a native JSON form."""
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


class Sanitiser:
    """Turns any value into plain JSON data within ``bounds`` (the slow path).

    After ``plain(value)``, ``replaced`` counts the values that could not be rendered and
    ``truncated`` the keys, values and containers that were cut.
    """

    __slots__ = ("bounds", "replaced", "truncated", "value_chars")

    def __init__(self, bounds: Bounds, value_chars: int | None = None) -> None:
        self.bounds = bounds
        self.value_chars = bounds.max_value_chars if value_chars is None else value_chars
        self.replaced = 0
        self.truncated = 0

    def text(self, value: str, limit: int) -> str:
        """Clean and truncated text."""
        if len(value) > limit:
            self.truncated += 1
            value = truncate(value, limit)
        return clean_text(value)

    def plain(self, value: object, depth: int = 0) -> Any:
        """``value`` as str / int / float / bool / None / list / dict with str keys."""
        if value is None or isinstance(value, (bool, int)):
            return value
        if isinstance(value, float):
            return value if math.isfinite(value) else str(value)
        if isinstance(value, str):
            return self.text(value, self.value_chars)
        if depth >= _MAX_DEPTH:
            return self._replace(value, "too deep")
        if isinstance(value, Mapping):
            return self._mapping(value, depth)
        if isinstance(value, (list, tuple, set, frozenset)):
            return self._sequence(value, depth)
        if isinstance(value, datetime.datetime | datetime.date | datetime.time):
            return value.isoformat()
        try:
            text = str(value)
        except Exception:  # noqa: BLE001 - observability never raises into the caller
            return self._replace(value, "unserialisable")
        return self.text(text, self.value_chars)

    def _replace(self, value: object, why: str) -> str:
        self.replaced += 1
        STATE.serialization_errors += 1
        return f"<{why} {type(value).__name__}>"

    def _items_cap(self) -> int:
        return max(1, self.bounds.max_line_bytes // 4)

    def _mapping(self, value: Mapping[Any, Any], depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        try:
            items = list(value.items())
        except Exception:  # noqa: BLE001 - a broken mapping is reported, not raised
            return {"_unserialisable": self._replace(value, "unserialisable")}
        cap = self._items_cap()
        if len(items) > cap:
            self.truncated += 1
            out["_truncated"] = f"{len(items) - cap} keys left out"
            items = items[:cap]
        for key, item in items:
            try:
                name = key if isinstance(key, str) else str(key)
            except Exception:  # noqa: BLE001 - a key without a str form is replaced
                name = self._replace(key, "unserialisable")
            out[self.text(name, self.bounds.max_key_chars)] = self.plain(item, depth + 1)
        return out

    def _sequence(self, value: Any, depth: int) -> list[Any]:
        try:
            items = list(value)
        except Exception:  # noqa: BLE001 - a broken container is reported, not raised
            return [self._replace(value, "unserialisable")]
        cap = self._items_cap()
        out = [self.plain(item, depth + 1) for item in items[:cap]]
        if len(items) > cap:
            self.truncated += 1
            out.append(f"…[truncated {len(items) - cap} items]")
        return out


def json_safe(value: object) -> Any:
    """``value`` as plain JSON data, nothing cut: text that is not valid Unicode escaped
    (``\\ud800``), non-finite floats as text, what cannot be rendered as
    ``<unserialisable TYPE>`` (an HTTP body that must not become a 500)."""
    return Sanitiser(_UNBOUNDED).plain(value)


def _stdlib_dumps(data: Any) -> bytes:  # pragma: no cover - used without orjson only
    text = json.dumps(
        data, default=_json_default, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )
    return text.encode("utf-8")


def _plain_dumps(data: Any) -> bytes:
    """JSON of data ``Sanitiser`` produced (cannot fail: plain, clean, finite)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode(
        "utf-8"
    )


def reduce_to_fit(data: dict[str, Any], limit: int) -> bytes:
    """A line of at most ``limit`` bytes from plain ``data``: its largest fields are
    replaced by a marker (a dict by ``{"_truncated": ...}``) until it fits, and when the
    keys alone are too many, the last ones are left out."""
    sizes = sorted(((len(_plain_dumps(v)), k) for k, v in data.items()), reverse=True)
    total = len(_plain_dumps(data))
    for size, key in sizes:
        if total <= limit:
            break
        note = f"…[truncated: {size} bytes; line over {limit} bytes]"
        data[key] = {"_truncated": note} if isinstance(data[key], dict) else note
        total -= size - len(_plain_dumps(data[key]))
    line = _plain_dumps(data)
    while len(line) > limit and len(data) > 1:
        keep = list(data.items())[: max(1, len(data) // 2)]
        data = {**dict(keep), "_truncated": "keys left out: line over the limit"}
        line = _plain_dumps(data)
    return line if len(line) <= limit else b'{"_truncated":"line over the limit"}'


def render_json(
    data: Mapping[str, Any],
    bounds: Bounds = DEFAULT_BOUNDS,
    *,
    fixed_keys: bool = False,
    counted: bool = False,
) -> bytes:
    """One JSON object as a bounded JSON line (bytes, no newline); never raises.

    ``fixed_keys``: the top-level keys are known to be short (an entry's field names).
    ``counted``: the caller already counted the line as reduced (not counted again).
    """
    try:
        if _orjson is not None:
            line: bytes = _orjson.dumps(data, default=_json_default, option=_OPT_NON_STR_KEYS)
        else:  # pragma: no cover - exercised in environments without orjson
            line = _stdlib_dumps(data)
    except Exception:  # noqa: BLE001 - surrogates, big ints, cycles: the slow path
        pass
    else:
        if bounds.fits(line, data, fixed_keys):
            return line
    sanitiser = Sanitiser(bounds)
    plain = sanitiser.plain(data)
    line = _plain_dumps(plain)
    reduced = sanitiser.replaced > 0
    if len(line) > bounds.max_line_bytes:
        line = reduce_to_fit(plain, bounds.max_line_bytes)
        reduced = True
    if reduced and not counted:
        STATE.reduced += 1
    if sanitiser.truncated:
        STATE.truncated += 1
    return line


def dumps(data: Mapping[str, Any]) -> bytes:
    """One JSON object as bytes (no newline), within ``DEFAULT_BOUNDS``; never raises.

    Values without a JSON form are stringified (sets as lists, dates as ISO text); when
    even that fails the value is replaced by ``"<unserialisable TYPE>"`` and counted in
    ``logging_stats()["serialization_errors"]``.
    """
    return render_json(data, DEFAULT_BOUNDS)


def _bare(text: str) -> bool:
    """Text that can stand unquoted in a ``key=value`` line."""
    return text.isprintable() and " " not in text and "=" not in text and '"' not in text


def _quoted(text: str, limit: int) -> str:
    """``text`` bare when it can stand unquoted, else JSON-quoted; escaped, truncated."""
    if len(text) <= limit and _bare(text):
        return text
    if len(text) > limit:
        STATE.truncated += 1
        text = truncate(text, limit)
    return one_line(json.dumps(clean_text(text), ensure_ascii=False))


def _text_value(value: object, bounds: Bounds) -> str:
    if isinstance(value, str):
        return _quoted(value, bounds.max_value_chars)
    rendered = render_json({"v": value}, bounds).decode("utf-8")
    return one_line(rendered[5:-1] if rendered.startswith('{"v":') else rendered)


def _text_key(key: object, bounds: Bounds) -> str:
    try:
        name = key if isinstance(key, str) else str(key)
    except Exception:  # noqa: BLE001 - a key without a str form is replaced
        STATE.serialization_errors += 1
        name = f"<unserialisable {type(key).__name__}>"
    return _quoted(name, bounds.max_key_chars)


def text_line(data: Mapping[str, Any], bounds: Bounds = DEFAULT_BOUNDS) -> bytes:
    """``key=value`` pairs on one line; unset values left out; never raises.

    A key or value that is not printable text without spaces, ``=`` or quotes is
    JSON-quoted with every control character and line break escaped, so no key or value
    can start a forged line; the line is cut at ``max_line_bytes`` with a marker.
    """
    parts = []
    for key, value in data.items():
        if value is None or (isinstance(value, dict) and not value):
            continue
        parts.append(f"{_text_key(key, bounds)}={_text_value(value, bounds)}")
    return cut_line(" ".join(parts).encode("utf-8", "backslashreplace"), bounds)


def cut_line(line: bytes, bounds: Bounds) -> bytes:
    """A text line within ``max_line_bytes``: cut with a ``_truncated=NB`` marker."""
    limit = bounds.max_line_bytes
    if len(line) <= limit:
        return line
    STATE.truncated += 1
    cut = line[: limit - 48].decode("utf-8", "ignore").encode("utf-8")
    return cut + b" _truncated=%dB" % (len(line) - len(cut))
