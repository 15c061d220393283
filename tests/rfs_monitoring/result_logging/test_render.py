"""Rendering within bounds: the fast path, the sanitiser, the line limit, text lines."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from rfs_monitoring.result_logging import logging_stats
from rfs_monitoring.result_logging.render import (
    DEFAULT_BOUNDS,
    Bounds,
    Sanitiser,
    cut_line,
    json_safe,
    reduce_to_fit,
    render_json,
    text_line,
    truncate,
)
from rfs_monitoring.result_logging.writer import ITEM_RECORD, Writer

SMALL = Bounds(max_key_chars=16, max_value_chars=64, max_line_bytes=1024)


class Broken:
    def __str__(self) -> str:
        raise RuntimeError("no text")


class BrokenMapping(Mapping[str, Any]):
    def __getitem__(self, key: str) -> Any:
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        raise RuntimeError("cannot iterate")

    def __len__(self) -> int:
        return 1


class BrokenIterable(list[Any]):
    def __iter__(self) -> Iterator[Any]:
        raise RuntimeError("cannot iterate")


class TestFits:
    def test_short_lines_fit(self) -> None:
        assert SMALL.fits(b'{"a":1}', {"a": 1}, fixed_keys=False)

    def test_lines_over_the_value_or_line_bound_do_not(self) -> None:
        assert not SMALL.fits(b"x" * 65, {}, fixed_keys=False)
        assert not Bounds(16, 10_000, 1024).fits(b"x" * 1025, {}, fixed_keys=False)

    @pytest.mark.parametrize(
        "data",
        [
            {"k" * 17: 1, "pad": "p" * 10},
            {"pad": "p" * 10, "nested": [{"k" * 17: 1}]},
            {"pad": "p" * 10, "nested": ({"x": {1: 2}},)},
        ],
    )
    def test_a_long_or_non_str_key_anywhere_does_not_fit(self, data: dict[str, Any]) -> None:
        line = json.dumps(data, default=str).encode()
        assert not SMALL.fits(line, data, fixed_keys=False)

    def test_fixed_keys_only_check_the_metadata(self) -> None:
        data = {"pad": "p" * 20, "metadata": {"k" * 17: 1}}
        assert not SMALL.fits(json.dumps(data).encode(), data, fixed_keys=True)
        data = {"pad": "p" * 20, "metadata": {"ok": [1, 2]}}
        assert SMALL.fits(json.dumps(data).encode(), data, fixed_keys=True)
        data = {"pad": "p" * 20, "metadata": None}
        assert SMALL.fits(json.dumps(data).encode(), data, fixed_keys=True)


class TestSanitiser:
    def test_plain_values_and_dates(self) -> None:
        when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
        out = Sanitiser(SMALL).plain(
            {
                1: when,
                "d": dt.date(2026, 1, 2),
                "s": {3},
                "t": (1,),
                "f": float("inf"),
                "o": dt.timezone.utc,
            }
        )
        assert out == {
            "o": "UTC",
            "1": "2026-01-02T03:04:05+00:00",
            "d": "2026-01-02",
            "s": [3],
            "t": [1],
            "f": "inf",
        }

    def test_what_cannot_be_rendered_is_replaced_and_counted(self) -> None:
        sanitiser = Sanitiser(DEFAULT_BOUNDS)
        before = logging_stats()["serialization_errors"]
        out = sanitiser.plain({"m": BrokenMapping(), "i": BrokenIterable([1]), Broken(): 1})
        assert out == {
            "m": {"_unserialisable": "<unserialisable BrokenMapping>"},
            "i": ["<unserialisable BrokenIterable>"],
            "<unserialisable Broken>": 1,
        }
        assert sanitiser.replaced == 3
        assert logging_stats()["serialization_errors"] - before == 3

    def test_containers_are_cut_at_a_quarter_of_the_line(self) -> None:
        sanitiser = Sanitiser(SMALL)
        out = sanitiser.plain({"many": dict.fromkeys(range(300), 0), "list": list(range(300))})
        assert len(out["many"]) == 257
        assert out["many"]["_truncated"] == "44 keys left out"
        assert out["list"][-1] == "…[truncated 44 items]"
        assert sanitiser.truncated == 2

    def test_json_safe_cuts_nothing(self) -> None:
        assert json_safe({"a": "x" * 100_000, "b": "eve\ud800"}) == {
            "a": "x" * 100_000,
            "b": "eve\\ud800",
        }


class TestReduceToFit:
    def test_the_largest_fields_go_first(self) -> None:
        line = reduce_to_fit({"small": "s", "big": "b" * 2000, "meta": {"x": "m" * 2000}}, 1024)
        data = json.loads(line)
        assert data["small"] == "s"
        assert data["big"].startswith("…[truncated: 2002 bytes")
        assert data["meta"] == {"_truncated": "…[truncated: 2008 bytes; line over 1024 bytes]"}

    def test_too_many_keys_are_left_out(self) -> None:
        line = reduce_to_fit({f"key{i}": i for i in range(500)}, 1024)
        assert len(line) <= 1024
        assert json.loads(line)["_truncated"] == "keys left out: line over the limit"

    def test_a_limit_too_small_for_anything_gives_a_marker(self) -> None:
        assert reduce_to_fit({"k" * 50: 1}, 10) == b'{"_truncated":"line over the limit"}'


class TestRenderJson:
    def test_the_fast_path_renders_as_orjson(self) -> None:
        assert render_json({"a": 1, "b": [1, 2]}) == b'{"a":1,"b":[1,2]}'

    def test_the_fast_path_renders_sets_dates_and_objects(self) -> None:
        data = {"s": frozenset({1}), "d": dt.date(2026, 1, 2), "o": dt.timezone.utc}
        assert render_json(data) == b'{"s":[1],"d":"2026-01-02","o":"UTC"}'

    def test_truncate_keeps_short_text(self) -> None:
        assert truncate("abc", 3) == "abc"
        assert truncate("abcd", 3) == "abc…[truncated 1 chars]"

    def test_defaults_are_8_kb_values_64_kb_lines(self) -> None:
        assert Bounds(256, 8192, 65536) == DEFAULT_BOUNDS
        line = json.loads(render_json({"v": "x" * 9000}))
        assert line["v"] == truncate("x" * 9000, 8192)


class TestTextLine:
    def test_keys_and_values_are_quoted_when_not_bare(self) -> None:
        line = text_line({"a b": "c=d", 3: "x", "q": 'say "hi"', "none": None, "empty": {}})
        assert line == b'"a b"="c=d" 3=x q="say \\"hi\\""'

    def test_a_key_without_a_str_form_is_replaced(self) -> None:
        assert text_line({Broken(): 1}) == b'"<unserialisable Broken>"=1'

    def test_structured_values_are_json(self) -> None:
        assert text_line({"m": {"k": [1, "two"]}}) == b'm={"k":[1,"two"]}'

    def test_long_keys_and_values_are_cut(self) -> None:
        line = text_line({"k" * 20: "v" * 70}, SMALL).decode()
        assert line == f'"{"k" * 16}…[truncated 4 chars]"="{"v" * 64}…[truncated 6 chars]"'

    def test_a_long_line_is_cut_with_a_marker(self) -> None:
        line = text_line({f"k{i}": "v" * 60 for i in range(40)}, SMALL)
        assert len(line) <= 1024
        assert line.endswith(b"B")
        assert b" _truncated=" in line

    def test_cut_line_keeps_whole_characters(self) -> None:
        line = cut_line(("한" * 1000).encode(), SMALL)
        assert len(line) <= 1024
        line.decode("utf-8")


class BrokenFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        raise RuntimeError("formatter bug")


class TestWriterReducedLines:
    def test_an_item_that_fails_to_render_is_written_reduced_in_text_mode(self) -> None:
        written: list[bytes] = []
        writer = Writer(
            written.append,
            lambda: None,
            None,
            json=False,
            background=False,
            queue_size=10,
            formatter=BrokenFormatter(),
        )
        before = logging_stats()
        writer.submit((ITEM_RECORD, logging.LogRecord("lib", 30, __file__, 1, "m", None, None)))
        assert written == [b'event="unrenderable log item" error=RuntimeError\n']
        assert logging_stats()["reduced"] - before["reduced"] == 1
