"""The per-test metrics report: ``--rfs-metrics-report``, the ``rfs_budget`` marker, hooks."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import hypothesis.internal.observability  # noqa: F401 - see below
import jsonschema
import pytest

from pytest_rfs import report as rpt
from pytest_rfs.report import (
    Budget,
    MetricsReport,
    OperationFigures,
    ReportColumn,
    TestMetrics,
    percentile,
    render_terminal,
    summarize_samples,
)
from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.metrics import MetricSample, ResultMetricsCollector

# hypothesis is imported above although unused: the in-process pytester runs restore
# sys.modules afterwards, so a module first imported inside them (hypothesis, by its pytest
# plugin's terminal summary) would be imported and assertion-rewritten again in every run.

INI = """\
[pytest]
asyncio_default_fixture_loop_scope = function
{extra}
"""

# Recorded straight into the default collector (what @log_result_operation does per call).
SUITE = """\
import pytest
from rfs_monitoring.metrics import ResultMetricsCollector


def rec(op, ok=True, ms=1.0, code=None):
    ResultMetricsCollector.instance().record(
        op, success=ok, duration_ms=ms, error_code=code, error_type=None if ok else "E"
    )


def test_a():
    rec("fetch", ms=2.0)
    rec("fetch", ms=4.0)
    rec("save", ok=False, ms=1.5, code="NOT_FOUND")


def test_b():
    rec("fetch", ms=8.0)
    rec("save", ms=0.5)


def test_c():
    rec("save", ok=False, ms=3.0, code="TIMEOUT")
    rec("save", ok=False, ms=2.5)


def test_quiet():
    pass
"""

ACCEPTED = (
    "'term' (the default when the option has no value), 'json:PATH' or 'junit' "
    "(properties in the --junitxml report)"
)


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wide terminal, so that lines are checked whole (test_report_output checks folding)."""
    monkeypatch.setenv("COLUMNS", "200")


def make_project(pytester: pytest.Pytester, suite: str = SUITE, ini: str = "") -> None:
    """A project with the standard suite and an ini file that isolates it from ours."""
    pytester.makefile(".ini", pytest=INI.format(extra=ini))
    pytester.makepyfile(test_suite=suite)


def read_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.validate(data, rpt.load_schema(), cls=jsonschema.Draft202012Validator)
    return data


def sample(op: str, ms: float, ok: bool = True, code: str | None = None) -> MetricSample:
    return MetricSample(op, ok, ms, code, None if ok else "E", None, 0.0)


# --------------------------------------------------------------------------- options


