"""Fitting the terminal report into the terminal's width: folded lines and tables.

A width of ``None`` means no limit (the text is returned as it is). Long words, such as
operation names and test node ids, are cut after a separator (``. _ - / :``) when one is
close enough, else at the width; no line is ever longer than the width.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

__all__ = ["MIN_WIDTH", "fit_table", "fold", "fold_word"]

MIN_WIDTH: Final = 20
"""Narrower widths are raised to this (pytest itself never goes below 40)."""
_SEPARATORS: Final = "._-/:"
_MIN_FIRST_COLUMN: Final = 10
"""Below this, the first column is not folded: the rows are stacked instead."""


def fold_word(word: str, width: int) -> list[str]:
    """``word`` cut into pieces of at most ``width`` characters, after separators if any."""
    width = max(width, 1)
    pieces: list[str] = []
    while len(word) > width:
        cut = max(word.rfind(sep, 0, width) for sep in _SEPARATORS) + 1
        if cut < width // 2:  # no separator in the second half: a plain cut wastes less
            cut = width
        pieces.append(word[:cut])
        word = word[cut:]
    pieces.append(word)
    return pieces


def fold(text: str, width: int | None, indent: str = "    ") -> list[str]:
    """``text`` as lines of at most ``width`` characters; continuation lines get ``indent``.

    The first line keeps the text's own leading spaces; words are never split unless a
    word alone is longer than a line.
    """
    if width is None or len(text) <= width:
        return [text]
    width = max(width, MIN_WIDTH)
    indent = indent if len(indent) < width // 2 else ""
    prefix = text[: len(text) - len(text.lstrip(" "))]
    lines: list[str] = []
    line = ""
    for word in text.split():
        while word:
            room = width - len(prefix) - (len(line) + 1 if line else 0)
            if len(word) <= room:
                line = f"{line} {word}" if line else word
                word = ""
            elif line:
                lines.append(prefix + line)
                prefix, line = indent, ""
            else:
                head, *_ = fold_word(word, room)
                lines.append(prefix + head)
                prefix, word = indent, word[len(head) :]
    if line:
        lines.append(prefix + line)
    return lines


def fit_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], width: int | None
) -> tuple[list[str], int]:
    """A table's lines (header, rule, rows) fitted into ``width``, and the table's width.

    The first column is left-aligned, the others right-aligned. When the table is too
    wide, the columns are set one space apart instead of two; then the first column is
    folded (its cells continue on the next lines); when even that leaves it too narrow,
    each row is stacked: its first cell on a line, then ``header=value`` pairs under it.
    """
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    gap = 2
    if width is not None and sum(widths) + gap * (len(widths) - 1) > width:
        gap = 1  # first give up the wide gaps
    rest = sum(widths[1:]) + gap * (len(widths) - 1)
    if width is not None and widths[0] + rest > width:
        width = max(width, MIN_WIDTH)
        room = width - rest
        if room < min(widths[0], _MIN_FIRST_COLUMN):
            return _stacked(header, rows, width)
        widths[0] = room

    def render(cells: Sequence[str]) -> list[str]:
        pieces = fold_word(cells[0], widths[0])
        values = (cell.rjust(w) for cell, w in zip(cells[1:], widths[1:], strict=True))
        first = (" " * gap).join((pieces[0].ljust(widths[0]), *values)).rstrip()
        return [first, *pieces[1:]]

    total = widths[0] + rest
    lines = [*render(header), "-" * total]
    for row in rows:
        lines += render(row)
    return lines, total


def _stacked(
    header: Sequence[str], rows: Sequence[Sequence[str]], width: int
) -> tuple[list[str], int]:
    lines: list[str] = []
    for row in rows:
        lines += fold(row[0], width)
        pairs = "  ".join(f"{h}={v}" for h, v in zip(header[1:], row[1:], strict=True))
        lines += fold("    " + pairs, width, indent="    ")
    return lines, width
