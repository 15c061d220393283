"""``mask_text``: the builtin passes in order, then the patterns added by the application.

Order: PEM blocks, URL userinfo and tokens (whole shapes) first, then ``key=value`` and
prose forms, Korean forms, ``Bearer`` credentials, digit shapes (resident registration
numbers, mobile numbers, cards) and e-mail addresses. One search for the literals that every
match of some pass holds (``eyj``, ``://``, ``password``, ``비밀``, ...) decides whether
any pass can match. Short text (``SELECT_UP_TO``) that holds one runs only the passes whose
literals it holds (a second scan finds them all, overlapping: ``akiapi_key`` holds ``akia``
and ``api_key``) and the ungated digits pass; longer text runs every pass. Each pass is
skipped when its own gate says no, and once a pass changed the text every later pass runs
(by its gate). Text without secrets costs a lower-casing, that search and a digit count.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping

from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.masking.keyvalue import KEYVALUE_PASS
from rfs_monitoring.masking.korean import KOREAN_PASS
from rfs_monitoring.masking.patterns import (
    BEARER_PASS,
    DIGITS_PASS,
    EMAIL_PASS,
    MASK,
    SHAPE_PASSES,
    Pass,
    trie_pattern,
)

__all__ = [
    "MAX_TEXT_CHARS",
    "REDACTED_ON_ERROR",
    "SELECT_UP_TO",
    "Replacement",
    "add_masking_pattern",
    "count_fault",
    "mask_label",
    "mask_text",
    "mask_text_unguarded",
    "mask_user_id",
    "masking_stats",
    "user_id_masks",
]

REDACTED_ON_ERROR = "[REDACTED: masking failed]"
"""What a value is replaced with when masking it failed (the fault is counted)."""

MAX_TEXT_CHARS = 16_384
"""Strings longer than this are truncated before masking (and in the output)."""

Replacement = str | Callable[[re.Match[str]], str]

_user_patterns: tuple[tuple[re.Pattern[str], Replacement], ...] = ()
_lock = threading.Lock()
_faults = [0]
_CACHE_SIZE = 4096


class _Masked(dict[str, str]):
    """``mask_text`` of each text looked up, kept for at most ``_CACHE_SIZE`` texts (all
    dropped when full, and when a pattern is added or removed); a text whose masking
    failed is not kept (each later failure is counted too)."""

    def __missing__(self, text: str) -> str:
        masked = mask_text(text)
        if masked is not REDACTED_ON_ERROR:
            if len(self) >= _CACHE_SIZE:
                self.clear()
            self[text] = masked
        return masked


_labels = _Masked()
_user_ids = _Masked()  # its own: many distinct ids never push the labels out


def masking_stats() -> dict[str, int]:
    """Counters: ``faults`` (values replaced by REDACTED_ON_ERROR), ``patterns`` (user ones)."""
    return {"faults": _faults[0], "patterns": len(_user_patterns)}


def count_fault() -> None:
    """Count one value replaced by ``REDACTED_ON_ERROR``."""
    _faults[0] += 1


def add_masking_pattern(
    regex: str | re.Pattern[str], replacement: Replacement = MASK
) -> Callable[[], None]:
    """Mask every match of ``regex`` in logged text with ``replacement``.

    The pattern runs on every masked string: keep it linear (no nested or overlapping
    quantifiers, bounded repetitions).

    Args:
        regex: a pattern string or compiled pattern.
        replacement: a string (``re.sub`` syntax, so ``\\1`` works) or a function of the
            match. A replacement function that raises makes the text ``REDACTED_ON_ERROR``
            (counted), it never reaches the caller.

    Returns:
        A function that removes the pattern again.

    Raises:
        ConfigurationError: ``regex`` does not compile, or ``replacement`` is neither a
            string nor callable.
    """
    global _user_patterns
    given: object = regex
    if isinstance(given, re.Pattern):
        compiled: re.Pattern[str] = given
    elif isinstance(given, str):
        try:
            compiled = re.compile(given)
        except re.error as exc:
            msg = f"masking pattern {regex!r} is not a valid regular expression: {exc}"
            raise ConfigurationError(msg) from None
    else:
        msg = f"masking pattern must be a str or re.Pattern, got {type(regex).__name__}: {regex!r}"
        raise ConfigurationError(msg)
    how: object = replacement
    if not isinstance(how, str) and not callable(how):
        msg = (
            f"masking replacement must be a str or a callable taking the match, "
            f"got {type(replacement).__name__}: {replacement!r}"
        )
        raise ConfigurationError(msg)
    entry = (compiled, replacement)
    with _lock:
        _user_patterns = (*_user_patterns, entry)
        _labels.clear()
        _user_ids.clear()

    def remove() -> None:
        global _user_patterns
        with _lock:
            _user_patterns = tuple(p for p in _user_patterns if p is not entry)
            _labels.clear()
            _user_ids.clear()

    return remove


def _run(text: str) -> str:
    lower = text.lower()
    first = _TRIGGER.search(lower)
    if first is None:  # most text: no pass can match but the ungated ones
        return _apply(_UNTRIGGERED, text, lower)
    if len(lower) > SELECT_UP_TO:  # long text: a scan for every literal costs more than gates
        return _apply(_ALL_PASSES, text, lower)
    for each in _selected(_TRIGGERS_AT.findall(lower, first.start())):
        masked = each.run(text, lower)
        if masked is not text:  # chosen on the text before: every later pass runs, gated
            return _apply(_LATER[each], masked, masked.lower())
    return text


def _apply(passes: tuple[Pass, ...], text: str, lower: str) -> str:
    for each in passes:
        masked = each.run(text, lower)
        if masked is not text:
            text = masked
            lower = text.lower()
    return text


def _selected(found: list[str]) -> tuple[Pass, ...]:
    """The passes a short text needs: the ungated ones, and those holding a literal that
    begins with one found (the search reports the shortest literal at each position)."""
    key = frozenset(found)
    passes = _selections.get(key)
    if passes is None:
        wanted = set().union(*(_PASSES_OF[literal] for literal in key))
        passes = tuple(each for each in _ALL_PASSES if not each.triggers or each in wanted)
        if len(_selections) >= _CACHE_SIZE:
            _selections.clear()
        _selections[key] = passes
    return passes


_ALL_PASSES = (*SHAPE_PASSES, KEYVALUE_PASS, KOREAN_PASS, BEARER_PASS, DIGITS_PASS, EMAIL_PASS)
_UNTRIGGERED = tuple(each for each in _ALL_PASSES if not each.triggers)
_LATER = {each: _ALL_PASSES[index + 1 :] for index, each in enumerate(_ALL_PASSES)}
_LITERALS = tuple(dict.fromkeys(t for each in _ALL_PASSES for t in each.triggers))
# One search for any pass's literals (factored by prefix): text holding none skips them all.
_TRIGGER = re.compile(trie_pattern(_LITERALS))
# In short text that holds one, every position's (overlapping: "akiapi_key" holds "akia"
# and "api_key").
_TRIGGERS_AT = re.compile(f"(?=({_TRIGGER.pattern}))")
_PASSES_OF = {
    literal: frozenset(
        each for each in _ALL_PASSES if any(t.startswith(literal) for t in each.triggers)
    )
    for literal in _LITERALS
}
_selections: dict[frozenset[str], tuple[Pass, ...]] = {}
SELECT_UP_TO = 512
"""Text up to this many characters that holds a pass's literal runs only the passes whose
literals it holds (one more scan); longer text runs every pass's gate."""


