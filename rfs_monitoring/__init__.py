"""rfs-monitoring: observability for the Result pattern.

Importing this package needs only the core dependencies (structlog, python-json-logger);
FastAPI, OpenTelemetry and prometheus_client are imported lazily by the modules that use them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rfs_monitoring.context import bind_log_context, correlation_context, get_correlation_id
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
from rfs_monitoring.masking import add_masking_pattern, mask_text, mask_value
from rfs_monitoring.metrics import (
    ErrorSummary,
    MetricSample,
    OperationMetrics,
    ResultMetricsCollector,
    parse_time_range,
)
from rfs_monitoring.metrics.archive import MetricsArchive
from rfs_monitoring.mono import MonoResult
from rfs_monitoring.result import (
    Failure,
    Result,
    Success,
    is_result_like,
    register_result_adapter,
    to_result,
    unregister_result_adapter,
)
from rfs_monitoring.result_logging import (
    ResultLogEntry,
    add_entry_listener,
    configure_logging,
    flush_logs,
    get_log_level,
    log_flux_result,
    log_result_operation,
    logging_stats,
    set_log_level,
)

if TYPE_CHECKING:
    from rfs_monitoring.alerts import AlertConfiguration, AlertManager
    from rfs_monitoring.dashboard.auth import api_key_auth
    from rfs_monitoring.dashboard.router import monitoring_router
    from rfs_monitoring.export import OpenTelemetryBridge, PrometheusExporter, register_prometheus
    from rfs_monitoring.web.middleware import CorrelationIdMiddleware
    from rfs_monitoring.web.results import (
        FastAPIResult,
        ResultRoute,
        handle_result,
        install_result_routes,
    )

__version__ = "0.1.0"

# Names served lazily from modules that need an optional extra.
_LAZY = {
    "AlertConfiguration": "rfs_monitoring.alerts",
    "AlertManager": "rfs_monitoring.alerts",
    "api_key_auth": "rfs_monitoring.dashboard.auth",
    "monitoring_router": "rfs_monitoring.dashboard.router",
    "CorrelationIdMiddleware": "rfs_monitoring.web.middleware",
    "FastAPIResult": "rfs_monitoring.web.results",
    "ResultRoute": "rfs_monitoring.web.results",
    "handle_result": "rfs_monitoring.web.results",
    "install_result_routes": "rfs_monitoring.web.results",
    "OpenTelemetryBridge": "rfs_monitoring.export",
    "PrometheusExporter": "rfs_monitoring.export",
    "register_prometheus": "rfs_monitoring.export",
}


# What each lazily served module needs beyond the core dependencies.
_NEEDS: dict[str, tuple[str, ...]] = {
    "rfs_monitoring.alerts": ("pydantic", "httpx", "pluggy"),
    "rfs_monitoring.dashboard.auth": ("fastapi", "httpx", "pluggy", "jinja2"),
    "rfs_monitoring.dashboard.router": ("fastapi", "httpx", "pluggy", "jinja2"),
    "rfs_monitoring.export": (),
    "rfs_monitoring.web.middleware": ("fastapi",),
    "rfs_monitoring.web.results": ("fastapi",),
}


def _servable(module_name: str) -> bool:
    import importlib.util

    try:
        return all(importlib.util.find_spec(dep) is not None for dep in _NEEDS[module_name])
    except (ImportError, ValueError):
        return False


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        msg = f"module 'rfs_monitoring' has no attribute {name!r}"
        raise AttributeError(msg)
    import importlib

    return getattr(importlib.import_module(module_name), name)


__all__ = [
    "APIError",
    "AlertConfiguration",
    "AlertManager",
    "ConfigurationError",
    "CorrelationIdMiddleware",
    "ErrorCode",
    "ErrorSummary",
    "Failure",
    "FastAPIResult",
    "FluxResult",
    "MetricSample",
    "MetricsArchive",
    "MissingExtraError",
    "MonoResult",
    "OpenTelemetryBridge",
    "OperationMetrics",
    "PrometheusExporter",
    "Result",
    "ResultAdapterError",
    "ResultLogEntry",
    "ResultMetricsCollector",
    "ResultRoute",
    "ResultTimeoutError",
    "RfsMonitoringError",
    "Success",
    "UnwrapError",
    "__version__",
    "add_entry_listener",
    "add_masking_pattern",
    "api_key_auth",
    "bind_log_context",
    "configure_logging",
    "correlation_context",
    "flush_logs",
    "get_correlation_id",
    "get_log_level",
    "handle_result",
    "install_result_routes",
    "is_result_like",
    "log_flux_result",
    "log_result_operation",
    "logging_stats",
    "mask_text",
    "mask_value",
    "monitoring_router",
    "parse_time_range",
    "register_prometheus",
    "register_result_adapter",
    "set_log_level",
    "to_result",
    "unregister_result_adapter",
]

# `from rfs_monitoring import *` must work with only the core dependencies installed, so
# names whose module needs a missing extra are left out of __all__ (they still raise a
# MissingExtraError naming the extra when accessed).
__all__[:] = [n for n in __all__ if n not in _LAZY or _servable(_LAZY[n])]