class TestOptions:
    def test_help_lists_the_options_in_the_rfs_group(self, pytester: pytest.Pytester) -> None:
        make_project(pytester)
        result = pytester.runpytest("--help")
        result.stdout.fnmatch_lines(
            [
                "rfs-monitoring: Result-pattern testing and metrics:",
                "*--rfs-metrics-report*FORMAT*",
                "*--rfs-metrics-top=N*",
                "*--rfs-metrics-raw*",
                "*--rfs-metrics-compare=PATH*",
                "*--rfs-metrics-compare-fail=EXPR*",
                "*p99:10% (more than 10% slower), p50:5ms, count:0,*",
            ]
        )
        result.stdout.fnmatch_lines(
            [
                "*rfs_metrics_report (args):*",
                "*rfs_metrics_top*",
                "*rfs_metrics_compare (string):*",
                "*rfs_metrics_compare_fail (args):*",
            ]
        )

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (
                ["--rfs-metrics-report=xml"],
                f"ERROR: --rfs-metrics-report: bad value 'xml'; accepted: {ACCEPTED}, repeat "
                "the option for several (to put test paths right after it, write "
                "--rfs-metrics-report=term)",
            ),
            (
                ["--rfs-metrics-report=json:"],
                f"ERROR: --rfs-metrics-report: bad value 'json:'; accepted: {ACCEPTED}, *",
            ),
            (
                ["--rfs-metrics-report", "--rfs-metrics-top=-1"],
                "ERROR: --rfs-metrics-top: bad value '-1'; accepted: an integer >= 0 "
                "(0 shows all rows)",
            ),
            (
                ["--rfs-metrics-top", "many"],
                "ERROR: --rfs-metrics-top: bad value 'many'; accepted: an integer >= 0 "
                "(0 shows all rows)",
            ),
        ],
    )
    def test_a_bad_value_is_a_usage_error_naming_it(
        self, pytester: pytest.Pytester, args: list[str], message: str
    ) -> None:
        make_project(pytester)
        result = pytester.runpytest(*args)
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines([message])

    def test_a_test_path_swallowed_as_the_value_is_explained(
        self, pytester: pytest.Pytester
    ) -> None:
        make_project(pytester)
        result = pytester.runpytest("--rfs-metrics-report", "test_suite.py")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(
            ["ERROR: --rfs-metrics-report: bad value 'test_suite.py'; *--rfs-metrics-report=term)"]
        )

    @pytest.mark.parametrize(
        ("ini", "message"),
        [
            ("rfs_metrics_report = html", "ERROR: ini rfs_metrics_report: bad value 'html'; *"),
            ("rfs_metrics_top = ten", "ERROR: ini rfs_metrics_top: bad value 'ten'; *"),
        ],
    )
    def test_a_bad_ini_value_is_a_usage_error_naming_it(
        self, pytester: pytest.Pytester, ini: str, message: str
    ) -> None:
        make_project(pytester, ini=ini)
        result = pytester.runpytest()
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines([message])

    def test_ini_twins_turn_the_report_on(self, pytester: pytest.Pytester) -> None:
        make_project(
            pytester,
            ini="rfs_metrics_report = term json:ini.json\nrfs_metrics_top = 1\n"
            "rfs_metrics_raw = true",
        )
        result = pytester.runpytest()
        result.assert_outcomes(passed=4)
        result.stdout.fnmatch_lines(["(1 more operations; --rfs-metrics-top=0 shows all)"])
        data = read_json(pytester.path / "ini.json")
        assert data["raw_durations"] is True

    def test_the_command_line_wins_over_the_ini(self, pytester: pytest.Pytester) -> None:
        make_project(
            pytester,
            ini="rfs_metrics_report = json:ini.json\nrfs_metrics_top = 1\nrfs_metrics_raw = true",
        )
        result = pytester.runpytest(
            "--rfs-metrics-report=json:cli.json", "--rfs-metrics-top=0", "--rfs-metrics-raw"
        )
        result.assert_outcomes(passed=4)
        assert not (pytester.path / "ini.json").exists()
        assert read_json(pytester.path / "cli.json")["raw_durations"] is True

    def test_parse_formats_resolves_json_paths_once_each(self, tmp_path: Path) -> None:
        formats = rpt.parse_formats(
            ["json:a.json", " term ", "json:a.json", "json:sub/b.json"], source="x", base=tmp_path
        )
        assert formats.terminal is True
        assert formats.junit is False
        assert formats.json_paths == (tmp_path / "a.json", tmp_path / "sub" / "b.json")

    def test_settings_are_kept_in_the_config_stash(self, pytester: pytest.Pytester) -> None:
        make_project(pytester)
        config = pytester.parseconfigure("--rfs-metrics-report", "--rfs-metrics-top=3")
        settings = config.stash[rpt.SETTINGS_KEY]
        assert settings == rpt.ReportSettings(terminal=True, top=3)
        assert settings.enabled


# --------------------------------------------------------------------------- terminal


