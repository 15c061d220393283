"""``api_key_auth``: a ready FastAPI dependency guarding the monitoring API with API keys."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable

from rfs_monitoring.errors import APIError, ConfigurationError, MissingExtraError

try:
    from fastapi import Request
    from fastapi.exceptions import HTTPException
except ImportError as exc:  # pragma: no cover - only without the extra
    raise MissingExtraError("rfs_monitoring.dashboard", "fastapi", exc.name or "fastapi") from exc

__all__ = ["api_key_auth"]


def api_key_auth(
    keys: str | Iterable[str],
    *,
    header_name: str = "X-API-Key",
    allow_bearer: bool = True,
    query_param: str | None = None,
) -> Callable[[Request], None]:
    """A FastAPI dependency accepting requests that carry one of ``keys``.

    The key is read from the ``header_name`` header, else (``allow_bearer``) from
    ``Authorization: Bearer <key>``, else (when ``query_param`` is set, e.g. for opening the
    dashboard in a browser) from that query parameter. Keys are compared in constant time.
    A request without a valid key gets 401; the monitoring router serves it with an
    APIError body (on other routes FastAPI puts that body under ``detail``).

    Raises:
        ConfigurationError: no key, or an empty one, is given.
    """
    wanted = [keys] if isinstance(keys, str) else list(keys)
    if not wanted or not all(isinstance(k, str) and k for k in wanted):
        msg = f"api_key_auth needs one or more non-empty string keys, got {keys!r}"
        raise ConfigurationError(msg)
    encoded = [k.encode() for k in wanted]

    def _matches(candidate: str | None) -> bool:
        if not candidate:
            return False
        given = candidate.encode()
        # Compare against every key so timing does not tell which one (nor how many) matched.
        return any([hmac.compare_digest(given, key) for key in encoded])  # noqa: C419

    def require_api_key(request: Request) -> None:
        candidates = [request.headers.get(header_name)]
        authorization = request.headers.get("authorization", "")
        if allow_bearer and authorization[:7].lower() == "bearer ":
            candidates.append(authorization[7:].strip())
        if query_param:
            candidates.append(request.query_params.get(query_param))
        if any(_matches(c) for c in candidates):
            return
        error = APIError.unauthorized(f"a valid API key is required (header {header_name})")
        raise HTTPException(
            status_code=401, detail=error.to_dict(), headers={"WWW-Authenticate": "ApiKey"}
        )

    return require_api_key
