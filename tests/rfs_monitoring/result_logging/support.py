"""Helpers shared by the result_logging tests."""

from __future__ import annotations

import io
import json
from typing import Any

from rfs_monitoring.result_logging import flush_logs, logging_stats
from rfs_monitoring.result_logging.entry import RECORD_FIELDS

__all__ = ["Lines", "make_record", "stat_delta"]


class Lines:
    """A text sink whose JSON lines can be read back."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()

    def json(self) -> list[dict[str, Any]]:
        flush_logs()
        return [json.loads(line) for line in self.buffer.getvalue().splitlines()]

    def entries(self) -> list[dict[str, Any]]:
        return [line for line in self.json() if "operation_name" in line]


def stat_delta(before: dict[str, int], key: str) -> int:
    return logging_stats()[key] - before[key]


def make_record(**fields: Any) -> tuple[Any, ...]:
    """A record (values in ``RECORD_FIELDS`` order) with ``fields`` set, every other None;
    a name that is no field is refused (a typo would otherwise leave its field None)."""
    unknown = set(fields) - set(RECORD_FIELDS)
    assert not unknown, unknown
    return tuple(fields.get(name) for name in RECORD_FIELDS)