class TestTerminal:
    def test_the_table_lists_operations_by_total_time(self, pytester: pytest.Pytester) -> None:
        make_project(pytester)
        result = pytester.runpytest("--rfs-metrics-report")
        result.assert_outcomes(passed=4)
        result.stdout.fnmatch_lines(
            [
                "-* rfs metrics: 2 operations, 7 calls in 4 tests (times in ms) -*",
                "Operation  Calls  Failed  Fail%   Total    p50    p90    p99    Max  Tests",
                "-*",
                "fetch          3       0   0.0%  14.000  4.000  8.000  8.000  8.000      2",
                "save           4       3  75.0%   7.500  1.500  3.000  3.000  3.000      3",
                "-*",
                "Slowest p99:",
                "  fetch: p99 8.000 ms, max 8.000 ms (3 calls)",
                "  save: p99 3.000 ms, max 3.000 ms (4 calls)",
                "Highest failure rate:",
                "  save: 75.0% (3 of 4 calls; NOT_FOUND x1, TIMEOUT x1, UNKNOWN x1)",
                "Tests that exercised each operation:",
                "  fetch: test_suite.py::test_b (1 call), test_suite.py::test_a (2 calls)",
                "  save: test_suite.py::test_c (2 calls), test_suite.py::test_a (1 call),"
                " test_suite.py::test_b (1 call)",
            ]
        )

    def test_top_limits_every_table(self, pytester: pytest.Pytester) -> None:
        make_project(pytester)
        result = pytester.runpytest("--rfs-metrics-report", "--rfs-metrics-top", "1")
        result.stdout.fnmatch_lines(
            [
                "fetch  *",
                "-*",
                "(1 more operations; --rfs-metrics-top=0 shows all)",
                "Slowest p99:",
                "  fetch: *",
                "Highest failure rate:",
                "  save: 75.0% *",
                "Tests that exercised each operation:",
                "  fetch: test_suite.py::test_b (1 call), and 1 more",
            ]
        )
        result.stdout.no_fnmatch_line("save  *")

    def test_a_session_without_operations_says_so(self, pytester: pytest.Pytester) -> None:
        make_project(pytester, suite="def test_nothing():\n    pass\n")
        result = pytester.runpytest("--rfs-metrics-report")
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines(["rfs metrics: no Result operations were recorded"])

    def test_no_failures_is_stated(self) -> None:
        report = MetricsReport.from_tests(
            [TestMetrics("t.py::test", "passed", 0.1, summarize_samples([sample("op", 1.0)]))]
        )
        lines = render_terminal(report, top=0)
        assert "Highest failure rate: no operation failed" in lines
        assert lines[-1] == "  op: t.py::test (1 call)"

    def test_both_outputs_at_once_by_repeating_the_option(self, pytester: pytest.Pytester) -> None:
        make_project(pytester)
        result = pytester.runpytest(
            "--rfs-metrics-report", "--rfs-metrics-report=json:out/report.json"
        )
        result.stdout.fnmatch_lines(
            [
                "-* rfs metrics: 2 operations, 7 calls in 4 tests (times in ms) -*",
                f"rfs metrics: JSON report written to {pytester.path / 'out' / 'report.json'}",
            ]
        )
        assert read_json(pytester.path / "out" / "report.json")["summary"]["calls"] == 7

    def test_json_only_prints_no_table(self, pytester: pytest.Pytester) -> None:
        make_project(pytester)
        result = pytester.runpytest("--rfs-metrics-report=json:r.json")
        result.stdout.no_fnmatch_line("*rfs metrics: 2 operations*")
        result.stdout.fnmatch_lines(["rfs metrics: JSON report written to *r.json"])


# --------------------------------------------------------------------------- JSON


