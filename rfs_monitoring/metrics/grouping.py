"""Error groups: the normalised message key, the one group merge, and the cardinality caps.

A group is ``[count, last_seen, error_code]`` under its normalised, masked message.
``add_to_group`` is the one rule for adding to a group (counts add up; the latest
``last_seen`` wins, with its code); buckets, rollups and ``top_errors`` all merge through it.
``ErrorGrouper`` turns a second's failures into groups, codes and types, each capped per
operation (beyond the cap: the ``OTHER`` group).
"""

from __future__ import annotations

import operator
import re
from collections import Counter
from collections.abc import Hashable, Mapping
from typing import Any, TypeVar

from rfs_monitoring.errors import ErrorCode
from rfs_monitoring.masking import mask_label, mask_text
from rfs_monitoring.metrics.examples import EXAMPLES_PER_GROUP, ExampleBook
from rfs_monitoring.text import clean_text

__all__ = [
    "MESSAGE_CACHE_SIZE",
    "OTHER",
    "ErrorCaps",
    "ErrorGrouper",
    "ErrorGroups",
    "FailedSample",
    "add_to_group",
    "merge_groups",
    "normalise_error_message",
    "safe_str",
]

OTHER = "__other__"
"""Operation name / error group that takes samples beyond the cardinality caps."""

MESSAGE_CACHE_SIZE = 4096
"""Raw messages whose normalised form is cached (the cache is emptied when full)."""

_MAX_MESSAGE_CHARS = 300
_RECENT_GROUP_SECONDS = 3600.0

ErrorGroups = dict[str, list[Any]]
"""Normalised message -> ``[count, last_seen, error_code]``."""

FailedSample = tuple[object, object, object, float, "tuple[str | None, str | None]"]
"""A failed sample as buffered: ``(error_code, error_type, error_message, timestamp, ids)``
where ``ids`` is ``(correlation_id, trace_id)`` of the failing call."""

K = TypeVar("K", bound=Hashable)

