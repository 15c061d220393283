"""The per-test metrics report of the ``rfs`` plugin: ``--rfs-metrics-report``.

What is recorded: while a test's *call* phase runs (the test body, not its fixtures'
setup or teardown), every sample recorded into ``ResultMetricsCollector.instance()`` is
received through the collector's subscription seam. The instance is looked up when the
call phase starts, that is after the fixtures are set up, so a fixture that swaps the
default collector for an isolated one (``rfs_metrics``) is followed; a swap made inside the
test body is not (the subscription stays on the instance current at call start), nor are
samples recorded into a collector that is not the default instance. Setup and teardown
are left out on purpose: fixtures that seed data through Result operations would
otherwise blur both the figures and the ``rfs_budget`` checks of the test itself.

How it travels: the process that runs the test adds the figures to the test's
``user_properties``: one ``rfs_metrics`` JSON entry, read back by the report, and one
readable ``rfs.<operation>`` entry per operation for JUnit XML consumers. A pytest-xdist
worker also puts the raw durations (needed for the session percentiles) on the teardown
report as its ``rfs_metrics_durations`` attribute; xdist carries both to the controller,
which builds the session report from the same data as a serial run.

When no report is asked for, nothing is recorded, except for tests marked ``rfs_budget``
(the marker needs the figures of its own test).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Final, TypeVar

import pytest

from rfs_monitoring.errors import ConfigurationError

if TYPE_CHECKING:
    from rfs_monitoring.metrics import MetricSample, ResultMetricsCollector

__all__ = [
    "DURATIONS_ATTRIBUTE",
    "PROPERTY_NAME",
    "SCHEMA_VERSION",
    "Budget",
    "MetricsRecorder",
    "MetricsReport",
    "MetricsReporter",
    "OperationFigures",
    "OperationSummary",
    "ReportColumn",
    "ReportSettings",
    "TestMetrics",
    "add_options",
    "configure",
    "load_schema",
    "parse_formats",
    "parse_top",
    "percentile",
    "render_terminal",
    "summarize_samples",
]

SCHEMA_VERSION: Final = 1
_COMPACT = json.JSONEncoder(separators=(",", ":"))  # one encoder: cheaper than json.dumps(...)
#: Name of the ``user_properties`` entry carrying one test's figures as JSON.
PROPERTY_NAME: Final = "rfs_metrics"
#: Attribute of the teardown report carrying one test's raw durations.
DURATIONS_ATTRIBUTE: Final = "rfs_metrics_durations"
DEFAULT_TOP: Final = 10
BUDGET_MARKER: Final = "rfs_budget"
BUDGET_MARKER_HELP: Final = (
    "rfs_budget(operation=None, p99_ms=None, max_failure_rate=None): fail the test when "
    "the Result operations it recorded break the budget (operation=None: every operation)."
)
ACCEPTED_FORMATS: Final = "'term' (the default when the option has no value) or 'json:PATH'"
_BUDGET_ARGUMENTS: Final = ("operation", "p99_ms", "max_failure_rate")
_QUANTILES: Final = (50, 90, 99)

_T = TypeVar("_T")

SETTINGS_KEY = pytest.StashKey["ReportSettings"]()
_BUDGETS_KEY = pytest.StashKey[tuple["Budget", ...]]()


# --------------------------------------------------------------------------- settings


@dataclasses.dataclass(frozen=True)
class ReportSettings:
    """What the user asked for: the outputs, the table length, raw durations or not."""

    terminal: bool = False
    json_paths: tuple[Path, ...] = ()
    top: int = DEFAULT_TOP
    raw: bool = False

    @property
    def enabled(self) -> bool:
        """True when at least one output is asked for (then every test is recorded)."""
        return self.terminal or bool(self.json_paths)


def add_options(parser: pytest.Parser, group_name: str) -> None:
    """Register the report's options in ``group_name`` and their ini twins."""
    group = parser.getgroup(group_name)
    group.addoption(
        "--rfs-metrics-report",
        action="append",
        nargs="?",
        const="term",
        default=None,
        metavar="FORMAT",
        dest="rfs_metrics_report",
        help="per-test Result metrics report: 'term' (default: a table in the terminal "
        "summary) or 'json:PATH'; repeat the option for both.",
    )
    group.addoption(
        "--rfs-metrics-top",
        default=None,
        metavar="N",
        dest="rfs_metrics_top",
        help=f"rows per table of the terminal report (0: all). Default: {DEFAULT_TOP}.",
    )
    group.addoption(
        "--rfs-metrics-raw",
        action="store_true",
        default=None,
        dest="rfs_metrics_raw",
        help="include every recorded duration in the JSON report (large).",
    )
    parser.addini(
        "rfs_metrics_report",
        type="args",
        default=[],
        help="default of --rfs-metrics-report: 'term' and/or 'json:PATH' (the CLI wins).",
    )
    parser.addini(
        "rfs_metrics_top",
        type="string",
        default="",
        help=f"default of --rfs-metrics-top (the CLI wins). Default: {DEFAULT_TOP}.",
    )
    parser.addini(
        "rfs_metrics_raw",
        type="bool",
        default=False,
        help="default of --rfs-metrics-raw (the CLI wins).",
    )


