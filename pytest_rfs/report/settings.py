"""The report's options (``--rfs-metrics-*`` and their ini twins) and what they ask for."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import Final

import pytest

__all__ = [
    "ACCEPTED_FORMATS",
    "DEFAULT_TOP",
    "SETTINGS_KEY",
    "ReportSettings",
    "add_options",
    "parse_formats",
    "parse_top",
    "settings_from_config",
]

DEFAULT_TOP: Final = 10
ACCEPTED_FORMATS: Final = "'term' (the default when the option has no value) or 'json:PATH'"

SETTINGS_KEY = pytest.StashKey["ReportSettings"]()
"""Where ``configure`` keeps the ReportSettings in ``config.stash``."""


@dataclasses.dataclass(frozen=True)
class ReportSettings:
    """What the user asked for: the outputs, the table length, raw durations or not."""

    terminal: bool = False
    json_paths: tuple[Path, ...] = ()
    top: int = DEFAULT_TOP
    raw: bool = False

    @property
    def enabled(self) -> bool:
        """True when at least one output is asked for (then every test is recorded)."""
        return self.terminal or bool(self.json_paths)


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
        "summary) or 'json:PATH'; repeat the option for both.",
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
    parser.addini(
        "rfs_metrics_report",
        type="args",
        default=[],
        help="default of --rfs-metrics-report: 'term' and/or 'json:PATH' (the CLI wins).",
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


def parse_formats(
    values: Iterable[str], *, source: str, base: Path
) -> tuple[bool, tuple[Path, ...]]:
    """Parse report formats into (terminal wanted, JSON paths resolved against ``base``).

    Raises:
        pytest.UsageError: a value is neither ``term`` nor ``json:PATH``.
    """
    terminal = False
    paths: list[Path] = []
    for value in values:
        text = value.strip()
        if text == "term":
            terminal = True
        elif text.startswith("json:") and text[5:].strip():
            path = base / Path(text[5:].strip()).expanduser()
            if path not in paths:
                paths.append(path)
        else:
            msg = (
                f"{source}: bad value {value!r}; accepted: {ACCEPTED_FORMATS}, repeat the "
                "option for both (to put test paths right after it, write "
                "--rfs-metrics-report=term)"
            )
            raise pytest.UsageError(msg)
    return terminal, tuple(paths)


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
    cli_formats: list[str] | None = config.getoption("rfs_metrics_report")
    if cli_formats:
        terminal, paths = parse_formats(cli_formats, source="--rfs-metrics-report", base=base)
    else:
        ini_formats: list[str] = config.getini("rfs_metrics_report")
        terminal, paths = parse_formats(ini_formats, source="ini rfs_metrics_report", base=base)
    cli_top: str | None = config.getoption("rfs_metrics_top")
    if cli_top is not None:
        top = parse_top(cli_top, source="--rfs-metrics-top")
    else:
        ini_top: str = config.getini("rfs_metrics_top")
        top = parse_top(ini_top, source="ini rfs_metrics_top") if ini_top.strip() else DEFAULT_TOP
    cli_raw: bool | None = config.getoption("rfs_metrics_raw")
    raw = bool(config.getini("rfs_metrics_raw")) if cli_raw is None else cli_raw
    return ReportSettings(terminal=terminal, json_paths=paths, top=top, raw=raw)
