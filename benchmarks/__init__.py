"""Side-by-side benchmarks of rfs-monitoring against the anchors users would otherwise use.

Each ``benchmarks/bench_*.py`` module defines ``run(quick: bool = False) -> str`` returning a
Markdown section (figures as medians, and ratios against the anchor measured in the same
process). ``python -m benchmarks`` runs them all and rewrites ``benchmarks/RESULTS.md``.
"""
