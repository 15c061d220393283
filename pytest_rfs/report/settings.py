"""The report's options (``--rfs-metrics-*`` and their ini twins) and what they ask for."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import Final, NamedTuple

import pytest

from pytest_rfs.report.thresholds import CompareRule, parse_rules

__all__ = [
    "ACCEPTED_FORMATS",
    "DEFAULT_TOP",
    "SETTINGS_KEY",
    "Formats",
    "ReportSettings",
    "add_options",
    "parse_formats",
    "parse_top",
    "settings_from_config",
]

DEFAULT_TOP: Final = 10
ACCEPTED_FORMATS: Final = (
    "'term' (the default when the option has no value), 'json:PATH' or 'junit' "
    "(properties in the --junitxml report)"
)

SETTINGS_KEY = pytest.StashKey["ReportSettings"]()
"""Where ``configure`` keeps the ReportSettings in ``config.stash``."""


@dataclasses.dataclass(frozen=True)
class ReportSettings:
    """What the user asked for: the outputs, the table length, raw durations, a baseline.

    Attributes:
        terminal: print the table in the terminal summary.
        json_paths: write the JSON document to each path.
        top: rows per table of the terminal report (0: all).
        raw: include every duration in the JSON document.
        junit: add ``rfs.<operation>.<figure>`` properties to each test's JUnit XML entry.
        compare_path: the baseline (an earlier JSON report) to compare the session with.
        compare_rules: when a change against the baseline fails the run.
    """

    terminal: bool = False
    json_paths: tuple[Path, ...] = ()
    top: int = DEFAULT_TOP
    raw: bool = False
    junit: bool = False
    compare_path: Path | None = None
    compare_rules: tuple[CompareRule, ...] = ()

    @property
    def enabled(self) -> bool:
        """True when at least one output is asked for (then every test is recorded)."""
        return self.terminal or bool(self.json_paths) or self.junit or bool(self.compare_path)


class Formats(NamedTuple):
    """The parsed values of ``--rfs-metrics-report``."""

    terminal: bool
    json_paths: tuple[Path, ...]
    junit: bool


def add_options(parser: pytest.Parser, group_name: str) -> None:
    """Register the report's options in ``group_name`` and their ini twins."""
    group = parser.getgroup(group_name)
    group.addoption(
        "--rfs-metrics-report",
        action="append",
        nargs="?",
        const="term",
        default=None,
        metavar="FORMAT",
        dest="rfs_metrics_report",
        help="per-test Result metrics report: 'term' (default: a table in the terminal "
        "summary), 'json:PATH' or 'junit' (rfs.<operation>.<figure> properties in the "
        "--junitxml report); repeat the option for several.",
    )
    group.addoption(
        "--rfs-metrics-top",
        default=None,
        metavar="N",
        dest="rfs_metrics_top",
        help=f"rows per table of the terminal report (0: all). Default: {DEFAULT_TOP}.",
    )
    group.addoption(
        "--rfs-metrics-raw",
        action="store_true",
        default=None,
        dest="rfs_metrics_raw",
        help="include every recorded duration in the JSON report (large).",
    )
    group.addoption(
        "--rfs-metrics-compare",
        default=None,
        metavar="PATH",
        dest="rfs_metrics_compare",
        help="compare each operation with an earlier JSON report (count, p50, p99, "
        "failure rate; new and removed operations), in the terminal and the JSON report.",
    )
    group.addoption(
        "--rfs-metrics-compare-fail",
        action="append",
        default=None,
        metavar="EXPR",
        dest="rfs_metrics_compare_fail",
        help="fail the run when an operation regressed against --rfs-metrics-compare: "
        "p99:10%% (more than 10%% slower), p50:5ms, count:0, failure_rate:1%% (points); "
        "comma-separated or repeated.",
    )
    _add_ini(parser)


def _add_ini(parser: pytest.Parser) -> None:
    parser.addini(
        "rfs_metrics_report",
        type="args",
        default=[],
        help="default of --rfs-metrics-report: 'term', 'json:PATH' and/or 'junit' (the CLI wins).",
    )
    parser.addini(
        "rfs_metrics_top",
        type="string",
        default="",
        help=f"default of --rfs-metrics-top (the CLI wins). Default: {DEFAULT_TOP}.",
    )
    parser.addini(
        "rfs_metrics_raw",
        type="bool",
        default=False,
        help="default of --rfs-metrics-raw (the CLI wins).",
    )
    parser.addini(
        "rfs_metrics_compare",
        type="string",
        default="",
        help="default of --rfs-metrics-compare (the CLI wins).",
    )
    parser.addini(
        "rfs_metrics_compare_fail",
        type="args",
        default=[],
        help="default of --rfs-metrics-compare-fail (the CLI wins).",
    )


