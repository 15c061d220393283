"""Overhead of the ``rfs`` pytest plugin and of ``--rfs-metrics-report`` on a large suite.

A generated suite of 2,000 tests (quick: 400), each calling one operation decorated with
``@log_result_operation`` (one Success and, every 10th test, one Failure), run in a fresh
``python -m pytest`` process:

- anchor: the plugin disabled (``-p no:rfs``);
- the plugin enabled, no report asked for;
- ``--rfs-metrics-report`` (terminal table) and ``--rfs-metrics-report=json:PATH``.

The variants are interleaved run by run so drift of the shared machine hits them alike;
the figure is the median wall time of each. Goals: <= 3% without the flag, <= 10% with it.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._util import table

TESTS_PER_FILE = 100

MODULE = """\
from rfs_monitoring import APIError, Failure, Success
from rfs_monitoring.result_logging import log_result_operation


@log_result_operation("{op}")
def call(i):
    return Success(i) if i % 10 else Failure(APIError.not_found("item", i))


"""

TEST = """\
def test_{i}():
    assert call({i}).is_success() == bool({i} % 10)


"""

# The decorated operation logs at WARNING by default; keep that out of the timing.
CONFTEST = """\
import logging

logging.disable(logging.CRITICAL)
"""


def _write_suite(root: Path, tests: int) -> None:
    (root / "pytest.ini").write_text(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\n", encoding="utf-8"
    )
    (root / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    for file_no, start in enumerate(range(0, tests, TESTS_PER_FILE)):
        body = MODULE.format(op=f"op_{file_no % 4}") + "".join(
            TEST.format(i=i) for i in range(start, min(start + TESTS_PER_FILE, tests))
        )
        (root / f"test_gen_{file_no:03d}.py").write_text(body, encoding="utf-8")


def _run(root: Path, args: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one pytest process, in seconds."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        msg = f"pytest {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        raise RuntimeError(msg)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def run(quick: bool = False) -> str:
    """Median wall time of the suite per variant, and the overhead vs ``-p no:rfs``."""
    tests = 400 if quick else 2000
    repeat = 3 if quick else 7
    with tempfile.TemporaryDirectory(prefix="rfs-bench-plugin-") as tmp:
        root = Path(tmp)
        _write_suite(root, tests)
        variants = {
            "plugin disabled (`-p no:rfs`, anchor)": ["-p", "no:rfs"],
            "plugin enabled, no report": [],
            "`--rfs-metrics-report` (terminal)": ["--rfs-metrics-report"],
            "`--rfs-metrics-report=json:PATH`": [f"--rfs-metrics-report=json:{root / 'r.json'}"],
        }
        _run(root, ["-p", "no:rfs"])  # warm the page cache and the bytecode of the suite
        walls: dict[str, list[float]] = {name: [] for name in variants}
        cpus: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(repeat):
            for name, args in variants.items():
                wall, cpu = _run(root, args)
                walls[name].append(wall)
                cpus[name].append(cpu)
    wall_med = {name: statistics.median(values) for name, values in walls.items()}
    cpu_med = {name: statistics.median(values) for name, values in cpus.items()}
    anchor = next(iter(variants))

    def ratio(figures: dict[str, float], name: str) -> str:
        if name == anchor:
            return "—"
        return f"{(figures[name] / figures[anchor] - 1) * 100:+.1f}%"

    rows = [
        [
            name,
            f"{cpu_med[name]:.2f}",
            ratio(cpu_med, name),
            f"{wall_med[name]:.2f}",
            ratio(wall_med, name),
        ]
        for name in variants
    ]
    return "\n\n".join(
        [
            "## pytest plugin: overhead of `rfs` and `--rfs-metrics-report`",
            f"{tests} generated tests in {tests // TESTS_PER_FILE} files, each calling an "
            "operation decorated with `@log_result_operation` (every 10th returns a Failure); "
            "one fresh `python -m pytest -q` process per run (interpreter start and plugin "
            f"imports included), medians of {repeat} interleaved runs. CPU time (user + "
            "system of the process) is the figure to compare on a shared machine; wall time "
            "is shown too. Goals: <= 3% without the flag, <= 10% with it.",
            table(
                ["variant", "CPU (s)", "CPU vs `-p no:rfs`", "wall (s)", "wall vs `-p no:rfs`"],
                rows,
            ),
        ]
    )


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
