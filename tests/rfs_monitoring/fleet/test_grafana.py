"""The Grafana dashboard shipped as package data: its structure and every panel's PromQL."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from rfs_monitoring.fleet import dashboard_json, dashboard_text, panel_expressions
from rfs_monitoring.fleet.rules import to_yaml

PROMTOOL = shutil.which("promtool")


class TestStructure:
    def test_the_text_is_the_dict(self) -> None:
        assert json.loads(dashboard_text()) == dashboard_json()

    def test_panels_have_unique_ids_a_place_and_prometheus_targets(self) -> None:
        panels = dashboard_json()["panels"]
        assert len({p["id"] for p in panels}) == len(panels)
        for panel in panels:
            assert {"x", "y", "w", "h"} <= panel["gridPos"].keys()
            assert panel["datasource"] == {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
            assert panel["targets"], panel["title"]
            for target in panel["targets"]:
                assert target["expr"]
                assert target["refId"]

    def test_the_data_source_is_an_input_and_operation_a_variable(self) -> None:
        dashboard = dashboard_json()
        assert [i["name"] for i in dashboard["__inputs"]] == ["DS_PROMETHEUS"]
        variables = {v["name"]: v for v in dashboard["templating"]["list"]}
        assert variables["operation"]["allValue"] == ".*"

    def test_the_promised_views_are_there(self) -> None:
        titles = {p["title"] for p in dashboard_json()["panels"]}
        assert {
            "Availability",
            "Volume by class",
            "Latency percentiles",
            "Top error groups",
            "Requests per second by instance",
            "p99 latency by instance",
        } <= titles
        exprs = panel_expressions()
        latency = [e for k, e in exprs.items() if k.startswith("Latency percentiles")]
        assert [e.split(",")[0] for e in latency] == [
            "histogram_quantile(0.5",
            "histogram_quantile(0.9",
            "histogram_quantile(0.99",
        ]
        assert "rfs_operation_error_groups_total" in exprs["Top error groups [A]"]
        assert "sum by (instance)" in exprs["Requests per second by instance [A]"]

    def test_variables_are_substituted_only_when_asked(self) -> None:
        raw = panel_expressions(substitute=False)["Availability [A]"]
        assert "$__rate_interval" in raw
        assert '$operation"' in raw
        done = panel_expressions()["Availability [A]"]
        assert "$" not in done
        assert "[1m]" in done
        assert 'operation=~".*"' in done


@pytest.mark.skipif(
    PROMTOOL is None, reason="promtool is missing (Debian package `prometheus`, .ci/system-deps)"
)
def test_every_panel_expression_parses_with_promtool(tmp_path: Path) -> None:
    exprs = panel_expressions()
    rules = [{"record": f"rfs:panel_{i}", "expr": e} for i, e in enumerate(exprs.values())]
    (tmp_path / "panels.yml").write_text(to_yaml({"groups": [{"name": "p", "rules": rules}]}))
    assert PROMTOOL is not None
    done = subprocess.run(
        [PROMTOOL, "check", "rules", "panels.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(exprs)} rules found" in done.stdout
