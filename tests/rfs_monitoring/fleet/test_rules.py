"""Prometheus alerting rules from AlertConfigurations, checked by the real promtool."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from rfs_monitoring import ConfigurationError
from rfs_monitoring.alerts import AlertConfiguration
from rfs_monitoring.alerts.config import ALERT_METRICS
from rfs_monitoring.fleet import (
    DEFAULT_ALERTS,
    metric_expression,
    prometheus_rules,
    render_rule_tests,
    render_rules,
    rule_tests,
)
from rfs_monitoring.fleet.promql import duration
from rfs_monitoring.fleet.rules import alert_name, to_yaml

PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool is missing (Debian package `prometheus`, .ci/system-deps)"
)


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run(
        [PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def every_metric() -> list[AlertConfiguration]:
    """One rule per metric and comparison side, with a window, a hold and a cooldown."""
    thresholds = {
        "availability": 0.99,
        "success_rate": 0.9,
        "error_rate": 0.1,
        "client_error_rate": 0.2,
        "rps": 5.0,
        "error_count": 3.0,
    }
    out = []
    for metric in ALERT_METRICS:
        for comparison in (">", "<="):
            out.append(
                AlertConfiguration(
                    operation="get_user" if comparison == ">" else "*",
                    metric=metric,  # type: ignore[arg-type]
                    comparison=comparison,
                    threshold=thresholds.get(metric, 100.0),
                    window="5m",
                    for_seconds=30,
                    cooldown_seconds=120,
                    min_requests=20,
                    severity="critical" if comparison == ">" else "info",
                )
            )
    return out


class TestRuleShape:
    def test_thresholds_windows_holds_and_severities_carry_over(self) -> None:
        config = AlertConfiguration(
            operation="user_retrieval",
            metric="p99_latency",
            threshold=250,
            window="15m",
            for_seconds=90,
            severity="critical",
            name="slow users",
            description="p99 too high",
            cooldown_seconds=600,
        )
        (rule,) = prometheus_rules([config])["groups"][0]["rules"]
        assert rule == {
            "alert": "RfsSlowUsers",
            "expr": (
                "(1000 * histogram_quantile(0.99, sum by (le) (rate("
                'rfs_operation_duration_seconds_bucket{operation="user_retrieval"}[900s]))))'
                " > 250.0 and on() (sum(increase("
                'rfs_operation_requests_total{operation="user_retrieval"}[900s])) >= 1)'
            ),
            "for": "90s",
            "labels": {
                "severity": "critical",
                "operation": "user_retrieval",
                "metric": "p99_latency",
            },
            "annotations": {
                "summary": "slow users",
                "threshold": "p99_latency > 250 over 15m",
                "description": "p99 too high",
                "cooldown_seconds": "600",
            },
        }

    def test_rate_and_count_metrics_need_no_traffic_guard(self) -> None:
        config = AlertConfiguration(metric="rps", comparison="<", threshold=1, window="1m")
        (rule,) = prometheus_rules([config])["groups"][0]["rules"]
        assert rule["expr"] == "(sum(rate(rfs_operation_requests_total[60s]))) < 1.0"
        assert "for" not in rule

    def test_rules_sharing_a_name_are_numbered(self) -> None:
        config = AlertConfiguration(metric="rps", threshold=1, name="busy")
        names = [r["alert"] for r in prometheus_rules([config, config])["groups"][0]["rules"]]
        assert names == ["RfsBusy", "RfsBusy2"]
        assert alert_name(config, 1) == "RfsBusy"

    def test_the_defaults_are_written_without_configurations(self) -> None:
        rules = prometheus_rules()["groups"][0]["rules"]
        assert [r["labels"]["severity"] for r in rules] == [c.severity for c in DEFAULT_ALERTS]

    def test_a_bad_configuration_is_named(self) -> None:
        with pytest.raises(ConfigurationError) as info:
            prometheus_rules([{"metric": "p99_latency", "threshold": 1, "window": "2h"}])
        assert "window" in str(info.value)

    def test_an_unknown_metric_has_no_promql(self) -> None:
        with pytest.raises(ConfigurationError) as info:
            metric_expression("rfs", "p42_latency", "*", "5m")
        assert str(info.value) == "no PromQL for alert metric 'p42_latency'"

    def test_a_bad_window_is_named(self) -> None:
        with pytest.raises(ConfigurationError) as info:
            duration("2h")
        assert "2h" in str(info.value)

    def test_fractional_durations_are_milliseconds(self) -> None:
        assert duration(1.5) == "1500ms"

    def test_yaml_of_empty_containers(self) -> None:
        assert to_yaml({}) == "{}\n"
        assert to_yaml({"a": [], "b": {}}) == "a: []\nb: {}\n"
        assert to_yaml(["x"]) == '- "x"\n'


@needs_promtool
class TestPromtool:
    def test_promtool_checks_the_rules_of_every_metric(self, tmp_path: Path) -> None:
        (tmp_path / "rules.yml").write_text(render_rules(every_metric()))
        done = promtool("check", "rules", "rules.yml", cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"SUCCESS: {len(every_metric())} rules found" in done.stdout

    @pytest.mark.parametrize(
        "configs", [None, every_metric()], ids=["default alerts", "every metric"]
    )
    def test_the_generated_unit_tests_pass(
        self, tmp_path: Path, configs: list[AlertConfiguration] | None
    ) -> None:
        (tmp_path / "rules.yml").write_text(render_rules(configs))
        (tmp_path / "tests.yml").write_text(render_rule_tests(configs))
        tests = rule_tests(configs)["tests"]
        fires = [t for t in tests if t["alert_rule_test"][0]["exp_alerts"]]
        assert len(fires) == len(tests) - len(fires) == len(configs or DEFAULT_ALERTS)
        done = promtool("test", "rules", "tests.yml", cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr

    def test_a_rule_with_another_threshold_fails_the_tests(self, tmp_path: Path) -> None:
        changed = [c.model_copy(update={"threshold": 0.9}) for c in DEFAULT_ALERTS[:1]]
        (tmp_path / "rules.yml").write_text(render_rules(changed))
        (tmp_path / "tests.yml").write_text(render_rule_tests(DEFAULT_ALERTS[:1]))
        done = promtool("test", "rules", "tests.yml", cwd=tmp_path)
        assert done.returncode != 0
        assert "FAILED" in done.stdout + done.stderr


class TestUnitTestGeneration:
    def test_no_test_is_written_where_no_traffic_reaches_a_side(self) -> None:
        configs = [
            AlertConfiguration(metric="rps", comparison="==", threshold=1, name="exact"),
            AlertConfiguration(metric="error_rate", comparison=">", threshold=1.0, name="all"),
            AlertConfiguration(metric="p99_latency", threshold=60_000, name="minute"),
        ]
        names = [t["name"] for t in rule_tests(configs)["tests"]]
        assert names == ["RfsAll stays quiet", "RfsMinute stays quiet"]

    def test_the_rule_file_is_named_as_asked(self) -> None:
        assert rule_tests(rule_file="../rules/r.yml")["rule_files"] == ["../rules/r.yml"]
