"""``python -m benchmarks``: discovery, one run per benchmark, RESULTS.md only after a full run.

The benchmarks themselves take minutes; these tests run the harness over stand-in modules.
"""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest

import benchmarks.__main__ as harness

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fake_benchmarks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Two stand-in benchmarks (one broken) and RESULTS.md redirected to tmp_path."""
    good = types.ModuleType("benchmarks.bench_good")
    good.run = lambda quick=False: f"## good\n\nquick={quick}"  # type: ignore[attr-defined]
    broken = types.ModuleType("benchmarks.bench_broken")

    def explode(quick: bool = False) -> str:
        msg = "the anchor library is missing"
        raise RuntimeError(msg)

    broken.run = explode  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "benchmarks.bench_good", good)
    monkeypatch.setitem(sys.modules, "benchmarks.bench_broken", broken)
    monkeypatch.setattr(harness, "available", lambda: ["bench_broken", "bench_good"])
    monkeypatch.setattr(harness, "HERE", tmp_path)
    return tmp_path


def test_the_real_benchmarks_are_discovered() -> None:
    names = harness.available()
    assert names == sorted(names)
    assert {"bench_dashboard", "bench_logging", "bench_metrics", "bench_pytest_plugin"} <= set(
        names
    )


def test_a_full_run_rewrites_results(
    fake_benchmarks: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(harness, "available", lambda: ["bench_good"])

    assert harness.main(["--quick"]) == 0

    results = (fake_benchmarks / "RESULTS.md").read_text(encoding="utf-8")
    assert results.startswith("# Benchmark results\n")
    assert "Command: `python -m benchmarks --quick`." in results
    assert results.endswith("## good\n\nquick=True\n")
    assert "## good" in capsys.readouterr().out


def test_a_failing_benchmark_is_reported_and_the_others_still_run(
    fake_benchmarks: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert harness.main([]) == 1

    out, err = capsys.readouterr()
    assert "## `bench_broken` failed" in out
    assert "RuntimeError: the anchor library is missing" in out
    assert "## good" in out
    assert "benchmarks failed: bench_broken" in err
    assert not (fake_benchmarks / "RESULTS.md").exists()


def test_no_write_and_named_runs_leave_results_alone(fake_benchmarks: Path) -> None:
    assert harness.main(["--no-write"]) == 1
    assert harness.main(["bench_good"]) == 0
    assert not (fake_benchmarks / "RESULTS.md").exists()


def test_an_unknown_name_is_a_usage_error_listing_the_benchmarks() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks", "bench_nope"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 2
    assert "unknown benchmark(s) ['bench_nope']; available: ['bench_dashboard'," in run.stderr
