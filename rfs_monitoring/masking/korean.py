"""Korean secrets in free text: ``비밀번호=X``, ``비밀번호: X``, ``비밀번호는 X``.

Keys: 비밀번호 (비번), 암호, 패스워드, 토큰, 인증키, 시크릿, 비밀키, 개인키, API 키,
액세스 키, 주민(등록)번호, with or without a space inside (``비밀 번호``). Hangul glued
before the key (``사용자비밀번호``) or after the value (``hunter2입니다``) is no obstacle:
no ``\\b`` is used (Hangul syllables are word characters). With a separator (``=``, ``:``)
any value is masked; after a topic or subject particle (``비밀번호는 X``) the value is the
run of printable ASCII that follows (at least four characters), so prose such as
``비밀번호는 8자 이상이어야 합니다`` stays as it is. Resident registration and mobile numbers
are masked by shape (``rfs_monitoring.masking.patterns``).
"""

from __future__ import annotations

import re

from rfs_monitoring.masking.patterns import MASK, Pass

__all__ = ["KOREAN_KEYS", "KOREAN_PASS"]

KOREAN_KEYS = (
    r"비밀[ ]?번호|비번|암호|패스워드|토큰|인증[ ]?키|시크릿|비밀[ ]?키|개인[ ]?키|"
    r"(?:API|api|액세스|접근)[ ]?키|주민(?:등록)?[ ]?번호"
)
"""The Korean key words (a regex alternation)."""

_PARTICLE = r"(?:[은는이가]|값[은는이가]?)"
_KOREAN = re.compile(
    rf"(?P<key>{KOREAN_KEYS})"
    rf"(?:(?P<sep>{_PARTICLE}?[ \t]{{0,3}}[:=：][ \t]{{0,3}})"
    r"(?P<value>\"[^\"\n]*\"|'[^'\n]*'|[^\s,;&\"']+)"
    rf"|(?P<particle>{_PARTICLE}[ \t]{{0,3}})(?P<ascii>[!-~]{{4,}}))"
)
_GATE_WORDS = ("비밀", "비번", "암호", "패스워드", "토큰", "인증", "시크릿", "키", "주민")


def _gate(text: str, lower: str) -> bool:
    return any(word in text for word in _GATE_WORDS)


def _replace(match: re.Match[str]) -> str:
    sep = match.group("sep")
    if sep is not None:
        return f"{match.group('key')}{sep}{MASK}"
    return f"{match.group('key')}{match.group('particle')}{MASK}"


KOREAN_PASS = Pass("korean", _gate, _KOREAN, _replace, _GATE_WORDS)
"""The pass masking Korean ``key=value`` and ``key는 value`` forms."""