class TestJson:
    def test_the_document_is_small_by_default_and_matches_the_schema(
        self, pytester: pytest.Pytester
    ) -> None:
        make_project(pytester)
        pytester.runpytest("--rfs-metrics-report=json:r.json").assert_outcomes(passed=4)
        data = read_json(pytester.path / "r.json")
        assert data["schema_version"] == 1
        assert data["raw_durations"] is False
        assert data["summary"] == {
            "tests": 4,
            "tests_with_operations": 3,
            "operations": 2,
            "calls": 7,
            "failures": 3,
        }
        assert data["operations"]["save"] == {
            "count": 4,
            "successes": 1,
            "failures": 3,
            "success_rate": 0.25,
            "total_ms": 7.5,
            "p50_ms": 1.5,
            "p90_ms": 3.0,
            "p99_ms": 3.0,
            "max_ms": 3.0,
            "errors": {"NOT_FOUND": 1, "TIMEOUT": 1, "UNKNOWN": 1},
            "tests": ["test_suite.py::test_a", "test_suite.py::test_b", "test_suite.py::test_c"],
        }
        tests = {t["nodeid"]: t for t in data["tests"]}
        assert list(tests) == sorted(tests)
        test_a = tests["test_suite.py::test_a"]
        assert test_a["outcome"] == "passed"
        assert test_a["duration_s"] >= 0
        assert test_a["operations"]["fetch"] == {
            "count": 2,
            "successes": 2,
            "failures": 0,
            "success_rate": 1.0,
            "total_ms": 6.0,
            "p50_ms": 2.0,
            "p90_ms": 4.0,
            "p99_ms": 4.0,
            "max_ms": 4.0,
            "errors": {},
        }
        assert tests["test_suite.py::test_quiet"]["operations"] == {}
        assert "durations_ms" not in json.dumps(data)

    def test_raw_durations_only_with_the_opt_in_flag(self, pytester: pytest.Pytester) -> None:
        make_project(pytester)
        pytester.runpytest("--rfs-metrics-report=json:r.json", "--rfs-metrics-raw")
        data = read_json(pytester.path / "r.json")
        assert data["raw_durations"] is True
        tests = {t["nodeid"]: t for t in data["tests"]}
        assert tests["test_suite.py::test_c"]["operations"]["save"]["durations_ms"] == [2.5, 3.0]
        assert "durations_ms" not in data["operations"]["save"]

    def test_outcomes_follow_pytest_categories(self, pytester: pytest.Pytester) -> None:
        suite = SUITE + (
            "\n\ndef test_fails():\n    rec('fetch', ms=1.0)\n    assert False\n"
            "\n\n@pytest.mark.xfail(reason='known')\ndef test_xfail():\n    assert False\n"
            "\n\ndef test_skipped():\n    pytest.skip('no')\n"
            "\n\n@pytest.fixture\ndef broken():\n    yield\n    raise RuntimeError('teardown')\n"
            "\n\ndef test_teardown_error(broken):\n    rec('fetch', ms=1.0)\n"
        )
        make_project(pytester, suite=suite)
        result = pytester.runpytest("--rfs-metrics-report=json:r.json")
        result.assert_outcomes(passed=5, failed=1, xfailed=1, skipped=1, errors=1)
        tests = {t["nodeid"]: t for t in read_json(pytester.path / "r.json")["tests"]}
        outcomes = {nodeid.split("::")[1]: t["outcome"] for nodeid, t in tests.items()}
        assert outcomes == {
            "test_a": "passed",
            "test_b": "passed",
            "test_c": "passed",
            "test_quiet": "passed",
            "test_fails": "failed",
            "test_xfail": "xfailed",
            "test_skipped": "skipped",
            "test_teardown_error": "error",
        }
        # a failing test's operations are reported too
        assert tests["test_suite.py::test_fails"]["operations"]["fetch"]["count"] == 1

    def test_an_unwritable_path_is_reported_not_raised(self, pytester: pytest.Pytester) -> None:
        make_project(pytester)
        (pytester.path / "taken").write_text("a file, not a directory")
        result = pytester.runpytest("--rfs-metrics-report=json:taken/r.json")
        result.assert_outcomes(passed=4)
        result.stdout.fnmatch_lines(
            ["rfs metrics: could not write the JSON report to *taken*r.json: *"]
        )

    def test_the_report_types_are_exported(self) -> None:
        import pytest_rfs

        assert (pytest_rfs.MetricsReport, pytest_rfs.ReportColumn) == (MetricsReport, ReportColumn)

    def test_the_schema_ships_inside_the_package(self) -> None:
        schema = rpt.load_schema()
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["properties"]["schema_version"]["const"] == rpt.SCHEMA_VERSION


# --------------------------------------------------------------------------- JUnit XML


def junit_properties(path: Path) -> dict[str, dict[str, str]]:
    root = ET.parse(path).getroot()
    return {
        case.get("name", ""): {p.get("name", ""): p.get("value", "") for p in case.iter("property")}
        for case in root.iter("testcase")
    }


class TestJUnit:
    def test_each_figure_is_one_property_named_rfs_operation_figure(
        self, pytester: pytest.Pytester
    ) -> None:
        make_project(pytester)
        pytester.runpytest("--rfs-metrics-report=json:r.json", "--junitxml=junit.xml")
        test_a = junit_properties(pytester.path / "junit.xml")["test_a"]
        assert {k: v for k, v in test_a.items() if k.startswith("rfs.fetch.")} == {
            "rfs.fetch.count": "2",
            "rfs.fetch.successes": "2",
            "rfs.fetch.failures": "0",
            "rfs.fetch.success_rate": "1.0",
            "rfs.fetch.failure_rate": "0.0",
            "rfs.fetch.total_ms": "6.0",
            "rfs.fetch.p50_ms": "2.0",
            "rfs.fetch.p90_ms": "4.0",
            "rfs.fetch.p99_ms": "4.0",
            "rfs.fetch.max_ms": "4.0",
        }
        assert test_a["rfs.save.failure_rate"] == "1.0"
        assert test_a["rfs.save.errors.NOT_FOUND"] == "1"
        assert json.loads(test_a["rfs_metrics"])["operations"]["save"]["errors"] == {"NOT_FOUND": 1}
        assert props_of(pytester, "test_quiet") == {}


def props_of(pytester: pytest.Pytester, name: str) -> dict[str, str]:
    return junit_properties(pytester.path / "junit.xml")[name]


# --------------------------------------------------------------------------- xdist


