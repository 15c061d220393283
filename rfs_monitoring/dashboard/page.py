"""The dashboard page: the view-model rendered by the package's Jinja2 templates.

Templates live in ``templates/`` and the stylesheet in ``static/`` (package data, served by
the router at ``<prefix>/static/``: the pages carry no inline style or script, so they work
under the router's ``default-src 'self'`` Content-Security-Policy). The environment
autoescapes every value, so the view-model carries plain text.
"""

from __future__ import annotations

from rfs_monitoring.dashboard.threads import composed, off_the_loop
from rfs_monitoring.dashboard.view import DashboardView, compose_view
from rfs_monitoring.errors import MissingExtraError
from rfs_monitoring.metrics import query

try:
    import jinja2
    from starlette.requests import Request
    from starlette.responses import HTMLResponse
    from starlette.templating import Jinja2Templates
except ImportError as exc:  # pragma: no cover - only without the extra
    raise MissingExtraError("rfs_monitoring.dashboard", "fastapi", exc.name or "jinja2") from exc

__all__ = ["TEMPLATES", "page_response", "render_dashboard", "render_login", "render_page"]

TEMPLATES = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.PackageLoader("rfs_monitoring.dashboard", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
)
"""The dashboard's templates (``page.html``, ``charts.html``, ``login.html``), autoescaped."""

_PAGE = "page.html"
_LOGIN = "login.html"


def render_page(view: DashboardView, *, logout: bool = False) -> str:
    """The HTML of the dashboard showing ``view`` (with a log-out button when ``logout``).

    Rendered piece by piece with a pause between runs of pieces: the router renders in a
    worker thread, and the pauses let the application's event loop take the GIL.
    """
    pieces = []
    for n, piece in enumerate(TEMPLATES.get_template(_PAGE).generate(view=view, logout=logout)):
        pieces.append(piece)
        if n % 256 == 255:
            query.pause()
    return "".join(pieces)


def page_response(request: Request, view: DashboardView, *, logout: bool = False) -> HTMLResponse:
    """The dashboard showing ``view`` as the response to ``request``."""
    return TEMPLATES.TemplateResponse(request, _PAGE, {"view": view, "logout": logout})


def render_login(title: str, *, signed_in: bool, error: str | None = None) -> str:
    """The HTML of the login form (``error`` shown above it; a log-out button when signed in)."""
    return TEMPLATES.get_template(_LOGIN).render(title=title, signed_in=signed_in, error=error)


render_dashboard = off_the_loop(
    composed(compose_view, render_page),
    "The dashboard page as HTML, built and rendered in a worker thread (see ``compose_view``).",
)