_UUID = re.compile(
    r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
)
_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"|`[^`\n]*`")
_HEX = re.compile(
    r"\b0[xX][0-9a-fA-F]+\b|\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b"
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_SPACES = re.compile(r"\s+")
_FAILURE_KEY = operator.itemgetter(0, 1, 2)
_FAILURE_WHEN = operator.itemgetter(3)


def normalise_error_message(message: str) -> str:
    """The grouping key of an error message: masked, with variable parts as placeholders.

    UUIDs become ``<uuid>``, quoted values ``<str>``, hex ids ``<hex>`` and numbers ``<n>``;
    whitespace is collapsed and the result is cut to 300 characters.

    >>> normalise_error_message("user 123 not found")
    'user <n> not found'
    """
    text = mask_text(clean_text(message[: _MAX_MESSAGE_CHARS * 4]))
    text = _UUID.sub("<uuid>", text)
    text = _QUOTED.sub("<str>", text)
    text = _HEX.sub("<hex>", text)
    text = _NUMBER.sub("<n>", text)
    text = _SPACES.sub(" ", text).strip()
    return text[:_MAX_MESSAGE_CHARS] or "<empty>"


def add_to_group(groups: dict[K, list[Any]], key: K, n: int, last: float, code: object) -> None:
    """Add ``n`` errors last seen at ``last`` with ``code`` to group ``key``.

    Counts add up; the latest ``last`` wins and brings its code (on a tie, the one added
    later).
    """
    entry = groups.get(key)
    if entry is None:
        groups[key] = [n, last, code]
    else:
        entry[0] += n
        if last >= entry[1]:
            entry[1] = last
            entry[2] = code


def merge_groups(into: ErrorGroups, other: Mapping[str, list[Any]], cap: int | None = None) -> None:
    """Add every group of ``other`` to ``into``.

    ``cap``: at most this many groups in ``into``; a group not in it once it is full goes
    to ``OTHER`` (None: no cap).
    """
    for key, (n, last, code) in other.items():
        if cap is not None and key not in into and len(into) >= cap:
            key = OTHER  # the overflow group takes the counts
        add_to_group(into, key, n, last, code)


def safe_str(value: object) -> str:
    """``str(value)``, or a placeholder naming its type when its ``__str__`` raises."""
    try:
        return str(value)
    except Exception:  # noqa: BLE001 - a broken __str__ must not break recording
        return f"<unprintable {type(value).__name__}>"


def _text(value: object, default: str) -> str:
    if value is None:
        return default
    if isinstance(value, ErrorCode):
        return value.value
    text = value if isinstance(value, str) else safe_str(value)
    return clean_text(text[:100]) or default


def _label(value: object, default: str) -> str:
    """``_text`` of a code or type, masked before and after it is cut (cached per value)."""
    if isinstance(value, str):
        value = mask_label(value)
    return mask_label(_text(value, default))


def _plain(value: object) -> object:
    try:
        hash(value)
    except TypeError:
        return safe_str(value)
    return value


def _capped(seen: set[str], key: str, cap: int) -> str:
    if key in seen:
        return key
    if len(seen) >= cap:
        return OTHER
    seen.add(key)
    return key


def _keep_examples(
    book: ExampleBook,
    rows: list[FailedSample],
    keys: list[tuple[object, object, object]],
    placed: dict[tuple[object, object, object], tuple[str, str, str]],
) -> None:
    """Keep the newest failures of each group (the rows are in time order)."""
    wanted: dict[str, int] = {}
    chosen = []
    for i in range(len(rows) - 1, -1, -1):
        group, code, raw = placed[keys[i]]
        taken = wanted.get(group, 0)
        if taken < EXAMPLES_PER_GROUP:
            wanted[group] = taken + 1
            chosen.append((group, rows[i][3], code, raw, rows[i][4]))
    for group, when, code, raw, ids in reversed(chosen):
        book.add(group, when, code, raw, ids)


class ErrorCaps:
    """The codes, types and groups one operation has seen (for its caps); the owner locks."""

    __slots__ = ("codes", "groups", "types")

    def __init__(self) -> None:
        self.codes: set[str] = set()
        self.types: set[str] = set()
        self.groups: dict[str, float] = {}
        """Group -> when it was last seen (groups idle for an hour make room for new ones)."""


class ErrorGrouper:
    """Counts failures into capped codes, types and message groups; not thread-safe.

    Args:
        max_groups: distinct groups, codes and types per operation; later ones go to
            ``OTHER`` (a group idle for an hour makes room first).
        cache_size: raw messages whose normalised form is kept.
    """

    __slots__ = ("_cache", "cache_size", "max_groups")

    def __init__(self, max_groups: int, cache_size: int = MESSAGE_CACHE_SIZE) -> None:
        self.max_groups = max_groups
        self.cache_size = cache_size
        self._cache: dict[str, str] = {}

    @property
    def cached(self) -> int:
        """How many normalised messages are cached (never more than ``cache_size``)."""
        return len(self._cache)

    def clear(self) -> None:
        """Forget the cached messages."""
        self._cache.clear()

    def group_of(self, message: str) -> str:
        """``normalise_error_message(message)``, cached."""
        group = self._cache.get(message)
        if group is None:
            if len(self._cache) >= self.cache_size:
                self._cache.clear()
            group = self._cache[message] = normalise_error_message(message)
        return group

    def count(
        self,
        caps: ErrorCaps,
        failures: list[FailedSample],
        codes: dict[str, int],
        types: dict[str, int],
        groups: ErrorGroups,
        examples: ExampleBook | None = None,
    ) -> int:
        """Count ``failures`` into ``codes``, ``types`` and ``groups`` (and keep the newest
        of each group in ``examples``).

        Returns how many went to the ``OTHER`` group because of the cap.
        """
        rows = list(failures)
        try:
            keys = list(map(_FAILURE_KEY, rows))
            counts = Counter(keys)
        except TypeError:  # an unhashable code, type or message: use their text
            rows = [(_plain(c), _plain(k), _plain(m), w, ids) for c, k, m, w, ids in rows]
            keys = list(map(_FAILURE_KEY, rows))
            counts = Counter(keys)
        last_seen = dict(zip(keys, map(_FAILURE_WHEN, rows), strict=True))
        placed: dict[tuple[object, object, object], tuple[str, str, str]] = {}
        overflow = 0
        for key, n in counts.items():
            code, kind, message = key
            # codes and types become labels (Prometheus, dashboard, archive): masked here,
            # at fold time, cached per distinct value (an exception's ``.code`` may be anything)
            code_key = _capped(caps.codes, _label(code, "UNKNOWN"), self.max_groups)
            type_key = _capped(caps.types, _label(kind, "Error"), self.max_groups)
            codes[code_key] = codes.get(code_key, 0) + n
            types[type_key] = types.get(type_key, 0) + n
            raw = message if isinstance(message, str) else _label(kind, "") or _label(code, "error")
            when = last_seen[key]
            group = self._admit(caps.groups, self.group_of(raw), when)
            if group is None:
                overflow += n
                group = OTHER
            caps.groups[group] = when
            add_to_group(groups, group, n, when, code_key)
            placed[key] = (group, code_key, raw)
        if examples is not None:
            _keep_examples(examples, rows, keys, placed)
            examples.trim(caps.groups)
        return overflow

    def _admit(self, seen: dict[str, float], group: str, when: float) -> str | None:
        """``group``, or None when the cap is reached (after groups idle for an hour left)."""
        if group not in seen and len(seen) >= self.max_groups:
            horizon = when - _RECENT_GROUP_SECONDS
            for stale in [k for k, last in seen.items() if last < horizon]:
                del seen[stale]
            if len(seen) >= self.max_groups:
                return None
        return group
