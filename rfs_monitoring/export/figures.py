"""What the exporters publish for one operation, read from the collector's lifetime totals.

``figures_of(totals, ...)`` turns one ``OperationTotals`` into ``OperationFigures``: requests
by outcome (``OUTCOMES``: the fault kind of each error code, ``errors.classify_code``),
failures by error code, failures by error group (bounded by ``GroupLabels``) and the
cumulative histogram counts at the exported bounds. The single-process collector and the
multiprocess feed both publish these figures, so they cannot disagree.
"""

from __future__ import annotations

import dataclasses
import threading
import weakref
from collections.abc import Mapping, Sequence

from rfs_monitoring.errors import ConfigurationError, FaultKind, classify_code
from rfs_monitoring.masking import mask_label
from rfs_monitoring.metrics import OTHER, OperationTotals, ResultMetricsCollector

__all__ = [
    "DEFAULT_BUCKETS_SECONDS",
    "DEFAULT_ERROR_GROUPS",
    "GROUP_LABEL_CHARS",
    "HELP",
    "OUTCOMES",
    "GroupLabels",
    "OperationFigures",
    "check_bounds",
    "check_limit",
    "figures_of",
    "group_labels",
    "outcome_of_code",
]

DEFAULT_BUCKETS_SECONDS: tuple[float, ...] = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
"""Histogram bounds (seconds) published for every operation; +Inf is added."""

DEFAULT_ERROR_GROUPS = 10
"""Error groups per operation (and process) published under their own label value."""

GROUP_LABEL_CHARS = 200
"""An error group's label value is cut to this many characters."""

HELP: Mapping[str, str] = {
    "operation_requests": "Operations recorded, by outcome.",
    "operation_errors": "Failed operations, by error code.",
    "operation_error_groups": "Failed operations, by normalised error message (bounded).",
    "operation_duration_seconds": "Operation durations (buckets read from a 1%-accurate sketch).",
    "export_workers": "Processes exporting these figures (live workers in multiprocess mode).",
}
"""Help text of each published family, by name without the namespace."""

OUTCOMES: tuple[str, ...] = ("success", "client_error", "server_error", "timeout", "cancelled")
"""The values of the ``outcome`` label, every one published for every operation."""

_OUTCOME_OF_FAULT: Mapping[str, str] = {
    FaultKind.CLIENT.value: "client_error",
    FaultKind.SERVER.value: "server_error",
    FaultKind.TIMEOUT.value: "timeout",
    FaultKind.CANCELLED.value: "cancelled",
}


def outcome_of_code(code: str) -> str:
    """The ``outcome`` of a failure with error code ``code`` (its fault kind).

    ``"UNKNOWN"`` (no code) and the collector's ``OTHER`` code (past its cap) are server
    errors, as any code that names no status.
    """
    return _OUTCOME_OF_FAULT[classify_code(code).fault.value]


def check_bounds(buckets: Sequence[float]) -> tuple[float, ...]:
    """``buckets`` as floats.

    Raises:
        ConfigurationError: not a non-empty increasing sequence of numbers of seconds > 0.
    """
    bounds = tuple(buckets)
    if (
        not bounds
        or any(isinstance(b, bool) or not isinstance(b, (int, float)) or b <= 0 for b in bounds)
        or list(bounds) != sorted(set(bounds))
    ):
        msg = f"histogram buckets must be increasing numbers of seconds > 0, got {buckets!r}"
        raise ConfigurationError(msg)
    return tuple(float(b) for b in bounds)


def check_limit(max_error_groups: object) -> int:
    """``max_error_groups`` when it is an int >= 1.

    Raises:
        ConfigurationError: anything else, naming the value.
    """
    if (
        isinstance(max_error_groups, bool)
        or not isinstance(max_error_groups, int)
        or max_error_groups < 1
    ):
        msg = f"max_error_groups must be an int >= 1, got {max_error_groups!r}"
        raise ConfigurationError(msg)
    return max_error_groups


class GroupLabels:
    """Bounds the ``error_group`` label: ``limit`` groups per operation, the rest ``OTHER``.

    Groups are admitted when first published, the most frequent first, and keep their
    label value for the life of the process (a counter's series never moves), so each
    published count only grows. Thread-safe.
    """

    __slots__ = ("_admitted", "_lock", "limit")

    def __init__(self, limit: int = DEFAULT_ERROR_GROUPS) -> None:
        self.limit = check_limit(limit)
        self._admitted: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def bound(self, operation: str, groups: Mapping[str, int]) -> dict[str, int]:
        """``groups`` (message -> count) with at most ``limit`` keys plus ``OTHER``."""
        out: dict[str, int] = {}
        other = 0
        with self._lock:
            admitted = self._admitted.setdefault(operation, set())
            for group, n in sorted(groups.items(), key=lambda item: (-item[1], item[0])):
                if group != OTHER and group not in admitted and len(admitted) < self.limit:
                    admitted.add(group)
                if group in admitted:
                    label = mask_label(group[:GROUP_LABEL_CHARS])
                    out[label] = out.get(label, 0) + n
                else:
                    other += n
        if other:
            out[OTHER] = other
        return out


_SHARED: weakref.WeakKeyDictionary[ResultMetricsCollector, dict[int, GroupLabels]] = (
    weakref.WeakKeyDictionary()
)
_SHARED_LOCK = threading.Lock()


def group_labels(collector: ResultMetricsCollector, limit: int) -> GroupLabels:
    """The one ``GroupLabels`` of ``collector`` and ``limit`` in this process (every
    exporter of a collector publishes the same label values)."""
    with _SHARED_LOCK:
        per_limit = _SHARED.setdefault(collector, {})
        labels = per_limit.get(limit)
        if labels is None:
            labels = per_limit[limit] = GroupLabels(limit)
        return labels


@dataclasses.dataclass(frozen=True, slots=True)
class OperationFigures:
    """The published figures of one operation (label values masked).

    Attributes:
        operation: the ``operation`` label.
        outcomes: requests by outcome, every one of ``OUTCOMES``.
        errors: failures by error code.
        groups: failures by bounded error group.
        cumulative: requests at or below each bound, then all of them (+Inf).
        sum_seconds: the sum of the durations.
    """

    operation: str
    outcomes: dict[str, int]
    errors: dict[str, int]
    groups: dict[str, int]
    cumulative: tuple[int, ...]
    sum_seconds: float


def figures_of(
    totals: OperationTotals, bounds: Sequence[float], labels: GroupLabels
) -> OperationFigures:
    """The figures of one operation's lifetime totals."""
    name = mask_label(totals.operation)
    outcomes = dict.fromkeys(OUTCOMES, 0)
    outcomes["success"] = totals.total - totals.failed
    errors: dict[str, int] = {}
    for code, n in sorted(totals.error_codes.items()):
        outcomes[outcome_of_code(code)] += n
        label = mask_label(code)
        errors[label] = errors.get(label, 0) + n
    sketch = totals.sketch
    cumulative = (*sketch.counts_at_or_below([b * 1000.0 for b in bounds]), sketch.count)
    return OperationFigures(
        name,
        outcomes,
        errors,
        labels.bound(totals.operation, totals.error_groups),
        cumulative,
        totals.sum_ms / 1000.0,
    )