def parse_formats(
    values: Iterable[str], *, source: str, base: Path
) -> tuple[bool, tuple[Path, ...]]:
    """Parse report formats into (terminal wanted, JSON paths resolved against ``base``).

    Raises:
        pytest.UsageError: a value is neither ``term`` nor ``json:PATH``.
    """
    terminal = False
    paths: list[Path] = []
    for value in values:
        text = value.strip()
        if text == "term":
            terminal = True
        elif text.startswith("json:") and text[5:].strip():
            path = base / Path(text[5:].strip()).expanduser()
            if path not in paths:
                paths.append(path)
        else:
            msg = (
                f"{source}: bad value {value!r}; accepted: {ACCEPTED_FORMATS}, repeat the "
                "option for both (to put test paths right after it, write "
                "--rfs-metrics-report=term)"
            )
            raise pytest.UsageError(msg)
    return terminal, tuple(paths)


def parse_top(value: object, *, source: str) -> int:
    """Parse the number of rows per table (an integer >= 0, 0 meaning all).

    Raises:
        pytest.UsageError: ``value`` is no such integer.
    """
    try:
        top = int(str(value).strip())
    except ValueError:
        top = -1
    if top < 0:
        msg = f"{source}: bad value {value!r}; accepted: an integer >= 0 (0 shows all rows)"
        raise pytest.UsageError(msg)
    return top


def _settings_from_config(config: pytest.Config) -> ReportSettings:
    base = config.invocation_params.dir
    cli_formats: list[str] | None = config.getoption("rfs_metrics_report")
    if cli_formats:
        terminal, paths = parse_formats(cli_formats, source="--rfs-metrics-report", base=base)
    else:
        ini_formats: list[str] = config.getini("rfs_metrics_report")
        terminal, paths = parse_formats(ini_formats, source="ini rfs_metrics_report", base=base)
    cli_top: str | None = config.getoption("rfs_metrics_top")
    if cli_top is not None:
        top = parse_top(cli_top, source="--rfs-metrics-top")
    else:
        ini_top: str = config.getini("rfs_metrics_top")
        top = parse_top(ini_top, source="ini rfs_metrics_top") if ini_top.strip() else DEFAULT_TOP
    cli_raw: bool | None = config.getoption("rfs_metrics_raw")
    raw = bool(config.getini("rfs_metrics_raw")) if cli_raw is None else cli_raw
    return ReportSettings(terminal=terminal, json_paths=paths, top=top, raw=raw)


def configure(config: pytest.Config) -> None:
    """Read the options, register the ``rfs_budget`` marker and the report's hook objects.

    Raises:
        pytest.UsageError: an option or ini value is bad.
    """
    config.addinivalue_line("markers", BUDGET_MARKER_HELP)
    settings = _settings_from_config(config)
    config.stash[SETTINGS_KEY] = settings
    # Per-test hooks are registered only when needed: without a report and without an
    # rfs_budget marker in the collected tests the plugin adds no per-test work at all.
    _register(config, _BudgetWatcher(config, settings), "rfs-metrics-budget-watcher")
    if not settings.enabled:
        return
    recorder = MetricsRecorder(settings)
    _register(config, recorder, "rfs-metrics-recorder")
    if hasattr(config, "workerinput"):
        _register(config, _DurationsCarrier(recorder), "rfs-metrics-durations")
    else:
        _register(config, MetricsReporter(config, settings, recorder), "rfs-metrics-reporter")


