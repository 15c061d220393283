"""``key=value`` / ``key: value`` and prose (``password is X``) secrets in free text.

The key of ``key=value`` is a run of ``[A-Za-z0-9_-]``; the value is masked when
``is_sensitive_key(key)`` says so (the one key rule, shared with dict keys), so a sensitive
word anywhere in the key counts, in any case or style (``SECRET_KEY``, ``PGPASSWORD``,
``secretKey``, ``x-api-key``, ``password1``). Separators: ``=``, ``:``, their URL-encoded
forms, and ``is`` / ``was`` in prose (``password is hunter2``, not ``password is
required``); quotes around the key (JSON, reprs) and the value are understood.

Linear time: a key run is tried from its start only (its first character is matched
alone, so the engine skips to candidates quickly) and consumed atomically; a lazy scan in a
lookahead, entered once per run, checks that a sensitive word is in the run at all.
"""

from __future__ import annotations

import re

from rfs_monitoring.masking.keys import SENSITIVE_WORDS, is_sensitive_key
from rfs_monitoring.masking.patterns import MASK, Pass, any_of, trie_pattern

__all__ = ["KEYVALUE_PASS", "word_pattern"]

_KEY = "A-Za-z0-9_-"  # no ".": "app.auth.TokenError: ..." has the key "TokenError"


def _caseless(fragment: str) -> str:
    return "".join(f"[{c.upper()}{c}]" if c.isalpha() else c for c in fragment)


def word_pattern() -> str:
    """The ASCII sensitive words as one alternation, grouped by first letter.

    Case-insensitive through character classes, so that the engine rejects a branch on
    its first character at once. A *part* word matches anywhere (``_`` in it matches
    ``_``, ``-``, ``.`` or nothing); a *word* word only at a word or camelCase boundary
    (``userPin``, ``USER_PIN``, not ``spinner``).
    """
    groups: dict[str, list[str]] = {}
    for word, how in sorted(SENSITIVE_WORDS, key=lambda item: -len(item[0])):
        if not word.isascii():
            continue
        first, rest = word[0], word[1:]
        body = _caseless(rest.replace("_", "\x00")).replace("\x00", "[_.-]?")
        if how == "word":
            body = f"(?<![A-Za-z]{first})(?<![A-Z]{first.upper()}){body}(?![a-z])"
        groups.setdefault(first, []).append(body)
    return "|".join(f"[{f.upper()}{f}](?:{'|'.join(b)})" for f, b in groups.items())


# Words after "password is" that make it prose, not a secret ("password is required").
_PROSE_STOP = (
    "not|too|required|invalid|incorrect|missing|expired|empty|wrong|weak|strong|valid|set|"
    "blank|null|none|being|now|still|the|a|an|correct|revoked|changed|reset|updated|stored|"
    "hashed|encrypted|sent|used|needed|ok|short|long|same|different|also|only|never|always|"
    "unknown|available|unavailable|disabled|enabled|active|inactive|locked|pending|present|"
    "absent|mandatory|optional|case|of|for|in|on|at|to|from|with|by|about|shown|hidden|masked"
)

_SEP = (
    r"\\{0,3}[\"']?[ \t]{0,3}(?:[:=]|%3[AaDd])[ \t]{0,3}"
    rf"|[ \t]{{1,3}}(?i:is|was|equals)[ \t]{{1,3}}(?!(?i:{_PROSE_STOP})(?![A-Za-z0-9]))"
)
_VALUE = (
    r"(?:[Bb]earer[ \t]{1,8}|[Bb]asic[ \t]{1,8}|[Tt]oken[ \t]{1,8})?"
    # not a nested "key: " (``Error: token: abc``): the scan goes on at that key
    rf"(?:\\{{0,3}}\"[^\"\n]*\"|'[^'\n]*'|(?![{_KEY}]+(?::|%3[Aa])(?:\s|$))"
    r"\\{0,3}[\"']?[^\s,;&\"'}\]]+"
    # "&", ";" and "," continue the value unless a new ``key=`` (or a space) follows
    rf"(?:[,;&](?![\s,;&]|[{_KEY}]*(?:[:=]|%3[AaDd]))[^\s,;&\"'}}\]]*)*)"
)
_KEYVALUE = re.compile(
    rf"(?P<key>[{_KEY}](?<![{_KEY}].)"  # the start of a key run
    rf"(?=(?P<rest>[{_KEY}]*))(?=(?P=rest)(?:{_SEP}))"  # the whole run, then a separator
    rf"(?<=(?=[{_KEY}]*?(?:{word_pattern()})).)"  # a sensitive word in the run
    r"(?P=rest))"
    rf"(?P<sep>{_SEP})(?P<value>{_VALUE})"
)
_NESTED = re.compile(r"[:=]|%3[AaDd]")


def _replace(match: re.Match[str]) -> str:
    key, sep, value = match.group("key", "sep", "value")
    if is_sensitive_key(key):
        return f"{key}{sep}{MASK}"
    # The word check of the pattern is looser than the key rule (``PINOT``, ``token_type``):
    # the value may hold a nested ``key=value`` (``token_type=Bearer expires_in=1``), so it
    # is scanned once more, one level deep (a deeper nesting is masked: linear time).
    if _NESTED.search(value) is None or _TRIGGER.search(value.lower()) is None:
        return match.group()
    return f"{key}{sep}{_KEYVALUE.sub(_replace_nested, value)}"


def _replace_nested(match: re.Match[str]) -> str:
    key, sep, value = match.group("key", "sep", "value")
    if is_sensitive_key(key) or _NESTED.search(value) is not None:
        return f"{key}{sep}{MASK}"
    return match.group()


# every sensitive ASCII key holds one of these, lower-cased (``dbUrl``: "dburl")
_TRIGGERS = tuple(
    dict.fromkeys(
        word.replace("_", sep)
        for word, _ in SENSITIVE_WORDS
        if word.isascii()
        for sep in ("_", "", "-", ".")
    )
)
_TRIGGER = re.compile(trie_pattern(_TRIGGERS))
KEYVALUE_PASS = Pass("keyvalue", any_of(*_TRIGGERS), _KEYVALUE, _replace, _TRIGGERS)
"""The ``key=value`` / prose pass."""
