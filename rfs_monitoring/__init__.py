"""rfs-monitoring: observability for the Result pattern.

Importing this package needs only the core dependencies (structlog, python-json-logger) and
imports none of them: every public name is served on first access (module ``__getattr__``),
so ``import rfs_monitoring`` costs a few milliseconds and loads neither structlog, sqlite3
nor the logging and metrics modules until a name that needs them is used. FastAPI,
OpenTelemetry and prometheus_client are imported only by the modules that use them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rfs_monitoring.lazy import lazy_exports

if TYPE_CHECKING:
    from rfs_monitoring.alerts import AlertConfiguration, AlertManager
    from rfs_monitoring.context import bind_log_context, correlation_context, get_correlation_id
    from rfs_monitoring.dashboard.auth import api_key_auth
    from rfs_monitoring.dashboard.router import monitoring_router
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
    from rfs_monitoring.export import OpenTelemetryBridge, PrometheusExporter, register_prometheus
    from rfs_monitoring.flux import FluxResult
    from rfs_monitoring.masking import add_masking_pattern, mask_text, mask_value
    from rfs_monitoring.metrics.archive import MetricsArchive
    from rfs_monitoring.metrics.collector import ResultMetricsCollector
    from rfs_monitoring.metrics.records import ErrorSummary, MetricSample, OperationMetrics
    from rfs_monitoring.metrics.time_range import parse_time_range
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
    from rfs_monitoring.result_logging.chain import log_flux_result
    from rfs_monitoring.result_logging.config import configure_logging, flush_logs
    from rfs_monitoring.result_logging.decorator import log_result_operation
    from rfs_monitoring.result_logging.emit import add_entry_listener
    from rfs_monitoring.result_logging.entry import ResultLogEntry
    from rfs_monitoring.result_logging.levels import get_log_level, set_log_level
    from rfs_monitoring.result_logging.state import logging_stats
    from rfs_monitoring.web.middleware import CorrelationIdMiddleware
    from rfs_monitoring.web.results import (
        FastAPIResult,
        ResultRoute,
        handle_result,
        install_result_routes,
    )

from rfs_monitoring.mono import set_chain_observer as _set_chain_observer

__version__ = "0.1.0"


def _observe_chain_on_first_use(
    kind: str, name: str, result: Result[Any, Any], elapsed_ms: float
) -> None:
    """``MonoResult.log_step`` / ``log_error`` report here until the logging chain loads.

    Importing ``result_logging.chain`` installs its own observer in place of this one, so
    the first step entry costs the import and the later ones nothing.
    """
    from rfs_monitoring.result_logging.chain import observe_chain

    observe_chain(kind, name, result, elapsed_ms)


_set_chain_observer(_observe_chain_on_first_use)

# Every public name and the module that defines it, imported on first access. The modules
# are the defining ones (not the subpackages' __init__), so that ``log_result_operation``
# does not load ``result_logging.config`` (structlog) nor ``Success`` the metrics.
_CORE = {
    **dict.fromkeys(("bind_log_context", "correlation_context", "get_correlation_id"), "context"),
    **dict.fromkeys(
        (
            "APIError",
            "ConfigurationError",
            "ErrorCode",
            "MissingExtraError",
            "ResultAdapterError",
            "ResultTimeoutError",
            "RfsMonitoringError",
            "UnwrapError",
        ),
        "errors",
    ),
    "FluxResult": "flux",
    **dict.fromkeys(("add_masking_pattern", "mask_text", "mask_value"), "masking"),
    "MetricsArchive": "metrics.archive",
    "ResultMetricsCollector": "metrics.collector",
    **dict.fromkeys(("ErrorSummary", "MetricSample", "OperationMetrics"), "metrics.records"),
    "parse_time_range": "metrics.time_range",
    "MonoResult": "mono",
    **dict.fromkeys(
        (
            "Failure",
            "Result",
            "Success",
            "is_result_like",
            "register_result_adapter",
            "to_result",
            "unregister_result_adapter",
        ),
        "result",
    ),
    "log_flux_result": "result_logging.chain",
    **dict.fromkeys(("configure_logging", "flush_logs"), "result_logging.config"),
    "log_result_operation": "result_logging.decorator",
    "add_entry_listener": "result_logging.emit",
    "ResultLogEntry": "result_logging.entry",
    **dict.fromkeys(("get_log_level", "set_log_level"), "result_logging.levels"),
    "logging_stats": "result_logging.state",
}

# Names served from modules that need an optional extra.
_LAZY = {
    "AlertConfiguration": "alerts",
    "AlertManager": "alerts",
    "api_key_auth": "dashboard.auth",
    "monitoring_router": "dashboard.router",
    "CorrelationIdMiddleware": "web.middleware",
    "FastAPIResult": "web.results",
    "ResultRoute": "web.results",
    "handle_result": "web.results",
    "install_result_routes": "web.results",
    "OpenTelemetryBridge": "export",
    "PrometheusExporter": "export",
    "register_prometheus": "export",
}

# What each module of _LAZY needs beyond the core dependencies.
_NEEDS: dict[str, tuple[str, ...]] = {
    "alerts": ("pydantic", "httpx", "pluggy"),
    "dashboard.auth": ("fastapi", "httpx", "pluggy", "jinja2"),
    "dashboard.router": ("fastapi", "httpx", "pluggy", "jinja2"),
    "export": (),
    "web.middleware": ("fastapi",),
    "web.results": ("fastapi",),
}


def _servable(module_name: str) -> bool:
    import importlib.util

    try:
        return all(importlib.util.find_spec(dep) is not None for dep in _NEEDS[module_name])
    except (ImportError, ValueError):
        return False


__getattr__ = lazy_exports(__name__, globals(), {**_CORE, **_LAZY})


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
