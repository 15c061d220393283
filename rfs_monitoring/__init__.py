"""rfs-monitoring: observability for the Result pattern.

Importing this package needs only the core dependencies (structlog, python-json-logger);
FastAPI, OpenTelemetry and prometheus_client are imported lazily by the modules that use them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rfs_monitoring.errors import (
    APIError,
    ConfigurationError,
    ErrorCode,
    MissingExtraError,
    ResultAdapterError,
    ResultTimeoutError,
    RfsMonitoringError,
    UnwrapError,
)
from rfs_monitoring.flux import FluxResult
from rfs_monitoring.mono import MonoResult
from rfs_monitoring.result import (
    Failure,
    Result,
    Success,
    is_result_like,
    register_result_adapter,
    to_result,
)

if TYPE_CHECKING:
    from rfs_monitoring.web import (
        CorrelationIdMiddleware,
        FastAPIResult,
        ResultRoute,
        handle_result,
        install_result_routes,
    )

__version__ = "0.1.0"

# Names served lazily from modules that need an optional extra.
_LAZY = {
    "CorrelationIdMiddleware": "rfs_monitoring.web",
    "FastAPIResult": "rfs_monitoring.web",
    "ResultRoute": "rfs_monitoring.web",
    "handle_result": "rfs_monitoring.web",
    "install_result_routes": "rfs_monitoring.web",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        msg = f"module 'rfs_monitoring' has no attribute {name!r}"
        raise AttributeError(msg)
    import importlib

    return getattr(importlib.import_module(module_name), name)


__all__ = [
    "APIError",
    "ConfigurationError",
    "CorrelationIdMiddleware",
    "ErrorCode",
    "FastAPIResult",
    "Failure",
    "FluxResult",
    "MissingExtraError",
    "MonoResult",
    "Result",
    "ResultAdapterError",
    "ResultRoute",
    "ResultTimeoutError",
    "RfsMonitoringError",
    "Success",
    "UnwrapError",
    "__version__",
    "handle_result",
    "install_result_routes",
    "is_result_like",
    "register_result_adapter",
    "to_result",
]