class TestXdist:
    def test_totals_under_n2_equal_a_serial_run(self, pytester: pytest.Pytester) -> None:
        suite = SUITE + "".join(
            f"\n\ndef test_gen_{i}():\n"
            f"    for k in range({i % 5 + 1}):\n"
            f"        rec('gen{i % 3}', ok=k % 4 != 3, ms={i}.25 + k, code='C{i % 2}')\n"
            for i in range(24)
        )
        make_project(pytester, suite=suite)
        pytester.makeconftest(
            "def pytest_rfs_report_ready(report, config):\n"
            "    with open('ready.txt', 'a') as f:\n"
            "        f.write(f'{report.total_calls}\\n')\n"
        )
        serial = pytester.runpytest(
            "-p", "no:cacheprovider", "--rfs-metrics-report=json:serial.json"
        )
        serial.assert_outcomes(passed=28)
        parallel = pytester.runpytest_subprocess(
            "-p",
            "no:cacheprovider",
            "-n",
            "2",
            "--rfs-metrics-report",
            "--rfs-metrics-report=json:xdist.json",
            "--junitxml=xdist.xml",
        )
        parallel.assert_outcomes(passed=28)
        parallel.stdout.fnmatch_lines(["-* rfs metrics: 5 operations, * calls in 28 tests *-"])
        one, two = read_json(pytester.path / "serial.json"), read_json(pytester.path / "xdist.json")
        assert two["summary"] == one["summary"]
        assert two["operations"] == one["operations"]
        strip = [{**t, "duration_s": 0} for t in one["tests"]]
        assert [{**t, "duration_s": 0} for t in two["tests"]] == strip
        # the hook runs once per session, on the controller only
        calls = str(one["summary"]["calls"])
        assert (pytester.path / "ready.txt").read_text().split() == [calls, calls]
        test_a = junit_properties(pytester.path / "xdist.xml")["test_a"]
        assert (test_a["rfs.fetch.count"], test_a["rfs.save.errors.NOT_FOUND"]) == ("2", "1")


# --------------------------------------------------------------------------- budgets


BUDGET_SUITE = """\
import pytest
from rfs_monitoring.metrics import ResultMetricsCollector


def rec(op, ok=True, ms=1.0):
    ResultMetricsCollector.instance().record(op, success=ok, duration_ms=ms)


@pytest.mark.rfs_budget(operation="fetch", p99_ms=5, max_failure_rate=0.5)
def test_within():
    rec("fetch", ms=5.0)
    rec("fetch", ok=False, ms=1.0)


@pytest.mark.rfs_budget(operation="fetch", p99_ms=5)
def test_slow():
    rec("fetch", ms=2.0)
    rec("fetch", ms=12.5)


@pytest.mark.rfs_budget(operation="fetch", max_failure_rate=0.1)
def test_flaky():
    rec("fetch", ok=False)
    rec("fetch")


@pytest.mark.rfs_budget(operation="fetch", p99_ms=5)
def test_missing():
    rec("save")


@pytest.mark.rfs_budget(p99_ms=1)
@pytest.mark.rfs_budget(max_failure_rate=0)
def test_every_operation():
    rec("save", ms=3.0)
    rec("load", ok=False, ms=0.5)


@pytest.mark.rfs_budget(p99_ms=1)
def test_nothing_recorded():
    pass


@pytest.mark.rfs_budget(operation="fetch", p99_ms=1)
def test_own_failure_wins():
    rec("fetch", ms=9.0)
    assert 1 == 2
"""