def parse_formats(values: Iterable[str], *, source: str, base: Path) -> Formats:
    """Parse report formats; JSON paths are resolved against ``base``.

    Raises:
        pytest.UsageError: a value is neither ``term``, ``json:PATH`` nor ``junit``.
    """
    terminal = junit = False
    paths: list[Path] = []
    for value in values:
        text = value.strip()
        if text == "term":
            terminal = True
        elif text == "junit":
            junit = True
        elif text.startswith("json:") and text[5:].strip():
            path = base / Path(text[5:].strip()).expanduser()
            if path not in paths:
                paths.append(path)
        else:
            msg = (
                f"{source}: bad value {value!r}; accepted: {ACCEPTED_FORMATS}, repeat the "
                "option for several (to put test paths right after it, write "
                "--rfs-metrics-report=term)"
            )
            raise pytest.UsageError(msg)
    return Formats(terminal, tuple(paths), junit)


def parse_top(value: object, *, source: str) -> int:
    """Parse the number of rows per table (an integer >= 0, 0 meaning all).

    Raises:
        pytest.UsageError: ``value`` is no such integer.
    """
    try:
        top = int(str(value).strip())
    except ValueError:
        top = -1
    if top < 0:
        msg = f"{source}: bad value {value!r}; accepted: an integer >= 0 (0 shows all rows)"
        raise pytest.UsageError(msg)
    return top


def settings_from_config(config: pytest.Config) -> ReportSettings:
    """The settings the CLI options (or, without them, the ini values) ask for.

    Raises:
        pytest.UsageError: an option or ini value is bad.
    """
    base = config.invocation_params.dir
    formats = _formats(config, base)
    cli_top: str | None = config.getoption("rfs_metrics_top")
    if cli_top is not None:
        top = parse_top(cli_top, source="--rfs-metrics-top")
    else:
        ini_top: str = config.getini("rfs_metrics_top")
        top = parse_top(ini_top, source="ini rfs_metrics_top") if ini_top.strip() else DEFAULT_TOP
    cli_raw: bool | None = config.getoption("rfs_metrics_raw")
    raw = bool(config.getini("rfs_metrics_raw")) if cli_raw is None else cli_raw
    compare_path, rules = _compare(config, base)
    settings = ReportSettings(
        terminal=formats.terminal,
        json_paths=formats.json_paths,
        top=top,
        raw=raw,
        junit=formats.junit,
        compare_path=compare_path,
        compare_rules=rules,
    )
    if settings.enabled and not settings.junit and _junitxml(config):
        # the report is on and a JUnit XML file is written: it gets the figures too
        settings = dataclasses.replace(settings, junit=True)
    return settings


def _junitxml(config: pytest.Config) -> str | None:
    path: str | None = config.getoption("xmlpath", None)
    return path


def _formats(config: pytest.Config, base: Path) -> Formats:
    cli_formats: list[str] | None = config.getoption("rfs_metrics_report")
    if cli_formats:
        source = "--rfs-metrics-report"
        formats = parse_formats(cli_formats, source=source, base=base)
    else:
        source = "ini rfs_metrics_report"
        formats = parse_formats(config.getini("rfs_metrics_report"), source=source, base=base)
    if formats.junit and not _junitxml(config):
        msg = (
            f"{source}: 'junit' puts the figures into the JUnit XML report, but no "
            "--junitxml=PATH was given; add --junitxml=PATH, or ask for 'term' or 'json:PATH'"
        )
        raise pytest.UsageError(msg)
    return formats


def _compare(config: pytest.Config, base: Path) -> tuple[Path | None, tuple[CompareRule, ...]]:
    cli_path: str | None = config.getoption("rfs_metrics_compare")
    text = cli_path if cli_path is not None else str(config.getini("rfs_metrics_compare"))
    path = base / Path(text.strip()).expanduser() if text.strip() else None
    cli_rules: list[str] | None = config.getoption("rfs_metrics_compare_fail")
    source = "--rfs-metrics-compare-fail" if cli_rules else "ini rfs_metrics_compare_fail"
    rules = parse_rules(cli_rules or config.getini("rfs_metrics_compare_fail"), source=source)
    if rules and path is None:
        msg = (
            f"{source} requires --rfs-metrics-compare=PATH (or ini rfs_metrics_compare): "
            "the baseline the figures are compared with"
        )
        raise pytest.UsageError(msg)
    return path, rules
