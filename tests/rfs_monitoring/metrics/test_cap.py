"""``OperationCap``: which names get figures of their own, which go to ``OTHER``."""

from __future__ import annotations

from rfs_monitoring.metrics import OTHER, OperationCap
from rfs_monitoring.metrics.cap import REMEMBERED


class TestOperationCap:
    def test_admits_up_to_the_cap_then_counts_the_rest(self) -> None:
        cap = OperationCap(2)
        assert cap.admit("a", 0)
        assert cap.admit("b", 1)
        assert not cap.admit("c", 2)
        assert not cap.admit("c", 2)
        assert cap.admit(OTHER, 2)
        assert cap.capped() == {"c": 2}
        assert cap.capped_names == 1
        assert cap.is_capped("c")
        assert not cap.is_capped("a")

    def test_reserved_names_are_always_admitted(self) -> None:
        cap = OperationCap(1)
        cap.reserve("payments")
        cap.reserve("payments")
        assert cap.admit("payments", 5)
        assert cap.reserved() == frozenset({"payments"})

    def test_names_are_compared_in_their_escaped_form(self) -> None:
        cap = OperationCap(0)
        cap.reserve("eve\ud800")
        assert cap.admit("eve\\ud800", 3)  # how the collector tracks it
        assert not cap.admit("bob\\udfff", 3)
        assert cap.is_capped("bob\udfff")

    def test_a_name_that_is_no_str_is_never_admitted_nor_remembered(self) -> None:
        cap = OperationCap(10)
        assert not cap.admit(("not", "a", "name"), 0)
        assert cap.capped() == {}

    def test_past_the_remembered_names_they_are_only_counted(self) -> None:
        cap = OperationCap(0)
        for i in range(REMEMBERED + 5):
            cap.admit(f"n{i}", 0)
        assert len(cap.capped()) == REMEMBERED
        assert cap.capped_names == REMEMBERED + 5
        assert not cap.is_capped(f"n{REMEMBERED + 1}")
        cap.clear()
        assert cap.capped() == {}
        assert cap.capped_names == 0