class TestBudget:
    @pytest.fixture
    def result(self, pytester: pytest.Pytester) -> pytest.RunResult:
        make_project(pytester, suite=BUDGET_SUITE)
        return pytester.runpytest("-rf")  # without --rfs-metrics-report

    def test_outcomes(self, result: pytest.RunResult) -> None:
        result.assert_outcomes(passed=1, failed=6)

    def test_a_slow_p99_fails_the_test(self, result: pytest.RunResult) -> None:
        result.stdout.fnmatch_lines(
            [
                "*_ test_slow _*",
                "rfs_budget: operation 'fetch' p99 is 12.500 ms over 2 calls, above the budget "
                "of 5.000 ms",
            ]
        )

    def test_a_high_failure_rate_fails_the_test(self, result: pytest.RunResult) -> None:
        result.stdout.fnmatch_lines(
            [
                "*_ test_flaky _*",
                "rfs_budget: operation 'fetch' failed 1 of 2 calls (50.0%), above the budget "
                "of 10.0%",
            ]
        )

    def test_an_operation_that_never_ran_fails_the_test(self, result: pytest.RunResult) -> None:
        result.stdout.fnmatch_lines(
            [
                "*_ test_missing _*",
                "rfs_budget: operation 'fetch' recorded no calls during the test "
                "(recorded: 'save')",
            ]
        )

    def test_without_an_operation_every_operation_is_checked(
        self, result: pytest.RunResult
    ) -> None:
        result.stdout.fnmatch_lines(
            [
                "*_ test_every_operation _*",
                "rfs_budget: operation 'load' failed 1 of 1 call (100.0%), above the budget "
                "of 0.0%",
                "rfs_budget: operation 'save' p99 is 3.000 ms over 1 call, above the budget "
                "of 1.000 ms",
            ]
        )
        result.stdout.fnmatch_lines(
            ["*_ test_nothing_recorded _*", "rfs_budget: the test recorded no Result operations"]
        )

    def test_the_test_s_own_failure_is_reported_not_the_budget(
        self, result: pytest.RunResult
    ) -> None:
        result.stdout.fnmatch_lines(["FAILED test_suite.py::test_own_failure_wins - assert 1 == 2"])

    @pytest.mark.parametrize(
        ("marker", "message"),
        [
            (
                "rfs_budget('fetch', p99_ms=1)",
                "invalid marker: rfs_budget takes keyword arguments only (operation=..., "
                "p99_ms=..., max_failure_rate=...), got positional arguments ('fetch',)",
            ),
            (
                "rfs_budget(operation='fetch', p95_ms=1)",
                "invalid marker: rfs_budget got unknown argument(s) 'p95_ms'; accepted: "
                "operation, p99_ms, max_failure_rate",
            ),
            (
                "rfs_budget(operation='', p99_ms=1)",
                "invalid marker: rfs_budget operation must be a non-empty string, got ''",
            ),
            (
                "rfs_budget(operation='fetch', p99_ms=-1)",
                "invalid marker: rfs_budget p99_ms must be a number > 0 (milliseconds), got -1",
            ),
            (
                "rfs_budget(operation='fetch', p99_ms=True)",
                "invalid marker: rfs_budget p99_ms must be a number > 0 (milliseconds), got True",
            ),
            (
                "rfs_budget(operation='fetch', max_failure_rate=1.5)",
                "invalid marker: rfs_budget max_failure_rate must be a number from 0 to 1, got 1.5",
            ),
            (
                "rfs_budget(operation='fetch')",
                "invalid marker: rfs_budget needs p99_ms and/or max_failure_rate, got neither",
            ),
        ],
    )
    def test_a_bad_marker_argument_is_a_clear_error(
        self, pytester: pytest.Pytester, marker: str, message: str
    ) -> None:
        make_project(
            pytester,
            suite=f"import pytest\n\n\n@pytest.mark.{marker}\ndef test_x():\n    pass\n",
        )
        result = pytester.runpytest()
        result.assert_outcomes(errors=1)
        result.stdout.fnmatch_lines(["*_ ERROR at setup of test_x _*", message])

    def test_budgets_and_the_report_work_together(self, pytester: pytest.Pytester) -> None:
        make_project(pytester, suite=BUDGET_SUITE)
        result = pytester.runpytest("--rfs-metrics-report=json:r.json")
        result.assert_outcomes(passed=1, failed=6)
        tests = {t["nodeid"]: t for t in read_json(pytester.path / "r.json")["tests"]}
        slow = tests["test_suite.py::test_slow"]
        assert (slow["outcome"], slow["operations"]["fetch"]["p99_ms"]) == ("failed", 12.5)

    def test_the_budget_class_validates_without_pytest(self) -> None:
        with pytest.raises(ConfigurationError, match="got neither"):
            Budget.from_marker(pytest.mark.rfs_budget.mark)
        budget = Budget.from_marker(pytest.mark.rfs_budget(operation="op", p99_ms=2).mark)
        assert budget == Budget(operation="op", p99_ms=2.0, max_failure_rate=None)
        assert budget.violations(summarize_samples([sample("op", 2.0)])) == []


# --------------------------------------------------------------------------- pluggy hooks


