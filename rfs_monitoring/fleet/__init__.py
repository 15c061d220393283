"""Fleets on Prometheus: alerting rules, their promtool tests and the Grafana dashboard.

=========  ==============================================================================
promql     the PromQL of every alert metric over the exported families
rules      ``prometheus_rules`` / ``render_rules``: AlertConfigurations as alerting rules
ruletests  ``rule_tests``: ``promtool test rules`` files for those rules
grafana    ``dashboard_json`` / ``panel_expressions``: the dashboard shipped as package data
=========  ==============================================================================

Needs the ``fastapi`` extra (pydantic, for ``AlertConfiguration``).
"""

from __future__ import annotations

from rfs_monitoring.fleet.grafana import dashboard_json, dashboard_text, panel_expressions
from rfs_monitoring.fleet.promql import metric_expression
from rfs_monitoring.fleet.rules import DEFAULT_ALERTS, prometheus_rules, render_rules
from rfs_monitoring.fleet.ruletests import render_rule_tests, rule_tests

__all__ = [
    "DEFAULT_ALERTS",
    "dashboard_json",
    "dashboard_text",
    "metric_expression",
    "panel_expressions",
    "prometheus_rules",
    "render_rule_tests",
    "render_rules",
    "rule_tests",
]
