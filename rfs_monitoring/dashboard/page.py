"""The dashboard page: the view-model rendered by the package's Jinja2 templates.

Templates live in ``templates/``, the stylesheet and the scripts in ``static/`` (package
data, served by the router at ``<prefix>/static/``: the pages carry no inline style or
script, so they work under the router's ``default-src 'self'`` Content-Security-Policy).
The environment autoescapes every value, so the view-model carries plain text; the charts'
data travels in a JSON data block (``tojson``: HTML-safe, never executed) that the scripts
(``charts.js``, ``dashboard.js``) draw at once, before their first poll. The two long lists
(the operations table and the operation selector) are written by the filters
``operation_rows`` and ``option_tags``: the same HTML as a loop in the template, with one
escape per row instead of one per value.
"""

from __future__ import annotations

import itertools

from rfs_monitoring.dashboard.charts import chart_json
from rfs_monitoring.dashboard.rows import OperationRow
from rfs_monitoring.dashboard.threads import composed, off_the_loop
from rfs_monitoring.dashboard.view import DashboardView, Option, compose_view
from rfs_monitoring.errors import MissingExtraError
from rfs_monitoring.metrics.pauses import pause

try:
    import jinja2
    import pydantic
    from markupsafe import Markup, escape  # Jinja2's own escaping (a dependency of it)
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

_OPERATION_ROW = (
    '<tr><td><a class="op-link" href="{}" data-operation="{}">{}</a></td>'
    + '<td class="num">{}</td>' * 9
    + '<td><span class="status status-{}" title="{}">{}</span></td></tr>\n  '
)
_SEPARATOR = "\x00"


def _escaped(values: tuple[str, ...]) -> list[str]:
    """Each of ``values`` escaped as Jinja escapes it, in one ``escape`` call for them all
    (one per value when one holds the separator)."""
    joined = _SEPARATOR.join(values)
    if joined.count(_SEPARATOR) == len(values) - 1:
        return str(escape(joined)).split(_SEPARATOR)
    return [str(escape(value)) for value in values]


def operation_rows(rows: list[OperationRow]) -> Markup:
    """The rows of the page's operations table (``|operation_rows`` in ``page.html``):
    what a template loop over the rows would write, each value escaped as Jinja escapes
    it, in one escape per row (the loop escaped each of a row's 14 values: with 100
    operations, 0.9 ms of the page's 1.2 ms of rendering, ``benchmarks/bench_dashboard.py``).
    """
    out = []
    for op in rows:
        values = (
            op.link,
            op.name,
            op.name,
            op.requests,
            op.availability,
            op.client_errors,
            op.success,
            op.p50,
            op.p90,
            op.p99,
            op.rps,
            op.rps_now,
            op.status,
            op.reasons,
            op.status,
        )
        out.append(_OPERATION_ROW.format(*_escaped(values)))
        pause()  # a long table: the event loop's turns in between (``render_page``)
    return Markup("".join(out))


def option_tags(options: list[Option], all_label: str | None = None) -> Markup:
    """The ``<option>`` tags of a selector (``|option_tags`` in ``page.html``), as a template
    loop would write them, each option's values escaped in one call (``_escaped``);
    ``all_label``: the text of the option valued ``"*"`` (all operations)."""
    out = []
    for option in options:
        label = all_label if all_label is not None and option.value == "*" else option.label
        value, text = _escaped((option.value, label))
        chosen = " selected" if option.selected else ""
        out.append(f'<option value="{value}"{chosen}>{text}</option>')
        pause()
    return Markup("".join(out))


TEMPLATES.env.filters["operation_rows"] = operation_rows
TEMPLATES.env.filters["option_tags"] = option_tags

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
        pause()
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
