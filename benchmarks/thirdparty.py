"""Other projects' test suites with the ``rfs`` plugin installed: same failures, little cost.

``python -m benchmarks.thirdparty [--out FILE] [--keep DIR] [PROJECT ...]`` (``tox -e
thirdparty``) downloads the sdists of structlog and attrs (the versions installed here, with
``pip download --no-deps --no-binary :all:``), unpacks them into a temporary directory,
installs each project with its test requirements into a throwaway virtual environment next to
this repository (editable) and pytest-xdist, and runs the project's suite four ways:

- ``-p no:rfs`` (the anchor: the plugin disabled);
- the plugin loaded, as it is wherever rfs-monitoring is installed;
- ``--rfs-metrics-report -n 2``, next to its own anchor ``-p no:rfs -n 2``.

The failed and errored test ids of every run come from ``--junitxml``. The script prints a
Markdown section (and writes it to ``--out``) with the counts and the time ratios, and exits
1 when the runs do not have the same failures: the plugin must not change another suite.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.metadata
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import venv
import xml.etree.ElementTree as ET
from pathlib import Path

import tomllib

REPO = Path(__file__).resolve().parent.parent
PROJECTS = ("structlog", "attrs")
TEST_GROUPS = ("tests", "test", "testing")
"""Names a project uses for its test requirements (a dependency group or an extra)."""

RUNS = {
    "`-p no:rfs` (anchor)": ["-p", "no:rfs"],
    "plugin loaded": [],
    "`-p no:rfs -n 2` (anchor)": ["-p", "no:rfs", "-n", "2"],
    "`--rfs-metrics-report -n 2`": ["--rfs-metrics-report", "-n", "2"],
}
ANCHOR_OF = {
    "plugin loaded": "`-p no:rfs` (anchor)",
    "`--rfs-metrics-report -n 2`": "`-p no:rfs -n 2` (anchor)",
}


@dataclasses.dataclass(frozen=True)
class Outcome:
    """One run of one suite."""

    passed: int
    failed: frozenset[str]
    skipped: int
    seconds: float
    exit_code: int


def _check(command: list[str], **kwargs: object) -> None:
    print("$", " ".join(command), file=sys.stderr, flush=True)
    subprocess.run(command, check=True, **kwargs)  # type: ignore[call-overload]


def download(project: str, into: Path) -> Path:
    """The unpacked sdist of the installed version of ``project``."""
    version = importlib.metadata.version(project)
    pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
    _check([*pip, "--no-binary", ":all:", f"{project}=={version}", "-d", str(into)])
    archive = next(into.glob(f"{project}-{version}.tar.gz"))
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into / f"{project}-{version}"


def test_requirements(source: Path) -> list[str]:
    """pip arguments installing ``source`` with its test requirements (group or extra)."""
    pyproject = tomllib.loads((source / "pyproject.toml").read_text(encoding="utf-8"))
    groups = pyproject.get("dependency-groups", {})
    for name in TEST_GROUPS:
        if name in groups:
            return [str(source), "--group", f"{source / 'pyproject.toml'}:{name}"]
    extras = pyproject.get("project", {}).get("optional-dependencies", {})
    for name in TEST_GROUPS:
        if name in extras:
            return [f"{source}[{name}]"]
    return [str(source), "pytest"]


def make_venv(where: Path, source: Path) -> Path:
    """A throwaway venv with ``source`` and its tests' needs, this repository and xdist."""
    venv.EnvBuilder(with_pip=True, clear=True).create(where)
    python = where / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "--quiet"]
    _check([*pip, "--upgrade", "pip"])
    _check([*pip, *test_requirements(source), "pytest-xdist"])
    _check([*pip, "-e", str(REPO)])
    return python


