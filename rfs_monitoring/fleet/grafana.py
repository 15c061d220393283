"""The Grafana dashboard of the exported metrics, shipped as package data.

``dashboard_json()`` gives the dashboard (``grafana_dashboard.json``: availability, volume by
class, latency percentiles, top error groups, per-instance breakdown; the Prometheus data
source is an input, ``${DS_PROMETHEUS}``, chosen at import); ``rfs-monitoring
grafana-dashboard`` prints it. ``panel_expressions()`` lists every panel's PromQL, with the
dashboard variables replaced by values Prometheus accepts, to check or evaluate them.
"""

from __future__ import annotations

import importlib.resources
import json
from collections.abc import Mapping
from typing import Any

__all__ = ["DASHBOARD_FILE", "VARIABLES", "dashboard_json", "dashboard_text", "panel_expressions"]

DASHBOARD_FILE = "grafana_dashboard.json"
"""The dashboard's file in this package."""

VARIABLES: Mapping[str, str] = {
    "$__rate_interval": "1m",
    "$__range": "1h",
    "$operation": ".*",
}
"""What ``panel_expressions`` puts in place of each dashboard variable."""


def dashboard_text() -> str:
    """The dashboard as shipped (JSON text, for Grafana's import)."""
    return (
        importlib.resources.files("rfs_monitoring.fleet")
        .joinpath(DASHBOARD_FILE)
        .read_text(encoding="utf-8")
    )


def dashboard_json() -> dict[str, Any]:
    """The dashboard as a dict."""
    loaded: dict[str, Any] = json.loads(dashboard_text())
    return loaded


def panel_expressions(
    *, substitute: bool = True, variables: Mapping[str, str] = VARIABLES
) -> dict[str, str]:
    """Every panel target's PromQL by ``"<panel title> [<refId>]"``.

    ``substitute``: replace the dashboard variables by ``variables`` (longest name first),
    giving PromQL that Prometheus evaluates as is.
    """
    out: dict[str, str] = {}
    for panel in dashboard_json()["panels"]:
        for target in panel.get("targets", []):
            expr = str(target["expr"])
            if substitute:
                for name in sorted(variables, key=len, reverse=True):
                    expr = expr.replace(name, variables[name])
            out[f"{panel['title']} [{target['refId']}]"] = expr
    return out
