"""``python -m benchmarks [--quick] [NAME ...]``: run the benchmarks, rewrite RESULTS.md."""

from __future__ import annotations

import argparse
import datetime
import importlib
import os
import pkgutil
import platform
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores, "
        f"CPython {platform.python_version()}"
    )


def available() -> list[str]:
    """The benchmark modules: ``benchmarks/bench_*.py``, sorted."""
    return sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("bench_"))


def run_one(name: str, *, quick: bool) -> tuple[str, bool]:
    """Run one benchmark: its Markdown section, or a section saying how it failed."""
    started = time.perf_counter()
    try:
        module = importlib.import_module(f"benchmarks.{name}")
        section = module.run(quick=quick)
    except Exception:  # one broken benchmark must not hide the others
        trace = traceback.format_exc()
        print(trace, file=sys.stderr, flush=True)
        return f"## `{name}` failed\n\n```text\n{trace.rstrip()}\n```", False
    print(f"   {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return section, True


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; exit status 1 when any failed (RESULTS.md is then left alone)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", help="benchmark modules to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="fewer iterations (smoke run)")
    parser.add_argument("--no-write", action="store_true", help="print, do not rewrite RESULTS.md")
    args = parser.parse_args(argv)
    names = available()
    wanted = args.names or names
    unknown = sorted(set(wanted) - set(names))
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; available: {names}")
    sections = []
    failed = []
    for name in wanted:
        print(f"== {name}", file=sys.stderr, flush=True)
        section, ok = run_one(name, quick=args.quick)
        print(section, flush=True)
        sections.append(section)
        if not ok:
            failed.append(name)
    command = (
        "python -m benchmarks"
        + (" --quick" if args.quick else "")
        + "".join(f" {n}" for n in args.names)
    )
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = "\n\n".join(
        [
            "# Benchmark results",
            f"Machine: {_machine()}.  \nCommand: `{command}`.  \nRun: {now}.",
            "Figures are medians of repeated runs; the machines are shared and noisy, so "
            "compare the ratios (ours vs the anchor measured in the same process), not "
            "absolute times.",
            *sections,
        ]
    )
    if failed:
        print(f"benchmarks failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    if not args.no_write and not args.names:
        (HERE / "RESULTS.md").write_text(text + "\n", encoding="utf-8")
        print(f"wrote {HERE / 'RESULTS.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
