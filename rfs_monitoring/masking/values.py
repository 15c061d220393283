"""``mask_value``: a JSON-safe, masked copy of any value (dicts, sequences, records, models).

The value of every sensitive key (``is_sensitive_key``) is replaced by ``MASK`` whole, in
dicts, lists, tuples, sets, dataclasses and pydantic models, however deeply nested; every
string goes through ``mask_text``. Cycles, odd objects (a ``__str__`` that raises) and too
deep or wide nesting are handled; on an internal error the value is replaced by
``REDACTED_ON_ERROR`` and the fault is counted.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import math
from collections.abc import Iterable, Mapping
from typing import Any

from rfs_monitoring.masking.keys import is_sensitive_key
from rfs_monitoring.masking.patterns import MASK
from rfs_monitoring.masking.text import REDACTED_ON_ERROR, count_fault, mask_text_unguarded

__all__ = ["MAX_DEPTH", "MAX_ITEMS", "mask_value"]

MAX_DEPTH = 16
"""Deeper nesting is replaced by a marker."""

MAX_ITEMS = 1_000
"""Containers with more items are cut, with a marker item at the end."""


def mask_value(obj: object) -> Any:
    """A JSON-safe copy of ``obj`` with sensitive keys and values masked; never raises.

    Mappings become dicts with string keys; lists, tuples and sets become lists;
    dataclass instances and pydantic models become dicts of their fields; dates become
    ISO-8601 strings; enums their value; other objects ``str(obj)`` (masked). Cycles
    become ``"<cycle>"``.
    """
    try:
        return _Masker().mask(obj, 0)
    except Exception:  # noqa: BLE001 - observability never raises into the caller
        count_fault()
        return REDACTED_ON_ERROR


_INT64 = 2**63


class _Masker:
    """One masking pass: remembers the containers on the current path to cut cycles."""

    __slots__ = ("path",)

    def __init__(self) -> None:
        self.path: set[int] = set()

    def mask(self, obj: object, depth: int) -> Any:
        if obj is None or isinstance(obj, bool):
            return obj
        if isinstance(obj, str):
            return mask_text_unguarded(obj)
        if isinstance(obj, int):
            return self._int(obj)
        if isinstance(obj, float):
            return obj if math.isfinite(obj) else repr(obj)
        if isinstance(obj, enum.Enum):
            return self.mask(obj.value, depth)
        if isinstance(obj, (datetime.datetime, datetime.date, datetime.time)):
            return obj.isoformat()
        if isinstance(obj, (bytes, bytearray, memoryview)):
            return f"<{type(obj).__name__} len={len(obj)}>"
        if depth >= MAX_DEPTH:
            return "<max depth>"
        marker = id(obj)
        if marker in self.path:
            return "<cycle>"
        self.path.add(marker)
        try:
            return self._container(obj, depth + 1)
        finally:
            self.path.discard(marker)

    @staticmethod
    def _int(value: int) -> Any:
        if -_INT64 <= value < _INT64 and not 10**12 <= abs(value) < 10**19:
            return value
        text = mask_text_unguarded(str(value))
        if text == str(value) and -_INT64 <= value < _INT64:
            return value
        return text

    def _container(self, obj: object, depth: int) -> Any:
        if isinstance(obj, Mapping):
            return self._mapping(obj.items(), depth)
        if isinstance(obj, (list, tuple, set, frozenset)):
            return self._sequence(obj, depth)
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return self._mapping(
                ((f.name, getattr(obj, f.name, None)) for f in dataclasses.fields(obj)), depth
            )
        fields = _model_fields(obj)
        if fields is not None:
            return self._mapping(((name, getattr(obj, name, None)) for name in fields), depth)
        if isinstance(obj, BaseException):
            return mask_text_unguarded(f"{type(obj).__name__}: {_safe_str(obj)}")
        return mask_text_unguarded(_safe_str(obj))

    def _mapping(self, items: Iterable[tuple[object, object]], depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for count, (key, value) in enumerate(items):
            if count >= MAX_ITEMS:
                out["<truncated>"] = True
                break
            name = key if isinstance(key, str) else _safe_str(key)
            if is_sensitive_key(name):
                out[name] = MASK
            else:
                out[name] = self._item(value, depth)
        return out

    def _sequence(self, items: Iterable[object], depth: int) -> list[Any]:
        out: list[Any] = []
        for count, value in enumerate(items):
            if count >= MAX_ITEMS:
                out.append("<truncated>")
                break
            out.append(self._item(value, depth))
        return out

    def _item(self, value: object, depth: int) -> Any:
        try:
            return self.mask(value, depth)
        except Exception:  # noqa: BLE001 - observability never raises into the caller
            count_fault()
            return REDACTED_ON_ERROR


def _model_fields(obj: object) -> Iterable[str] | None:
    """Field names of a pydantic (v2 or v1) model instance, without importing pydantic."""
    cls = type(obj)
    fields = getattr(cls, "model_fields", None)
    if isinstance(fields, Mapping):
        return list(fields)
    fields = getattr(cls, "__fields__", None)
    if isinstance(fields, Mapping) and hasattr(obj, "dict"):
        return list(fields)
    return None


def _safe_str(obj: object) -> str:
    """``str(obj)``, bounded: a ``__str__`` that raises propagates to the caller's guard."""
    return str(obj)
