"""Baselines: ``--rfs-metrics-compare=PATH`` and ``--rfs-metrics-compare-fail=EXPR``."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pytest_rfs.report import (
    CompareRule,
    Comparison,
    load_baseline,
    load_schema,
    parse_rules,
    render_comparison,
    render_regressions,
)
from pytest_rfs.report.baseline import compared_figures
from pytest_rfs.report.thresholds import ACCEPTED_RULES

INI = """\
[pytest]
asyncio_default_fixture_loop_scope = function
{extra}
"""

# One suite, two runs: RFS_RUN=current makes fetch slower, save fail once, and swaps the
# operation "gone" for "new_op".
SUITE = """\
import os

from rfs_monitoring.metrics import ResultMetricsCollector


def rec(op, ok=True, ms=1.0, code=None):
    ResultMetricsCollector.instance().record(
        op, success=ok, duration_ms=ms, error_code=code, error_type=None if ok else "E"
    )


def current():
    return os.environ.get("RFS_RUN") == "current"


def test_a():
    rec("fetch", ms=2.0)
    rec("fetch", ms=8.0 if current() else 4.0)
    rec("save", ok=not current(), ms=1.0, code="E1")
    rec("save", ms=1.0)


def test_b():
    rec("new_op" if current() else "gone", ms=1.0)
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """The suite, its baseline run written to base.json, and RFS_RUN=current for the next."""
    monkeypatch.setenv("COLUMNS", "500")  # long tmp paths: lines are checked whole
    pytester.makefile(".ini", pytest=INI.format(extra=""))
    pytester.makepyfile(test_suite=SUITE)
    monkeypatch.setenv("RFS_RUN", "base")
    pytester.runpytest("--rfs-metrics-report=json:base.json").assert_outcomes(passed=2)
    monkeypatch.setenv("RFS_RUN", "current")
    return pytester


def read_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.validate(data, load_schema(), cls=jsonschema.Draft202012Validator)
    return data


class TestDeltas:
    def test_the_terminal_shows_per_operation_deltas(self, project: pytest.Pytester) -> None:
        result = project.runpytest("--rfs-metrics-compare=base.json")
        result.assert_outcomes(passed=2)
        assert result.ret == pytest.ExitCode.OK
        result.stdout.fnmatch_lines(
            [
                f"-* rfs metrics: compared with {project.path / 'base.json'} -*",
                "Operation    Calls         p50 ms           p99 ms  Fail% (points)",
                "-*",
                "fetch       2 (+0)  2.000 (+0.0%)  8.000 (+100.0%)     0.0% (+0.0)",
                "save        2 (+0)  1.000 (+0.0%)    1.000 (+0.0%)   50.0% (+50.0)",
                "new_op     1 (new)          1.000            1.000            0.0%",
                "gone       removed              -                -               -",
                "-*",
            ]
        )
        result.stdout.no_fnmatch_line("*FAILED*")

    def test_the_json_report_carries_the_comparison(self, project: pytest.Pytester) -> None:
        project.runpytest(
            "--rfs-metrics-compare=base.json", "--rfs-metrics-report=json:now.json"
        ).assert_outcomes(passed=2)
        comparison = read_json(project.path / "now.json")["comparison"]
        assert comparison["baseline"] == str(project.path / "base.json")
        assert comparison["rules"] == []
        assert comparison["regressions"] == []
        operations = comparison["operations"]
        assert {name: op["status"] for name, op in operations.items()} == {
            "fetch": "compared",
            "gone": "removed",
            "new_op": "new",
            "save": "compared",
        }
        fetch = operations["fetch"]
        assert (fetch["baseline"]["p99_ms"], fetch["current"]["p99_ms"]) == (4.0, 8.0)
        assert fetch["delta"] == {
            "count": 0,
            "failures": 0,
            "failure_rate": 0.0,
            "p50_ms": 0.0,
            "p90_ms": 4.0,
            "p99_ms": 4.0,
            "max_ms": 4.0,
            "total_ms": 4.0,
        }
        assert operations["save"]["delta"]["failure_rate"] == 0.5
        assert operations["gone"]["current"] is None
        assert operations["gone"]["delta"] is None
        assert operations["new_op"]["baseline"] is None

    def test_without_compare_the_json_has_no_comparison(self, project: pytest.Pytester) -> None:
        project.runpytest("--rfs-metrics-report=json:now.json").assert_outcomes(passed=2)
        assert "comparison" not in read_json(project.path / "now.json")

    def test_the_baseline_may_be_the_file_being_rewritten(self, project: pytest.Pytester) -> None:
        """Read at start-up, written at the end: each run compares with the previous one."""
        result = project.runpytest(
            "--rfs-metrics-compare=base.json", "--rfs-metrics-report=json:base.json"
        )
        result.stdout.fnmatch_lines(["fetch * 8.000 (+100.0%) *"])
        data = read_json(project.path / "base.json")
        assert data["operations"]["fetch"]["p99_ms"] == 8.0
        assert data["comparison"]["operations"]["fetch"]["baseline"]["p99_ms"] == 4.0

    def test_ini_twin_names_the_baseline(self, project: pytest.Pytester) -> None:
        project.makefile(".ini", pytest=INI.format(extra="rfs_metrics_compare = base.json"))
        result = project.runpytest()
        result.stdout.fnmatch_lines(["-* rfs metrics: compared with *base.json -*"])