def mask_text_unguarded(text: str) -> str:
    """``mask_text`` for a str, raising what a user pattern raises (callers count it)."""
    if len(text) > MAX_TEXT_CHARS:
        text = f"{text[:MAX_TEXT_CHARS]}...[truncated {len(text) - MAX_TEXT_CHARS} chars]"
    text = _run(text)
    for pattern, replacement in _user_patterns:
        text = pattern.sub(replacement, text)
    return text


def mask_text(text: str) -> str:
    """``text`` with the secrets in it masked; never raises.

    A non-str argument is converted with ``str()`` first. On an internal error the result
    is ``REDACTED_ON_ERROR`` and the fault is counted (``masking_stats()["faults"]``).
    """
    given: object = text
    try:
        return mask_text_unguarded(given if isinstance(given, str) else str(given))
    except Exception:  # noqa: BLE001 - observability never raises into the caller
        count_fault()
        return REDACTED_ON_ERROR


def mask_label(label: str) -> str:
    """``mask_text(label)``, cached per distinct label: for error codes, types and other
    label values that repeat (metric labels, the codes of exceptions); never raises."""
    try:
        return _labels[label]
    except TypeError:  # not hashable: not a str
        return mask_text(label)


user_id_masks: Mapping[str, str] = _user_ids
"""``mask_user_id``'s cache, for a str id read by subscript on the hot path (no call):
``user_id_masks[text]`` is ``mask_text(text)``, masked on first use."""


def mask_user_id(user_id: object) -> str:
    """``mask_text(str(user_id))``, cached per distinct id (a request's calls and a user's
    requests repeat it; a cache of its own, so that many users never push the labels out).
    Raises what ``str(user_id)`` raises."""
    return _user_ids[user_id if type(user_id) is str else str(user_id)]
