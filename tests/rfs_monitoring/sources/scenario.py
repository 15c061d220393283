"""One hour of canned Prometheus answers (two operations) and the figures they make."""

from __future__ import annotations

import datetime as dt

from rfs_monitoring.metrics import OperationMetrics
from rfs_monitoring.sources import promql

from .support import FakePrometheus, matrix, vector

__all__ = ["CHECKOUT", "HOUR_START", "NOW", "START", "N", "load_hour", "utc"]

NOW = 1_700_000_123.5  # unaligned: 923.5 s into the UTC hour 22
HOUR_START = 1_699_999_200.0
N = promql.MetricNames.of("rfs")
START = NOW - 3600


def utc(t: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc)


def load_hour(fake: FakePrometheus, match: str = "") -> None:
    """Answers for the window "1h" ending at NOW: checkout (130 calls) and search (10)."""
    q = fake.answer
    outcomes = {"success": 90, "client_error": 30, "server_error": 8, "timeout": 2, "cancelled": 0}
    by = ["operation", "outcome"]
    q(
        promql.window_count(N.requests, match, by, 3600),
        vector(
            *[({"operation": "checkout", "outcome": k}, float(v)) for k, v in outcomes.items()],
            ({"operation": "search", "outcome": "success"}, 10.0),
        ),
    )
    q(
        promql.window_count(N.errors, match, ["operation", "error_code"], 3600),
        vector(
            ({"operation": "checkout", "error_code": "NOT_FOUND"}, 30.0),
            ({"operation": "checkout", "error_code": "INTERNAL"}, 8.0),
            ({"operation": "checkout", "error_code": "TIMEOUT"}, 2.0),
        ),
    )
    q(
        promql.window_count(N.groups, match, ["operation", "error_group"], 3600),
        vector(
            ({"operation": "checkout", "error_group": "user <n> not found"}, 30.0),
            ({"operation": "checkout", "error_group": "db down"}, 8.0),
            ({"operation": "checkout", "error_group": "gone"}, 0.0),
        ),
    )
    q(
        promql.window_count(N.duration + "_sum", match, ["operation"], 3600),
        vector(({"operation": "checkout"}, 13.0), ({"operation": "search"}, 1.0)),
    )
    levels = {"0.5": (0.05, 0.01), "0.9": (0.2, 0.02), "0.99": (0.9, 0.05), "1": (2.5, 0.1)}
    q(
        promql.quantiles(N.duration, match, ["operation"], 3600),
        vector(
            *[({"operation": "checkout", "quantile": k}, v[0]) for k, v in levels.items()],
            *[({"operation": "search", "quantile": k}, v[1]) for k, v in levels.items()],
            ({"operation": "search", "quantile": "0.5"}, float("nan")),  # dropped: not finite
        ),
    )
    q(
        promql.quantiles(N.duration, match, [], 3600),
        vector(*[({"quantile": k}, v[0]) for k, v in levels.items()]),
    )
    q(
        promql.window_count(N.requests, match, ["operation"], 60),
        vector(({"operation": "checkout"}, 12.0), ({"operation": "search"}, 6.0)),
    )
    q(
        promql.first_seen(N.requests, match, ["operation"], 3600, 15),
        vector(({"operation": "checkout"}, NOW - 1800), ({"operation": "search"}, START - 100)),
    )
    q(
        promql.window_count(N.requests, match, ["operation"], NOW - HOUR_START),
        vector(
            ({"operation": "checkout"}, 100.0),
            ({"operation": "search"}, 10.0),
            ({"operation": "ghost"}, 3.0),  # not in the window's figures: left out
        ),
    )
    q(
        promql.window_count(N.requests, match, ["operation"], 3600),
        matrix(
            ({"operation": "checkout"}, [(HOUR_START - 3600, 0.0), (HOUR_START, 30.0)]),
            ({"operation": "x"}, [(HOUR_START, 5.0)]),  # not in the window's figures
        ),
        "query_range",
    )


CHECKOUT = OperationMetrics(
    operation_name="checkout",
    time_window="1h",
    total_requests=130,
    successful_requests=90,
    failed_requests=40,
    success_rate=90 / 130,
    avg_response_time_ms=13000.0 / 130,
    p50_response_time_ms=50.0,
    p90_response_time_ms=200.0,
    p99_response_time_ms=900.0,
    max_response_time_ms=2500.0,
    error_breakdown={"INTERNAL": 8, "NOT_FOUND": 30, "TIMEOUT": 2},
    top_errors=[("user <n> not found", 30), ("db down", 8)],
    avg_memory_usage_mb=0.0,
    avg_cpu_usage_percent=0.0,
    hourly_distribution={21: 30, 22: 100},
    requests_per_second=130 / 1800,
    window_start=utc(NOW - 1800),
    window_end=utc(NOW),
    client_errors=30,
    server_errors=8,
    timeouts=2,
    cancelled=0,
    availability=120 / 130,
    client_error_rate=30 / 130,
    current_requests_per_second=0.2,
)