class TestCompareFail:
    def test_a_regression_fails_the_run_with_a_summary(self, project: pytest.Pytester) -> None:
        result = project.runpytest(
            "--rfs-metrics-compare=base.json", "--rfs-metrics-compare-fail=p99:10%"
        )
        result.assert_outcomes(passed=2)
        assert result.ret == pytest.ExitCode.TESTS_FAILED
        result.stdout.fnmatch_lines(
            [
                f"rfs metrics: FAILED: 1 regression against {project.path / 'base.json'} "
                "(--rfs-metrics-compare-fail=p99:10%):",
                "  fetch: p99 4.000 ms -> 8.000 ms (+100.0%), above p99:10%",
            ]
        )

    def test_within_the_thresholds_the_run_passes(self, project: pytest.Pytester) -> None:
        result = project.runpytest(
            "--rfs-metrics-compare=base.json", "--rfs-metrics-compare-fail=p99:100%,p50:0ms"
        )
        assert result.ret == pytest.ExitCode.OK
        result.stdout.no_fnmatch_line("*FAILED*")

    def test_several_rules_comma_separated_or_repeated(self, project: pytest.Pytester) -> None:
        result = project.runpytest(
            "--rfs-metrics-compare=base.json",
            "--rfs-metrics-compare-fail=p50:5ms,max:3.5",
            "--rfs-metrics-compare-fail=failure_rate:1%",
            "--rfs-metrics-compare-fail=count:0",
            "--rfs-metrics-report=json:now.json",
        )
        assert result.ret == pytest.ExitCode.TESTS_FAILED
        result.stdout.fnmatch_lines(
            [
                "rfs metrics: FAILED: 2 regressions against * "
                "(--rfs-metrics-compare-fail=p50:5ms,max:3.5,failure_rate:1%,count:0):",
                "  fetch: max 4.000 ms -> 8.000 ms (+4.000 ms), above max:3.5",
                "  save: failure_rate 0.0% -> 50.0% (+50.0 points), above failure_rate:1%",
            ]
        )
        regressions = read_json(project.path / "now.json")["comparison"]["regressions"]
        assert [(r["operation"], r["rule"], r["change"]) for r in regressions] == [
            ("fetch", "max:3.5", 4.0),
            ("save", "failure_rate:1%", 50.0),
        ]

    def test_ini_twins(self, project: pytest.Pytester) -> None:
        extra = "rfs_metrics_compare = base.json\nrfs_metrics_compare_fail = p99:10% count:5%"
        project.makefile(".ini", pytest=INI.format(extra=extra))
        result = project.runpytest()
        assert result.ret == pytest.ExitCode.TESTS_FAILED
        result.stdout.fnmatch_lines(["*(--rfs-metrics-compare-fail=p99:10%,count:5%):"])

    def test_failing_tests_keep_their_exit_status(self, project: pytest.Pytester) -> None:
        project.makepyfile(test_more="def test_broken():\n    assert False\n")
        result = project.runpytest(
            "--rfs-metrics-compare=base.json", "--rfs-metrics-compare-fail=p99:10%"
        )
        result.assert_outcomes(passed=2, failed=1)
        assert result.ret == pytest.ExitCode.TESTS_FAILED
        result.stdout.fnmatch_lines(["rfs metrics: FAILED: 1 regression *"])

    def test_under_xdist_the_controller_compares_the_aggregate(
        self, project: pytest.Pytester
    ) -> None:
        result = project.runpytest_subprocess(
            "-p",
            "no:cacheprovider",
            "-n",
            "2",
            "--rfs-metrics-compare=base.json",
            "--rfs-metrics-compare-fail=p99:10%,failure_rate:1%",
            "--rfs-metrics-report=json:xdist.json",
        )
        result.assert_outcomes(passed=2)
        assert result.ret == pytest.ExitCode.TESTS_FAILED
        result.stdout.fnmatch_lines(
            [
                "rfs metrics: FAILED: 2 regressions against *",
                "  fetch: p99 4.000 ms -> 8.000 ms (+100.0%), above p99:10%",
                "  save: failure_rate 0.0% -> 50.0% (+50.0 points), above failure_rate:1%",
            ]
        )
        assert result.stdout.str().count("rfs metrics: FAILED") == 1  # workers never compare
        comparison = read_json(project.path / "xdist.json")["comparison"]
        assert len(comparison["regressions"]) == 2


