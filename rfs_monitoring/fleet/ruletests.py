"""``promtool test rules`` unit tests for the rules of ``rules.prometheus_rules``.

For each rule whose comparison has a side (``>``, ``>=``, ``<``, ``<=``), two tests: input
series on the breaching side of the threshold (the alert fires, with its labels and
annotations, once ``for`` has passed) and series on the other side (no alert). The series
are what the exporter publishes (``rfs_operation_requests_total``, the duration histogram),
one sample every ``STEP`` seconds.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from rfs_monitoring.alerts.config import AlertConfiguration, parse_alert_configuration
from rfs_monitoring.export.figures import DEFAULT_BUCKETS_SECONDS
from rfs_monitoring.fleet.rules import DEFAULT_ALERTS, prometheus_rules, to_yaml
from rfs_monitoring.metrics import parse_time_range

__all__ = ["STEP", "Traffic", "render_rule_tests", "rule_tests", "traffic_for"]

STEP = 15
"""Seconds between two samples of the input series (and between two evaluations)."""

_SHARES = frozenset({"availability", "success_rate", "error_rate", "client_error_rate"})
_FAILURE_SHARES = frozenset({"error_rate", "client_error_rate"})


@dataclasses.dataclass(frozen=True)
class Traffic:
    """What arrives every ``STEP``: requests, failures, and where their durations fall.

    Attributes:
        requests: calls per step.
        failures: of which failed.
        seconds: the duration of every call.
        outcome: the outcome of the failures.
    """

    requests: int
    failures: int = 0
    seconds: float = 0.02
    outcome: str = "server_error"


def _side(comparison: str, breach: bool) -> str | None:
    """``"above"`` or ``"below"`` the threshold for this scenario (None: no side)."""
    above = {">": True, ">=": True, "<": False, "<=": False}.get(comparison)
    if above is None:
        return None
    return "above" if above == breach else "below"


def _latency_seconds(threshold_ms: float, side: str) -> float | None:
    """A duration whose whole histogram bucket lies above (or below) the threshold."""
    bounds = DEFAULT_BUCKETS_SECONDS
    limit = threshold_ms / 1000.0
    if side == "above":
        lower = [b for b in bounds if b > limit]
        return None if not lower else lower[0] * 1.01
    upper = [b for b in bounds if b < limit]
    return None if not upper else upper[0] / 2


def traffic_for(config: AlertConfiguration, breach: bool, window_steps: int) -> Traffic | None:
    """Traffic that puts ``config``'s metric on the breaching side (or not); None when no
    traffic can (``==``, ``!=``, a threshold at the edge of its range)."""
    side = _side(config.comparison, breach)
    if side is None:
        return None
    base = max(100, math.ceil(config.min_requests / window_steps) + 10)
    thr = config.threshold
    metric = config.metric
    if metric in _SHARES:
        share = (thr + 1) / 2 if side == "above" else thr / 2
        if share != thr:  # enough calls that rounding to whole ones keeps the side
            base = max(base, math.ceil(4 / abs(share - thr)))
        errors = share if metric in _FAILURE_SHARES else 1 - share
        kind = "client_error" if metric == "client_error_rate" else "server_error"
        return Traffic(base, round(base * errors), outcome=kind)
    if metric == "error_count":
        per_step = math.floor(thr / window_steps) + 1 if side == "above" else 0
        return Traffic(base, per_step) if thr >= 0 else None
    if metric == "rps":
        calls = math.floor(thr * STEP) + STEP if side == "above" else 0
        return Traffic(calls) if thr >= 0 else None
    if metric == "avg_latency":
        value = thr * 2 if side == "above" else thr / 2
        return Traffic(base, 0, value / 1000.0) if thr > 0 else None
    seconds = _latency_seconds(thr, side)
    return None if seconds is None else Traffic(base, 0, seconds)


def _measured(config: AlertConfiguration, traffic: Traffic) -> bool | None:
    """Whether the traffic's share breaches the rule once counts are whole (None: the
    traffic was built on the right side, nothing was rounded)."""
    metric = config.metric
    if metric not in _SHARES:
        return None
    errors = traffic.failures / traffic.requests
    value = errors if metric in _FAILURE_SHARES else 1 - errors
    ops = {">": value > config.threshold, ">=": value >= config.threshold}
    ops.update({"<": value < config.threshold, "<=": value <= config.threshold})
    return ops[config.comparison]


def _series(ns: str, operation: str, traffic: Traffic, steps: int) -> list[dict[str, str]]:
    where = f'operation={json.dumps(operation)},instance="worker-1"'

    def line(name: str, labels: str, per_step: float) -> dict[str, str]:
        return {"series": f"{name}{{{labels}}}", "values": f"0+{per_step:g}x{steps}"}

    ok = traffic.requests - traffic.failures
    out = [
        line(f"{ns}_operation_requests_total", f'{where},outcome="success"', ok),
        line(
            f"{ns}_operation_requests_total",
            f'{where},outcome="{traffic.outcome}"',
            traffic.failures,
        ),
    ]
    hist = f"{ns}_operation_duration_seconds"
    for bound in (*DEFAULT_BUCKETS_SECONDS, math.inf):
        le = "+Inf" if bound == math.inf else repr(bound)
        count = traffic.requests if traffic.seconds <= bound else 0
        out.append(line(f"{hist}_bucket", f'{where},le="{le}"', count))
    out.append(line(f"{hist}_count", where, traffic.requests))
    out.append(line(f"{hist}_sum", where, traffic.requests * traffic.seconds))
    return out


def _test(
    rule: Mapping[str, Any], config: AlertConfiguration, breach: bool, ns: str
) -> dict[str, Any] | None:
    window = parse_time_range(config.window).unwrap().total_seconds()
    window_steps = max(1, math.floor(window / STEP))
    traffic = traffic_for(config, breach, window_steps)
    if traffic is None or _measured(config, traffic) not in (None, breach):
        return None
    eval_seconds = math.ceil((window + config.for_seconds) / STEP) * STEP + 4 * STEP
    operation = "checkout" if config.operation == "*" else config.operation
    expected = []
    if breach:
        expected.append(
            {"exp_labels": dict(rule["labels"]), "exp_annotations": dict(rule["annotations"])}
        )
    return {
        "name": f"{rule['alert']} {'fires' if breach else 'stays quiet'}",
        "interval": f"{STEP}s",
        "input_series": _series(ns, operation, traffic, eval_seconds // STEP + 2),
        "alert_rule_test": [
            {"eval_time": f"{eval_seconds}s", "alertname": rule["alert"], "exp_alerts": expected}
        ],
    }


def rule_tests(
    configs: Iterable[AlertConfiguration | Mapping[str, Any]] | None = None,
    *,
    rule_file: str = "rules.yml",
    namespace: str = "rfs",
) -> dict[str, Any]:
    """The ``promtool test rules`` file for the rules of ``configs`` (None: the defaults),
    reading the rules from ``rule_file``.

    Raises:
        ConfigurationError: a configuration that does not validate, naming the field.
    """
    checked = [parse_alert_configuration(c) for c in (configs or DEFAULT_ALERTS)]
    rules = prometheus_rules(checked, namespace=namespace)["groups"][0]["rules"]
    tests = []
    for rule, config in zip(rules, checked, strict=True):
        for breach in (True, False):
            test = _test(rule, config, breach, namespace)
            if test is not None:
                tests.append(test)
    return {"rule_files": [rule_file], "evaluation_interval": f"{STEP}s", "tests": tests}


def render_rule_tests(
    configs: Iterable[AlertConfiguration | Mapping[str, Any]] | None = None,
    *,
    rule_file: str = "rules.yml",
    namespace: str = "rfs",
) -> str:
    """``rule_tests`` as YAML."""
    return to_yaml(rule_tests(configs, rule_file=rule_file, namespace=namespace))
