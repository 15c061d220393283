"""Edge cases across the pipeline: timestamps, sinks, fast paths, the writer, fork."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
import structlog

from rfs_monitoring import (
    Success,
)
from rfs_monitoring.context import (
    bind_log_context,
    reset_log_context,
)
from rfs_monitoring.masking import MASK
from rfs_monitoring.metrics import MetricSample
from rfs_monitoring.result_logging import (
    ResultLogEntry,
    configure_logging,
    flush_logs,
    log_result_operation,
    set_log_level,
)
from rfs_monitoring.result_logging.config import (
    after_fork_in_child,
    current_writer,
)
from rfs_monitoring.result_logging.render import dumps
from rfs_monitoring.result_logging.writer import ITEM_EVENT, Writer

from .support import Lines


class TestEdges:
    def test_naive_timestamps_are_taken_as_utc(self) -> None:
        import datetime

        entry = ResultLogEntry(
            timestamp=datetime.datetime(2026, 1, 2, 3, 4, 5),
            correlation_id="c",
            operation_name="op",
            step_name=None,
            result_type="success",
            processing_time_ms=0.0,
            success_type="int",
        )
        assert entry.to_dict()["timestamp"] == "2026-01-02T03:04:05.000000Z"

    def test_default_sink_is_stdout(self, capsys: pytest.CaptureFixture[str]) -> None:
        configure_logging(background=False)
        structlog.get_logger().info("to stdout")
        assert json.loads(capsys.readouterr().out)["event"] == "to stdout"

    def test_context_args_user_id_wins_over_the_bound_one(
        self, entries: list[ResultLogEntry]
    ) -> None:
        @log_result_operation("op", context_args=("user_id",))
        def op(user_id: str) -> Success[int]:
            return Success(1)

        token = bind_log_context(user_id="bound", team="a")
        try:
            op("argument")
        finally:
            reset_log_context(token)
        assert (entries[0].user_id, entries[0].metadata) == ("argument", {"team": "a"})

    def test_plain_values_on_the_fast_path(self, samples: list[MetricSample]) -> None:
        @log_result_operation("plain_quiet")
        def op() -> int:
            return 5

        set_log_level("OFF")
        assert op() == 5
        assert [s.success for s in samples] == [True]

    def test_json_fallback_renders_dates(self) -> None:
        import datetime

        rendered = json.loads(dumps({"big": 2**70, "day": datetime.date(2026, 1, 2)}))
        assert rendered == {"big": 2**70, "day": "2026-01-02"}

    def test_record_attributes_are_not_overwritten_by_the_context(self, lines: Lines) -> None:
        token = bind_log_context(name="not-the-logger", color="blue")
        try:
            logging.getLogger("lib.x").warning("hi")
        finally:
            reset_log_context(token)
        [line] = lines.json()
        assert line["logger"] == "lib.x"
        assert line["color"] == "blue"

    def test_close_writes_what_a_dead_thread_left(self) -> None:
        out = io.BytesIO()
        writer = Writer(
            out.write,
            out.flush,
            None,
            json=True,
            background=True,
            queue_size=10,
            formatter=logging.Formatter(),
            start=False,  # as if the thread had died: nothing takes the queued item
        )
        writer.submit((ITEM_EVENT, {"event": "left over"}))
        assert writer.pending() == 1
        assert writer.thread is None
        writer.close()
        assert json.loads(out.getvalue()) == {"event": "left over"}
        writer.submitted = writer.processed + 1
        assert writer.flush(10) is False  # something is missing and the thread is gone


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_a_forked_child_writes_its_own_entries_once(tmp_path: Path) -> None:
    path = tmp_path / "fork.jsonl"
    script = f"""
import os, warnings
warnings.simplefilter("ignore")
from rfs_monitoring import Success, configure_logging, flush_logs, log_result_operation
from rfs_monitoring.resources import resource_snapshot
configure_logging(sink={str(path)!r})

@log_result_operation("fork_op")
def op(who):
    return Success(who)

for _ in range(100):
    op("parent-before")
pid = os.fork()
if pid == 0:
    op("child")
    resource_snapshot()
    assert flush_logs(timeout=30)
    os._exit(0)
os.waitpid(pid, 0)
op("parent-after")
"""
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    written = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(written) == 102
    assert [w["success_type"] for w in written].count("str") == 102


def test_other_handlers_see_the_record_unchanged(lines: Lines) -> None:
    seen: list[tuple[str, object]] = []

    class Spy(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append((record.getMessage(), record.args))

    spy = Spy()
    root = logging.getLogger()
    root.addHandler(spy)  # after ours: it sees the record once our handler is done with it
    try:
        logging.getLogger("lib.spy").warning("token=%s", "abc")
    finally:
        root.removeHandler(spy)
    assert seen == [("token=abc", ("abc",))]
    assert lines.json()[0]["event"] == f"token={MASK}"


def test_the_fork_hook_restarts_the_writer() -> None:
    sink = io.StringIO()
    configure_logging(sink=sink)
    writer = current_writer()
    assert writer is not None
    old_thread = writer.thread
    structlog.get_logger().info("before")
    after_fork_in_child()  # what a forked child runs (here: in this process)
    assert writer.thread is not old_thread
    assert writer.submitted == 0
    structlog.get_logger().info("after")
    assert flush_logs(timeout=10)
    assert "after" in sink.getvalue()


def test_the_fork_hook_without_a_writer() -> None:
    assert current_writer() is None
    after_fork_in_child()  # nothing to restart
    assert current_writer() is None
