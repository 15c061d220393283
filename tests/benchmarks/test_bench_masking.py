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
    short = len(bench_masking.short_values(1))
    assert section.count("\n| ") == 1 + 1 + len(bench_masking.inputs()[1]) + 1 + short
    assert "Worst adversarial row: **" in section
    assert "### Short values" in section


def test_the_short_values_are_distinct_and_the_gate_is_restored() -> None:
    from rfs_monitoring.masking import patterns
    from rfs_monitoring.masking import text as masking_text

    for kind, values in bench_masking.short_values(50):
        assert len(set(values)) >= 45, kind
    rows = bench_masking.measure_short(rounds=1, count=5)
    assert [kind for kind, _, _ in rows] == [kind for kind, _ in bench_masking.short_values(1)]
    assert all(ours > 0 and theirs > 0 for _, ours, theirs in rows)
    assert patterns.DIGITS_PASS.gate is patterns.digits_gate
    assert masking_text.SELECT_UP_TO == 512
