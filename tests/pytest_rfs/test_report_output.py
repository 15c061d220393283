"""The report's outputs: ``junit`` as a format, the terminal width, the schema's docs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_rfs.report import load_schema
from pytest_rfs.report.layout import MIN_WIDTH, fit_table, fold, fold_word
from pytest_rfs.report.schema_doc import (
    BEGIN,
    END,
    generated_section,
    main,
    render_schema_doc,
    update_markdown,
)

ROOT = Path(__file__).resolve().parents[2]

INI = """\
[pytest]
asyncio_default_fixture_loop_scope = function
{extra}
"""

LONG_OP = "billing.invoices.reconcile_monthly_statements_with_ledger_entries_and_tax_rules"
LONG_TEST = "test_a_rather_long_test_name_that_describes_the_reconciliation_of_everything"

SUITE = f"""\
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


@pytest.mark.parametrize("n", range(4))
def {LONG_TEST}(n):
    rec("{LONG_OP}", ms=1234.5 + n)
    for code in ("VALIDATION_ERROR", "SERVICE_UNAVAILABLE", "CONFLICT", "TIMEOUT"):
        rec("{LONG_OP}", ok=False, ms=2.0, code=code + "_" + str(n))
"""


def make_project(pytester: pytest.Pytester, suite: str = SUITE, ini: str = "") -> None:
    pytester.makefile(".ini", pytest=INI.format(extra=ini))
    pytester.makepyfile(test_suite=suite)


def junit_properties(path: Path) -> dict[str, dict[str, str]]:
    root = ET.parse(path).getroot()
    return {
        case.get("name", ""): {p.get("name", ""): p.get("value", "") for p in case.iter("property")}
        for case in root.iter("testcase")
    }


def report_section(lines: list[str]) -> list[str]:
    """The lines of the plugin's terminal output: from its first line to pytest's last."""
    start = next(i for i, line in enumerate(lines) if "rfs metrics" in line)
    return lines[start:-1]


def squeeze(text: str) -> str:
    return re.sub(r"\s", "", text)


# --------------------------------------------------------------------------- junit


class TestJUnitFormat:
    def test_junit_alone_adds_the_properties_and_prints_nothing(
        self, pytester: pytest.Pytester
    ) -> None:
        make_project(pytester)
        result = pytester.runpytest("--rfs-metrics-report=junit", "--junitxml=junit.xml")
        result.assert_outcomes(passed=5)
        result.stdout.no_fnmatch_line("*rfs metrics*")
        props = junit_properties(pytester.path / "junit.xml")["test_a"]
        assert props["rfs.fetch.p99_ms"] == "4.0"
        assert props["rfs.fetch.count"] == "2"
        assert props["rfs.save.failure_rate"] == "1.0"
        assert props["rfs.save.errors.NOT_FOUND"] == "1"
        assert list(pytester.path.glob("*.json")) == []

    def test_junit_from_the_ini(self, pytester: pytest.Pytester) -> None:
        make_project(pytester, ini="rfs_metrics_report = junit")
        pytester.runpytest("--junit-xml=j.xml").assert_outcomes(passed=5)
        assert junit_properties(pytester.path / "j.xml")["test_a"]["rfs.fetch.p50_ms"] == "2.0"

    @pytest.mark.parametrize(
        ("ini", "args", "source"),
        [
            ("", ["--rfs-metrics-report=junit"], "--rfs-metrics-report"),
            ("rfs_metrics_report = junit", [], "ini rfs_metrics_report"),
        ],
    )
    def test_junit_without_junitxml_is_a_usage_error(
        self, pytester: pytest.Pytester, ini: str, args: list[str], source: str
    ) -> None:
        make_project(pytester, ini=ini)
        result = pytester.runpytest(*args)
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(
            [
                f"ERROR: {source}: 'junit' puts the figures into the JUnit XML report, but no "
                "--junitxml=PATH was given; add --junitxml=PATH, or ask for 'term' or 'json:PATH'"
            ]
        )

    def test_the_terminal_report_alone_adds_no_properties(self, pytester: pytest.Pytester) -> None:
        make_project(pytester)
        pytester.runpytest("--rfs-metrics-report").assert_outcomes(passed=5)
        config = pytester.parseconfigure("--rfs-metrics-report")
        from pytest_rfs.report import SETTINGS_KEY

        assert config.stash[SETTINGS_KEY].junit is False


# --------------------------------------------------------------------------- width


class TestWidth:
    @pytest.mark.parametrize("columns", [80, 60, 120])
    def test_no_line_is_wider_than_the_terminal(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, columns: int
    ) -> None:
        monkeypatch.setenv("COLUMNS", str(columns))
        make_project(pytester)
        result = pytester.runpytest("--rfs-metrics-report", "--rfs-metrics-top=0")
        result.assert_outcomes(passed=5)
        section = report_section(result.outlines)
        too_wide = [line for line in section if len(line) > columns]
        assert too_wide == []
        text = squeeze("".join(section))
        # folded, not cut: the long name and every error code are all there
        assert squeeze(f"{LONG_OP}: p99 1237.500 ms") in text
        assert squeeze(f"test_suite.py::{LONG_TEST}[3] (5 calls)") in text
        assert squeeze("SERVICE_UNAVAILABLE_3 x1") in text

    def test_at_80_columns_the_table_folds_the_long_name(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("COLUMNS", "80")
        make_project(pytester)
        result = pytester.runpytest("--rfs-metrics-report")
        result.stdout.fnmatch_lines(
            [
                "Operation    Calls Failed  Fail%    Total   p50      p90      p99      Max Tests",
                "-" * 80,
                "billing.        20     16  80.0% 4976.000 2.000 1235.500 1237.500 1237.500     4",
                "invoices.",
                "reconcile_",
                "monthly_",
            ]
        )

    def test_too_many_columns_stack_each_row(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("COLUMNS", "80")
        make_project(pytester)
        pytester.makeconftest(
            "from pytest_rfs import ReportColumn\n\n\n"
            "def pytest_rfs_report_columns(config):\n"
            "    return [ReportColumn(f'Extra{i}', lambda op: 'x' * 8) for i in range(4)]\n"
        )
        result = pytester.runpytest("--rfs-metrics-report")
        result.stdout.fnmatch_lines(
            ["fetch", "    Calls=2 Failed=0 Fail%=0.0% Total=6.000 *", "    Extra3=xxxxxxxx"]
        )
        assert max(len(line) for line in report_section(result.outlines)) <= 80

    def test_the_comparison_and_its_verdict_fit_too(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        make_project(pytester)
        pytester.runpytest("--rfs-metrics-report=json:base.json").assert_outcomes(passed=5)
        base = json.loads((pytester.path / "base.json").read_text())
        for op in base["operations"].values():
            op["p99_ms"] /= 2
        (pytester.path / "base.json").write_text(json.dumps(base))
        monkeypatch.setenv("COLUMNS", "80")
        result = pytester.runpytest(
            "--rfs-metrics-compare=base.json", "--rfs-metrics-compare-fail=p99:10%"
        )
        assert result.ret == pytest.ExitCode.TESTS_FAILED
        section = report_section(result.outlines)
        assert [line for line in section if len(line) > 80] == []
        assert squeeze(f"{LONG_OP}: p99 618.750 ms -> 1237.500 ms (+100.0%)") in squeeze(
            "".join(section)
        )


class TestLayout:
    def test_without_a_width_nothing_folds(self) -> None:
        assert fold("x" * 500, None) == ["x" * 500]
        lines, width = fit_table(["a", "b"], [["x" * 300, "1"]], None)
        assert (lines[-1], width) == ("x" * 300 + "  1", 303)

    def test_words_are_cut_after_a_separator(self) -> None:
        assert fold_word("alpha.beta_gamma", 12) == ["alpha.beta_", "gamma"]
        assert fold_word("abcdefghij", 4) == ["abcd", "efgh", "ij"]

    def test_continuation_lines_are_indented(self) -> None:
        assert fold("  op: one two three four", 20, indent="    ") == [
            "  op: one two three",
            "    four",
        ]

    def test_blank_text_folds_to_no_line(self) -> None:
        assert fold(" " * 50, 20) == []

    def test_a_narrow_width_is_raised_to_the_minimum(self) -> None:
        assert all(len(line) <= MIN_WIDTH for line in fold("word " * 20, 5))

    @given(
        text=st.text(st.sampled_from("ab._-/: "), max_size=300),
        width=st.integers(MIN_WIDTH, 120),
    )
    def test_fold_keeps_every_character_within_the_width(self, text: str, width: int) -> None:
        lines = fold(text, width)
        assert all(len(line) <= width for line in lines)
        assert squeeze("".join(lines)) == squeeze(text)

    @given(
        cells=st.lists(
            st.lists(st.text(st.sampled_from("ab.%"), min_size=1, max_size=40), min_size=3),
            min_size=1,
            max_size=5,
        ),
        width=st.integers(MIN_WIDTH, 120),
    )
    def test_tables_fit_whatever_their_cells(self, cells: list[list[str]], width: int) -> None:
        size = min(len(row) for row in cells)
        header, *rows = [row[:size] for row in cells]
        lines, table_width = fit_table(header, rows, width)
        assert table_width <= width
        assert all(len(line) <= width for line in lines)


# --------------------------------------------------------------------------- schema docs


class TestSchemaDoc:
    def test_docs_testing_md_shows_the_generated_tables(self) -> None:
        page = (ROOT / "docs" / "testing.md").read_text(encoding="utf-8")
        assert generated_section(page) == render_schema_doc(load_schema()), (
            "docs/testing.md is out of date: run "
            "`python -m pytest_rfs.report.schema_doc --update docs/testing.md`"
        )

    def test_every_field_of_the_schema_has_a_row(self) -> None:
        generated = render_schema_doc(load_schema())
        for path in (
            "`schema_version`",
            "`summary.calls`",
            "`operations.<operation>.tests`",
            "`tests[].operations.<operation>.durations_ms`",
            "`comparison.regressions[].change`",
            "`p99_ms`",
            "`errors`",
        ):
            assert f"| {path} |" in generated

    def test_a_field_without_description_is_refused(self) -> None:
        schema: dict[str, Any] = {"type": "object", "properties": {"x": {"type": "string"}}}
        with pytest.raises(ValueError, match="no description for 'x': add one"):
            render_schema_doc(schema)

    def test_pipes_in_descriptions_are_escaped(self) -> None:
        schema = {"properties": {"x": {"type": "string", "description": "a | b"}}}
        assert "| `x` | string, optional | a \\| b |" in render_schema_doc(schema)

    def test_the_module_prints_the_tables(self) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "pytest_rfs.report.schema_doc"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert done.stdout == render_schema_doc(load_schema())

    def test_update_rewrites_only_the_generated_section(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        page = tmp_path / "page.md"
        page.write_text(f"# Title\n\n{BEGIN}\nstale\n{END}\n\nAfter.\n", encoding="utf-8")
        assert main(["--update", str(page)]) == 0
        text = page.read_text(encoding="utf-8")
        assert text.startswith(f"# Title\n\n{BEGIN}\n\n| Field |")
        assert text.endswith(f"|\n\n{END}\n\nAfter.\n")
        assert generated_section(text) == render_schema_doc(load_schema())
        assert main([]) == 0
        assert capsys.readouterr().out == render_schema_doc(load_schema())

    def test_a_page_without_markers_is_an_error(self, tmp_path: Path) -> None:
        page = tmp_path / "page.md"
        page.write_text("# nothing to replace\n", encoding="utf-8")
        with pytest.raises(SystemExit) as exc:
            main(["--update", str(page)])
        assert exc.value.code == 2
        with pytest.raises(ValueError, match="no generated section"):
            update_markdown("text", "table")
