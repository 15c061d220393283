"""Sensitive keys: the one word table and the one rule deciding whether a key is sensitive.

A key (a dict key, an attribute name, the key of ``key=value`` in text) is sensitive when a
*part* word appears anywhere in it (``PGPASSWORD``, ``secretKey``, ``password1``,
``x-api-key``) or a *word* word is one of its words (``pin``, ``user.ssn``, not
``spinner``), unless its last word says it holds a figure or setting about the secret
(``token_type``, ``max_tokens``, ``password_length``, ``TokenError``). Keys are compared
normalised: camelCase split, lower case, ``-`` as ``_``; a ``_`` inside a part word also
matches no separator (``api_key``: ``apiKey``, ``APIKEY``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Literal

from rfs_monitoring.errors import ConfigurationError

__all__ = ["SENSITIVE_WORDS", "add_sensitive_keys", "is_sensitive_key"]

SENSITIVE_WORDS: tuple[tuple[str, Literal["part", "word"]], ...] = (
    ("password", "part"),
    ("passwd", "part"),
    ("passphrase", "part"),
    ("secret", "part"),
    ("token", "part"),
    ("api_key", "part"),
    ("authorization", "part"),
    ("session", "part"),
    ("cookie", "part"),
    ("credential", "part"),
    ("private_key", "part"),
    ("access_key", "part"),
    ("account_key", "part"),
    ("signing_key", "part"),
    ("encryption_key", "part"),
    ("master_key", "part"),
    ("signature", "part"),
    ("database_url", "part"),
    ("db_url", "part"),
    ("connection_string", "part"),
    ("conn_str", "part"),
    ("credit_card", "part"),
    ("card_number", "part"),
    ("card_no", "part"),
    ("security_code", "part"),
    ("비밀번호", "part"),
    ("비번", "part"),
    ("암호", "part"),
    ("패스워드", "part"),
    ("토큰", "part"),
    ("인증키", "part"),
    ("시크릿", "part"),
    ("주민등록번호", "part"),
    ("주민번호", "part"),
    ("pwd", "word"),
    ("pin", "word"),
    ("cvv", "word"),
    ("cvv2", "word"),
    ("cvc", "word"),
    ("ssn", "word"),
    ("auth", "word"),
    ("sid", "word"),
    ("otp", "word"),
    ("pan", "word"),
    ("dsn", "word"),
    ("jwt", "word"),
    ("sig", "word"),
    ("bearer", "word"),
)
"""Every sensitive word, stated once: ``(word, "part" | "word")`` (see the module doc)."""

# A key whose last word is one of these names a figure or a setting *about* a secret, not
# the secret (``token_type``, ``max_tokens``, ``password_length``, ``cookie_name``).
_ABOUT = frozenset(
    (
        "count", "counts", "total", "num", "limit", "length", "len", "size", "ttl", "type",
        "expiry", "expires", "in", "timeout", "remaining", "used", "policy", "version",
        "enabled", "required", "tokens", "age", "rotation", "name", "names", "error",
        "errors", "exception", "warning",
    )
)  # fmt: skip
_PARTS = tuple((w, w.replace("_", "")) for w, how in SENSITIVE_WORDS if how == "part")
_WORDS = frozenset(w for w, how in SENSITIVE_WORDS if how == "word")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_MAX_KEY_CHARS = 256
_CACHE_SIZE = 4096

_extra_keys: frozenset[str] = frozenset()
_cache: dict[str, bool] = {}
_lock = threading.Lock()


def _normalise(key: str) -> str:
    return _CAMEL.sub("_", key).lower().replace("-", "_")


def _decide(key: str) -> bool:
    norm = _normalise(key[-_MAX_KEY_CHARS:])
    if norm in _extra_keys:
        return True
    words = _WORD_SPLIT.split(norm)
    if (len(words) > 1 and words[-1] in _ABOUT) or norm == "tokens":
        return False
    flat = norm.replace("_", "")
    for word, joined in _PARTS:
        if word in norm or joined in flat:
            return True
    return any(part in _WORDS for part in words)


def is_sensitive_key(key: object) -> bool:
    """True when a value stored under ``key`` must be masked whole (cached per key)."""
    if not isinstance(key, str):
        return False
    known = _cache.get(key)
    if known is None:
        known = _decide(key)
        if len(_cache) >= _CACHE_SIZE:
            _cache.clear()
        _cache[key] = known
    return known


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
        _cache.clear()

    def remove() -> None:
        global _extra_keys
        with _lock:
            _extra_keys = _extra_keys - added
            _cache.clear()

    return remove
