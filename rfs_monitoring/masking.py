"""Sensitive-data masking for log entries: keys, values inside free text, nested objects.

``mask_value(obj)`` returns a JSON-safe copy of ``obj`` in which

- the value of every *sensitive key* (password, secret, token, api_key, authorization,
  cookie, session, card_number, cvv, ssn, ...; case-insensitive, ``-``/``_``/camelCase
  alike) is replaced by ``"***"``, in dicts, lists, tuples, sets, dataclasses and pydantic
  models, however deeply nested;
- every string goes through ``mask_text``.

``mask_text(text)`` masks secrets found inside free text: JSON Web Tokens, bearer/basic
credentials, ``key=value`` / ``key: value`` secrets, Luhn-valid card numbers (the last four
digits are kept), e-mail addresses (partly: ``j***@example.com``) and the patterns added
with ``add_masking_pattern``.

Neither function ever raises: cycles, odd objects (a ``__str__`` that raises), huge strings
and too deep nesting are handled; on an internal error the value is replaced by
``REDACTED_ON_ERROR`` and the fault is counted (``masking_stats()["faults"]``).
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import math
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

from rfs_monitoring.errors import ConfigurationError

__all__ = [
    "MASK",
    "REDACTED_ON_ERROR",
    "add_masking_pattern",
    "add_sensitive_keys",
    "is_sensitive_key",
    "mask_text",
    "mask_value",
    "masking_stats",
]

MASK = "***"
"""What a masked value is replaced with."""

REDACTED_ON_ERROR = "[REDACTED: masking failed]"
"""What a value is replaced with when masking it failed (the fault is counted)."""

MAX_TEXT_CHARS = 16_384
"""Strings longer than this are truncated before masking (and in the output)."""

MAX_DEPTH = 16
"""Deeper nesting is replaced by a marker."""

MAX_ITEMS = 1_000
"""Containers with more items are cut, with a marker item at the end."""

# Every sensitive word, stated once: (word, how a key matches it, masked in free text).
# A key matches a "part" word anywhere in it and a "word" word only as a whole word (``ssn``
# but not ``lessness``); ``_`` in a word also matches no separator (``api_key``: ``apiKey``).
# Words marked True are also found in free text as ``word=value`` / ``word: value``, where
# ``_`` matches ``_``, ``-`` or nothing (``api-key: ...``).
_SENSITIVE: tuple[tuple[str, Literal["part", "word"], bool], ...] = (
    ("password", "part", True),
    ("passwd", "part", True),
    ("pwd", "word", True),
    ("secret", "part", True),
    ("token", "part", True),
    ("api_key", "part", True),
    ("authorization", "part", True),
    ("session_id", "part", True),
    ("session", "part", True),
    ("cookie", "part", True),
    ("cvv", "word", True),
    ("cvc", "word", True),
    ("ssn", "word", True),
    ("credit_card", "part", True),
    ("card_number", "part", True),
    ("passphrase", "part", False),
    ("credential", "part", False),
    ("private_key", "part", False),
    ("card_no", "part", False),
    ("security_code", "part", False),
    ("pin", "word", False),
    ("cvv2", "word", False),
    ("auth", "word", False),
    ("sid", "word", False),
    ("otp", "word", False),
    ("pan", "word", False),
)
_SENSITIVE_PARTS = tuple(
    (word, word.replace("_", "")) for word, match, _ in _SENSITIVE if match == "part"
)
_SENSITIVE_WORDS = frozenset(word for word, match, _ in _SENSITIVE if match == "word")
_TEXT_WORDS = tuple(word for word, _, in_text in _SENSITIVE if in_text)

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")

_extra_keys: frozenset[str] = frozenset()

_JWT = r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"
_BEARER = r"(?i:\b(?:bearer|basic|token)\s+)[A-Za-z0-9._~+/=-]{6,}"
_KV = (
    r"(?i:\b(?:[a-z0-9]{1,32}[_-]){0,3}(?:"
    + "|".join(word.replace("_", "[_-]?") for word in _TEXT_WORDS)
    + r")\b)"
    r"[\"']?\s*[:=]\s*(?:(?i:bearer|basic|token)\s+)?(?:\"[^\"]*\"|'[^']*'|[^\s,;&\"'}\]]+)"
)
_CARD = r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])"
_EMAIL = (
    r"\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}\b"
)

_BUILTIN = re.compile(
    f"(?P<jwt>{_JWT})|(?P<bearer>{_BEARER})|(?P<kv>{_KV})|(?P<card>{_CARD})|(?P<email>{_EMAIL})"
)
_KV_SPLIT = re.compile(r"\s*[:=]\s*")
_BEARER_SPLIT = re.compile(r"\s+")

Replacement = str | Callable[[re.Match[str]], str]

_user_patterns: tuple[tuple[re.Pattern[str], Replacement], ...] = ()
_lock = threading.Lock()
_faults = [0]


def masking_stats() -> dict[str, int]:
    """Counters: ``faults`` (values replaced by REDACTED_ON_ERROR), ``patterns`` (user ones)."""
    return {"faults": _faults[0], "patterns": len(_user_patterns)}


def _count_fault() -> None:
    _faults[0] += 1


def add_masking_pattern(
    regex: str | re.Pattern[str], replacement: Replacement = MASK
) -> Callable[[], None]:
    """Mask every match of ``regex`` in logged text with ``replacement``.

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

    def remove() -> None:
        global _user_patterns
        with _lock:
            _user_patterns = tuple(p for p in _user_patterns if p is not entry)

    return remove