class TestHooks:
    def test_a_conftest_adds_a_column(self, pytester: pytest.Pytester) -> None:
        make_project(pytester)
        pytester.makeconftest(
            "from pytest_rfs import ReportColumn\n\n\n"
            "def pytest_rfs_report_columns(config):\n"
            "    return [ReportColumn('Codes', lambda op: len(op.errors))]\n"
        )
        result = pytester.runpytest("--rfs-metrics-report")
        result.stdout.fnmatch_lines(
            ["Operation * Max  Tests  Codes", "fetch  * 2      0", "save  * 3      3"]
        )

    def test_a_conftest_receives_the_report(self, pytester: pytest.Pytester) -> None:
        make_project(pytester)
        pytester.makeconftest(
            "import json\n\n\n"
            "def pytest_rfs_report_ready(report, config):\n"
            "    print('ready', report.total_calls, report.total_failures,\n"
            "          [op.operation for op in report.slowest_p99()])\n"
            "    with open('shipped.json', 'w') as f:\n"
            "        json.dump(report.to_dict(), f)\n"
        )
        result = pytester.runpytest("-s", "--rfs-metrics-report=json:r.json")
        result.stdout.fnmatch_lines(["*ready 7 3 ?'fetch', 'save'?*"])
        shipped = json.loads((pytester.path / "shipped.json").read_text())
        assert shipped == read_json(pytester.path / "r.json")

    def test_hooks_are_not_called_without_the_flag(self, pytester: pytest.Pytester) -> None:
        make_project(pytester)
        pytester.makeconftest(
            "def pytest_rfs_report_ready(report, config):\n    raise AssertionError('called')\n"
        )
        pytester.runpytest().assert_outcomes(passed=4)


# --------------------------------------------------------------------------- off / disabled


class TestOff:
    @pytest.fixture
    def subscriptions(self, monkeypatch: pytest.MonkeyPatch) -> list[object]:
        calls: list[object] = []
        original = ResultMetricsCollector.subscribe

        def counting(self: ResultMetricsCollector, fn: Any) -> Any:
            calls.append(fn)
            return original(self, fn)

        monkeypatch.setattr(ResultMetricsCollector, "subscribe", counting)
        return calls

    def test_without_the_flag_nothing_is_recorded_per_test(
        self, pytester: pytest.Pytester, subscriptions: list[object]
    ) -> None:
        make_project(pytester)
        result = pytester.runpytest("--junitxml=junit.xml")
        result.assert_outcomes(passed=4)
        assert subscriptions == []
        assert all(p == {} for p in junit_properties(pytester.path / "junit.xml").values())
        result.stdout.no_fnmatch_line("*rfs metrics*")

    def test_with_the_flag_each_test_call_subscribes_once(
        self, pytester: pytest.Pytester, subscriptions: list[object]
    ) -> None:
        make_project(pytester)
        pytester.runpytest("--rfs-metrics-report").assert_outcomes(passed=4)
        assert len(subscriptions) == 4

    def test_without_the_flag_only_budget_tests_subscribe(
        self, pytester: pytest.Pytester, subscriptions: list[object]
    ) -> None:
        make_project(
            pytester,
            suite=SUITE + "\n\n@pytest.mark.rfs_budget(operation='fetch', p99_ms=100)\n"
            "def test_budget():\n    rec('fetch')\n",
        )
        pytester.runpytest().assert_outcomes(passed=5)
        assert len(subscriptions) == 1

    def test_no_rfs_disables_everything(self, pytester: pytest.Pytester) -> None:
        make_project(pytester)
        result = pytester.runpytest("-p", "no:rfs")
        result.assert_outcomes(passed=4)
        result.stdout.no_fnmatch_line("*rfs metrics*")
        result = pytester.runpytest("-p", "no:rfs", "--rfs-metrics-report")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(["*unrecognized arguments: --rfs-metrics-report*"])


# --------------------------------------------------------------------------- collector swap


