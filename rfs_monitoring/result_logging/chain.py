"""Entries for the steps of a chain (``MonoResult.log_step`` / ``log_error``) and for batches
(``log_flux_result``).

Importing this module installs ``observe_chain`` as the MonoResult chain observer.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from rfs_monitoring import context as _context
from rfs_monitoring import tracing as _tracing
from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.flux import FluxResult
from rfs_monitoring.mono import set_chain_observer
from rfs_monitoring.result import Result, Success
from rfs_monitoring.result_logging.emit import SKIPPED, emit_entry, fresh_correlation_id
from rfs_monitoring.result_logging.levels import LEVELS, parse_level
from rfs_monitoring.result_logging.operation import current_operation
from rfs_monitoring.result_logging.state import STATE

__all__ = ["log_flux_result", "observe_chain"]

_correlation_get = _context.get_correlation_id


def observe_chain(kind: str, name: str, result: Result[Any, Any], elapsed_ms: float) -> None:
    """The MonoResult chain observer: ``log_step`` / ``log_error`` entries and span events.

    Inside a logged operation the entry carries the operation's name and levels; outside
    one, ``name`` is the operation, at INFO (success) / ERROR (failure).

    ``kind`` is ``"step"`` (an entry for a Success or a Failure), ``"error"`` (an entry
    for a Failure only) or ``"skipped"``: a ``log_step`` or ``log_error`` reached by the
    Failure an earlier log point of the same run already reported, so the steps before
    it never ran. A skipped step is no error of its own: its entry has ``result_type``
    ``"skipped"``, no error fields, and is written at DEBUG whatever the operation's
    levels (the failing step's entry, with the same correlation id, holds the error).
    """
    ok = type(result) is Success
    if kind == "error" and ok:
        return
    skipped = kind == "skipped"
    outcome = SKIPPED if skipped else "success" if ok else "error"
    if _tracing.tracing_active():
        _tracing.span_event(name, {"rfs.step": name, "rfs.result_type": outcome})
    op = current_operation()
    operation = name if op is None else op.name
    if skipped:
        level = logging.DEBUG
    elif op is None:
        level = logging.INFO if ok else logging.ERROR
    else:
        level = op.level if ok else op.error_level
    if level < LEVELS.threshold(operation):
        return
    correlation_id = _correlation_get() or fresh_correlation_id()
    emit_entry(
        level,
        operation,
        name,
        result,
        elapsed_ms,
        correlation_id,
        result_type=SKIPPED if skipped else None,
    )


set_chain_observer(observe_chain)


def _summary(
    results: list[Result[Any, Any]], failed: int, metadata: Mapping[str, Any] | None
) -> dict[str, Any]:
    total = len(results)
    summary: dict[str, Any] = {
        "total": total,
        "succeeded": total - failed,
        "failed": failed,
        "success_rate": (total - failed) / total if total else 0.0,
    }
    return {**metadata, **summary} if metadata else summary


def log_flux_result(
    flux: FluxResult[Any, Any],
    operation: str,
    *,
    per_item_errors: bool = False,
    processing_time_ms: float = 0.0,
    level: str | int = "INFO",
    error_level: str | int = "ERROR",
    metadata: Mapping[str, Any] | None = None,
) -> FluxResult[Any, Any]:
    """Write a summary entry for a batch (counts, success rate) and, on request, one entry per
    failed item; returns ``flux`` unchanged and never raises.

    The summary has ``step_name="flux_summary"`` and ``metadata`` with ``total``,
    ``succeeded``, ``failed`` and ``success_rate``; it is an error entry (describing the
    first error) when any item failed. Item entries have ``step_name="flux_item"`` and
    ``metadata.index``.

    Raises:
        ConfigurationError: a bad level or an empty operation name (checked first).
    """
    if not isinstance(operation, str) or not operation:
        msg = f"log_flux_result() expects a non-empty operation name, got {operation!r}"
        raise ConfigurationError(msg)
    ok_level = parse_level(level, "level")
    bad_level = parse_level(error_level, "error_level")
    try:
        results = list(flux)
        failures = [(i, r) for i, r in enumerate(results) if type(r) is not Success]
        threshold = LEVELS.threshold(operation)
        correlation_id = _correlation_get() or fresh_correlation_id()
        first: Result[Any, Any] = failures[0][1] if failures else Success(flux)
        summary_level = bad_level if failures else ok_level
        if summary_level >= threshold:
            summary = _summary(results, len(failures), metadata)
            emit_entry(
                summary_level,
                operation,
                "flux_summary",
                first,
                processing_time_ms,
                correlation_id,
                None,
                summary,
            )
        if per_item_errors and bad_level >= threshold:
            for index, item in failures:
                emit_entry(
                    bad_level,
                    operation,
                    "flux_item",
                    item,
                    0.0,
                    correlation_id,
                    None,
                    {"index": index},
                )
    except Exception:  # noqa: BLE001 - observability never raises into the caller
        STATE.entry_errors += 1
    return flux
