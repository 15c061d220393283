"""The dashboard's endpoints: the page, its JSON, and the chart steps.

``GET /dashboard`` paints the page on the server (Jinja2); its script then polls
``GET /dashboard/data`` (the same view-model as JSON) and updates the page in place.
``GET /timeseries`` serves the chart steps alone. Every answer is computed in a worker
thread and cached per query for the router's ``cache_seconds``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from rfs_monitoring import metrics
from rfs_monitoring.dashboard.models import SeriesPoint
from rfs_monitoring.dashboard.queries import check_time_range
from rfs_monitoring.dashboard.route_context import RouteContext
from rfs_monitoring.errors import APIError, MissingExtraError
from rfs_monitoring.result import Failure, Result, Success

try:
    from fastapi.responses import HTMLResponse, Response

    from rfs_monitoring.dashboard.page import render_page, view_json
    from rfs_monitoring.dashboard.view import ChartRange, DashboardView, chart_span, compose_view
    from rfs_monitoring.web import FastAPIResult, handle_result
except ImportError as exc:  # pragma: no cover - only without the extra
    raise MissingExtraError("rfs_monitoring.dashboard", "fastapi", exc.name or "fastapi") from exc

__all__ = ["chart_routes", "page_routes"]

T = TypeVar("T")


def chart_routes(ctx: RouteContext, chart_range: ChartRange, chart_points: int) -> None:
    """GET /timeseries: ``chart_points`` steps over ``time_range`` (default ``chart_range``)."""

    @ctx.router.get("/timeseries", dependencies=ctx.read_guard, responses=ctx.missing_doc)
    @handle_result
    async def get_timeseries(
        operation: str = "*", time_range: str | None = None
    ) -> FastAPIResult[list[SeriesPoint]]:
        """Per-step requests by outcome, availability and latency percentiles (the charts'
        data), over ``time_range`` (at most the in-memory retention)."""
        span: float | ChartRange = chart_range
        if time_range is not None:
            checked = check_time_range(time_range)
            if checked.is_failure():
                return Failure(checked.unwrap_error())
            span = chart_span(ctx.current(), checked.unwrap())
        names = await ctx.operation_names()  # off the loop: a source may do I/O
        if names.is_failure():
            return Failure(names.unwrap_error())
        if operation != "*" and operation not in names.unwrap():
            return Failure(APIError.not_found("operation", operation))
        points = await _series(ctx, operation, span, chart_points)
        return points.map(lambda read: [SeriesPoint.of(p) for p in read])


async def _series(
    ctx: RouteContext, operation: str, span: ChartRange, chart_points: int
) -> Result[list[metrics.SeriesPoint], APIError]:
    """The chart steps of ``operation`` ("*": all) over ``span``, shared by /timeseries and
    the dashboard."""

    def compute() -> Result[list[metrics.SeriesPoint], APIError]:
        chosen = None if operation == "*" else operation
        return Success(ctx.current().series(chosen, span, points=chart_points))

    return await ctx.cache.get(("series", operation, str(span), chart_points), compute)


def page_routes(
    ctx: RouteContext,
    refresh_seconds: int,
    title: str,
    prefix: str,
    chart_range: ChartRange,
    chart_points: int,
) -> None:
    """GET /dashboard (the HTML page) and GET /dashboard/data (its view-model as JSON)."""
    del chart_range  # the page's charts follow its window

    async def answer(
        time_range: str, operation: str, refresh: int | None, finish: Callable[[DashboardView], T]
    ) -> Result[T, APIError]:
        """``finish`` of the view of these parameters, built in one computation on the
        cache's worker thread: the operation names, the chart steps, the figures and
        ``finish`` (the HTML or the JSON) with a single hop off the event loop."""
        checked = check_time_range(time_range)
        if checked.is_failure():
            return Failure(checked.unwrap_error())
        every = refresh_seconds if refresh is None else max(0, refresh)
        window = checked.unwrap()
        covered = ctx.current().window(window)  # e.g. past the retention: a 422
        if covered.is_failure():
            return Failure(covered.unwrap_error())

        def compute() -> Result[T, APIError]:
            view = compose_view(  # a source that cannot answer raises: its 503
                ctx.current(),
                ctx.manager,
                ctx.judge,
                time_range=window,
                operation=operation,
                refresh_seconds=every,
                api_base=prefix,
                title=title,
                chart_points=chart_points,
                can_act=ctx.can_act,
            )
            return Success(finish(view))

        return await ctx.cache.get((finish.__name__, window, operation, every), compute)

    def page(view: DashboardView) -> bytes:
        # encoded on the worker thread: the cached bytes are sent as they are, so the event
        # loop never encodes the page (about 60 KB with 100 operations) per request
        return render_page(view, logout=ctx.logout).encode()

    @ctx.router.get(
        "/dashboard",
        dependencies=ctx.read_guard,
        response_class=HTMLResponse,
        responses=ctx.read_doc,
    )
    @handle_result
    async def dashboard(
        time_range: str = "1h", operation: str = "*", refresh: int | None = None
    ) -> FastAPIResult[HTMLResponse]:
        """The HTML dashboard (then kept up to date by its script)."""
        html = await answer(time_range, operation, refresh, page)
        return html.map(HTMLResponse)

    @ctx.router.get(
        "/dashboard/data",
        dependencies=ctx.read_guard,
        response_model=DashboardView,  # documented; served as view_json's bytes
        responses=ctx.read_doc,
    )
    @handle_result
    async def dashboard_data(
        time_range: str = "1h", operation: str = "*", refresh: int | None = None
    ) -> FastAPIResult[Response]:
        """The dashboard's view-model as JSON: what the page's script polls."""
        data = await answer(time_range, operation, refresh, view_json)
        return data.map(lambda body: Response(body, media_type="application/json"))
