"""The ``rfs_budget`` marker: limits on what a test's operations may record."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

import pytest

from rfs_monitoring.errors import ConfigurationError

if TYPE_CHECKING:
    from pytest_rfs.report.figures import OperationFigures

__all__ = ["BUDGETS_KEY", "BUDGET_MARKER", "BUDGET_MARKER_HELP", "Budget", "BudgetValidator"]

BUDGET_MARKER: Final = "rfs_budget"
BUDGET_MARKER_HELP: Final = (
    "rfs_budget(operation=None, p99_ms=None, max_failure_rate=None): fail the test when "
    "the Result operations it recorded break the budget (operation=None: every operation)."
)
_BUDGET_ARGUMENTS: Final = ("operation", "p99_ms", "max_failure_rate")

BUDGETS_KEY = pytest.StashKey[tuple["Budget", ...]]()
"""Where ``BudgetValidator`` keeps a test's validated budgets in ``item.stash``."""


@dataclasses.dataclass(frozen=True)
class Budget:
    """One ``rfs_budget`` marker: limits on what a test's operations may record."""

    operation: str | None
    p99_ms: float | None
    max_failure_rate: float | None

    @classmethod
    def from_marker(cls, mark: pytest.Mark) -> Budget:
        """Validate a marker's arguments.

        Raises:
            ConfigurationError: positional or unknown arguments, or a bad value.
        """
        if mark.args:
            msg = (
                f"{BUDGET_MARKER} takes keyword arguments only (operation=..., p99_ms=..., "
                f"max_failure_rate=...), got positional arguments {mark.args!r}"
            )
            raise ConfigurationError(msg)
        unknown = sorted(set(mark.kwargs) - set(_BUDGET_ARGUMENTS))
        if unknown:
            msg = (
                f"{BUDGET_MARKER} got unknown argument(s) {', '.join(map(repr, unknown))}; "
                f"accepted: {', '.join(_BUDGET_ARGUMENTS)}"
            )
            raise ConfigurationError(msg)
        operation = mark.kwargs.get("operation")
        if operation is not None and (not isinstance(operation, str) or not operation):
            msg = f"{BUDGET_MARKER} operation must be a non-empty string, got {operation!r}"
            raise ConfigurationError(msg)
        p99_ms = mark.kwargs.get("p99_ms")
        if p99_ms is not None and not (_is_number(p99_ms) and p99_ms > 0):
            msg = f"{BUDGET_MARKER} p99_ms must be a number > 0 (milliseconds), got {p99_ms!r}"
            raise ConfigurationError(msg)
        rate = mark.kwargs.get("max_failure_rate")
        if rate is not None and not (_is_number(rate) and 0 <= rate <= 1):
            msg = f"{BUDGET_MARKER} max_failure_rate must be a number from 0 to 1, got {rate!r}"
            raise ConfigurationError(msg)
        if p99_ms is None and rate is None:
            msg = f"{BUDGET_MARKER} needs p99_ms and/or max_failure_rate, got neither"
            raise ConfigurationError(msg)
        return cls(
            operation=operation,
            p99_ms=None if p99_ms is None else float(p99_ms),
            max_failure_rate=None if rate is None else float(rate),
        )

    def violations(self, operations: Mapping[str, OperationFigures]) -> list[str]:
        """Messages for every limit the recorded figures break (empty: within budget)."""
        if self.operation is None:
            if not operations:
                return [f"{BUDGET_MARKER}: the test recorded no Result operations"]
            targets = list(operations.values())
        elif self.operation in operations:
            targets = [operations[self.operation]]
        else:
            recorded = ", ".join(map(repr, operations)) or "none"
            return [
                f"{BUDGET_MARKER}: operation {self.operation!r} recorded no calls during the "
                f"test (recorded: {recorded})"
            ]
        from pytest_rfs.explain import plural  # here: the plugin loads this module at start

        messages: list[str] = []
        for figures in targets:
            calls = plural(figures.count, "call", "calls")
            if self.p99_ms is not None and figures.p99_ms > self.p99_ms:
                messages.append(
                    f"{BUDGET_MARKER}: operation {figures.operation!r} p99 is "
                    f"{figures.p99_ms:.3f} ms over {calls}, above the budget of "
                    f"{self.p99_ms:.3f} ms"
                )
            rate = self.max_failure_rate
            if rate is not None and figures.failure_rate > rate:
                messages.append(
                    f"{BUDGET_MARKER}: operation {figures.operation!r} failed "
                    f"{figures.failures} of {calls} ({figures.failure_rate:.1%}), above the "
                    f"budget of {rate:.1%}"
                )
        return messages


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class BudgetValidator:
    """Validates ``rfs_budget`` markers at setup, so a bad one is a setup error."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        """Validate the test's markers before its fixtures run."""
        marks = list(item.iter_markers(BUDGET_MARKER))
        if not marks:
            return
        try:
            budgets = tuple(Budget.from_marker(mark) for mark in marks)
        except ConfigurationError as exc:
            pytest.fail(f"invalid marker: {exc}", pytrace=False)
        item.stash[BUDGETS_KEY] = budgets
