"""The one rule for output text: valid Unicode (``clean_text``), one line (``one_line``)."""

from __future__ import annotations

import pytest

from rfs_monitoring.text import clean_text, one_line


class TestCleanText:
    def test_valid_text_is_returned_as_is(self) -> None:
        text = "héllo 한국어 😀"
        assert clean_text(text) is text

    def test_a_lone_surrogate_becomes_its_escape(self) -> None:
        assert clean_text("eve\ud800!\udfff") == "eve\\ud800!\\udfff"


class TestOneLine:
    def test_printable_text_is_returned_as_is(self) -> None:
        assert one_line("a = b ‘c’") == "a = b ‘c’"

    @pytest.mark.parametrize(
        ("text", "escaped"),
        [
            ("a\nb\r\tc", "a\\nb\\r\\tc"),
            ("\x1b[2J", "\\x1b[2J"),
            ("line\u2028sep\x85", "line\\u2028sep\\x85"),
            ("zero\u200bwidth", "zero\\u200bwidth"),
            ("eve\ud800", "eve\\ud800"),
            ("tag\U000e0001", "tag\\U000e0001"),
        ],
    )
    def test_every_non_printable_character_is_escaped(self, text: str, escaped: str) -> None:
        assert one_line(text) == escaped
        assert len(one_line(text).splitlines()) == 1
