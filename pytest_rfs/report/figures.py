"""The report's figures: per operation, per test and for the session; the JSON document."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Final

from rfs_monitoring.stats import nearest_rank

if TYPE_CHECKING:
    from pytest_rfs.report.baseline import Comparison
    from rfs_monitoring.metrics import MetricSample

__all__ = [
    "COMPACT_JSON",
    "JUNIT_FIGURES",
    "SCHEMA_VERSION",
    "MetricsReport",
    "OperationFigures",
    "OperationSummary",
    "TestMetrics",
    "load_schema",
    "percentile",
    "summarize_samples",
]

SCHEMA_VERSION: Final = 1
COMPACT_JSON: Final = json.JSONEncoder(separators=(",", ":"))
"""One compact encoder: cheaper than ``json.dumps(...)`` per call."""
_QUANTILES: Final = (50, 90, 99)
JUNIT_FIGURES: Final = (
    "count",
    "successes",
    "failures",
    "success_rate",
    "failure_rate",
    "total_ms",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "max_ms",
)
"""The figures each operation adds to a test's JUnit XML entry, in this order."""


def percentile(sorted_values: Sequence[float], percent: int) -> float:
    """The nearest-rank percentile of already sorted values (0.0 when there are none).

    The p-th percentile is the smallest recorded value that is >= p% of all values, so it
    is always a value that was really observed (p99 of fewer than 100 values is the max);
    ``rfs_monitoring.stats.nearest_rank`` is the rule.
    """
    value = nearest_rank(sorted_values, percent / 100)
    return 0.0 if value is None else value


@dataclasses.dataclass
class OperationFigures:
    """The figures of one operation: counts, duration percentiles, errors by code."""

    operation: str
    count: int
    successes: int
    failures: int
    total_ms: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: dict[str, int]
    durations_ms: list[float] = dataclasses.field(default_factory=list, repr=False)

    @property
    def success_rate(self) -> float:
        """Successes / count (1.0 when nothing was recorded)."""
        return self.successes / self.count if self.count else 1.0

    @property
    def failure_rate(self) -> float:
        """Failures / count (0.0 when nothing was recorded)."""
        return self.failures / self.count if self.count else 0.0

    @classmethod
    def from_durations(
        cls,
        operation: str,
        *,
        successes: int,
        failures: int,
        durations_ms: Iterable[float],
        errors: Mapping[str, int],
        total_ms: float | None = None,
        max_ms: float | None = None,
    ) -> OperationFigures:
        """Figures from counts and durations (sorted here; the order does not matter)."""
        durations = sorted(durations_ms)
        p50, p90, p99 = [percentile(durations, p) for p in _QUANTILES]
        return cls(
            operation=operation,
            count=successes + failures,
            successes=successes,
            failures=failures,
            total_ms=math.fsum(durations) if total_ms is None else total_ms,
            p50_ms=p50,
            p90_ms=p90,
            p99_ms=p99,
            max_ms=(durations[-1] if durations else 0.0) if max_ms is None else max_ms,
            errors=dict(sorted(errors.items())),
            durations_ms=durations,
        )

    def to_dict(self, *, raw: bool = False) -> dict[str, Any]:
        """JSON-safe figures; ``raw`` adds every duration."""
        data: dict[str, Any] = {
            "count": self.count,
            "successes": self.successes,
            "failures": self.failures,
            "success_rate": self.success_rate,
            "total_ms": self.total_ms,
            "p50_ms": self.p50_ms,
            "p90_ms": self.p90_ms,
            "p99_ms": self.p99_ms,
            "max_ms": self.max_ms,
            "errors": dict(self.errors),
        }
        if raw:
            data["durations_ms"] = list(self.durations_ms)
        return data

    def junit_properties(self) -> list[tuple[str, str]]:
        """One JUnit XML property per figure: ``rfs.<operation>.<figure>``.

        The figures of ``to_dict()`` plus ``failure_rate``, the values as in the JSON
        report; each error code adds ``rfs.<operation>.errors.<code>``.
        """
        prefix = f"rfs.{self.operation}."
        data = self.to_dict()
        errors: dict[str, int] = data.pop("errors")
        data["failure_rate"] = self.failure_rate
        properties = [(prefix + name, COMPACT_JSON.encode(data[name])) for name in JUNIT_FIGURES]
        properties += [(f"{prefix}errors.{code}", str(n)) for code, n in errors.items()]
        return properties


def summarize_samples(samples: Iterable[MetricSample]) -> dict[str, OperationFigures]:
    """Group samples by operation into figures, sorted by operation name."""
    groups: dict[str, tuple[list[float], list[int], dict[str, int]]] = {}
    for sample in samples:
        group = groups.get(sample.operation)
        if group is None:
            group = groups[sample.operation] = ([], [0, 0], {})
        durations, counts, errors = group
        duration = float(sample.duration_ms)
        durations.append(duration if math.isfinite(duration) else 0.0)  # keep the JSON valid
        if sample.success:
            counts[0] += 1
        else:
            counts[1] += 1
            code = sample.error_code or "UNKNOWN"
            errors[code] = errors.get(code, 0) + 1
    return {
        name: OperationFigures.from_durations(
            name, successes=counts[0], failures=counts[1], durations_ms=durations, errors=errors
        )
        for name, (durations, counts, errors) in sorted(groups.items())
    }


