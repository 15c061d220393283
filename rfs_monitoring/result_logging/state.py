"""Process-wide state of the logging pipeline and its counters (``logging_stats()``)."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from rfs_monitoring.masking import masking_stats
from rfs_monitoring.mono import observer_failures
from rfs_monitoring.result_logging.identity import service_identity

if TYPE_CHECKING:
    from rfs_monitoring.result_logging.writer import Writer

__all__ = ["STATE", "PipelineState", "logging_stats"]


class PipelineState:
    """What ``configure_logging`` set up, and the counters (plain ints: GIL-atomic enough)."""

    def __init__(self) -> None:
        identity = service_identity()  # OTEL_* first, then RFS_*, then the plan's defaults
        self.service_name = identity.service_name
        self.environment = identity.environment
        self.writer: Writer | None = None
        self.handler: logging.Handler | None = None
        self.root_level: int | None = None
        self.atexit_registered = False
        self.lock = threading.RLock()
        self.emitted = 0
        self.dropped = 0
        self.sink_errors = 0
        self.serialization_errors = 0
        self.masking_errors = 0
        self.listener_errors = 0
        self.metrics_errors = 0
        self.entry_errors = 0
        self.sampled_out = 0
        self.written = 0
        self.reduced = 0
        self.truncated = 0


STATE = PipelineState()
"""The process-wide pipeline state."""


def logging_stats() -> dict[str, int]:
    """Counters of the logging pipeline.

    ``emitted`` entries built, ``written`` lines written by the sink, ``dropped`` lost to a
    full queue, ``queued`` waiting now, ``sink_errors`` failed writes, ``serialization_errors``
    values that could not be rendered as JSON, ``masking_errors`` values replaced because
    masking failed, ``listener_errors``, ``metrics_errors``, ``entry_errors`` (an entry
    that could not be built), ``observer_errors`` (chain observer faults), ``sampled_out``
    successes skipped by sampling, ``reduced`` lines written in a reduced form (a value
    that could not be rendered replaced, or fields replaced to fit the line limit: the
    entry is still written), ``truncated`` lines with a key or value cut to its limit.
    """
    writer = STATE.writer
    return {
        "emitted": STATE.emitted,
        "written": STATE.written,
        "dropped": STATE.dropped,
        "queued": writer.pending() if writer is not None else 0,
        "sink_errors": STATE.sink_errors,
        "serialization_errors": STATE.serialization_errors,
        "masking_errors": STATE.masking_errors + masking_stats()["faults"],
        "listener_errors": STATE.listener_errors,
        "metrics_errors": STATE.metrics_errors,
        "entry_errors": STATE.entry_errors,
        "observer_errors": observer_failures(),
        "sampled_out": STATE.sampled_out,
        "reduced": STATE.reduced,
        "truncated": STATE.truncated,
    }