def _register(config: pytest.Config, plugin: object, name: str) -> None:
    config.pluginmanager.register(plugin, name)
    config.add_cleanup(lambda: config.pluginmanager.unregister(plugin))


# --------------------------------------------------------------------------- figures


def percentile(sorted_values: Sequence[float], percent: int) -> float:
    """The nearest-rank percentile of already sorted values (0.0 when there are none).

    The p-th percentile is the smallest recorded value that is >= p% of all values, so it
    is always a value that was really observed (p99 of fewer than 100 values is the max).
    """
    if not sorted_values:
        return 0.0
    rank = -(-percent * len(sorted_values) // 100)
    return sorted_values[max(rank, 1) - 1]


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

    def junit_property(self) -> tuple[str, str]:
        """One readable ``rfs.<operation>`` entry for JUnit XML."""
        text = (
            f"count={self.count} failures={self.failures} "
            f"success_rate={self.success_rate:.4g} p50_ms={self.p50_ms:.3f} "
            f"p90_ms={self.p90_ms:.3f} p99_ms={self.p99_ms:.3f} max_ms={self.max_ms:.3f}"
        )
        if self.errors:
            text += " errors=" + ",".join(f"{code}:{n}" for code, n in self.errors.items())
        return f"rfs.{self.operation}", text


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
    """

    tests: list[TestMetrics]
    operations: dict[str, OperationSummary]
    raw: bool = False

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
        return {
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

    def to_json(self) -> str:
        """The JSON document as compact text (``indent`` would bypass json's C encoder)."""
        return _COMPACT.encode(self.to_dict()) + "\n"


def load_schema() -> dict[str, Any]:
    """The published JSON schema of the report document."""
    from importlib.resources import files

    text = (files("pytest_rfs") / "schemas" / "metrics_report.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


# --------------------------------------------------------------------------- budgets


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
        messages: list[str] = []
        for figures in targets:
            calls = _plural(figures.count, "call")
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


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# --------------------------------------------------------------------------- hooks


class MetricsRecorder:
    """Records each test's operations (in the process that runs the test)."""

    def __init__(self, settings: ReportSettings) -> None:
        self.settings = settings
        self.figures: dict[str, dict[str, OperationFigures]] = {}

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, object, object]:
        """Subscribe to the current collector while the test body runs."""
        budgets = item.stash.get(_BUDGETS_KEY, ())
        if not budgets and not self.settings.enabled:
            return (yield)
        samples: list[MetricSample] = []
        unsubscribe = self._collector_class().instance().subscribe(samples.append)
        try:
            result = yield
        except BaseException:
            unsubscribe()
            self._attach(item, summarize_samples(samples))
            raise
        unsubscribe()
        figures = summarize_samples(samples)
        self._attach(item, figures)
        messages = [m for budget in budgets for m in budget.violations(figures)]
        if messages:
            pytest.fail("\n".join(messages), pytrace=False)
        return result

    @staticmethod
    @functools.cache
    def _collector_class() -> type[ResultMetricsCollector]:
        from rfs_monitoring.metrics import ResultMetricsCollector

        return ResultMetricsCollector

    def _attach(self, item: pytest.Item, figures: dict[str, OperationFigures]) -> None:
        if not self.settings.enabled or not figures:
            return
        payload = {"operations": {name: f.to_dict() for name, f in figures.items()}}
        item.user_properties.append((PROPERTY_NAME, _COMPACT.encode(payload)))
        item.user_properties += [f.junit_property() for f in figures.values()]
        self.figures[item.nodeid] = figures


class _DurationsCarrier:
    """On a pytest-xdist worker: puts the raw durations on the teardown report."""

    def __init__(self, recorder: MetricsRecorder) -> None:
        self.recorder = recorder

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Attach before xdist serializes the report for the controller."""
        if report.when == "teardown":
            figures = self.recorder.figures.pop(report.nodeid, None)
            if figures is not None:
                durations = {name: f.durations_ms for name, f in figures.items()}
                setattr(report, DURATIONS_ATTRIBUTE, durations)


class _BudgetValidator:
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
        item.stash[_BUDGETS_KEY] = budgets


class _BudgetWatcher:
    """Registers the budget hooks once collection shows a test with an ``rfs_budget``."""

    def __init__(self, config: pytest.Config, settings: ReportSettings) -> None:
        self.config = config
        self.settings = settings

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Look for ``rfs_budget`` markers once, after collection."""
        if not any(item.get_closest_marker(BUDGET_MARKER) for item in items):
            return
        _register(self.config, _BudgetValidator(), "rfs-metrics-budgets")
        if not self.settings.enabled:
            _register(self.config, MetricsRecorder(self.settings), "rfs-metrics-recorder")


@dataclasses.dataclass
class _Pending:
    outcome: str = ""
    duration_s: float = 0.0


class MetricsReporter:
    """Builds the session report from test reports (serial run or xdist controller)."""

    def __init__(
        self, config: pytest.Config, settings: ReportSettings, recorder: MetricsRecorder
    ) -> None:
        self.config = config
        self.settings = settings
        self.recorder = recorder
        self.tests: list[TestMetrics] = []
        self.report: MetricsReport | None = None
        self.written: list[Path] = []
        self.write_errors: list[str] = []
        self._pending: dict[str, _Pending] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Fold each phase into its test; the teardown phase completes the test."""
        pending = self._pending.setdefault(report.nodeid, _Pending())
        pending.duration_s += report.duration
        if report.passed and (report.when != "call" or not hasattr(report, "wasxfail")):
            category = "passed" if report.when == "call" else ""  # what the hook would say
        else:
            status = self.config.hook.pytest_report_teststatus(report=report, config=self.config)
            category = status[0] if status else report.outcome
        if category and pending.outcome in ("", "passed"):
            pending.outcome = category
        if report.when != "teardown":
            return
        del self._pending[report.nodeid]
        durations = getattr(report, DURATIONS_ATTRIBUTE, None)
        if durations is not None:  # from a pytest-xdist worker: rebuilt from the report
            operations = _figures_from_report(report, durations)
        else:  # run in this process: the figures the report's properties were made of
            operations = self.recorder.figures.pop(report.nodeid, {})
        self.tests.append(
            TestMetrics(
                nodeid=report.nodeid,
                outcome=pending.outcome or report.outcome,
                duration_s=pending.duration_s,
                operations=operations,
            )
        )

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Build the report, hand it to ``pytest_rfs_report_ready``, write the JSON files."""
        report = MetricsReport.from_tests(self.tests, raw=self.settings.raw)
        self.report = report
        self.config.hook.pytest_rfs_report_ready(report=report, config=self.config)
        if not self.settings.json_paths:
            return
        text = report.to_json()
        for path in self.settings.json_paths:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
            except OSError as exc:
                self.write_errors.append(f"could not write the JSON report to {path}: {exc}")
            else:
                self.written.append(path)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """Print the table (``term``) and where the JSON went."""
        if self.report is None:
            return
        if self.settings.terminal:
            extra = [
                c
                for cols in self.config.hook.pytest_rfs_report_columns(config=self.config)
                for c in cols
            ]
            for line in render_terminal(self.report, top=self.settings.top, columns=extra):
                terminalreporter.write_line(line)
        for path in self.written:
            terminalreporter.write_line(f"rfs metrics: JSON report written to {path}")
        for error in self.write_errors:
            terminalreporter.write_line(f"rfs metrics: {error}", red=True, bold=True)


def _figures_from_report(
    report: pytest.TestReport, durations: Mapping[str, Sequence[float]]
) -> dict[str, OperationFigures]:
    payload: str | None = None
    for name, value in report.user_properties:
        if name == PROPERTY_NAME:
            payload = str(value)  # the last one wins (a rerun test appends again)
    if payload is None:
        return {}
    figures: dict[str, OperationFigures] = {}
    for name, data in json.loads(payload)["operations"].items():
        fields = {k: v for k, v in data.items() if k not in ("success_rate", "durations_ms")}
        figures[name] = OperationFigures(
            operation=name, **fields, durations_ms=sorted(durations.get(name, ()))
        )
    return figures


# --------------------------------------------------------------------------- terminal


@dataclasses.dataclass(frozen=True)
class ReportColumn:
    """An extra column of the terminal table, contributed by ``pytest_rfs_report_columns``.

    Attributes:
        header: the column title.
        value: called with each row's OperationSummary; its ``str()`` is shown.
    """

    header: str
    value: Callable[[OperationSummary], object]


_BUILTIN_COLUMNS: Final[tuple[ReportColumn, ...]] = (
    ReportColumn("Calls", lambda op: op.count),
    ReportColumn("Failed", lambda op: op.failures),
    ReportColumn("Fail%", lambda op: f"{op.failure_rate:.1%}"),
    ReportColumn("Total", lambda op: f"{op.total_ms:.3f}"),
    ReportColumn("p50", lambda op: f"{op.p50_ms:.3f}"),
    ReportColumn("p90", lambda op: f"{op.p90_ms:.3f}"),
    ReportColumn("p99", lambda op: f"{op.p99_ms:.3f}"),
    ReportColumn("Max", lambda op: f"{op.max_ms:.3f}"),
    ReportColumn("Tests", lambda op: len(op.tests)),
)


def _limit(items: Sequence[_T], top: int) -> Sequence[_T]:
    return items if top == 0 else items[:top]


def render_terminal(
    report: MetricsReport, *, top: int = DEFAULT_TOP, columns: Sequence[ReportColumn] = ()
) -> list[str]:
    """The terminal summary, as lines (pytest-benchmark's table layout)."""
    if not report.operations:
        return ["rfs metrics: no Result operations were recorded"]
    ordered = report.by_total_time()
    shown = _limit(ordered, top)
    all_columns = (*_BUILTIN_COLUMNS, *columns)
    header = ["Operation (time in ms)", *(c.header for c in all_columns)]
    rows = [[op.operation, *(str(c.value(op)) for c in all_columns)] for op in shown]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(w) for cell, w in zip(cells[1:], widths[1:], strict=True))
        return "  ".join((first, *rest)).rstrip()

    width = len(line(header))
    title = (
        f" rfs metrics: {_plural(len(report.operations), 'operation')}, "
        f"{_plural(report.total_calls, 'call')} in {_plural(len(report.tests), 'test')} "
    )
    lines = [title.center(max(width, len(title) + 4), "-"), line(header), "-" * width]
    lines += [line(row) for row in rows]
    lines.append("-" * width)
    if len(shown) < len(ordered):
        lines.append(
            f"({len(ordered) - len(shown)} more operations; --rfs-metrics-top=0 shows all)"
        )
    lines.append("Slowest p99:")
    lines += [
        f"  {op.operation}: p99 {op.p99_ms:.3f} ms, max {op.max_ms:.3f} ms "
        f"({_plural(op.count, 'call')})"
        for op in _limit(report.slowest_p99(), top)
    ]
    failing = report.highest_failure_rate()
    lines.append("Highest failure rate:" + ("" if failing else " no operation failed"))
    for op in _limit(failing, top):
        errors = ", ".join(f"{code} x{n}" for code, n in op.errors.items())
        lines.append(
            f"  {op.operation}: {op.failure_rate:.1%} ({op.failures} of "
            f"{_plural(op.count, 'call')}; {errors})"
        )
    lines.append("Tests that exercised each operation:")
    per_test = {
        (name, test.nodeid): figures
        for test in report.tests
        for name, figures in test.operations.items()
    }
    for op in shown:
        tests = sorted(
            op.tests, key=lambda nodeid: (-per_test[op.operation, nodeid].total_ms, nodeid)
        )
        listed = ", ".join(
            f"{nodeid} ({_plural(per_test[op.operation, nodeid].count, 'call')})"
            for nodeid in _limit(tests, top)
        )
        more = "" if top == 0 or len(tests) <= top else f", and {len(tests) - top} more"
        lines.append(f"  {op.operation}: {listed}{more}")
    return lines
