"""``MetricsSource``: the queries the monitoring router and the alert manager ask of a source.

Two sources satisfy it: ``ResultMetricsCollector`` (the embedded default: this process's
figures, in memory) and ``rfs_monitoring.sources.PrometheusSource`` (every worker and host,
through PromQL over Prometheus's HTTP API). The router and ``AlertManager`` take either.

A source answers queries in the caller's thread and may block (I/O for Prometheus): call it
from a worker thread in async code. The Result-returning methods give a Failure for a bad
argument (422) and for a source that cannot answer (503, ``ErrorCode.SERVICE_UNAVAILABLE``);
the ones returning plain values raise ``SourceUnavailableError`` for the latter, whose
``error`` is that 503 APIError.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol, TypeVar, runtime_checkable

from rfs_monitoring.errors import APIError, ErrorCode, RfsMonitoringError
from rfs_monitoring.metrics.records import (
    ErrorExample,
    ErrorSummary,
    OperationMetrics,
    SeriesPoint,
)
from rfs_monitoring.metrics.time_range import TimeRange, Window
from rfs_monitoring.mono import MonoResult
from rfs_monitoring.result import Result

if TYPE_CHECKING:
    from rfs_monitoring.metrics.query import Dashboard

__all__ = ["MetricsSource", "SourceUnavailableError", "source_value"]

T = TypeVar("T")


class SourceUnavailableError(RfsMonitoringError):
    """A metrics source could not answer (unreachable, timed out, a malformed answer).

    Attributes:
        error: the APIError to serve for it (``SERVICE_UNAVAILABLE``, 503), naming the
            source and the cause.
    """

    def __init__(self, error: APIError) -> None:
        super().__init__(error.message)
        self.error = error


@runtime_checkable
class MetricsSource(Protocol):
    """What the monitoring router and ``AlertManager`` read (see the module docstring)."""

    @property
    def retention(self) -> _dt.timedelta:
        """The longest window the source answers."""
        ...  # pragma: no cover - a protocol

    @property
    def max_operations(self) -> int:
        """The cardinality cap on operation names (past it, names count as ``OTHER``)."""
        ...  # pragma: no cover - a protocol

    def operation_names(self) -> list[str]:
        """Every operation the source knows, sorted."""
        ...  # pragma: no cover - a protocol

    def window(self, time_range: TimeRange) -> Result[Window, APIError]:
        """The window ``time_range`` covers (a 422 Failure past the retention)."""
        ...  # pragma: no cover - a protocol

    def operation_metrics(
        self, name: str, time_range: TimeRange = "1h"
    ) -> Result[OperationMetrics, APIError]:
        """Figures of one operation (a not_found Failure when unknown)."""
        ...  # pragma: no cover - a protocol

    def get_operation_metrics(
        self, name: str, time_range: TimeRange = "1h"
    ) -> MonoResult[OperationMetrics, APIError]:
        """``operation_metrics`` as an awaitable, chainable MonoResult."""
        ...  # pragma: no cover - a protocol

    def overall(self, time_range: TimeRange = "1h") -> MonoResult[OperationMetrics, APIError]:
        """Figures of all operations together (``operation_name="*"``)."""
        ...  # pragma: no cover - a protocol

    def dashboard(
        self, time_range: TimeRange = "1h", names: Iterable[str] | None = None
    ) -> Result[Dashboard, APIError]:
        """Each operation's figures (of ``names``; None: all), all together and the error
        groups, of one window."""
        ...  # pragma: no cover - a protocol

    def ranked_errors(
        self, limit: int = 10, time_range: TimeRange = "1h", operation: str | None = None
    ) -> Result[list[ErrorSummary], APIError]:
        """The ``limit`` most frequent error groups (of ``operation``, or of all)."""
        ...  # pragma: no cover - a protocol

    def error_examples(
        self,
        time_range: TimeRange = "1h",
        *,
        operation: str | None = None,
        message: str | None = None,
        limit: int = 5,
    ) -> list[ErrorExample]:
        """The newest failures of the window (of ``operation`` / the group ``message``),
        newest first; a source keeping no single failures answers none."""
        ...  # pragma: no cover - a protocol

    def series(
        self, operation: str | None = None, time_range: TimeRange = "5m", *, points: int = 60
    ) -> list[SeriesPoint]:
        """The last ``time_range`` in at most ``points`` chart steps, oldest first."""
        ...  # pragma: no cover - a protocol

    def capped_count(self) -> int:
        """How many operation names the cardinality cap turned away."""
        ...  # pragma: no cover - a protocol

    def stats(self) -> dict[str, int]:
        """The source's own counters (queries, failures, memory...)."""
        ...  # pragma: no cover - a protocol


def source_value(result: Result[T, APIError]) -> T:
    """The value of a source's Success; a 503 Failure (the source cannot answer) raised as
    ``SourceUnavailableError``, any other Failure as ``UnwrapError`` (``unwrap()``)."""
    if result.is_failure():
        error = result.unwrap_error()
        if isinstance(error, APIError) and error.code is ErrorCode.SERVICE_UNAVAILABLE:
            raise SourceUnavailableError(error)
    return result.unwrap()
