"""Structured logging of Result operations: one JSON entry per operation and per chain step.

``@log_result_operation("name")`` on a sync function, an async function or a function
returning a ``MonoResult`` writes one ``ResultLogEntry`` per call (for a MonoResult: when the
chain completes) and records the outcome in ``ResultMetricsCollector.instance()``.
``MonoResult.log_step(name)`` / ``.log_error(name)`` inside the operation write step entries
carrying the operation's name. Every entry carries the correlation id, the request id and
the fields bound with ``bind_log_context`` (``user_id`` has its own field, the others go to
``metadata``), masked with ``rfs_monitoring.masking``.

Output: ``configure_logging()`` sets up one pipeline for Result entries, structlog events and
stdlib ``logging`` records (JSON lines with the same correlation id); rendering and writing
happen on a background thread behind a bounded queue, so the caller only builds a small
tuple. Without ``configure_logging`` entries go to structlog when the application configured
it, else to the stdlib logger ``rfs_monitoring.result``. ``add_entry_listener`` sees every
entry either way.

Levels: success entries at the decorator's ``level`` (INFO), failures at ``error_level``
(ERROR); ``set_log_level(level, operation=None)`` changes the threshold at run time,
globally or per operation; ``RFS_LOG_LEVEL`` sets it at start. A call below the threshold
builds no entry.

Observability never changes the caller's Result nor raises into it: every fault (a sink
that raises, a full queue, an unserialisable value, a masking rule that raises, a listener
that raises) is counted in ``logging_stats()``.

Modules, in the order of the data flow:

- ``entry``: ``ResultLogEntry``, the one field table, records and their JSON objects;
- ``levels``: level names and the threshold rule; ``state``: the pipeline's state and counters;
- ``operation``, ``decorator``, ``outcome``: the decorator and what a call's value becomes;
- ``chain``: ``log_step`` / ``log_error`` entries and ``log_flux_result``;
- ``emit``: building a record in the caller and handing it to listeners and the output
  (``emit_entry``, one call per entry);
- ``writer`` and ``render``: the queue, the writer thread, JSON / text lines;
- ``processors`` (structlog), ``stdlib`` (root handler) and ``config`` (set up / tear down).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rfs_monitoring.lazy import lazy_exports

if TYPE_CHECKING:
    from rfs_monitoring.result_logging.chain import log_flux_result
    from rfs_monitoring.result_logging.config import configure_logging, flush_logs, reset_logging
    from rfs_monitoring.result_logging.decorator import log_result_operation
    from rfs_monitoring.result_logging.emit import EntryListener, add_entry_listener
    from rfs_monitoring.result_logging.entry import Record, ResultLogEntry, result_log_entry_schema
    from rfs_monitoring.result_logging.levels import OFF, get_log_level, set_log_level
    from rfs_monitoring.result_logging.state import logging_stats
    from rfs_monitoring.result_logging.stdlib import CorrelationIdFilter

# Names served on first access, so that the decorator's modules load without ``config``
# (structlog) and ``stdlib``: ``import rfs_monitoring.result_logging.decorator`` stays light.
_MODULES = {
    "log_flux_result": "chain",
    "configure_logging": "config",
    "flush_logs": "config",
    "reset_logging": "config",
    "log_result_operation": "decorator",
    "EntryListener": "emit",
    "add_entry_listener": "emit",
    "Record": "entry",
    "ResultLogEntry": "entry",
    "result_log_entry_schema": "entry",
    "OFF": "levels",
    "get_log_level": "levels",
    "set_log_level": "levels",
    "logging_stats": "state",
    "CorrelationIdFilter": "stdlib",
}


__getattr__ = lazy_exports(__name__, globals(), _MODULES)


__all__ = [
    "OFF",
    "CorrelationIdFilter",
    "EntryListener",
    "Record",
    "ResultLogEntry",
    "add_entry_listener",
    "configure_logging",
    "flush_logs",
    "get_log_level",
    "log_flux_result",
    "log_result_operation",
    "logging_stats",
    "reset_logging",
    "result_log_entry_schema",
    "set_log_level",
]
