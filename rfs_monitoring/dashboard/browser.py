"""What a browser needs beside the page: static files and, with ``api_key_auth``, a login.

``GET <prefix>/static/<name>`` serves the package's ``static/`` files (the page loads its
stylesheet, script and icon from there, so it works offline under ``default-src 'self'``).
With ``api_key_auth`` the router also serves ``GET/POST <prefix>/login`` (a form posting the
key once; the answer sets an HttpOnly, ``SameSite=Strict`` cookie holding a signed session
token, ``Secure`` over HTTPS) and ``POST <prefix>/logout``. None of these routes is in the
OpenAPI schema.
"""

from __future__ import annotations

import importlib.resources
from urllib.parse import parse_qs

from rfs_monitoring.dashboard.auth import SESSION_COOKIE, APIKeyAuth
from rfs_monitoring.errors import APIError, MissingExtraError

try:
    from fastapi import Request
    from fastapi.exceptions import HTTPException
    from fastapi.responses import HTMLResponse, RedirectResponse, Response
    from fastapi.routing import APIRouter

    from rfs_monitoring.dashboard.page import render_login
except ImportError as exc:  # pragma: no cover - only without the extra
    raise MissingExtraError("rfs_monitoring.dashboard", "fastapi", exc.name or "fastapi") from exc

__all__ = ["LOGIN_FIELD", "STATIC_TYPES", "login_routes", "static_files", "static_routes"]

LOGIN_FIELD = "api_key"
"""The form field of ``POST <prefix>/login`` carrying the key."""
STATIC_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
"""The static files served, by suffix, and their content types."""
_FORM_TYPE = "application/x-www-form-urlencoded"


def static_files() -> dict[str, bytes]:
    """The package's static files, by name (read once, when a router is built)."""
    folder = importlib.resources.files("rfs_monitoring.dashboard").joinpath("static")
    return {
        entry.name: entry.read_bytes()
        for entry in folder.iterdir()
        if entry.is_file() and any(entry.name.endswith(s) for s in STATIC_TYPES)
    }


def static_routes(router: APIRouter) -> None:
    """GET /static/{name}: the stylesheet, script and icon of the page, by exact name."""
    files = static_files()

    @router.get("/static/{name}", include_in_schema=False)
    async def static_file(name: str) -> Response:
        body = files.get(name)
        if body is None:
            error = APIError.not_found("static file", name)
            raise HTTPException(status_code=404, detail=error.to_dict())
        suffix = name[name.rfind(".") :]
        return Response(
            body, media_type=STATIC_TYPES[suffix], headers={"Cache-Control": "max-age=300"}
        )


def _cookie_path(request: Request) -> str:
    """The router's own path (where ``/login`` was posted), so the cookie goes nowhere else."""
    path = request.url.path.rsplit("/", 1)[0]
    return path or "/"


async def _posted_key(request: Request) -> str | None:
    if request.headers.get("content-type", "").split(";")[0].strip() != _FORM_TYPE:
        return None
    fields = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=10)
    values = fields.get(LOGIN_FIELD)
    return values[0] if values else None


def login_routes(router: APIRouter, auth: APIKeyAuth, title: str) -> None:
    """GET/POST /login and POST /logout for ``auth``'s sessions."""

    @router.get("/login", include_in_schema=False, response_class=HTMLResponse)
    async def login_form(request: Request) -> HTMLResponse:
        signed_in = auth.sessions.valid(request.cookies.get(SESSION_COOKIE))
        return HTMLResponse(render_login(title, signed_in=signed_in))

    @router.post("/login", include_in_schema=False, response_class=HTMLResponse)
    async def login(request: Request) -> Response:
        token = auth.login(await _posted_key(request))
        if token is None:
            page = render_login(title, signed_in=False, error="That key is not valid.")
            return HTMLResponse(page, status_code=401)
        response = RedirectResponse("dashboard", status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=int(auth.sessions.max_age),
            path=_cookie_path(request),
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="strict",
        )
        return response

    @router.post("/logout", include_in_schema=False, response_class=HTMLResponse)
    async def logout(request: Request) -> Response:
        auth.logout(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("login", status_code=303)
        response.delete_cookie(
            SESSION_COOKIE,
            path=_cookie_path(request),
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="strict",
        )
        return response
