"""The operation cap: which operation names the collector tracks, and which it does not.

Past ``max_operations`` distinct operations, the samples of a new name are counted under
the one overflow operation ``OTHER`` ("__other__"). The cap remembers which names it sent
there (up to ``REMEMBERED`` of them; past that they are only counted), so that the
dashboard can warn and an alert rule on such a name can say "no data: over the
cardinality cap" instead of staying ``ok``. Names reserved with ``reserve(name)`` (the
alert manager reserves the operations its rules name) are never capped.

The owner (the collector) calls ``admit`` with its lock held, only for a name it does not
track yet: never on the hot path of a tracked operation.
"""

from __future__ import annotations

from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.metrics.grouping import OTHER
from rfs_monitoring.text import clean_text

__all__ = ["CAP_REASON", "REMEMBERED", "OperationCap"]

REMEMBERED = 1024
"""How many capped names are remembered by name (all of them are counted)."""

CAP_REASON = "over the cardinality cap"
"""Why an operation has no figures of its own when its samples went to ``OTHER``."""


class OperationCap:
    """Admits operation names up to ``max_operations`` (reserved names always); not
    thread-safe: the owner locks.

    Args:
        max_operations: distinct operations tracked before new names go to ``OTHER``.
    """

    __slots__ = ("_capped", "_reserved", "capped_names", "max_operations")

    def __init__(self, max_operations: int) -> None:
        self.max_operations = max_operations
        self._reserved: set[str] = set()
        self._capped: dict[str, int] = {}
        self.capped_names = 0

    def reserve(self, name: str) -> None:
        """Never cap ``name`` (idempotent).

        Raises:
            ConfigurationError: ``name`` is not a non-empty str.
        """
        given: object = name
        if not isinstance(given, str) or not given:
            msg = f"reserve() expects a non-empty operation name, got {given!r}"
            raise ConfigurationError(msg)
        self._reserved.add(clean_text(name))  # names are tracked in their escaped form

    def reserved(self) -> frozenset[str]:
        """The reserved names."""
        return frozenset(self._reserved)

    def admit(self, name: object, tracked: int) -> bool:
        """True when a new operation ``name`` gets its own figures, ``tracked`` being the
        number of operations tracked now (``OTHER`` excepted); False counts it as capped."""
        if isinstance(name, str) and (
            name == OTHER or tracked < self.max_operations or name in self._reserved
        ):
            return True
        if not isinstance(name, str):
            return False
        count = self._capped.get(name)
        if count is not None:
            self._capped[name] = count + 1
        else:
            self.capped_names += 1
            if len(self._capped) < REMEMBERED:
                self._capped[name] = 1
        return False

    def is_capped(self, name: str) -> bool:
        """True when samples of ``name`` went to ``OTHER`` (a remembered name)."""
        return clean_text(name) in self._capped

    def capped(self) -> dict[str, int]:
        """The remembered capped names and how many samples each sent to ``OTHER``."""
        return dict(self._capped)

    def clear(self) -> None:
        """Forget the capped names (the reserved ones stay)."""
        self._capped.clear()
        self.capped_names = 0
