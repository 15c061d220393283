"""``rfs-monitoring prometheus-rules`` and ``grafana-dashboard``."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from rfs_monitoring.__main__ import main
from rfs_monitoring.alerts import AlertConfiguration
from rfs_monitoring.fleet import dashboard_text, render_rules
from rfs_monitoring.fleet.cli import load_alert_configs

RULES = [{"operation": "pay", "metric": "error_rate", "threshold": 0.2, "severity": "critical"}]


class TestPrometheusRules:
    def test_without_config_the_default_rules_go_to_stdout(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main(["prometheus-rules"]) == 0
        assert capsys.readouterr().out == render_rules()

    def test_a_json_file_of_configurations(self, tmp_path: Path) -> None:
        config = tmp_path / "alerts.json"
        config.write_text(json.dumps(RULES))
        out = tmp_path / "rules.yml"
        assert main(["prometheus-rules", "--config", str(config), "--output", str(out)]) == 0
        assert out.read_text() == render_rules(RULES)

    def test_a_module_attribute(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        (tmp_path / "my_alerts.py").write_text(
            "from rfs_monitoring.alerts import AlertConfiguration\n"
            "def rules():\n"
            "    return [AlertConfiguration(metric='rps', comparison='<', threshold=1)]\n"
        )
        monkeypatch.chdir(tmp_path)
        loaded = load_alert_configs("my_alerts:rules")
        assert loaded == [AlertConfiguration(metric="rps", comparison="<", threshold=1)]

    @pytest.mark.parametrize(
        ("spec", "message"),
        [
            ("nowhere", "--config 'nowhere' is neither MODULE:ATTR nor an existing .json file"),
            ("json:nothing_here", "--config 'json:nothing_here' could not be loaded: "),
            ("json:__name__", "--config 'json:__name__' must give a list of "),
        ],
    )
    def test_a_bad_spec_exits_2_naming_it(
        self, spec: str, message: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        with pytest.raises(SystemExit) as info:
            main(["prometheus-rules", "--config", spec])
        assert info.value.code == 2
        assert message in capsys.readouterr().err

    def test_a_file_that_is_no_json_exits_2(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        bad = tmp_path / "alerts.json"
        bad.write_text("{not json")
        with pytest.raises(SystemExit):
            main(["prometheus-rules", "--config", str(bad)])
        assert f"--config {str(bad)!r} is no readable JSON file" in capsys.readouterr().err

    def test_an_invalid_configuration_exits_2_naming_the_field(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        bad = tmp_path / "alerts.json"
        bad.write_text(json.dumps([{"metric": "error_rate", "threshold": 7}]))
        with pytest.raises(SystemExit):
            main(["prometheus-rules", "--config", str(bad)])
        assert "threshold 7.0 is out of range for metric 'error_rate'" in capsys.readouterr().err

    @pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is missing")
    def test_the_written_tests_pass_promtool_from_another_folder(self, tmp_path: Path) -> None:
        (tmp_path / "rules").mkdir()
        (tmp_path / "tests").mkdir()
        rules, tests = tmp_path / "rules" / "r.yml", tmp_path / "tests" / "t.yml"
        argv = ["prometheus-rules", "--output", str(rules), "--tests", str(tests)]
        assert main(argv) == 0
        done = subprocess.run(
            ["promtool", "test", "rules", str(tests)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr


class TestGrafanaDashboard:
    def test_prints_the_dashboard(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["grafana-dashboard"]) == 0
        assert capsys.readouterr().out == dashboard_text()

    def test_writes_it_to_a_file(self, tmp_path: Path) -> None:
        out = tmp_path / "dash.json"
        assert main(["grafana-dashboard", "--output", str(out)]) == 0
        assert json.loads(out.read_text())["uid"] == "rfs-monitoring-fleet"

    def test_the_console_script_runs_it(self) -> None:
        done = subprocess.run(
            [shutil.which("rfs-monitoring") or "rfs-monitoring", "grafana-dashboard"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert json.loads(done.stdout)["title"] == "rfs-monitoring: fleet"