def add_sensitive_keys(*keys: str) -> Callable[[], None]:
    """Treat dict keys / attribute names equal to one of ``keys`` (normalised) as sensitive.

    Returns:
        A function that removes these keys again.

    Raises:
        ConfigurationError: a key is not a non-empty string.
    """
    global _extra_keys
    for key in keys:
        if not isinstance(key, str) or not key:
            msg = f"sensitive keys must be non-empty strings, got {key!r}"
            raise ConfigurationError(msg)
    added = frozenset(_normalise(k) for k in keys) - _extra_keys
    with _lock:
        _extra_keys = _extra_keys | added

    def remove() -> None:
        global _extra_keys
        with _lock:
            _extra_keys = _extra_keys - added

    return remove


def _normalise(key: str) -> str:
    return _CAMEL.sub("_", key).lower().replace("-", "_")


def is_sensitive_key(key: object) -> bool:
    """True when a value stored under ``key`` must be masked whole."""
    if not isinstance(key, str):
        return False
    norm = _normalise(key)
    if norm in _extra_keys:
        return True
    flat = norm.replace("_", "")
    for word, joined in _SENSITIVE_PARTS:
        if word in norm or joined in flat:
            return True
    return any(part in _SENSITIVE_WORDS for part in _WORD_SPLIT.split(norm))


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        d = ord(char) - 48
        if index % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _replace_builtin(match: re.Match[str]) -> str:
    kind = match.lastgroup
    text = match.group()
    if kind == "jwt":
        return MASK
    if kind == "bearer":
        scheme = _BEARER_SPLIT.split(text, maxsplit=1)[0]
        return f"{scheme} {MASK}"
    if kind == "kv":
        sep = _KV_SPLIT.search(text)
        assert sep is not None  # the kv pattern always contains a separator
        return f"{text[: sep.start()]}{sep.group()}{MASK}"
    if kind == "card":
        digits = "".join(c for c in text if c.isdigit())
        if 13 <= len(digits) <= 19 and _luhn_ok(digits):
            return f"{MASK}{digits[-4:]}"
        return text
    # email: keep the first character of the local part and the domain
    local, _, domain = text.partition("@")
    return f"{local[:1]}{MASK}@{domain}"


# Cheap checks that decide whether the builtin patterns can match at all: most logged text
# (error messages, ids) holds no secret, and one `in` per word is far cheaper than the regex.
# Each builtin match holds one of these: a JWT's "eyJ", an e-mail's "@", a scheme, or the
# first part of a free-text sensitive word.
_TRIGGERS = tuple(
    dict.fromkeys(("eyj", "@", "bearer", "basic", *(w.split("_")[0] for w in _TEXT_WORDS)))
)
_TRIGGER = re.compile("|".join(_TRIGGERS) + r"|(?:\d[ -]?){12}\d")


def _might_hold_secret(text: str) -> bool:
    return _TRIGGER.search(text.lower()) is not None


def _mask_text(text: str) -> str:
    if len(text) > MAX_TEXT_CHARS:
        text = f"{text[:MAX_TEXT_CHARS]}...[truncated {len(text) - MAX_TEXT_CHARS} chars]"
    if _might_hold_secret(text):
        text = _BUILTIN.sub(_replace_builtin, text)
    for pattern, replacement in _user_patterns:
        text = pattern.sub(replacement, text)
    return text


def mask_text(text: str) -> str:
    """``text`` with the secrets in it masked; never raises (see the module docstring).

    A non-str argument is converted with ``str()`` first.
    """
    given: object = text
    try:
        return _mask_text(given if isinstance(given, str) else str(given))
    except Exception:  # noqa: BLE001 - observability never raises into the caller
        _count_fault()
        return REDACTED_ON_ERROR


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
        _count_fault()
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
            return _mask_text(obj)
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
        text = _mask_text(str(value))
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
            return _mask_text(f"{type(obj).__name__}: {_safe_str(obj)}")
        return _mask_text(_safe_str(obj))

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
            _count_fault()
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
