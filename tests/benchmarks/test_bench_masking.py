"""Smoke test of ``benchmarks/bench_masking.py``: its inputs and its section (no timing claims)."""

from __future__ import annotations

from benchmarks import bench_masking
from rfs_monitoring.masking import MAX_TEXT_CHARS


def test_every_input_is_16_kb_and_the_attacks_open_every_gate() -> None:
    (label, anchor), rows = bench_masking.inputs()
    assert label.endswith("(anchor)")
    assert len(anchor) == MAX_TEXT_CHARS
    assert len(rows) >= 15
    for name, text in rows:
        assert len(text) == MAX_TEXT_CHARS, name
    attacks = [text for name, text in rows if not name.startswith("real secrets")]
    assert all(text.endswith(bench_masking.OPEN_ALL_GATES) for text in attacks)
    assert any(text.startswith("eyJ" * 100) for text in attacks)


def test_the_section_has_one_row_per_input_and_the_worst_ratio() -> None:
    section = bench_masking.run(quick=True)
    assert section.startswith("## Masking in linear time (`bench_masking`)")
    assert section.count("\n| ") == 1 + 1 + len(bench_masking.inputs()[1])
    assert "Worst adversarial row: **" in section