class TestUsageErrors:
    @pytest.mark.parametrize(
        ("value", "shown"),
        [
            ("p99:ten%", "'p99:ten%'"),
            ("p42:1%", "'p42:1%'"),
            ("count:1ms", "'count:1ms'"),
            ("failure_rate:1ms", "'failure_rate:1ms'"),
            ("p99", "'p99'"),
            ("p99:-1%", "'p99:-1%'"),
            ("p99:10%,", "'' (in 'p99:10%,')"),
            ("p99:10%,mean:1", "'mean:1' (in 'p99:10%,mean:1')"),
        ],
    )
    def test_a_bad_rule_is_named_with_the_accepted_forms(
        self, pytester: pytest.Pytester, value: str, shown: str
    ) -> None:
        pytester.makefile(".json", base="{}")
        result = pytester.runpytest(
            "--rfs-metrics-compare=base.json", f"--rfs-metrics-compare-fail={value}"
        )
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(
            [f"ERROR: --rfs-metrics-compare-fail: bad value {shown}; accepted: {ACCEPTED_RULES}"]
        )

    def test_a_bad_ini_rule_names_the_ini_option(self, pytester: pytest.Pytester) -> None:
        pytester.makefile(".ini", pytest=INI.format(extra="rfs_metrics_compare_fail = p99:x"))
        result = pytester.runpytest()
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(["ERROR: ini rfs_metrics_compare_fail: bad value 'p99:x'; *"])

    @pytest.mark.parametrize(
        ("ini", "args", "source"),
        [
            ("", ["--rfs-metrics-compare-fail=p99:10%"], "--rfs-metrics-compare-fail"),
            ("rfs_metrics_compare_fail = p99:10%", [], "ini rfs_metrics_compare_fail"),
        ],
    )
    def test_compare_fail_needs_a_baseline(
        self, pytester: pytest.Pytester, ini: str, args: list[str], source: str
    ) -> None:
        pytester.makefile(".ini", pytest=INI.format(extra=ini))
        result = pytester.runpytest(*args)
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(
            [
                f"ERROR: {source} requires --rfs-metrics-compare=PATH (or ini "
                "rfs_metrics_compare): the baseline the figures are compared with"
            ]
        )

    @pytest.mark.parametrize(
        ("content", "reason"),
        [
            (None, "No such file or directory"),
            ("{not json", "Expecting property name enclosed in double quotes: *"),
            ('{"schema_version": 2}', 'it has no "schema_version": 1'),
            ('{"schema_version": 1}', 'it has no "operations" object'),
            ('{"schema_version": 1, "operations": {"op": 3}}', "operation 'op' is 3, not an *"),
            (
                '{"schema_version": 1, "operations": {"op": {"count": "1"}}}',
                "operation 'op': count is '1', not a number",
            ),
            (
                '{"schema_version": 1, "operations": {"op": {"count": -1}}}',
                "operation 'op': count is -1, not a finite number >= 0",
            ),
        ],
    )
    def test_a_missing_or_invalid_baseline_names_the_path(
        self, pytester: pytest.Pytester, content: str | None, reason: str
    ) -> None:
        if content is not None:
            pytester.makefile(".json", base=content)
        result = pytester.runpytest("--rfs-metrics-compare=base.json")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        path = pytester.path / "base.json"
        result.stderr.fnmatch_lines(
            [
                f"ERROR: --rfs-metrics-compare: cannot use '{path}' as a baseline: {reason}; "
                "expected a JSON report written by --rfs-metrics-report=json:PATH"
            ]
        )

    def test_an_ini_baseline_that_is_missing_names_the_ini_option(
        self, pytester: pytest.Pytester
    ) -> None:
        pytester.makefile(".ini", pytest=INI.format(extra="rfs_metrics_compare = nowhere.json"))
        result = pytester.runpytest()
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(["ERROR: ini rfs_metrics_compare: cannot use '*nowhere.json'*"])


