"""Rendering of one JSON object as a JSON line or a ``key=value`` text line (never raises)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from typing import Any

from rfs_monitoring.result_logging.state import STATE

_orjson: Any
try:  # orjson renders 5-10x faster; it is optional.
    import orjson as _orjson
except ImportError:  # pragma: no cover - exercised in environments without orjson
    _orjson = None

__all__ = ["dumps", "one_line", "text_line"]


def _json_default(value: object) -> Any:
    """orjson/json fallback for values without a native JSON form."""
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def dumps(data: dict[str, Any]) -> bytes:
    """One JSON object as bytes (no newline).

    Values without a JSON form are stringified (sets as lists, dates as ISO text); when
    even that fails the value is replaced by ``"<unserialisable TYPE>"`` and counted in
    ``logging_stats()["serialization_errors"]``.
    """
    if _orjson is not None:
        try:
            rendered: bytes = _orjson.dumps(
                data, default=_json_default, option=_orjson.OPT_NON_STR_KEYS
            )
            return rendered
        except Exception:  # noqa: BLE001 - observability never raises into the caller
            pass  # e.g. ints beyond 64 bits: the stdlib handles them
    try:
        return json.dumps(
            data, default=_json_default, ensure_ascii=False, separators=(",", ":")
        ).encode("utf-8")
    except Exception:  # noqa: BLE001 - observability never raises into the caller
        STATE.serialization_errors += 1
    safe = {str(k): _safe_json(v) for k, v in data.items()}
    return json.dumps(safe, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _safe_json(value: object) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    try:
        return json.loads(json.dumps(value, default=_json_default))
    except Exception:  # noqa: BLE001 - observability never raises into the caller
        return f"<unserialisable {type(value).__name__}>"


# Control characters (and Unicode line breaks) as escapes, e.g. "\n" -> "\\n".
_CONTROL_ESCAPES = {code: repr(chr(code))[1:-1] for code in (*range(32), 127, 0x85, 0x2028, 0x2029)}


def one_line(text: str) -> str:
    """``text`` with control characters and line breaks escaped (printable text as is)."""
    return text if text.isprintable() else text.translate(_CONTROL_ESCAPES)


def text_line(data: Mapping[str, Any]) -> bytes:
    """``key=value`` pairs on one line; unset values left out, others JSON-quoted when needed."""
    parts = []
    for key, value in data.items():
        if value is None or value == {}:
            continue
        text = (
            value
            if isinstance(value, str) and " " not in value and value.isprintable()
            else one_line(dumps({"v": value})[5:-1].decode())
        )
        parts.append(f"{key}={text}")
    return " ".join(parts).encode("utf-8")