def run_suite(python: Path, source: Path, args: list[str], junit: Path) -> Outcome:
    """Run ``source``'s tests once; the failures come from the JUnit XML file."""
    command = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTEST_ADDOPTS", None)
    started = time.perf_counter()
    done = subprocess.run(
        [*command, f"--junitxml={junit}"],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    print(f"   {' '.join(args) or '(plugin loaded)'}: exit {done.returncode}, {seconds:.1f} s")
    print("   " + (done.stdout.strip().splitlines() or ["(no output)"])[-1], flush=True)
    if done.returncode not in (0, 1):
        print(done.stdout[-3000:], done.stderr[-3000:], file=sys.stderr)
    return _read_junit(junit, seconds, done.returncode)


def _read_junit(junit: Path, seconds: float, exit_code: int) -> Outcome:
    if not junit.exists():
        return Outcome(0, frozenset({"<no junit report>"}), 0, seconds, exit_code)
    passed = skipped = 0
    failed: set[str] = set()
    for case in ET.parse(junit).getroot().iter("testcase"):
        test_id = f"{case.get('classname')}::{case.get('name')}"
        if case.find("failure") is not None or case.find("error") is not None:
            failed.add(test_id)
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
    return Outcome(passed, frozenset(failed), skipped, seconds, exit_code)


def check_project(project: str, work: Path, rounds: int) -> tuple[dict[str, Outcome], str]:
    """Run ``project``'s suite every way, ``rounds`` times interleaved; the median times.

    A run's failures are the union over its rounds (a flaky test shows up as a difference).
    """
    source = download(project, work / "src")
    python = make_venv(work / f"venv-{project}", source)
    runs: dict[str, list[Outcome]] = {name: [] for name in RUNS}
    for round_no in range(rounds):
        for index, (name, args) in enumerate(RUNS.items()):
            junit = work / f"{project}-{round_no}-{index}.xml"
            runs[name].append(run_suite(python, source, args, junit))
    outcomes = {
        name: dataclasses.replace(
            done[0],
            failed=frozenset().union(*(outcome.failed for outcome in done)),
            seconds=statistics.median(outcome.seconds for outcome in done),
        )
        for name, done in runs.items()
    }
    return outcomes, importlib.metadata.version(project)


def section(results: dict[str, tuple[dict[str, Outcome], str]], minutes: float, rounds: int) -> str:
    """The Markdown section for RESULTS.md."""
    rows = []
    for project, (outcomes, version) in results.items():
        for name, outcome in outcomes.items():
            anchor = ANCHOR_OF.get(name)
            ratio = "—" if anchor is None else f"{outcome.seconds / outcomes[anchor].seconds:.2f}×"
            rows.append(
                f"| {project} {version} | {name} | {outcome.passed} | {len(outcome.failed)} "
                f"| {outcome.skipped} | {outcome.seconds:.1f} | {ratio} |"
            )
    same = all(_same_failures(outcomes) for outcomes, _ in results.values())
    return "\n".join(
        [
            "## Third-party suites with the plugin installed",
            "",
            "`python -m benchmarks.thirdparty` (`tox -e thirdparty`): each project's sdist "
            "(the installed version), its test requirements, this repository (editable) and "
            "pytest-xdist in a throwaway venv; `python -m pytest -q` per row, the four runs "
            f"interleaved, {rounds} round(s), median wall time, on a shared 2-core machine (so "
            "ratios move by tens of percent between rounds); failures read from `--junitxml`. "
            f"Whole script: {minutes:.1f} min.",
            "",
            "| suite | run | passed | failed + errors | skipped | wall (s) | vs its anchor |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
            "Same failures in every run: " + ("**yes**." if same else "**no** (see the log)."),
        ]
    )


def _same_failures(outcomes: dict[str, Outcome]) -> bool:
    return len({outcome.failed for outcome in outcomes.values()}) == 1


def main(argv: list[str] | None = None) -> int:
    """Run the suites; exit 1 when the plugin changed any suite's failures."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.thirdparty", description=__doc__)
    parser.add_argument("projects", nargs="*", default=list(PROJECTS), help="default: %(default)s")
    parser.add_argument("--out", type=Path, help="also write the Markdown section here")
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it")
    parser.add_argument(
        "--rounds", type=int, default=1, help="interleaved rounds per suite (median time)"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rfs-thirdparty-") as tmp:
        work = args.keep or Path(tmp)
        (work / "src").mkdir(parents=True, exist_ok=True)
        results = {project: check_project(project, work, args.rounds) for project in args.projects}
    text = section(results, (time.perf_counter() - started) / 60, args.rounds)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n", encoding="utf-8")
    differing = [p for p, (outcomes, _) in results.items() if not _same_failures(outcomes)]
    for project in differing:
        outcomes = results[project][0]
        anchor = outcomes[next(iter(RUNS))].failed
        for name, outcome in outcomes.items():
            added, gone = sorted(outcome.failed - anchor), sorted(anchor - outcome.failed)
            print(f"{project} / {name}: new failures {added}, gone {gone}")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
