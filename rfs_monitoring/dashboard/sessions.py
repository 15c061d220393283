"""Browser sessions of the monitoring dashboard: signed, expiring, opaque cookie tokens.

A token is ``<expires>.<nonce>.<mac>``: the epoch second it expires, 16 random bytes and an
HMAC-SHA256 over both, keyed with a secret derived from the API key that logged in. The raw
key never leaves the server; every worker configured with the same keys accepts the token,
and removing a key ends its sessions. Tokens are compared in constant time against every
key. ``revoke`` (logout) ends a token in this process at once; in any case it ends at
``expires``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
import time
from collections.abc import Callable, Sequence

from rfs_monitoring.errors import ConfigurationError

__all__ = ["DEFAULT_SESSION_SECONDS", "MAX_TOKEN_CHARS", "SessionSigner"]

DEFAULT_SESSION_SECONDS = 8 * 3600
"""How long a dashboard login lasts (a working day)."""
MAX_TOKEN_CHARS = 160
"""Longer cookie values are refused unread."""

_CONTEXT = b"rfs-monitoring dashboard session v1"
_MAX_REVOKED = 10_000


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class SessionSigner:
    """Issues and checks session tokens for a set of API keys.

    Args:
        keys: the API keys (encoded); a token is valid when one of them signed it.
        max_age: seconds a token lasts.
        clock: returns epoch seconds (inject a fake one in tests).
    """

    __slots__ = ("_clock", "_revoked", "_secrets", "max_age")

    def __init__(
        self,
        keys: Sequence[bytes],
        *,
        max_age: float = DEFAULT_SESSION_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if (
            isinstance(max_age, bool)
            or not isinstance(max_age, (int, float))
            or not math.isfinite(max_age)
            or max_age <= 0
        ):
            msg = f"session_seconds must be a finite number of seconds > 0, got {max_age!r}"
            raise ConfigurationError(msg)
        self.max_age = float(max_age)
        self._secrets = [hmac.new(key, _CONTEXT, hashlib.sha256).digest() for key in keys]
        self._clock = clock
        self._revoked: dict[str, int] = {}

    def issue(self, key_index: int) -> str:
        """A new token signed with the secret of ``keys[key_index]``."""
        expires = int(self._clock() + self.max_age)
        nonce = _b64(secrets.token_bytes(16))
        return f"{expires}.{nonce}.{self._mac(self._secrets[key_index], expires, nonce)}"

    def valid(self, token: str | None) -> bool:
        """True for an unexpired, unrevoked token signed with one of the keys."""
        parts = self._parts(token)
        if parts is None:
            return False
        expires, nonce, mac = parts
        now = self._clock()
        if not now < expires <= now + self.max_age + 1 or nonce in self._revoked:
            return False
        given = mac.encode("ascii")
        # Every secret is tried, so timing tells neither which key matched nor how many exist.
        matches = [
            hmac.compare_digest(given, self._mac(s, expires, nonce).encode("ascii"))
            for s in self._secrets
        ]
        return any(matches)

    def revoke(self, token: str | None) -> None:
        """End ``token`` now (in this process); a malformed token is ignored."""
        parts = self._parts(token)
        if parts is None:
            return
        now = self._clock()
        self._revoked = {n: e for n, e in self._revoked.items() if e > now}
        if len(self._revoked) >= _MAX_REVOKED:
            self._revoked.pop(next(iter(self._revoked)))
        self._revoked[parts[1]] = parts[0]

    @staticmethod
    def _mac(secret: bytes, expires: int, nonce: str) -> str:
        return _b64(hmac.new(secret, f"{expires}.{nonce}".encode(), hashlib.sha256).digest())

    @staticmethod
    def _parts(token: str | None) -> tuple[int, str, str] | None:
        if not token or len(token) > MAX_TOKEN_CHARS or not token.isascii():
            return None
        parts = token.split(".")
        if len(parts) != 3 or not parts[0].isdigit() or len(parts[0]) > 12:
            return None
        return int(parts[0]), parts[1], parts[2]