# --------------------------------------------------------------------------- units


def figures(**overrides: float) -> dict[str, float]:
    base = {
        "count": 10,
        "successes": 10,
        "failures": 0,
        "total_ms": 10.0,
        "p50_ms": 1.0,
        "p90_ms": 1.0,
        "p99_ms": 1.0,
        "max_ms": 1.0,
    }
    return compared_figures({**base, **overrides})


class TestRules:
    def test_the_forms_of_pytest_benchmark_are_accepted(self) -> None:
        rules = parse_rules(["p99:10%, p50:5ms", "max_ms:2.5", "count:0"], source="x")
        assert rules == (
            CompareRule("p99_ms", 10.0, percent=True, text="p99:10%"),
            CompareRule("p50_ms", 5.0, percent=False, text="p50:5ms"),
            CompareRule("max_ms", 2.5, percent=False, text="max:2.5"),
            CompareRule("count", 0.0, percent=False, text="count:0"),
        )

    def test_a_repeated_rule_is_kept_once(self) -> None:
        assert len(parse_rules(["p99:10%", "p99:10%"], source="x")) == 1

    @pytest.mark.parametrize(
        ("rule", "before", "after", "change", "fails"),
        [
            ("p99:10%", 10.0, 11.0, 10.0, False),  # exactly the threshold: not above
            ("p99:10%", 10.0, 11.5, 15.0, True),
            ("p99:10%", 10.0, 5.0, -50.0, False),  # faster never fails
            ("p99:10%", 0.0, 0.0, 0.0, False),
            ("p99:10%", 0.0, 0.1, math.inf, True),
            ("p50:5ms", 1.0, 6.5, 5.5, True),
            ("failure_rate:1%", 0.10, 0.105, 0.5, False),  # points, not relative
            ("failure_rate:0.01", 0.10, 0.125, 0.025, True),
            ("count:0", 3, 4, 1, True),
        ],
    )
    def test_change_and_failure(
        self, rule: str, before: float, after: float, change: float, fails: bool
    ) -> None:
        (parsed,) = parse_rules([rule], source="x")
        assert parsed.change(before, after) == pytest.approx(change)
        assert parsed.fails(before, after) is fails


class TestComparisonUnits:
    def test_an_infinite_change_is_null_in_json(self) -> None:
        (rule,) = parse_rules(["p99:10%"], source="x")
        comparison = Comparison.build(
            {"op": figures(p99_ms=2.0)}, {"op": figures(p99_ms=0.0)}, rules=[rule]
        )
        (regression,) = comparison.to_dict()["regressions"]
        assert regression["change"] is None
        assert regression["message"] == "op: p99 0.000 ms -> 2.000 ms (+inf%), above p99:10%"

    def test_a_count_regression_message(self) -> None:
        (rule,) = parse_rules(["count:0"], source="x")
        comparison = Comparison.build({"op": figures(count=12)}, {"op": figures()}, rules=[rule])
        assert comparison.regressions[0].message == "op: count 10 -> 12 (+2), above count:0"

    def test_no_operations_on_either_side(self) -> None:
        comparison = Comparison.build({}, {}, baseline_path="b.json")
        assert render_comparison(comparison) == ["rfs metrics: compared with b.json: no operations"]
        assert render_regressions(comparison) == []

    def test_top_limits_the_delta_table(self) -> None:
        current = {f"op{i}": figures(p99_ms=1.0 + i) for i in range(5)}
        comparison = Comparison.build(current, {name: figures() for name in current})
        lines = render_comparison(comparison, top=2)
        assert [line.split()[0] for line in lines[3:5]] == ["op4", "op3"]
        assert lines[-1] == "(3 more operations; --rfs-metrics-top=0 shows all)"

    def test_load_baseline_reads_the_session_figures(self, tmp_path: Path) -> None:
        path = tmp_path / "b.json"
        operation = {**figures(), "success_rate": 1.0, "errors": {}, "tests": []}
        path.write_text(json.dumps({"schema_version": 1, "operations": {"op": operation}}))
        assert load_baseline(path, source="x") == {"op": figures()}