class TestCollectorSwap:
    def test_samples_into_a_swapped_collector_are_reported(self, pytester: pytest.Pytester) -> None:
        make_project(
            pytester,
            suite="import pytest\n"
            "from rfs_monitoring.metrics import ResultMetricsCollector\n\n\n"
            "@pytest.fixture\n"
            "def isolated():\n"
            "    collector = ResultMetricsCollector()\n"
            "    previous = ResultMetricsCollector.set_instance(collector)\n"
            "    yield collector\n"
            "    ResultMetricsCollector.set_instance(previous)\n\n\n"
            "def test_isolated(isolated):\n"
            "    ResultMetricsCollector.instance().record('op', success=True, duration_ms=2.0)\n"
            "    assert isolated.operation_names() == ['op']\n",
        )
        pytester.runpytest("--rfs-metrics-report=json:r.json").assert_outcomes(passed=1)
        data = read_json(pytester.path / "r.json")
        assert data["operations"]["op"]["count"] == 1

    def test_the_rfs_metrics_fixture_and_the_decorator_are_followed(
        self, pytester: pytest.Pytester
    ) -> None:
        make_project(
            pytester,
            suite="from rfs_monitoring import APIError, Failure, Success\n"
            "from rfs_monitoring.result_logging import log_result_operation\n\n\n"
            "@log_result_operation('get_user')\n"
            "def get_user(user_id):\n"
            "    return Success(user_id) if user_id else Failure(APIError.not_found('user', 0))\n"
            "\n\n"
            "def test_users(rfs_metrics):\n"
            "    get_user(1)\n"
            "    get_user(0)\n"
            "    assert rfs_metrics.operation_names() == ['get_user']\n",
        )
        pytester.runpytest("--rfs-metrics-report=json:r.json").assert_outcomes(passed=1)
        op = read_json(pytester.path / "r.json")["operations"]["get_user"]
        assert (op["count"], op["failures"], op["errors"]) == (2, 1, {"NOT_FOUND": 1})


# --------------------------------------------------------------------------- figures


class TestFigures:
    @pytest.mark.parametrize(
        ("values", "percent", "expected"),
        [
            ([], 99, 0.0),
            ([7.0], 50, 7.0),
            ([1.0, 2.0, 3.0, 4.0], 50, 2.0),
            ([float(v) for v in range(1, 11)], 90, 9.0),
            ([float(v) for v in range(1, 11)], 99, 10.0),
            ([float(v) for v in range(1, 101)], 99, 99.0),
            ([1.0, 2.0], 0, 1.0),
        ],
    )
    def test_percentile_is_nearest_rank(
        self, values: list[float], percent: int, expected: float
    ) -> None:
        assert percentile(values, percent) == expected

    def test_non_finite_durations_are_counted_as_zero(self) -> None:
        figures = summarize_samples([sample("op", math.nan), sample("op", 2.0)])["op"]
        assert (figures.count, figures.total_ms, figures.durations_ms) == (2, 2.0, [0.0, 2.0])

    def test_empty_figures_have_neutral_rates(self) -> None:
        empty = OperationFigures.from_durations(
            "op", successes=0, failures=0, durations_ms=[], errors={}
        )
        assert (empty.success_rate, empty.failure_rate, empty.max_ms) == (1.0, 0.0, 0.0)

    def test_the_session_report_does_not_depend_on_test_order(self) -> None:
        tests = [
            TestMetrics(
                f"t.py::test_{i}",
                "passed",
                0.0,
                summarize_samples(
                    [sample("op", 0.1 * i + 0.01 * k, ok=k != 2, code="X") for k in range(i + 1)]
                ),
            )
            for i in range(12)
        ]
        forward = MetricsReport.from_tests(tests).to_dict()
        backward = MetricsReport.from_tests(list(reversed(tests))).to_dict()
        assert forward == backward
        assert forward["operations"]["op"]["count"] == sum(range(1, 13))

    def test_extra_columns_render_their_values(self) -> None:
        report = MetricsReport.from_tests(
            [TestMetrics("t.py::test", "passed", 0.1, summarize_samples([sample("op", 1.0)]))]
        )
        lines = render_terminal(report, columns=[ReportColumn("Owner", lambda op: "team-a")])
        assert lines[1].split()[-2:] == ["Tests", "Owner"]
        assert lines[3].split()[-2:] == ["1", "team-a"]

    def test_the_summary_is_silent_before_the_session_finished(
        self, pytester: pytest.Pytester
    ) -> None:
        make_project(pytester)
        config = pytester.parseconfigure("--rfs-metrics-report")
        settings = config.stash[rpt.SETTINGS_KEY]
        reporter = rpt.MetricsReporter(config, settings, rpt.MetricsRecorder(settings))
        lines: list[str] = []

        class Terminal:
            def write_line(self, line: str, **markup: bool) -> None:
                lines.append(line)

        reporter.pytest_terminal_summary(Terminal())  # type: ignore[arg-type]
        assert lines == []

    def test_a_report_without_the_property_has_no_figures(self) -> None:
        report = pytest.TestReport("t.py::test", ("t.py", 0, "test"), {}, "passed", None, "call")
        assert rpt.figures_from_report(report, {"op": [1.0]}) == {}
