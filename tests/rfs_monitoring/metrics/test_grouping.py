"""Error groups: the one merge rule, the message cache, the caps."""

from __future__ import annotations

from typing import Any

from rfs_monitoring.metrics.grouping import (
    MESSAGE_CACHE_SIZE,
    OTHER,
    ErrorCaps,
    ErrorGrouper,
    FailedSample,
    add_to_group,
    merge_groups,
    safe_str,
)

NO_IDS: tuple[str | None, str | None] = (None, None)


class TestMerge:
    def test_counts_add_up_and_the_latest_brings_its_code(self) -> None:
        groups: dict[str, list[Any]] = {}
        add_to_group(groups, "boom", 2, 10.0, "A")
        add_to_group(groups, "boom", 1, 5.0, "B")
        assert groups == {"boom": [3, 10.0, "A"]}
        add_to_group(groups, "boom", 1, 10.0, "C")
        assert groups == {"boom": [4, 10.0, "C"]}  # a tie: the one added later

    def test_any_hashable_key(self) -> None:
        groups: dict[tuple[str, str], list[Any]] = {}
        add_to_group(groups, ("op", "boom"), 1, 1.0, None)
        assert groups == {("op", "boom"): [1, 1.0, None]}

    def test_merge_groups_merges_every_group(self) -> None:
        into: dict[str, list[Any]] = {"a": [1, 1.0, "X"]}
        merge_groups(into, {"a": [2, 3.0, "Y"], "b": [1, 2.0, "Z"]})
        assert into == {"a": [3, 3.0, "Y"], "b": [1, 2.0, "Z"]}


class TestErrorGrouper:
    def test_the_message_cache_is_bounded(self) -> None:
        grouper = ErrorGrouper(max_groups=10)
        for i in range(5000):
            assert grouper.group_of(f"m{i}x") == "m<n>x"
        assert 0 < grouper.cached <= MESSAGE_CACHE_SIZE
        grouper.clear()
        assert grouper.cached == 0

    def test_count_caps_groups_codes_and_types(self) -> None:
        grouper = ErrorGrouper(max_groups=1)
        caps = ErrorCaps()
        codes: dict[str, int] = {}
        types: dict[str, int] = {}
        groups: dict[str, list[Any]] = {}
        failures: list[FailedSample] = [
            ("A", "TypeA", "first 1", 1.0, NO_IDS),
            ("B", "TypeB", "second", 2.0, NO_IDS),
            ("A", "TypeA", "first 2", 3.0),
        ]
        assert grouper.count(caps, failures, codes, types, groups) == 1
        assert codes == {"A": 2, OTHER: 1}
        assert types == {"TypeA": 2, OTHER: 1}
        assert groups == {"first <n>": [2, 3.0, "A"], OTHER: [1, 2.0, OTHER]}

    def test_unhashable_parts_are_grouped_by_their_text(self) -> None:
        grouper = ErrorGrouper(max_groups=5)
        codes: dict[str, int] = {}
        groups: dict[str, list[Any]] = {}
        failures: list[FailedSample] = [
            (["c"], None, {"m": 1}, 1.0, NO_IDS),
            (["c"], None, {"m": 1}, 2.0, NO_IDS),
        ]
        assert grouper.count(ErrorCaps(), failures, codes, {}, groups) == 0
        assert codes == {"['c']": 2}
        assert groups == {"{<str>: <n>}": [2, 2.0, "['c']"]}


class TestSafeStr:
    def test_a_broken_str_gives_a_placeholder(self) -> None:
        class Broken:
            def __str__(self) -> str:
                raise RuntimeError

        assert safe_str(Broken()) == "<unprintable Broken>"
        assert safe_str(3) == "3"
