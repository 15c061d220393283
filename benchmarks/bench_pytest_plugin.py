"""What installing rfs-monitoring costs other people's test runs, and the report on a big suite.

Import times, each in a fresh interpreter, timed inside it (CPU time of the process around
the import, interpreter start left out; the machine is shared, so wall time would mostly
measure the neighbours), medians of interleaved runs:

- ``import hypothesis`` with Hypothesis's entry points off (``HYPOTHESIS_NO_PLUGINS=1``,
  the anchor), then our hook run by hand (``rfs_monitoring._hypothesis``), and returns'
  hook the same way (the reference: an entry point other projects already accept);
- ``import rfs_monitoring`` and loading the plugin (``import pytest_rfs.plugin`` after
  ``import pytest``).

An empty run: ``python -m pytest`` in an empty directory, ``-p no:rfs`` against the plugin
loaded (CPU time of the process, medians of interleaved runs, ``.pyc`` files written as an
installed package has them; schemathesis's plugin is off in both, it alone costs seconds and
its noise would hide ours). Goal: <= 20 ms more.

A generated suite of 2,000 tests (quick: 400), each calling one operation decorated with
``@log_result_operation`` (one Success and, every 10th test, one Failure), run in a fresh
``python -m pytest`` process:

- anchor: the plugin disabled (``-p no:rfs``);
- the plugin enabled, no report asked for;
- ``--rfs-metrics-report`` (terminal table) and ``--rfs-metrics-report=json:PATH``.

The variants are interleaved run by run so drift of the shared machine hits them alike;
the figure is the median wall time of each. Goals: <= 2% without the flag, <= 8% with it.
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


def _run(
    root: Path, args: list[str], allow: tuple[int, ...] = (), bytecode: bool = False
) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one pytest process, in seconds.

    ``bytecode``: let Python write ``.pyc`` files, as an installed package has them (the
    generated suite runs without, so that its files are compiled alike in every variant).
    """
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    if bytecode:
        del env["PYTHONDONTWRITEBYTECODE"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0 and done.returncode not in allow:
        msg = f"pytest {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        raise RuntimeError(msg)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


IMPORT_PROBE = """
import sys, time
start = time.process_time()
exec(sys.argv[1])
print((time.process_time() - start) * 1e3)
"""

IMPORTS = {
    "`import hypothesis`, entry points off (anchor)": ("import hypothesis", True),
    "+ our hook (`rfs_monitoring._hypothesis`)": (
        "import hypothesis\n"
        "from rfs_monitoring._hypothesis import _hypothesis_setup_hook as hook\n"
        "hook()",
        True,
    ),
    "+ returns' hook (reference)": (
        "import hypothesis\n"
        "from returns.contrib.hypothesis._entrypoint import _setup_hook as hook\n"
        "hook()",
        True,
    ),
    "`import hypothesis`, every entry point installed here": ("import hypothesis", False),
    "`import pytest` (anchor)": ("import pytest", True),
    "+ `import pytest_rfs.plugin` (loading the plugin)": (
        "import pytest\nimport pytest_rfs.plugin",
        True,
    ),
    "`import rfs_monitoring`": ("import rfs_monitoring", True),
    "`from rfs_monitoring import log_result_operation`": (
        "from rfs_monitoring import log_result_operation",
        True,
    ),
}


def _import_ms(code: str, no_plugins: bool) -> float:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if no_plugins:
        env["HYPOTHESIS_NO_PLUGINS"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE, code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def import_times(repeat: int) -> dict[str, float]:
    """Median import time (ms) of each entry of ``IMPORTS``, runs interleaved."""
    samples: dict[str, list[float]] = {name: [] for name in IMPORTS}
    for code, no_plugins in IMPORTS.values():
        _import_ms(code, no_plugins)  # bytecode written, page cache warm
    for _ in range(repeat):
        for name, (code, no_plugins) in IMPORTS.items():
            samples[name].append(_import_ms(code, no_plugins))
    return {name: statistics.median(values) for name, values in samples.items()}


def _empty_run(root: Path, args: list[str]) -> float:
    return _run(root, ["-p", "no:schemathesis", *args], allow=(5,), bytecode=True)[1]


def empty_run_cpu(repeat: int) -> tuple[list[float], list[float]]:
    """CPU seconds of empty ``pytest`` runs: ``-p no:rfs``, then plugin loaded (interleaved)."""
    with tempfile.TemporaryDirectory(prefix="rfs-bench-empty-") as tmp:
        root = Path(tmp)
        (root / "pytest.ini").write_text(
            "[pytest]\nasyncio_default_fixture_loop_scope = function\n", encoding="utf-8"
        )
        _empty_run(root, [])  # .pyc files of every module written (stale ones rewritten)
        off: list[float] = []
        on: list[float] = []
        for _ in range(repeat):
            off.append(_empty_run(root, ["-p", "no:rfs"]))
            on.append(_empty_run(root, []))
    return off, on


def _imports_section(
    times: dict[str, float], empty: tuple[list[float], list[float]], repeat: int
) -> str:
    names = list(IMPORTS)

    def delta(name: str, anchor: str) -> str:
        return f"{times[name] - times[anchor]:+.1f} ms"

    hyp, ours, theirs, hyp_all, pytest_, plugin, rfs, decorator = names
    rows = [
        [hyp, f"{times[hyp]:.1f}", "—"],
        [ours, f"{times[ours]:.1f}", delta(ours, hyp) + " (goal <= 20 ms)"],
        [theirs, f"{times[theirs]:.1f}", delta(theirs, hyp)],
        [hyp_all, f"{times[hyp_all]:.1f}", delta(hyp_all, hyp)],
        [pytest_, f"{times[pytest_]:.1f}", "—"],
        [plugin, f"{times[plugin]:.1f}", delta(plugin, pytest_)],
        [rfs, f"{times[rfs]:.1f}", "—"],
        [decorator, f"{times[decorator]:.1f}", "—"],
    ]
    off, on = empty
    low = (min(on) - min(off)) * 1e3
    mid = (statistics.median(on) - statistics.median(off)) * 1e3
    return "\n\n".join(
        [
            "## pytest plugin and Hypothesis hook: what being installed costs",
            "Each import in a fresh interpreter, CPU time around it (interpreter start left out), "
            f"medians of {repeat} interleaved runs; `HYPOTHESIS_NO_PLUGINS=1` except in the "
            "row saying otherwise.",
            table(["import", "ms", "vs its anchor"], rows),
            "An empty run (`python -m pytest -q -p no:schemathesis` in an empty directory, "
            f"fresh process, `.pyc` files cached, CPU time, medians of {repeat} interleaved "
            "runs): fastest run "
            f"`-p no:rfs` {min(off) * 1e3:.0f} ms, plugin loaded {min(on) * 1e3:.0f} ms, "
            f"**{low:+.0f} ms** (goal <= 20 ms); medians {statistics.median(off) * 1e3:.0f} "
            f"and {statistics.median(on) * 1e3:.0f} ms ({mid:+.0f} ms). The fastest run is the "
            "process's own cost; the medians carry the shared machine's noise (tens of ms "
            "between two identical runs).",
        ]
    )


def run(quick: bool = False) -> str:
    """Import times, an empty run, and the 2,000-test suite per variant vs ``-p no:rfs``."""
    repeat_imports = 5 if quick else 25
    imports = _imports_section(
        import_times(repeat_imports), empty_run_cpu(repeat_imports), repeat_imports
    )
    return imports + "\n\n" + _suite(quick)


def _suite(quick: bool) -> str:
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
            "is shown too. Goals: <= 2% without the flag, <= 8% with it.",
            table(
                ["variant", "CPU (s)", "CPU vs `-p no:rfs`", "wall (s)", "wall vs `-p no:rfs`"],
                rows,
            ),
        ]
    )


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
