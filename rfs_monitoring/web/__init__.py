"""FastAPI glue: Result-returning endpoints, ``FastAPIResult``, ``ResultRoute``, correlation ids.

Needs the ``fastapi`` extra; ``import rfs_monitoring`` does not import this package (its
names are served lazily), so a missing FastAPI only matters when these names are used::

    app = FastAPI()
    install_result_routes(app)          # APIError responses in OpenAPI, undecorated Result routes
    app.add_middleware(CorrelationIdMiddleware)

    @app.get("/users/{user_id}")
    @handle_result
    async def get_user(user_id: str) -> Result[UserResponse, APIError]: ...

    @app.get("/metrics")
    async def metrics() -> FastAPIResult[PerformanceMetrics]: ...   # works through ResultRoute

On a plain ``FastAPI()`` the last endpoint works too: ``Result`` has a pydantic schema, a
Failure is served through ``FailureResponse`` (an HTTPException: ``{"detail": <APIError>}``),
see ``rfs_monitoring.result_schema``.

Modules: ``results`` (handle_result, the error responses, ResultRoute), ``signature`` (what
FastAPI sees of an endpoint), ``middleware`` (CorrelationIdMiddleware).
"""

from __future__ import annotations

from rfs_monitoring.result_schema import FailureResponse
from rfs_monitoring.web.middleware import CorrelationIdMiddleware
from rfs_monitoring.web.results import (
    DEFAULT_ERROR_STATUSES,
    FastAPIResult,
    ResultRoute,
    api_error_responses,
    handle_result,
    install_result_routes,
    is_result_handled,
)
from rfs_monitoring.web.signature import returns_result, success_type

__all__ = [
    "DEFAULT_ERROR_STATUSES",
    "CorrelationIdMiddleware",
    "FailureResponse",
    "FastAPIResult",
    "ResultRoute",
    "api_error_responses",
    "handle_result",
    "install_result_routes",
    "is_result_handled",
    "returns_result",
    "success_type",
]
