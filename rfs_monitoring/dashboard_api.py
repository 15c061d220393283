"""The monitoring API and the HTML dashboard: ``monitoring_router(...)`` returns an APIRouter.

Needs the ``fastapi`` extra. Every endpoint is a Result-returning function served with
``@handle_result``: a ``Failure(APIError)`` becomes its HTTP status and APIError body.

=======  ==========================================  ===========================================
method   path (under ``prefix``, "/monitoring")      answer
=======  ==========================================  ===========================================
GET      /operations?time_range=1h                   ``OperationSummary`` per operation
GET      /operations/{name}/metrics?time_range=1h    ``OperationMetrics`` (404 unknown, 422 range)
GET      /health/result-patterns                     ``ResultPatternHealth`` (never needs auth)
GET      /errors/top?limit=10&time_range=1h          ``ErrorSummary`` list (limit 1..100)
GET      /timeseries?operation=*                     ``SeriesPoint`` list (the dashboard charts)
POST     /alerts/configure                           the new alert id (201)
GET      /alerts, /alerts/history, /alerts/{id}      ``AlertStatus`` / ``AlertEvent`` s
DELETE   /alerts/{id}                                the removed ``AlertStatus`` (404 unknown)
POST     /alerts/evaluate                            the state changes of an evaluation now
GET/PUT  /log-levels                                 ``LogLevelState`` (``set_log_level``)
GET      /metrics                                    Prometheus text (the ``prometheus`` extra)
GET      /dashboard                                  one self-refreshing HTML page, no CDN
=======  ==========================================  ===========================================

Auth: ``auth`` is any FastAPI dependency (``api_key_auth(...)`` is a ready one). When given,
every endpoint but health requires it (with ``protect_reads=False`` only the changes do).
Without it a warning is logged on ``rfs_monitoring.dashboard_api`` that the API is open.

The charts come from a ``MetricsHistory`` subscribed to the collector: per time bucket the
request count, the success rate and latency percentiles (from a bounded reservoir). Answers
computed from the collector are kept for ``cache_seconds`` (1 s) per query, so a dashboard
open in many browsers reads the collector about once a second.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hmac
import html
import logging
import math
import random
import threading
import time
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Sequence
from importlib import resources
from string import Template
from typing import Any, Literal

from rfs_monitoring.alerts import AlertConfiguration, AlertEvent, AlertManager, AlertStatus
from rfs_monitoring.errors import APIError, ConfigurationError, ErrorCode, MissingExtraError
from rfs_monitoring.metrics import (
    ErrorSummary,
    MetricSample,
    OperationMetrics,
    ResultMetricsCollector,
    parse_time_range,
)
from rfs_monitoring.result import Failure, Result, Success
from rfs_monitoring.result_logging import get_log_level, logging_stats, set_log_level

try:
    from fastapi import Depends, FastAPI, Request
    from fastapi.exceptions import HTTPException, RequestValidationError
    from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
    from fastapi.routing import APIRoute, APIRouter
    from starlette.exceptions import HTTPException as StarletteHTTPException
    from starlette.responses import Response

    from rfs_monitoring.web import FastAPIResult, api_error_responses, handle_result
except ImportError as exc:  # pragma: no cover - only without the extra
    raise MissingExtraError(
        "rfs_monitoring.dashboard_api", "fastapi", exc.name or "fastapi"
    ) from exc

__all__ = [
    "HealthThresholds",
    "LogLevelRequest",
    "LogLevelState",
    "MetricsHistory",
    "OperationHealth",
    "OperationSummary",
    "ResultPatternHealth",
    "SeriesPoint",
    "api_key_auth",
    "monitoring_router",
    "render_dashboard",
]

_logger = logging.getLogger("rfs_monitoring.dashboard_api")

HealthStatus = Literal["healthy", "degraded", "unhealthy"]
_RANK: dict[str, int] = {"healthy": 0, "degraded": 1, "unhealthy": 2}
TIME_RANGES: tuple[str, ...] = ("1m", "5m", "15m", "1h", "6h", "1d", "1w")
LIMIT_RANGE = (1, 100)
MAX_OPERATION_CHARS = 200


# --------------------------------------------------------------------------- response models


@dataclasses.dataclass
class OperationSummary:
    """Headline figures of one operation (a row of ``GET /operations``)."""

    operation_name: str
    total_requests: int
    failed_requests: int
    success_rate: float
    p50_response_time_ms: float
    p90_response_time_ms: float
    p99_response_time_ms: float
    requests_per_second: float
    status: HealthStatus


@dataclasses.dataclass
class OperationHealth:
    """Health of one operation and the reasons for it."""

    operation_name: str
    status: HealthStatus
    total_requests: int
    success_rate: float
    p99_response_time_ms: float
    reasons: list[str]


@dataclasses.dataclass
class ResultPatternHealth:
    """Overall health of the Result-returning operations (``GET /health/result-patterns``)."""

    status: HealthStatus
    time_range: str
    checked_at: dt.datetime
    total_requests: int
    overall_success_rate: float
    operations: list[OperationHealth]
    firing_alerts: list[AlertStatus]
    logging: dict[str, int]
    logging_dropped: int
    collector: dict[str, int]
    collector_memory_bytes: int


@dataclasses.dataclass
class SeriesPoint:
    """One time bucket of a chart series; figures are None when the bucket had no requests."""

    timestamp: dt.datetime
    requests: int
    failures: int
    success_rate: float | None
    p50_response_time_ms: float | None
    p90_response_time_ms: float | None
    p99_response_time_ms: float | None


@dataclasses.dataclass
class LogLevelRequest:
    """Body of ``PUT /log-levels``: a level name, for one operation or (None) globally."""

    level: str
    operation: str | None = None


@dataclasses.dataclass
class LogLevelState:
    """The log level now in force for ``operation`` (None: the global one)."""

    level: str
    operation: str | None = None


@dataclasses.dataclass(frozen=True)
class HealthThresholds:
    """When an operation counts as degraded or unhealthy (over ``time_range``).

    Args:
        degraded_success_rate: below this success rate (0..1) an operation is degraded.
        unhealthy_success_rate: below this one it is unhealthy.
        degraded_p99_ms: above this p99 latency it is degraded.
        unhealthy_p99_ms: above this one it is unhealthy.
        min_requests: with fewer requests in the window an operation is healthy (no signal).
        time_range: the window judged.
    """

    degraded_success_rate: float = 0.99
    unhealthy_success_rate: float = 0.95
    degraded_p99_ms: float = 1000.0
    unhealthy_p99_ms: float = 5000.0
    min_requests: int = 1
    time_range: str = "5m"

    def __post_init__(self) -> None:
        for name in ("degraded_success_rate", "unhealthy_success_rate"):
            value = getattr(self, name)
            if not _is_number(value) or not 0.0 <= value <= 1.0:
                msg = f"HealthThresholds.{name} must be a fraction in 0..1, got {value!r}"
                raise ConfigurationError(msg)
        for name in ("degraded_p99_ms", "unhealthy_p99_ms"):
            value = getattr(self, name)
            if not _is_number(value) or value <= 0:
                msg = f"HealthThresholds.{name} must be a number of milliseconds > 0, got {value!r}"
                raise ConfigurationError(msg)
        if self.unhealthy_success_rate > self.degraded_success_rate:
            msg = (
                f"HealthThresholds.unhealthy_success_rate ({self.unhealthy_success_rate}) must "
                f"not exceed degraded_success_rate ({self.degraded_success_rate})"
            )
            raise ConfigurationError(msg)
        if self.unhealthy_p99_ms < self.degraded_p99_ms:
            msg = (
                f"HealthThresholds.unhealthy_p99_ms ({self.unhealthy_p99_ms}) must not be "
                f"below degraded_p99_ms ({self.degraded_p99_ms})"
            )
            raise ConfigurationError(msg)
        if isinstance(self.min_requests, bool) or not isinstance(self.min_requests, int):
            msg = f"HealthThresholds.min_requests must be an int >= 1, got {self.min_requests!r}"
            raise ConfigurationError(msg)
        if self.min_requests < 1:
            msg = f"HealthThresholds.min_requests must be an int >= 1, got {self.min_requests!r}"
            raise ConfigurationError(msg)
        parsed = parse_time_range(self.time_range)
        if parsed.is_failure():
            raise ConfigurationError("HealthThresholds." + parsed.unwrap_error().message)

    def judge(self, metrics: OperationMetrics) -> tuple[HealthStatus, list[str]]:
        """The status of ``metrics`` and the reasons (empty when healthy)."""
        if metrics.total_requests < self.min_requests:
            return "healthy", []
        reasons: list[str] = []
        status: HealthStatus = "healthy"
        rate, p99 = metrics.success_rate, metrics.p99_response_time_ms
        if rate < self.unhealthy_success_rate:
            status = "unhealthy"
            reasons.append(f"success rate {rate:.1%} < {self.unhealthy_success_rate:.1%}")
        elif rate < self.degraded_success_rate:
            status = "degraded"
            reasons.append(f"success rate {rate:.1%} < {self.degraded_success_rate:.1%}")
        if p99 > self.unhealthy_p99_ms:
            status = "unhealthy"
            reasons.append(f"p99 {p99:.1f} ms > {self.unhealthy_p99_ms:g} ms")
        elif p99 > self.degraded_p99_ms:
            status = _worst(status, "degraded")
            reasons.append(f"p99 {p99:.1f} ms > {self.degraded_p99_ms:g} ms")
        return status, reasons


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _worst(a: HealthStatus, b: HealthStatus) -> HealthStatus:
    return a if _RANK[a] >= _RANK[b] else b


# --------------------------------------------------------------------------- history


class _Bucket:
    __slots__ = ("count", "durations", "failures")

    def __init__(self) -> None:
        self.count = 0
        self.failures = 0
        self.durations: list[float] = []


class MetricsHistory:
    """Recent traffic per time bucket, for the dashboard's charts.

    Subscribed to a collector, it keeps for each of the last ``buckets`` buckets of
    ``bucket_seconds`` (per operation, for at most ``max_operations`` operations, and for all
    together under ``"*"``) the request and failure counts and a reservoir sample of at most
    ``reservoir`` latencies, from which the percentiles are read.

    Args:
        bucket_seconds: width of one bucket.
        buckets: how many buckets are kept (the chart's span is their product).
        reservoir: latencies kept per bucket (uniform sample of the bucket's requests).
        max_operations: operations tracked one by one (later ones only count under "*").
        clock: the current time in epoch seconds (the collector's clock in tests).
    """

    def __init__(
        self,
        *,
        bucket_seconds: float = 10.0,
        buckets: int = 60,
        reservoir: int = 200,
        max_operations: int = 100,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not _is_number(bucket_seconds) or bucket_seconds <= 0:
            msg = f"MetricsHistory bucket_seconds must be a number > 0, got {bucket_seconds!r}"
            raise ConfigurationError(msg)
        for name, value in (
            ("buckets", buckets),
            ("reservoir", reservoir),
            ("max_operations", max_operations),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                msg = f"MetricsHistory {name} must be an int >= 1, got {value!r}"
                raise ConfigurationError(msg)
        self.bucket_seconds = float(bucket_seconds)
        self.buckets = buckets
        self.reservoir = reservoir
        self.max_operations = max_operations
        self._clock = clock
        self._lock = threading.Lock()
        self._series: dict[str, dict[int, _Bucket]] = {"*": {}}
        self._random = random.Random(0x5EED)

    def __call__(self, sample: MetricSample) -> None:
        """Add one sample (the collector subscriber)."""
        index = int(sample.timestamp // self.bucket_seconds)
        with self._lock:
            self._add("*", index, sample)
            series = self._series.get(sample.operation)
            if series is not None or len(self._series) <= self.max_operations:
                self._add(sample.operation, index, sample)

    def _add(self, key: str, index: int, sample: MetricSample) -> None:
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = {}
        bucket = series.get(index)
        if bucket is None:
            bucket = series[index] = _Bucket()
            oldest = index - self.buckets
            for stale in [i for i in series if i <= oldest]:
                del series[stale]
        bucket.count += 1
        if not sample.success:
            bucket.failures += 1
        durations = bucket.durations
        if len(durations) < self.reservoir:
            durations.append(sample.duration_ms)
        else:
            slot = int(self._random.random() * bucket.count)
            if slot < self.reservoir:
                durations[slot] = sample.duration_ms

    def subscribe_to(self, collector: ResultMetricsCollector) -> Callable[[], None]:
        """Subscribe to ``collector``; returns the unsubscribe callable."""
        return collector.subscribe(self)

    def operations(self) -> list[str]:
        """Operations with a series of their own, sorted."""
        with self._lock:
            return sorted(k for k in self._series if k != "*")

    def series(self, operation: str = "*", *, trim: bool = False) -> list[SeriesPoint]:
        """The last ``buckets`` buckets up to now, oldest first (empty buckets included).

        With ``trim``, leading empty buckets are left out as long as at least
        ``min(buckets, 30)`` remain (a young process gets a readable chart).
        """
        last = int(self._clock() // self.bucket_seconds)
        first = last - self.buckets + 1
        with self._lock:
            stored = self._series.get(operation, {})
            taken = {
                i: (b.count, b.failures, sorted(b.durations))
                for i, b in stored.items()
                if first <= i <= last
            }
        if trim:
            earliest = min(taken, default=last)
            first = max(first, min(earliest, last - min(self.buckets, 30) + 1))
        points = []
        for index in range(first, last + 1):
            count, failures, durations = taken.get(index, (0, 0, []))
            stamp = dt.datetime.fromtimestamp(index * self.bucket_seconds, tz=dt.timezone.utc)
            points.append(
                SeriesPoint(
                    timestamp=stamp,
                    requests=count,
                    failures=failures,
                    success_rate=(count - failures) / count if count else None,
                    p50_response_time_ms=_quantile(durations, 0.50),
                    p90_response_time_ms=_quantile(durations, 0.90),
                    p99_response_time_ms=_quantile(durations, 0.99),
                )
            )
        return points


def _quantile(ordered: Sequence[float], q: float) -> float | None:
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


# --------------------------------------------------------------------------- auth


def api_key_auth(
    keys: str | Iterable[str],
    *,
    header_name: str = "X-API-Key",
    allow_bearer: bool = True,
    query_param: str | None = None,
) -> Callable[[Request], None]:
    """A FastAPI dependency accepting requests that carry one of ``keys``.

    The key is read from the ``header_name`` header, else (``allow_bearer``) from
    ``Authorization: Bearer <key>``, else (when ``query_param`` is set, e.g. for opening the
    dashboard in a browser) from that query parameter. Keys are compared in constant time.
    A request without a valid key gets 401; the monitoring router serves it with an
    APIError body (on other routes FastAPI puts that body under ``detail``).

    Raises:
        ConfigurationError: no key, or an empty one, is given.
    """
    wanted = [keys] if isinstance(keys, str) else list(keys)
    if not wanted or not all(isinstance(k, str) and k for k in wanted):
        msg = f"api_key_auth needs one or more non-empty string keys, got {keys!r}"
        raise ConfigurationError(msg)
    encoded = [k.encode() for k in wanted]

    def _matches(candidate: str | None) -> bool:
        if not candidate:
            return False
        given = candidate.encode()
        # Compare against every key so timing does not tell which one (nor how many) matched.
        return any([hmac.compare_digest(given, key) for key in encoded])  # noqa: C419

    def require_api_key(request: Request) -> None:
        candidates = [request.headers.get(header_name)]
        authorization = request.headers.get("authorization", "")
        if allow_bearer and authorization[:7].lower() == "bearer ":
            candidates.append(authorization[7:].strip())
        if query_param:
            candidates.append(request.query_params.get(query_param))
        if any(_matches(c) for c in candidates):
            return
        error = APIError.unauthorized(f"a valid API key is required (header {header_name})")
        raise HTTPException(
            status_code=401, detail=error.to_dict(), headers={"WWW-Authenticate": "ApiKey"}
        )

    return require_api_key


# --------------------------------------------------------------------------- helpers


def _time_range_value(raw: str) -> str | float:
    """Query strings arrive as text: a plain number means seconds."""
    try:
        number = float(raw)
    except ValueError:
        return raw
    return number if math.isfinite(number) else raw


def _check_time_range(raw: str) -> Result[str | float, APIError]:
    value = _time_range_value(raw)
    if parse_time_range(value).is_failure():
        # Name the value as the client sent it.
        return Failure(parse_time_range(raw).unwrap_error())
    return Success(value)


async def _all_metrics(
    collector: ResultMetricsCollector, time_range: str | float
) -> list[OperationMetrics]:
    figures = []
    for name in collector.operation_names():
        result = await collector.get_operation_metrics(name, time_range=time_range)
        if result.is_success():  # else it expired between the two calls
            figures.append(result.unwrap())
    return figures


def _summary(metrics: OperationMetrics, thresholds: HealthThresholds) -> OperationSummary:
    return OperationSummary(
        operation_name=metrics.operation_name,
        total_requests=metrics.total_requests,
        failed_requests=metrics.failed_requests,
        success_rate=metrics.success_rate,
        p50_response_time_ms=metrics.p50_response_time_ms,
        p90_response_time_ms=metrics.p90_response_time_ms,
        p99_response_time_ms=metrics.p99_response_time_ms,
        requests_per_second=metrics.requests_per_second,
        status=thresholds.judge(metrics)[0],
    )


async def _health(
    collector: ResultMetricsCollector,
    alert_manager: AlertManager,
    thresholds: HealthThresholds,
) -> ResultPatternHealth:
    overall = (await collector.overall(thresholds.time_range)).unwrap()
    operations = []
    status: HealthStatus = "healthy"
    for metrics in await _all_metrics(collector, thresholds.time_range):
        judged, reasons = thresholds.judge(metrics)
        status = _worst(status, judged)
        operations.append(
            OperationHealth(
                operation_name=metrics.operation_name,
                status=judged,
                total_requests=metrics.total_requests,
                success_rate=metrics.success_rate,
                p99_response_time_ms=metrics.p99_response_time_ms,
                reasons=reasons,
            )
        )
    firing = alert_manager.firing()
    if firing:
        critical = any(a.config.severity == "critical" for a in firing)
        status = _worst(status, "unhealthy" if critical else "degraded")
    log_counters = dict(logging_stats())
    collector_stats = {k: v for k, v in collector.stats().items() if isinstance(v, int)}
    return ResultPatternHealth(
        status=status,
        time_range=thresholds.time_range,
        checked_at=dt.datetime.now(tz=dt.timezone.utc),
        total_requests=overall.total_requests,
        overall_success_rate=overall.success_rate if overall.total_requests else 1.0,
        operations=operations,
        firing_alerts=firing,
        logging=log_counters,
        logging_dropped=int(log_counters.get("dropped", 0)),
        collector=collector_stats,
        collector_memory_bytes=int(collector_stats.get("memory_bytes", 0)),
    )


class _PrometheusText:
    """Renders the collector in the Prometheus text format through a private registry."""

    __slots__ = ("_collector", "_registry")

    def __init__(self, collector: ResultMetricsCollector | None) -> None:
        self._collector = collector
        self._registry: Any = None

    def __call__(self) -> Result[str, APIError]:
        try:
            from prometheus_client import CollectorRegistry, generate_latest

            from rfs_monitoring.export import PrometheusExporter
        except ImportError as exc:
            return Failure(
                APIError(
                    ErrorCode.SERVICE_UNAVAILABLE,
                    "Prometheus export needs prometheus_client; "
                    "install it with: pip install 'rfs-monitoring[prometheus]'",
                    {"missing": exc.name or "prometheus_client"},
                )
            )
        if self._registry is None:
            registry = CollectorRegistry(auto_describe=True)
            registry.register(PrometheusExporter(self._collector))
            self._registry = registry
        return Success(generate_latest(self._registry).decode("utf-8"))


class _SnapshotCache:
    """Keeps successful answers for ``seconds`` (0: off), so a dashboard polled by many
    clients reads the collector at most once per query and period."""

    __slots__ = ("_clock", "_entries", "max_entries", "seconds")

    def __init__(
        self, seconds: float, *, clock: Callable[[], float] = time.monotonic, max_entries: int = 256
    ) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[tuple[object, ...], tuple[float, Result[Any, APIError]]] = {}

    async def get(
        self,
        key: tuple[object, ...],
        compute: Callable[[], Awaitable[Result[Any, APIError]]],
    ) -> Result[Any, APIError]:
        if self.seconds <= 0:
            return await compute()
        now = self._clock()
        hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        result = await compute()
        if result.is_success():
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (now + self.seconds, result)
        return result


# --------------------------------------------------------------------------- router

_STATUS_CODES = {code.http_status: code for code in ErrorCode}


def _validation_error(exc: RequestValidationError) -> APIError:
    """FastAPI's request-validation error as an APIError; the rejected input is not echoed."""
    errors: list[dict[str, Any]] = []
    places: list[str] = []
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ())]
        msg = str(error.get("msg", ""))
        errors.append({"loc": loc, "msg": msg, "type": str(error.get("type", ""))})
        places.append(f"{'.'.join(loc)}: {msg}")
    where = ", ".join(places[:3])
    return APIError.validation_error(
        f"invalid request: {where or 'rejected'}", details={"errors": errors}
    )


def _refusal_response(exc: StarletteHTTPException) -> Response:
    """An HTTPException (e.g. raised by the auth dependency) as an APIError body."""
    detail: object = exc.detail  # typed str by starlette; our auth raises with a dict
    if isinstance(detail, dict) and {"code", "message", "details"} <= detail.keys():
        body: dict[str, Any] = dict(detail)
    else:
        code = _STATUS_CODES.get(exc.status_code, ErrorCode.BAD_REQUEST)
        body = {"code": code.value, "message": str(detail), "details": {}}
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


class _MonitoringRoute(APIRoute):
    """The router's route class: every 4xx body is an APIError ``{code, message, details}``.

    Request-validation errors (FastAPI's own 422) and HTTPExceptions raised before the
    endpoint runs (the auth dependency's 401/403) are served as APIError bodies, for the
    monitoring routes only; the app's other routes keep their handlers.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        kwargs["responses"] = {422: {"model": APIError}, **(kwargs.get("responses") or {})}
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                error = _validation_error(exc)
                return JSONResponse(error.to_dict(), status_code=error.http_status)
            except StarletteHTTPException as exc:
                return _refusal_response(exc)

        return route_handler


def _check_router_arguments(
    prefix: object,
    auth: object,
    refresh_seconds: object,
    thresholds: object,
    history: object,
    cache_seconds: object,
) -> None:
    if not _is_number(cache_seconds) or cache_seconds < 0:  # type: ignore[operator]
        msg = (
            "monitoring_router cache_seconds must be a number of seconds >= 0, "
            f"got {cache_seconds!r}"
        )
        raise ConfigurationError(msg)
    if not isinstance(prefix, str) or (prefix and (prefix[0] != "/" or prefix.endswith("/"))):
        msg = (
            "monitoring_router prefix must be '' or start with '/' and not end with '/', "
            f"got {prefix!r}"
        )
        raise ConfigurationError(msg)
    if auth is not None and not callable(auth):
        msg = f"monitoring_router auth must be a FastAPI dependency (a callable), got {auth!r}"
        raise ConfigurationError(msg)
    if (
        isinstance(refresh_seconds, bool)
        or not isinstance(refresh_seconds, int)
        or refresh_seconds < 0
    ):
        msg = f"monitoring_router refresh_seconds must be an int >= 0, got {refresh_seconds!r}"
        raise ConfigurationError(msg)
    if thresholds is not None and not isinstance(thresholds, HealthThresholds):
        msg = f"monitoring_router thresholds must be HealthThresholds, got {thresholds!r}"
        raise ConfigurationError(msg)
    if history is not None and not isinstance(history, MetricsHistory):
        msg = f"monitoring_router history must be a MetricsHistory, got {history!r}"
        raise ConfigurationError(msg)


def monitoring_router(
    collector: ResultMetricsCollector | None = None,
    alert_manager: AlertManager | None = None,
    *,
    auth: Callable[..., Any] | None = None,
    prefix: str = "/monitoring",
    protect_reads: bool = True,
    thresholds: HealthThresholds | None = None,
    history: MetricsHistory | None = None,
    refresh_seconds: int = 5,
    start_alerts: bool = True,
    title: str = "rfs-monitoring",
    cache_seconds: float = 1.0,
) -> APIRouter:
    """The monitoring API and dashboard as a FastAPI APIRouter (``app.include_router(...)``).

    Args:
        collector: the collector served; None uses ``ResultMetricsCollector.instance()`` (read
            at each request; the charts' history subscribes to the one current now).
        alert_manager: the alert manager served; None creates one on the collector.
        auth: a FastAPI dependency (``api_key_auth(...)`` or your own) that raises to refuse a
            request. When given, every endpoint but health requires it.
        prefix: the path prefix ("" or a path starting with "/" and not ending with one).
        protect_reads: with ``auth``, False leaves the read endpoints open and guards only the
            changes (alerts, log levels).
        thresholds: when operations count as degraded/unhealthy.
        history: the chart history (default: 10 s buckets over 10 minutes).
        refresh_seconds: the dashboard reloads itself this often (0: never).
        start_alerts: the router's lifespan runs the alert manager's background evaluation
            (the app must include the router, which merges the lifespans).
        title: the dashboard's title.
        cache_seconds: the collector-derived answers (operations, metrics, health, top
            errors, the dashboard page) are computed at most once per query in this period
            and served from memory meanwhile; 0 computes every answer afresh.

    Raises:
        ConfigurationError: a bad prefix, auth, refresh_seconds, thresholds, history or
            cache_seconds.
    """
    _check_router_arguments(prefix, auth, refresh_seconds, thresholds, history, cache_seconds)
    judge = thresholds or HealthThresholds()
    manager = alert_manager if alert_manager is not None else AlertManager(collector)
    chart_history = history or MetricsHistory()
    subscriptions = [chart_history.subscribe_to(collector or ResultMetricsCollector.instance())]

    def unsubscribe_history() -> None:
        while subscriptions:
            subscriptions.pop()()

    def current() -> ResultMetricsCollector:
        return collector or ResultMetricsCollector.instance()

    prometheus_text = _PrometheusText(collector)
    cache = _SnapshotCache(cache_seconds)
    # APIError bodies documented in OpenAPI: only the statuses each route can answer.
    open_doc = api_error_responses([])
    guard_doc = api_error_responses([401] if auth is not None else [])
    read_doc = guard_doc if protect_reads else open_doc
    missing_doc = {**read_doc, **api_error_responses([404])}
    guard = [Depends(auth)] if auth is not None else []
    read_guard = guard if protect_reads else []
    if auth is None:
        _logger.warning(
            "the monitoring API at %s is open: no auth is configured; anyone who can reach "
            "it can read metrics and change alerts and log levels (pass auth=api_key_auth(...))",
            prefix or "/",
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not subscriptions:
            subscriptions.append(chart_history.subscribe_to(current()))
        started = start_alerts and not manager.running
        if started:
            manager.start()
        try:
            yield
        finally:
            if started:
                await manager.stop()
            unsubscribe_history()

    router = APIRouter(
        prefix=prefix, tags=["monitoring"], lifespan=lifespan, route_class=_MonitoringRoute
    )
    router.unsubscribe_history = unsubscribe_history  # type: ignore[attr-defined]

    @router.get("/operations", dependencies=read_guard, responses=read_doc)
    @handle_result
    async def list_operations(time_range: str = "1h") -> FastAPIResult[list[OperationSummary]]:
        """Every operation seen, with its headline figures over ``time_range``."""
        checked = _check_time_range(time_range)
        if checked.is_failure():
            return Failure(checked.unwrap_error())
        window = checked.unwrap()

        async def compute() -> Result[list[OperationSummary], APIError]:
            figures = await _all_metrics(current(), window)
            return Success([_summary(m, judge) for m in figures])

        return await cache.get(("operations", window), compute)

    @router.get(
        "/operations/{operation_name}/metrics", dependencies=read_guard, responses=missing_doc
    )
    @handle_result
    async def get_operation_metrics(
        operation_name: str, time_range: str = "1h"
    ) -> FastAPIResult[OperationMetrics]:
        """The metrics of one operation (404 when unknown, 422 for a bad time_range)."""
        checked = _check_time_range(time_range)
        if checked.is_failure():
            return Failure(checked.unwrap_error())
        window = checked.unwrap()

        async def compute() -> Result[OperationMetrics, APIError]:
            return await current().get_operation_metrics(operation_name, time_range=window)

        return await cache.get(("metrics", operation_name, window), compute)

    @router.get("/health/result-patterns")
    @handle_result
    async def get_result_pattern_health() -> FastAPIResult[ResultPatternHealth]:
        """Overall health: success rate, per-operation status, firing alerts, drops, memory."""

        async def compute() -> Result[ResultPatternHealth, APIError]:
            return Success(await _health(current(), manager, judge))

        return await cache.get(("health",), compute)

    @router.get("/errors/top", dependencies=read_guard, responses=read_doc)
    @handle_result
    async def get_top_errors(
        limit: int = 10, time_range: str = "1h", operation: str | None = None
    ) -> FastAPIResult[list[ErrorSummary]]:
        """The most frequent error groups (``limit`` in 1..100)."""
        low, high = LIMIT_RANGE
        if not low <= limit <= high:
            return Failure(
                APIError.validation_error(
                    f"limit {limit} is out of range; accepted: an integer from {low} to {high}",
                    field="limit",
                )
            )
        checked = _check_time_range(time_range)
        if checked.is_failure():
            return Failure(checked.unwrap_error())
        window = checked.unwrap()

        async def compute() -> Result[list[ErrorSummary], APIError]:
            return await current().top_errors(limit=limit, time_range=window, operation=operation)

        return await cache.get(("errors", limit, window, operation), compute)

    @router.get("/timeseries", dependencies=read_guard, responses=missing_doc)
    @handle_result
    async def get_timeseries(operation: str = "*") -> FastAPIResult[list[SeriesPoint]]:
        """Per-bucket requests, success rate and latency percentiles (the charts' data)."""
        if operation != "*" and operation not in chart_history.operations():
            return Failure(APIError.not_found("operation", operation))
        return Success(chart_history.series(operation))

    @router.post("/alerts/configure", status_code=201, dependencies=guard, responses=guard_doc)
    @handle_result
    async def configure_alert_thresholds(config: AlertConfiguration) -> FastAPIResult[str]:
        """Add an alert rule; returns its id."""
        return Success(manager.add(config))

    @router.get("/alerts", dependencies=read_guard, responses=read_doc)
    @handle_result
    async def list_alerts(state: str | None = None) -> FastAPIResult[list[AlertStatus]]:
        """Every alert rule and its state (only those in ``state`` when given)."""
        alerts = manager.alerts()
        if state is not None:
            accepted = ("ok", "pending", "firing", "resolved")
            if state not in accepted:
                return Failure(
                    APIError.validation_error(
                        f"state {state!r} is not accepted; use one of {', '.join(accepted)}",
                        field="state",
                    )
                )
            alerts = [a for a in alerts if a.state == state]
        return Success(alerts)

    @router.get("/alerts/history", dependencies=read_guard, responses=read_doc)
    @handle_result
    async def alert_history(
        alert_id: str | None = None, limit: int = 100
    ) -> FastAPIResult[list[AlertEvent]]:
        """State changes, oldest first."""
        if limit < 1:
            return Failure(
                APIError.validation_error(
                    f"limit {limit} is out of range; accepted: an integer >= 1", field="limit"
                )
            )
        return Success(manager.history(alert_id, limit=limit))

    @router.post("/alerts/evaluate", dependencies=guard, responses=guard_doc)
    @handle_result
    async def evaluate_alerts() -> FastAPIResult[list[AlertEvent]]:
        """Evaluate every rule now; returns the state changes."""
        return Success(await manager.evaluate())

    @router.get("/alerts/{alert_id}", dependencies=read_guard, responses=missing_doc)
    @handle_result
    async def get_alert(alert_id: str) -> FastAPIResult[AlertStatus]:
        """One alert's rule and state."""
        status = manager.get(alert_id)
        return Success(status) if status else Failure(APIError.not_found("alert", alert_id))

    @router.delete(
        "/alerts/{alert_id}",
        dependencies=guard,
        responses={**guard_doc, **api_error_responses([404])},
    )
    @handle_result
    async def delete_alert(alert_id: str) -> FastAPIResult[AlertStatus]:
        """Remove an alert rule; returns it as it was."""
        status = manager.get(alert_id)
        if status is None:
            return Failure(APIError.not_found("alert", alert_id))
        manager.remove(alert_id)
        return Success(status)

    @router.get("/log-levels", dependencies=read_guard, responses=read_doc)
    @handle_result
    async def read_log_level(operation: str | None = None) -> FastAPIResult[LogLevelState]:
        """The log level in force (for ``operation`` when given)."""
        return Success(LogLevelState(level=get_log_level(operation), operation=operation))

    @router.put("/log-levels", dependencies=guard, responses=guard_doc)
    @handle_result
    async def change_log_level(change: LogLevelRequest) -> FastAPIResult[LogLevelState]:
        """Change the log level, globally or for one operation."""
        operation = change.operation
        if operation is not None and (
            not 0 < len(operation) <= MAX_OPERATION_CHARS or not operation.isprintable()
        ):
            return Failure(
                APIError.validation_error(
                    f"operation must be 1 to {MAX_OPERATION_CHARS} printable characters, got "
                    f"{len(operation)} characters",
                    field="operation",
                )
            )
        try:
            set_log_level(change.level, operation=change.operation)
        except (ConfigurationError, ValueError, TypeError) as exc:
            return Failure(APIError.validation_error(str(exc), field="level"))
        level = get_log_level(change.operation)
        return Success(LogLevelState(level=level, operation=change.operation))

    @router.get(
        "/metrics",
        dependencies=read_guard,
        response_class=PlainTextResponse,
        responses={**read_doc, **api_error_responses([503])},
    )
    @handle_result
    async def prometheus_metrics() -> FastAPIResult[PlainTextResponse]:
        """Prometheus text exposition of the collector's figures."""
        return prometheus_text().map(
            lambda text: PlainTextResponse(
                text, media_type="text/plain; version=0.0.4; charset=utf-8"
            )
        )

    @router.get(
        "/dashboard", dependencies=read_guard, response_class=HTMLResponse, responses=read_doc
    )
    @handle_result
    async def dashboard(
        time_range: str = "1h", operation: str = "*", refresh: int | None = None
    ) -> FastAPIResult[HTMLResponse]:
        """The HTML dashboard."""
        checked = _check_time_range(time_range)
        if checked.is_failure():
            return Failure(checked.unwrap_error())
        every = refresh_seconds if refresh is None else max(0, refresh)
        window = checked.unwrap()

        async def compute() -> Result[str, APIError]:
            page = await render_dashboard(
                current(),
                manager,
                chart_history,
                judge,
                time_range=window,
                operation=operation,
                refresh_seconds=every,
                api_base=prefix,
                title=title,
            )
            return Success(page)

        page = await cache.get(("dashboard", window, operation, every), compute)
        return page.map(HTMLResponse)

    return router


# --------------------------------------------------------------------------- dashboard page


def _resource(name: str) -> str:
    return (resources.files("rfs_monitoring") / "dashboard" / name).read_text(encoding="utf-8")


_PAGE = Template(_resource("page.html"))
_CSS = _resource("dashboard.css")


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _pct(rate: float | None) -> str:
    return "–" if rate is None else f"{rate * 100:.2f}%"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f} ms"


def _when(moment: dt.datetime | None) -> str:
    if moment is None:
        return "–"
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _table(
    header: Sequence[tuple[str, bool]], rows: list[list[str]], empty: str, table_id: str
) -> str:
    if not rows:
        return f'<p class="none" id="{table_id}-empty">{_esc(empty)}</p>'
    head = "".join(('<th class="num">' if num else "<th>") + f"{_esc(h)}</th>" for h, num in header)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="{"num" if num else ""}">{cell}</td>'
            for cell, (_, num) in zip(row, header, strict=True)
        )
        body.append(f"<tr>{cells}</tr>")
    return (
        f'<table id="{table_id}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _nice_ceiling(value: float) -> float:
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        candidate = step * 10.0**exponent
        if candidate >= value:
            return candidate
    return 10.0 ** (exponent + 1)  # pragma: no cover - the loop always returns


def render_chart(
    points: Sequence[SeriesPoint],
    series: Sequence[tuple[str, str, Callable[[SeriesPoint], float | None]]],
    *,
    chart_id: str,
    unit: str,
    y_max: float | None = None,
    scale: float = 1.0,
    width: int = 600,
    height: int = 220,
) -> str:
    """An inline SVG line chart of ``series`` (name, css key, getter) over ``points``."""
    left, right, top, bottom = 56, 12, 12, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [
        [None if (v := get(p)) is None else v * scale for p in points] for _, _, get in series
    ]
    present = [v for column in values for v in column if v is not None]
    parts = [
        f'<svg class="chart" id="{chart_id}" viewBox="0 0 {width} {height}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg" data-points="{len(present)}">'
    ]
    ceiling = y_max if y_max is not None else _nice_ceiling(max(present, default=0.0))
    for i in range(5):
        y = top + plot_h - plot_h * i / 4
        parts.append(
            f'<line class="grid" x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="axis" x="{left - 6}" y="{y + 3:.1f}" text-anchor="end">'
            f"{ceiling * i / 4:g}{_esc(unit)}</text>"
        )
    count = len(points)
    stamps = [p.timestamp.strftime("%H:%M:%S") for p in points]

    def x_of(index: int) -> float:
        return left + (plot_w * index / (count - 1) if count > 1 else plot_w / 2)

    def y_of(value: float) -> float:
        return top + plot_h - plot_h * min(value, ceiling) / ceiling

    for index in sorted({0, count // 2, count - 1}) if count else []:
        anchor = "start" if index == 0 else "end" if index == count - 1 else "middle"
        label = stamps[index]
        parts.append(
            f'<text class="axis" x="{x_of(index):.1f}" y="{height - 10}" '
            f'text-anchor="{anchor}">{label}</text>'
        )
    if not present:
        parts.append(
            f'<text class="empty" x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" '
            'text-anchor="middle">no requests in this period</text>'
        )
    for (name, key, _), column in zip(series, values, strict=True):
        run: list[str] = []
        runs: list[list[str]] = []
        dots = []
        for index, value in enumerate(column):
            if value is None:
                if run:
                    runs.append(run)
                run = []
                continue
            x, y = x_of(index), y_of(value)
            run.append(f"{x:.1f},{y:.1f}")
            stamp = stamps[index]
            dots.append(
                f'<circle class="dot-{key}" cx="{x:.1f}" cy="{y:.1f}" r="2">'
                f"<title>{_esc(name)} {value:.2f}{_esc(unit)} at {stamp}</title></circle>"
            )
        if run:
            runs.append(run)
        for segment in runs:
            parts.append(
                f'<polyline class="series series-{key}" data-series="{_esc(name)}" '
                f'points="{" ".join(segment)}"/>'
            )
        parts.extend(dots)
    legend_x = left + 8
    parts.append('<g class="legend">')
    for offset, (name, key, _) in enumerate(series):
        lx = legend_x + offset * 70
        parts.append(
            f'<rect class="dot-{key}" x="{lx}" y="{top + 2}" width="10" height="10"/>'
            f'<text x="{lx + 14}" y="{top + 11}">{_esc(name)}</text>'
        )
    parts.append("</g></svg>")
    return "".join(parts)


_LATENCY_SERIES: tuple[tuple[str, str, Callable[[SeriesPoint], float | None]], ...] = (
    ("p50", "p50", lambda p: p.p50_response_time_ms),
    ("p90", "p90", lambda p: p.p90_response_time_ms),
    ("p99", "p99", lambda p: p.p99_response_time_ms),
)
_SUCCESS_SERIES: tuple[tuple[str, str, Callable[[SeriesPoint], float | None]], ...] = (
    ("success rate", "success", lambda p: p.success_rate),
)


def _options(values: Iterable[str], selected: str) -> str:
    return "".join(
        f'<option value="{_esc(v)}"{" selected" if v == selected else ""}>{_esc(v)}</option>'
        for v in values
    )


def _card(label: str, value: str, card_id: str) -> str:
    return (
        f'<div class="card" id="card-{card_id}"><div class="label">{_esc(label)}</div>'
        f'<div class="value">{_esc(value)}</div></div>'
    )


async def render_dashboard(
    collector: ResultMetricsCollector,
    alert_manager: AlertManager,
    history: MetricsHistory,
    thresholds: HealthThresholds,
    *,
    time_range: str | float = "1h",
    operation: str = "*",
    refresh_seconds: int = 5,
    api_base: str = "/monitoring",
    title: str = "rfs-monitoring",
) -> str:
    """The dashboard page as HTML; every user-controlled text is escaped."""
    from rfs_monitoring import __version__

    overall = (await collector.overall(time_range)).unwrap()
    last_minute = (await collector.overall("1m")).unwrap()
    figures = await _all_metrics(collector, time_range)
    figures.sort(key=lambda m: (-m.total_requests, m.operation_name))
    errors_result = await collector.top_errors(limit=10, time_range=time_range)
    errors = errors_result.unwrap() if errors_result.is_success() else []
    firing = alert_manager.firing()
    drops = int(logging_stats().get("dropped", 0))

    status: HealthStatus = "healthy"
    rows = []
    link_prefix = (
        f"?time_range={urllib.parse.quote(str(time_range), safe='')}"
        f"&refresh={refresh_seconds}&operation="
    )
    for metrics in figures:
        judged, reasons = thresholds.judge(metrics)
        status = _worst(status, judged)
        link = f"{link_prefix}{urllib.parse.quote(metrics.operation_name, safe='')}"

        rows.append(
            [
                f'<a href="{_esc(link)}">{_esc(metrics.operation_name)}</a>',
                f"{metrics.total_requests:,}",
                _pct(metrics.success_rate if metrics.total_requests else None),
                _ms(metrics.p50_response_time_ms),
                _ms(metrics.p90_response_time_ms),
                _ms(metrics.p99_response_time_ms),
                f"{metrics.requests_per_second:.2f}",
                f'<span class="status status-{judged}" title="{_esc("; ".join(reasons))}">'
                f"{judged}</span>",
            ]
        )
    if firing:
        critical = any(a.config.severity == "critical" for a in firing)
        status = _worst(status, "unhealthy" if critical else "degraded")
    operations_table = _table(
        [
            ("operation", False),
            ("requests", True),
            ("success", True),
            ("p50", True),
            ("p90", True),
            ("p99", True),
            ("req/s", True),
            ("status", False),
        ],
        rows,
        "No operation recorded yet.",
        "operations-table",
    )
    errors_table = _table(
        [
            ("message", False),
            ("code", False),
            ("count", True),
            ("last seen", False),
            ("operations", False),
        ],
        [
            [
                f'<span class="msg">{_esc(e.message)}</span>',
                _esc(e.error_code or "–"),
                f"{e.count:,}",
                _esc(_when(e.last_seen)),
                _esc(", ".join(e.operations)),
            ]
            for e in errors
        ],
        "No errors in this period.",
        "errors-table",
    )
    alerts_table = _table(
        [
            ("alert", False),
            ("severity", False),
            ("operation", False),
            ("condition", False),
            ("value", True),
            ("firing since", False),
        ],
        [
            [
                _esc(a.config.label),
                _esc(a.config.severity),
                _esc(a.config.operation),
                _esc(
                    f"{a.config.metric} {a.config.comparison} {a.config.threshold:g} "
                    f"over {a.config.window}"
                ),
                _esc("no data" if a.value is None else f"{a.value:.4g}"),
                _esc(_when(a.fired_at)),
            ]
            for a in firing
        ],
        "No alert is firing.",
        "alerts-table",
    )
    chosen = operation if operation == "*" or operation in history.operations() else "*"
    points = history.series(chosen, trim=True)
    latency_chart = render_chart(points, _LATENCY_SERIES, chart_id="latency-svg", unit=" ms")
    success_chart = render_chart(
        points, _SUCCESS_SERIES, chart_id="success-svg", unit="%", y_max=100.0, scale=100.0
    )
    cards = "\n".join(
        [
            _card("requests", f"{overall.total_requests:,}", "requests"),
            _card(
                "success rate",
                _pct(overall.success_rate if overall.total_requests else None),
                "success",
            ),
            _card(
                "p99 latency",
                _ms(overall.p99_response_time_ms if overall.total_requests else None),
                "p99",
            ),
            _card("requests / s (last minute)", f"{last_minute.requests_per_second:.2f}", "rps"),
            _card("firing alerts", str(len(firing)), "alerts"),
            _card("log entries dropped", f"{drops:,}", "drops"),
        ]
    )
    now = dt.datetime.now(tz=dt.timezone.utc)
    span = history.bucket_seconds * len(points)
    span_text = f"{span:g} s" if span < 120 else f"{span / 60:g} min"
    range_text = str(time_range)
    ranges = list(TIME_RANGES)
    if range_text not in ranges:
        ranges.append(range_text)
    return _PAGE.substitute(
        title=_esc(title),
        css=_CSS,
        refresh_meta=(
            f'<meta http-equiv="refresh" content="{refresh_seconds}">' if refresh_seconds else ""
        ),
        refresh_note=(
            f"refreshes every {refresh_seconds} s" if refresh_seconds else "auto-refresh off"
        ),
        refresh=str(refresh_seconds),
        status=status,
        time_range=_esc(range_text),
        generated=_esc(_when(now)),
        generated_iso=_esc(now.isoformat()),
        range_options=_options(ranges, range_text),
        operation_options=_options(["*", *history.operations()], chosen),
        cards=cards,
        series_label=_esc("all operations" if chosen == "*" else chosen),
        bucket_note=_esc(f"last {span_text} in {history.bucket_seconds:g} s buckets"),
        latency_chart=latency_chart,
        success_chart=success_chart,
        firing_count=len(firing),
        alerts_table=alerts_table,
        operation_count=len(figures),
        operations_table=operations_table,
        errors_table=errors_table,
        version=_esc(__version__),
        api_base=_esc(api_base),
    )