@dataclasses.dataclass
class OperationSummary(OperationFigures):
    """Session figures of one operation, with the tests that exercised it."""

    tests: list[str] = dataclasses.field(default_factory=list)

    def to_dict(self, *, raw: bool = False) -> dict[str, Any]:
        """JSON-safe figures plus the sorted node ids of the tests (never raw durations)."""
        data = super().to_dict(raw=False)
        data["tests"] = list(self.tests)
        return data


@dataclasses.dataclass
class TestMetrics:
    """What one test recorded, with its outcome and duration (all phases, seconds)."""

    __test__: ClassVar[bool] = False  # not a pytest test class

    nodeid: str
    outcome: str
    duration_s: float
    operations: dict[str, OperationFigures]

    def to_dict(self, *, raw: bool = False) -> dict[str, Any]:
        """JSON-safe form; ``raw`` adds every duration."""
        return {
            "nodeid": self.nodeid,
            "outcome": self.outcome,
            "duration_s": self.duration_s,
            "operations": {
                name: figures.to_dict(raw=raw) for name, figures in self.operations.items()
            },
        }


@dataclasses.dataclass
class MetricsReport:
    """The session report: every test, and every operation over all tests.

    Given to ``pytest_rfs_report_ready`` hooks; ``to_dict()`` is the JSON document.
    ``comparison`` is set when the session is compared with a baseline
    (``--rfs-metrics-compare``).
    """

    tests: list[TestMetrics]
    operations: dict[str, OperationSummary]
    raw: bool = False
    comparison: Comparison | None = None

    @classmethod
    def from_tests(cls, tests: Iterable[TestMetrics], *, raw: bool = False) -> MetricsReport:
        """Aggregate per-test figures; independent of the order the tests arrive in."""
        ordered = sorted(tests, key=lambda t: t.nodeid)
        parts: dict[str, list[tuple[str, OperationFigures]]] = {}
        for test in ordered:
            for name, figures in test.operations.items():
                parts.setdefault(name, []).append((test.nodeid, figures))
        operations: dict[str, OperationSummary] = {}
        for name in sorted(parts):
            per_test = parts[name]
            errors: dict[str, int] = {}
            for _, figures in per_test:
                for code, n in figures.errors.items():
                    errors[code] = errors.get(code, 0) + n
            merged = OperationFigures.from_durations(
                name,
                successes=sum(f.successes for _, f in per_test),
                failures=sum(f.failures for _, f in per_test),
                durations_ms=[d for _, f in per_test for d in f.durations_ms],
                errors=errors,
                total_ms=math.fsum(f.total_ms for _, f in per_test),
                max_ms=max(f.max_ms for _, f in per_test),
            )
            fields = {f.name: getattr(merged, f.name) for f in dataclasses.fields(merged)}
            operations[name] = OperationSummary(
                **fields, tests=sorted({nodeid for nodeid, _ in per_test})
            )
        return cls(tests=ordered, operations=operations, raw=raw)

    @property
    def total_calls(self) -> int:
        """Operation calls recorded over the session."""
        return sum(op.count for op in self.operations.values())

    @property
    def total_failures(self) -> int:
        """Failed operation calls recorded over the session."""
        return sum(op.failures for op in self.operations.values())

    def by_total_time(self) -> list[OperationSummary]:
        """Operations, most total time first."""
        return sorted(self.operations.values(), key=lambda op: (-op.total_ms, op.operation))

    def slowest_p99(self) -> list[OperationSummary]:
        """Operations, highest p99 first."""
        return sorted(self.operations.values(), key=lambda op: (-op.p99_ms, op.operation))

    def highest_failure_rate(self) -> list[OperationSummary]:
        """Operations that failed at least once, highest failure rate first."""
        failing = [op for op in self.operations.values() if op.failures]
        return sorted(failing, key=lambda op: (-op.failure_rate, -op.failures, op.operation))

    def to_dict(self) -> dict[str, Any]:
        """The JSON document described by ``schemas/metrics_report.schema.json``."""
        data: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "raw_durations": self.raw,
            "summary": {
                "tests": len(self.tests),
                "tests_with_operations": sum(1 for t in self.tests if t.operations),
                "operations": len(self.operations),
                "calls": self.total_calls,
                "failures": self.total_failures,
            },
            "operations": {name: op.to_dict() for name, op in self.operations.items()},
            "tests": [test.to_dict(raw=self.raw) for test in self.tests],
        }
        if self.comparison is not None:
            data["comparison"] = self.comparison.to_dict()
        return data

    def to_json(self) -> str:
        """The JSON document as compact text (``indent`` would bypass json's C encoder)."""
        return COMPACT_JSON.encode(self.to_dict()) + "\n"


def load_schema() -> dict[str, Any]:
    """The published JSON schema of the report document."""
    from importlib.resources import files

    text = (files("pytest_rfs") / "schemas" / "metrics_report.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
