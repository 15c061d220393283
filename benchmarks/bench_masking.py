"""Cost of ``mask_text`` on adversarial input against benign input of the same size (issue 14).

Anchor: 16 KB of benign log text (``tests/security/data/benign.txt`` repeated: ids, UUIDs,
hashes, URLs, timestamps, English and Korean prose; every masking pass runs on it). Rows:
16 KB inputs built to make a backtracking pattern explode ("eyJ" * 5333, which took ~98 ms
before issue 14, key=value chains, near-miss keys, one long run, long Hangul, digit and "@"
storms, unterminated PEM armour, ...), each ending with one literal for every pass's gate so
that every pass scans it, and 16 KB of real secrets. Each figure is the median
wall time of one ``mask_text`` call, all variants interleaved in one process on a live
clock; the ratio is against the anchor. The promise: every adversarial row <= 3x.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks._util import table
from rfs_monitoring.masking import MAX_TEXT_CHARS, mask_text

DATA = Path(__file__).resolve().parents[1] / "tests" / "security" / "data"
SIZE = MAX_TEXT_CHARS
LIMIT = 3.0


# One literal for every pass's gate: appended to each adversarial row, so that every pass
# scans the whole adversarial body (the worst case), not only the one it was built against.
OPEN_ALL_GATES = (
    " password=1 비밀번호=1 Bearer abc12345 eyJ x@y.zz 0101234567 ://u:p@h"
    " -----BEGIN X----- AKIA ghp_ xoxb- sk_live_"
)


def _fill(unit: str) -> str:
    return (unit * (SIZE // max(1, len(unit)) + 1))[:SIZE]


def _attack(unit: str) -> str:
    return _fill(unit)[: SIZE - len(OPEN_ALL_GATES)] + OPEN_ALL_GATES


def _corpus(name: str) -> str:
    lines = [
        line.replace("\\n", "\n").replace("⟦", "").replace("⟧", "")
        for line in (DATA / name).read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    return _fill("\n".join(lines) + "\n")


def inputs() -> tuple[tuple[str, str], list[tuple[str, str]]]:
    """The anchor and the adversarial rows: ``(label, text)``."""
    anchor = ("benign log text (anchor)", _corpus("benign.txt"))
    rows = [
        ('`"eyJ" * 5333` (JWT prefix storm)', _attack("eyJ")),
        ('`"eyJa." * N` (JWT segments that never close)', _attack("eyJab.")),
        ("`a=b ` chain (key=value, plain keys)", _attack("a=b ")),
        ("`password=x ` chain (every key sensitive)", _attack("password=x ")),
        ("`PINOT=a:b ` chain (near-miss keys, nested values)", _attack("PINOT=a:b ")),
        ("`passwordpassword...` (words without separators)", _attack("password")),
        ("one 16 KB token run", _attack("x")),
        ("`it is ok ` chain (prose separators)", _attack("it is ok ")),
        ("long Hangul: `비밀번호` * N", _attack("비밀번호")),
        ("long Hangul prose with particles", _attack("비밀번호는 토큰이 암호가 ")),
        ("digit storm `0101234567 `", _attack("0101234567 ")),
        ("e-mail storm `a@b.cd `", _attack("a@b.cd ")),
        ("`://a:b` storm (URL userinfo never closed)", _attack("://a:b")),
        ("`-----BEGIN X-----` storm (PEM never closed)", _attack("-----BEGIN X-----")),
        ("`Bearer ` + one long run", "Bearer " + _attack("a")[7:]),
        ("real secrets (`secrets.txt` repeated)", _corpus("secrets.txt")),
    ]
    return anchor, rows


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1e3


def measure(rounds: int) -> tuple[float, list[tuple[str, float]]]:
    """Median ms of the anchor and of every row, interleaved round by round."""
    anchor, rows = inputs()
    variants: list[tuple[str, str]] = [anchor, *rows]
    samples: dict[str, list[float]] = {label: [] for label, _ in variants}
    fn: Callable[[str], str] = mask_text
    for text in (t for _, t in variants):  # warm up (regex caches, label caches)
        fn(text)
    for _ in range(rounds):
        for label, text in variants:
            start = time.perf_counter()
            fn(text)
            samples[label].append(time.perf_counter() - start)
    base = _median_ms(samples[anchor[0]])
    return base, [(label, _median_ms(samples[label])) for label, _ in rows]


def run(quick: bool = False) -> str:
    """The Markdown section of this benchmark."""
    started = time.perf_counter()
    base, rows = measure(rounds=15 if quick else 101)
    worst = max(ms for label, ms in rows if not label.startswith("real secrets"))
    body = [["benign log text (anchor)", f"{base:.2f}", "1.00x"]]
    body += [[label, f"{ms:.2f}", f"{ms / base:.2f}x"] for label, ms in rows]
    verdict = "within" if worst / base <= LIMIT else "**over**"
    print(f"   bench_masking: worst ratio {worst / base:.2f}x", file=sys.stderr)
    return "\n\n".join(
        [
            "## Masking in linear time (`bench_masking`)",
            f"One `mask_text` call on {SIZE:,} characters; median of "
            f"{15 if quick else 101} interleaved rounds, wall clock, one process.",
            table(["input (16 KB)", "ms", "vs anchor"], rows=body),
            f"Worst adversarial row: **{worst / base:.2f}x** the benign anchor "
            f"({verdict} the promised {LIMIT:g}x).",
            f"_(measured in {time.perf_counter() - started:.0f} s)_",
        ]
    )


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
