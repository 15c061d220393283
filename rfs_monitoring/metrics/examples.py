"""Error examples: the last few failures of each error group, for the dashboard's drill-down.

``record()`` reads the correlation id and the trace id of a failing call from its context
(``context.get_correlation_id``, ``tracing.current_ids``: nothing is bound) and buffers them
with the failure; when the second is folded, ``ExampleBook.add`` keeps the newest
``EXAMPLES_PER_GROUP`` failures of each group of the operation, their message masked
(``masking.mask_text``) but not normalised. The book holds at most as many groups as the
operation's error-group cap (plus ``OTHER``), so its memory is bounded.
"""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

from rfs_monitoring import tracing
from rfs_monitoring.context import get_correlation_id
from rfs_monitoring.masking import mask_text
from rfs_monitoring.text import clean_text

__all__ = ["EXAMPLES_PER_GROUP", "Example", "ExampleBook", "failure_ids"]

EXAMPLES_PER_GROUP = 5
"""How many recent failures each error group keeps."""

_MAX_MESSAGE_CHARS = 500


class Example(NamedTuple):
    """One kept failure (the collector turns it into an ``ErrorExample``)."""

    when: float
    code: str | None
    message: str
    correlation_id: str | None
    trace_id: str | None


def failure_ids() -> tuple[str | None, str | None]:
    """The correlation id and the trace id of the current context (None where unset);
    reads only, never binds, never raises."""
    try:
        ids = tracing.current_ids()
    except Exception:  # noqa: BLE001 - observability never raises into the caller
        ids = None
    return get_correlation_id(), None if ids is None else ids[0]


class ExampleBook:
    """The newest failures of each error group of one operation; the owner locks.

    Args:
        max_groups: groups kept (past it, the groups the caps no longer track go first).
    """

    __slots__ = ("groups", "max_groups")

    def __init__(self, max_groups: int) -> None:
        self.max_groups = max_groups
        self.groups: dict[str, deque[Example]] = {}

    def add(
        self,
        group: str,
        when: float,
        code: str | None,
        message: str,
        ids: tuple[str | None, str | None],
    ) -> None:
        """Keep a failure of ``group`` (its message is masked here)."""
        kept = self.groups.get(group)
        if kept is None:
            kept = self.groups[group] = deque(maxlen=EXAMPLES_PER_GROUP)
        text = mask_text(clean_text(message[: _MAX_MESSAGE_CHARS * 2]))[:_MAX_MESSAGE_CHARS]
        kept.append(Example(when, code, text, ids[0], ids[1]))

    def trim(self, tracked: dict[str, float]) -> None:
        """Drop the groups the caps no longer track once the book is past its size."""
        if len(self.groups) > self.max_groups + 1:
            for group in [g for g in self.groups if g not in tracked]:
                del self.groups[group]

    def since(self, start: float, group: str | None = None) -> list[Example]:
        """The kept failures recorded at or after ``start`` (of ``group``; None: all)."""
        if group is None:
            chosen = list(self.groups.values())
        else:
            found = self.groups.get(group)
            chosen = [] if found is None else [found]
        return [example for kept in chosen for example in kept if example.when >= start]
