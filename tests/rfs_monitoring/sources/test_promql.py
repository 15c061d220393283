"""The PromQL of each figure, spelled out exactly, and valid for Prometheus's own parser."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from rfs_monitoring.sources import promql

NAMES = promql.MetricNames.of("rfs")
REQUESTS = "rfs_operation_requests_total"


class TestNames:
    def test_the_exported_names_under_a_namespace(self) -> None:
        assert promql.MetricNames.of("shop") == promql.MetricNames(
            requests="shop_operation_requests_total",
            errors="shop_operation_errors_total",
            groups="shop_operation_error_groups_total",
            duration="shop_operation_duration_seconds",
        )


class TestSelector:
    def test_all_operations_have_no_matcher(self) -> None:
        assert promql.selector(None) == ""

    def test_a_name_is_a_quoted_literal(self) -> None:
        assert promql.selector("user_retrieval") == '{operation="user_retrieval"}'

    def test_quotes_backslashes_and_newlines_cannot_leave_the_literal(self) -> None:
        assert promql.selector('a"} or vector(1) #\\\n') == (
            '{operation="a\\"} or vector(1) #\\\\\\n"}'
        )


class TestWindowCount:
    def test_now_minus_a_window_ago_or_all_of_a_younger_series(self) -> None:
        assert promql.window_count(REQUESTS, "", ["operation", "outcome"], 3600) == (
            "(sum by (operation, outcome) (rfs_operation_requests_total)"
            " - sum by (operation, outcome) (rfs_operation_requests_total offset 3600000ms))"
            " >= 0 or sum by (operation, outcome) (rfs_operation_requests_total)"
        )

    def test_without_grouping_and_with_a_matcher(self) -> None:
        assert promql.window_count(REQUESTS, '{operation="a"}', [], 90.5) == (
            '(sum (rfs_operation_requests_total{operation="a"})'
            ' - sum (rfs_operation_requests_total{operation="a"} offset 90500ms))'
            ' >= 0 or sum (rfs_operation_requests_total{operation="a"})'
        )

    def test_durations_are_whole_milliseconds_of_at_least_one(self) -> None:
        assert promql.duration(0.0001) == "1ms"
        assert promql.duration(1.2345) == "1234ms"


class TestQuantiles:
    def test_histogram_quantile_of_each_level_labelled(self) -> None:
        buckets = promql.window_count(
            "rfs_operation_duration_seconds_bucket", "", ["operation", "le"], 300
        )
        assert promql.quantiles(NAMES.duration, "", ["operation"], 300, (0.5, 0.99)) == (
            f'label_replace(histogram_quantile(0.5, {buckets}), "quantile", "0.5", "", "")'
            f' or label_replace(histogram_quantile(0.99, {buckets}), "quantile", "0.99", "", "")'
        )


class TestFirstSeen:
    def test_the_oldest_sample_timestamp_in_the_window(self) -> None:
        assert promql.first_seen(REQUESTS, "", ["operation"], 300, 1.25) == (
            "min by (operation) (min_over_time("
            "timestamp(rfs_operation_requests_total)[300000ms:1250ms])"
            " or timestamp(rfs_operation_requests_total))"
        )


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_every_expression_parses_with_promtool(tmp_path: Path) -> None:
    """Prometheus's own parser accepts every kind of expression (as recording rules)."""
    match = promql.selector('odd "name"\\')
    expressions = [
        promql.window_count(NAMES.requests, match, ["operation", "outcome"], 3600),
        promql.window_count(NAMES.groups, "", ["operation", "error_group"], 60),
        promql.quantiles(NAMES.duration, match, ["operation"], 300),
        promql.quantiles(NAMES.duration, "", [], 300),
        promql.first_seen(NAMES.requests, match, ["operation"], 300, 1.25),
    ]
    rules = "groups:\n- name: t\n  rules:\n" + "".join(
        f"  - record: r{i}\n    expr: '{e.replace(chr(39), chr(39) * 2)}'\n"
        for i, e in enumerate(expressions)
    )
    path = tmp_path / "rules.yml"
    path.write_text(rules, encoding="utf-8")
    done = subprocess.run(
        ["promtool", "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(expressions)} rules found" in done.stdout
