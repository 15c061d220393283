"""Log entries as plain dicts to compare to a literal: ``rfs_logs.entries(normalize=True)``.

Each entry becomes its JSON object (``ResultLogEntry.to_dict()``) with the fields that
change from run to run replaced, as Logfire's ``exported_spans_as_dict()`` does for spans:

- ``timestamp``: 1, 2, 3 ... the entry's position (Logfire's test clock counts up the same
  way), so two entries logged within one clock tick still differ;
- ``correlation_id``, ``request_id``, ``trace_id``, ``span_id``: 1, 2, 3 ... per field,
  numbering the distinct ids in order of appearance (Logfire numbers trace and span ids
  the same way), so that entries sharing an id still share a number (``None`` stays
  ``None``; the trace keys stay absent when tracing is off);
- ``processing_time_ms``: ``"<duration_ms>"``;
- ``memory_usage_mb``, ``cpu_usage_percent``: ``"<memory_mb>"``, ``"<cpu_percent>"``, also
  when the sampler had no figure yet (None), which depends on timing too.

Everything else (operation, step, result type, error type, code and message, metadata) is
kept as it was logged, masked.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rfs_monitoring.result_logging import ResultLogEntry

__all__ = ["FIGURE_PLACEHOLDERS", "NUMBERED_FIELDS", "normalize_entries"]

NUMBERED_FIELDS: tuple[str, ...] = (
    "correlation_id",
    "request_id",
    "trace_id",
    "span_id",
)
"""Fields whose distinct values become 1, 2, 3 ... in order of first appearance."""

FIGURE_PLACEHOLDERS: dict[str, str] = {
    "processing_time_ms": "<duration_ms>",
    "memory_usage_mb": "<memory_mb>",
    "cpu_usage_percent": "<cpu_percent>",
}
"""Measured figures and the placeholder each becomes (the resource ones also from None)."""

_ALWAYS = frozenset({"memory_usage_mb", "cpu_usage_percent"})


def normalize_entries(entries: Iterable[ResultLogEntry]) -> list[dict[str, Any]]:
    """The JSON objects of ``entries`` with volatile fields replaced (see the module doc)."""
    numbers: dict[str, dict[object, int]] = {name: {} for name in NUMBERED_FIELDS}
    normalized: list[dict[str, Any]] = []
    for position, entry in enumerate(entries, start=1):
        data = entry.to_dict()
        data["timestamp"] = position
        for name, seen in numbers.items():
            value = data.get(name)
            if value is not None:
                data[name] = seen.setdefault(value, len(seen) + 1)
        for name, placeholder in FIGURE_PLACEHOLDERS.items():
            if data.get(name) is not None or name in _ALWAYS:
                data[name] = placeholder
        normalized.append(data)
    return normalized
