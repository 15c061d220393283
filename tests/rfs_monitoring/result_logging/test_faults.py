"""Faults of the pipeline are counted in logging_stats() and never reach the caller."""

from __future__ import annotations

import io
import json
import logging
import threading
from typing import Any

import pytest
import structlog

from rfs_monitoring import (
    Failure,
    ResultMetricsCollector,
    Success,
)
from rfs_monitoring.masking import REDACTED_ON_ERROR, add_masking_pattern
from rfs_monitoring.result import register_result_adapter, unregister_result_adapter
from rfs_monitoring.result_logging import (
    ResultLogEntry,
    add_entry_listener,
    configure_logging,
    flush_logs,
    log_result_operation,
    logging_stats,
    reset_logging,
    set_log_level,
)
from rfs_monitoring.result_logging.config import (
    current_writer,
    installed_handler,
)
from rfs_monitoring.result_logging.processors import QueueLogger
from rfs_monitoring.result_logging.render import dumps
from rfs_monitoring.result_logging.writer import ITEM_EVENT, Writer

from .support import Lines, stat_delta


class TestFaults:
    """Observability never changes the caller's Result; every fault is counted."""

    def test_a_sink_that_raises(self) -> None:
        class Broken:
            def write(self, text: str) -> None:
                raise OSError("disk full")

        configure_logging(sink=Broken(), background=False)
        before = logging_stats()

        @log_result_operation("op")
        def op() -> Success[int]:
            return Success(1)

        assert op() == Success(1)
        assert stat_delta(before, "sink_errors") == 1
        assert stat_delta(before, "written") == 0

    def test_a_full_queue_drops_and_counts(self) -> None:
        release = threading.Event()
        started = threading.Event()

        class Slow:
            def __init__(self) -> None:
                self.lines: list[str] = []

            def write(self, text: str) -> None:
                started.set()
                release.wait(10)
                self.lines.append(text)

        sink = Slow()
        configure_logging(sink=sink, queue_size=2)

        @log_result_operation("op")
        def op(n: int) -> Success[int]:
            return Success(n)

        before = logging_stats()
        assert op(0) == Success(0)
        assert started.wait(10)  # the writer is now stuck in write()
        results = [op(n) for n in range(1, 11)]
        assert results == [Success(n) for n in range(1, 11)]
        assert stat_delta(before, "dropped") == 8
        assert logging_stats()["queued"] == 2
        release.set()
        assert flush_logs(timeout=10)
        assert len("".join(sink.lines).splitlines()) == 3

    def test_flush_gives_up_after_the_timeout(self) -> None:
        release = threading.Event()

        class Stuck:
            def write(self, text: str) -> None:
                release.wait(10)

        configure_logging(sink=Stuck())
        structlog.get_logger().info("one")
        structlog.get_logger().info("two")
        try:
            assert flush_logs(timeout=0.05) is False
        finally:
            release.set()
        assert flush_logs(timeout=10)

    def test_unserialisable_metadata(self, lines: Lines) -> None:
        class Opaque:
            def __str__(self) -> str:
                raise RuntimeError("cannot render")

        @log_result_operation("op", context_args=("payload",))
        def op(payload: object) -> Success[int]:
            return Success(1)

        before = logging_stats()
        assert op({"inner": Opaque()}) == Success(1)
        [entry] = lines.entries()
        assert entry["metadata"] == {"payload": {"inner": REDACTED_ON_ERROR}}
        assert stat_delta(before, "masking_errors") == 1

    def test_a_formatter_that_raises(self, lines: Lines, monkeypatch: pytest.MonkeyPatch) -> None:
        writer = current_writer()
        handler = installed_handler()
        assert writer is not None
        assert handler is not None

        class Broken(logging.Formatter):
            def format(self, record: logging.LogRecord) -> str:
                raise RuntimeError("formatter bug")

        monkeypatch.setattr(writer, "formatter", Broken())
        before = logging_stats()
        handler.handle(logging.LogRecord("lib", logging.WARNING, __file__, 1, "odd", None, None))
        assert stat_delta(before, "serialization_errors") == 1
        assert stat_delta(before, "reduced") == 1  # still written, in a reduced form
        assert lines.json() == [{"event": "unrenderable log item", "error": "RuntimeError"}]

    def test_dumps_falls_back_and_counts(self) -> None:
        class Opaque:
            def __str__(self) -> str:
                raise RuntimeError("cannot render")

        before = logging_stats()
        assert json.loads(dumps({"big": 2**80, "when": {1, 2}})) == {
            "big": 2**80,
            "when": [1, 2],
        }
        assert stat_delta(before, "serialization_errors") == 0
        line = json.loads(dumps({"ok": 1, "bad": Opaque(), "nested": [Opaque()]}))
        assert line == {
            "ok": 1,
            "bad": "<unserialisable Opaque>",
            "nested": ["<unserialisable Opaque>"],  # only the value that fails is replaced
        }
        assert stat_delta(before, "serialization_errors") == 2
        assert stat_delta(before, "reduced") == 1

    def test_a_masking_rule_that_raises(self, lines: Lines) -> None:
        def explode(match: Any) -> str:
            raise RuntimeError("rule bug")

        remove = add_masking_pattern("secret-thing", explode)
        before = logging_stats()
        try:

            @log_result_operation("op")
            def op() -> Failure[str]:
                return Failure("leaked secret-thing")

            assert op() == Failure("leaked secret-thing")
        finally:
            remove()
        [entry] = lines.entries()
        assert entry["error_message"] == REDACTED_ON_ERROR
        assert stat_delta(before, "masking_errors") == 1

    def test_a_listener_that_raises(self, entries: list[ResultLogEntry]) -> None:
        def bad(entry: ResultLogEntry) -> None:
            raise RuntimeError("listener bug")

        remove = add_entry_listener(bad)
        before = logging_stats()
        try:

            @log_result_operation("op")
            def op() -> Success[int]:
                return Success(1)

            assert op() == Success(1)
        finally:
            remove()
            remove()  # removing twice is harmless
        assert stat_delta(before, "listener_errors") == 1
        assert len(entries) == 1

    def test_listeners_must_be_callable(self) -> None:
        with pytest.raises(TypeError) as info:
            add_entry_listener(3)  # type: ignore[arg-type]
        assert str(info.value) == (
            "add_entry_listener() expects a callable taking a ResultLogEntry, got 3"
        )

    def test_a_metrics_collector_that_raises(self, entries: list[ResultLogEntry]) -> None:
        class Broken(ResultMetricsCollector):
            def record(self, *args: Any, **kwargs: Any) -> None:
                raise RuntimeError("collector bug")

        previous = ResultMetricsCollector.set_instance(Broken())
        before = logging_stats()
        try:

            @log_result_operation("op")
            def op(ok: bool) -> Any:
                return Success(1) if ok else Failure("x")

            assert op(True) == Success(1)
            set_log_level("OFF")
            assert op(False) == Failure("x")
        finally:
            ResultMetricsCollector.set_instance(previous)
        assert stat_delta(before, "metrics_errors") == 2
        assert len(entries) == 1

    def test_a_broken_entry_never_reaches_the_caller(self, entries: list[ResultLogEntry]) -> None:
        class Unprintable:
            def __str__(self) -> str:
                raise RuntimeError("builder bug")

        before = logging_stats()

        @log_result_operation("op", context_args=("user_id",))
        def op(user_id: object) -> Success[int]:
            return Success(1)

        assert op(Unprintable()) == Success(1)  # the entry cannot be built
        assert entries == []

        class Odd:
            """A value whose Result adapter raises."""

        def broken(value: object) -> None:
            if isinstance(value, Odd):
                raise RuntimeError("adapter bug")

        @log_result_operation("odd")
        def odd(value: Odd) -> Odd:
            return value

        register_result_adapter(broken)
        try:
            set_log_level("OFF")
            value = Odd()
            assert odd(value) is value
        finally:
            unregister_result_adapter(broken)
        assert stat_delta(before, "entry_errors") == 2

    def test_a_stdlib_record_that_cannot_be_queued(self, lines: Lines) -> None:
        class Unformattable:
            def __str__(self) -> str:
                raise RuntimeError("no")

        handler = installed_handler()
        assert handler is not None
        before = logging_stats()
        handler.handle(
            logging.LogRecord("lib", logging.WARNING, __file__, 1, Unformattable(), None, None)
        )
        assert stat_delta(before, "serialization_errors") == 1
        assert lines.json() == []

    def test_a_sink_whose_close_raises(self) -> None:
        def bad_close() -> None:
            raise OSError("close failed")

        out = io.BytesIO()
        writer = Writer(
            out.write,
            out.flush,
            bad_close,
            json=True,
            background=False,
            queue_size=10,
            formatter=logging.Formatter(),
        )
        before = logging_stats()
        writer.close()
        assert stat_delta(before, "sink_errors") == 1

    def test_records_arriving_after_shutdown_are_ignored(self) -> None:
        configure_logging(sink=io.StringIO(), background=False)
        handler = installed_handler()
        assert handler is not None
        reset_logging()
        handler.handle(logging.LogRecord("x", logging.WARNING, __file__, 1, "late", None, None))
        QueueLogger().info(event="late")

    def test_items_submitted_while_stopping_are_dropped(self) -> None:
        configure_logging(sink=io.StringIO())
        writer = current_writer()
        assert writer is not None
        reset_logging()
        before = logging_stats()
        writer.submit((ITEM_EVENT, {"event": "late"}))
        assert stat_delta(before, "dropped") == 1
        assert writer.flush(0.01) is True  # nothing submitted: nothing to wait for
