"""The dashboard page: the view-model rendered by the package's Jinja2 templates.

Templates live in ``templates/``, the stylesheet and the scripts in ``static/`` (package
data, served by the router at ``<prefix>/static/``: the pages carry no inline style or
script, so they work under the router's ``default-src 'self'`` Content-Security-Policy).
The environment autoescapes every value, so the view-model carries plain text; the charts'
data travels in a JSON data block (``tojson``: HTML-safe, never executed) that the scripts
(``charts.js``, ``dashboard.js``) draw at once, before their first poll.
"""

from __future__ import annotations

import itertools

from rfs_monitoring.dashboard.charts import chart_json
from rfs_monitoring.dashboard.threads import composed, off_the_loop
from rfs_monitoring.dashboard.view import DashboardView, compose_view
from rfs_monitoring.errors import MissingExtraError
from rfs_monitoring.metrics import query

try:
    import jinja2
    import pydantic
    from starlette.requests import Request
    from starlette.responses import HTMLResponse
    from starlette.templating import Jinja2Templates
except ImportError as exc:  # pragma: no cover - only without the extra
    raise MissingExtraError("rfs_monitoring.dashboard", "fastapi", exc.name or "jinja2") from exc

__all__ = [
    "TEMPLATES",
    "page_response",
    "render_dashboard",
    "render_login",
    "render_page",
    "view_json",
]

TEMPLATES = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.PackageLoader("rfs_monitoring.dashboard", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,  # package data: compiled once, never checked on disk again
    )
)
"""The dashboard's templates (``page.html``, ``login.html``), autoescaped."""

_RUN = 256
"""The template pieces rendered between two pauses (``render_page``)."""

_PAGE = "page.html"
_LOGIN = "login.html"


def render_page(view: DashboardView, *, logout: bool = False) -> str:
    """The HTML of the dashboard showing ``view`` (with a log-out button when ``logout``).

    Rendered piece by piece with a pause between runs of pieces: the router renders in a
    worker thread, and the pauses let the application's event loop take the GIL.
    """
    context = {"view": view, "logout": logout, "chart": chart_json(view.chart)}
    stream = TEMPLATES.get_template(_PAGE).generate(**context)
    runs = []
    while run := list(itertools.islice(stream, _RUN)):
        runs.append("".join(run))
        query.pause()
    return "".join(runs)


def page_response(request: Request, view: DashboardView, *, logout: bool = False) -> HTMLResponse:
    """The dashboard showing ``view`` as the response to ``request``."""
    context = {"view": view, "logout": logout, "chart": chart_json(view.chart)}
    return TEMPLATES.TemplateResponse(request, _PAGE, context)


_VIEW_JSON = pydantic.TypeAdapter(DashboardView)


def view_json(view: DashboardView) -> bytes:
    """``view`` as the JSON of ``GET /dashboard/data``: the bytes FastAPI writes for a
    ``DashboardView`` response model (the same serializer), without re-validating the view
    the router just built."""
    return _VIEW_JSON.dump_json(view)


def render_login(title: str, *, signed_in: bool, error: str | None = None) -> str:
    """The HTML of the login form (``error`` shown above it; a log-out button when signed in)."""
    return TEMPLATES.get_template(_LOGIN).render(title=title, signed_in=signed_in, error=error)


render_dashboard = off_the_loop(
    composed(compose_view, render_page),
    "The dashboard page as HTML, built and rendered in a worker thread (see ``compose_view``).",
)
