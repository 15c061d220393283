"""``api_key_auth``: a ready FastAPI dependency guarding the monitoring API with API keys.

A request is let in by a key in a header (``X-API-Key`` or ``Authorization: Bearer``), by
the dashboard's session cookie (set by ``POST <prefix>/login``, see ``sessions``), or, when
explicitly enabled, by a query parameter (discouraged: URLs end up in access logs, browser
history and ``Referer`` headers, so enabling it logs a warning).
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from rfs_monitoring.dashboard.sessions import DEFAULT_SESSION_SECONDS, SessionSigner
from rfs_monitoring.errors import APIError, ConfigurationError, MissingExtraError

try:
    from fastapi import Request
    from fastapi.exceptions import HTTPException
except ImportError as exc:  # pragma: no cover - only without the extra
    raise MissingExtraError("rfs_monitoring.dashboard", "fastapi", exc.name or "fastapi") from exc

__all__ = ["SESSION_COOKIE", "APIKeyAuth", "api_key_auth"]

SESSION_COOKIE = "rfs_monitoring_session"
"""The name of the dashboard's session cookie."""

_logger = logging.getLogger("rfs_monitoring.dashboard_api")
_QUERY_WARNING = (
    "api_key_auth(query_param=%r) accepts the API key in the URL: URLs are written to access "
    "logs, browser history and Referer headers; prefer the dashboard's login form "
    "(<prefix>/login) or the X-API-Key header"
)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _same_origin(request: Request) -> bool:
    """False when the browser says the request comes from another site (CSRF defence)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


class APIKeyAuth:
    """A FastAPI dependency accepting requests that carry one of ``keys`` (see ``api_key_auth``).

    Calling it with a request raises a 401 ``HTTPException`` (APIError body) unless
    ``authenticated(request)``; ``login``/``logout`` manage the dashboard's session tokens.
    """

    __slots__ = ("_encoded", "allow_bearer", "header_name", "query_param", "sessions")

    def __init__(
        self,
        keys: str | Iterable[str],
        *,
        header_name: str = "X-API-Key",
        allow_bearer: bool = True,
        query_param: str | None = None,
        session_seconds: float = DEFAULT_SESSION_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        wanted = [keys] if isinstance(keys, str) else list(keys)
        if not wanted or not all(isinstance(k, str) and k for k in wanted):
            msg = f"api_key_auth needs one or more non-empty string keys, got {keys!r}"
            raise ConfigurationError(msg)
        self._encoded = [k.encode() for k in wanted]
        self.header_name = header_name
        self.allow_bearer = allow_bearer
        self.query_param = query_param
        self.sessions = SessionSigner(self._encoded, max_age=session_seconds, clock=clock)
        if query_param:
            _logger.warning(_QUERY_WARNING, query_param)

    def __call__(self, request: Request) -> None:
        if self.authenticated(request):
            return
        error = APIError.unauthorized(f"a valid API key is required (header {self.header_name})")
        raise HTTPException(
            status_code=401, detail=error.to_dict(), headers={"WWW-Authenticate": "ApiKey"}
        )

    def key_index(self, candidate: str | None) -> int | None:
        """The index of the key ``candidate`` is (compared in constant time), or None."""
        if not candidate:
            return None
        given = candidate.encode("utf-8", "surrogateescape")
        # Compare against every key so timing does not tell which one (nor how many) matched.
        matches = [hmac.compare_digest(given, key) for key in self._encoded]
        return matches.index(True) if any(matches) else None

    def authenticated(self, request: Request) -> bool:
        """True when ``request`` carries a valid key or session."""
        candidates = [request.headers.get(self.header_name)]
        authorization = request.headers.get("authorization", "")
        if self.allow_bearer and authorization[:7].lower() == "bearer ":
            candidates.append(authorization[7:].strip())
        if self.query_param:
            candidates.append(request.query_params.get(self.query_param))
        if any([self.key_index(c) is not None for c in candidates]):  # noqa: C419 - all checked
            return True
        token = request.cookies.get(SESSION_COOKIE)
        if token is None or not self.sessions.valid(token):
            return False
        return request.method in _SAFE_METHODS or _same_origin(request)

    def login(self, key: str | None) -> str | None:
        """A new session token when ``key`` is one of the keys, else None."""
        index = self.key_index(key)
        return None if index is None else self.sessions.issue(index)

    def logout(self, token: str | None) -> None:
        """End the session of ``token``."""
        self.sessions.revoke(token)


def api_key_auth(
    keys: str | Iterable[str],
    *,
    header_name: str = "X-API-Key",
    allow_bearer: bool = True,
    query_param: str | None = None,
    session_seconds: float = DEFAULT_SESSION_SECONDS,
) -> APIKeyAuth:
    """A FastAPI dependency accepting requests that carry one of ``keys``.

    The key is read from the ``header_name`` header, else (``allow_bearer``) from
    ``Authorization: Bearer <key>``; a browser logs in once at ``<prefix>/login`` and is then
    let in by an HttpOnly, ``SameSite=Strict`` session cookie holding a signed token (never
    the key) that lasts ``session_seconds``. ``query_param`` (off by default, and logged as a
    warning when set) also reads the key from that query parameter. Keys are compared in
    constant time. A request without a valid key gets 401; the monitoring router serves it
    with an APIError body (on other routes FastAPI puts that body under ``detail``).

    Raises:
        ConfigurationError: no key, or an empty one, is given; a bad ``session_seconds``.
    """
    return APIKeyAuth(
        keys,
        header_name=header_name,
        allow_bearer=allow_bearer,
        query_param=query_param,
        session_seconds=session_seconds,
    )
