"""The app of the fleet test: run by ``uvicorn fleet_app:app --workers 2`` with
``PROMETHEUS_MULTIPROC_DIR`` set, so every worker's ``/monitoring/metrics`` answers the sum.

``GET /work/{kind}`` is one operation, ``checkout``, with four kinds of outcome: ``ok``,
``missing`` (NOT_FOUND, a client error), ``broken`` (INTERNAL, a server error) and ``slow``
(a success after ``SLOW_SECONDS``). Every response names the worker that served it in
``X-Worker-Pid``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from rfs_monitoring import (
    APIError,
    Failure,
    FastAPIResult,
    Success,
    handle_result,
    log_result_operation,
    monitoring_router,
)

SLOW_SECONDS = 0.3

app = FastAPI()
app.include_router(monitoring_router(start_alerts=False))


@app.middleware("http")
async def name_the_worker(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    response.headers["X-Worker-Pid"] = str(os.getpid())
    return response


@app.get("/work/{kind}")
@handle_result
@log_result_operation("checkout")
async def work(kind: str) -> FastAPIResult[dict[str, str]]:
    if kind == "missing":
        return Failure(APIError.not_found("item", "i-1"))
    if kind == "broken":
        return Failure(APIError.internal("the stock service is down"))
    if kind == "slow":
        await asyncio.sleep(SLOW_SECONDS)
    return Success({"kind": kind})
