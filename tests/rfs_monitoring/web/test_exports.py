"""``rfs_monitoring.web`` re-exports the names of its modules (the old module's names and more)."""

from __future__ import annotations

import rfs_monitoring
import rfs_monitoring.web as web
from rfs_monitoring import result_schema
from rfs_monitoring.web import middleware, results, signature


def test_the_package_exports_every_public_name() -> None:
    assert web.__all__ == [
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
    modules = (middleware, results, signature, result_schema)
    for name in web.__all__:
        owners = [m for m in modules if name in m.__all__]
        assert len(owners) == 1, name
        assert getattr(web, name) is getattr(owners[0], name)


def test_the_lazy_top_level_names_are_the_package_ones() -> None:
    assert rfs_monitoring.handle_result is web.handle_result
    assert rfs_monitoring.ResultRoute is web.ResultRoute
    assert rfs_monitoring.CorrelationIdMiddleware is web.CorrelationIdMiddleware
