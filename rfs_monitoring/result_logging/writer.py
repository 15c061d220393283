"""The writer: a bounded queue drained by a daemon thread that renders and writes lines.

The caller only appends an entry's ``Record`` as it is, or a small ``(kind, payload)``
item for other kinds (and wakes the thread once per filling, not on every item);
rendering and the sink's I/O happen on the thread, in batches: the common entry (JSON, no
metadata) from its operation's cached template (``fastline``), anything else through
``render`` within the writer's ``Bounds`` (the same line either way). A full queue drops
the item (counted in ``logging_stats()["dropped"]``), never blocks; a sink that raises is
counted too. An item that cannot be rendered is still written, as a reduced line (counted
in ``logging_stats()["reduced"]``).
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from itertools import islice
from typing import Any

from rfs_monitoring.result_logging.entry import Record, entry_to_dict
from rfs_monitoring.result_logging.fastline import BatchEncoder, LineEncoders
from rfs_monitoring.result_logging.render import (
    DEFAULT_BOUNDS,
    Bounds,
    cut_line,
    one_line,
    render_json,
    text_line,
    truncate,
)
from rfs_monitoring.result_logging.state import STATE
from rfs_monitoring.text import clean_text

__all__ = ["ITEM_ENTRY", "ITEM_EVENT", "ITEM_RECORD", "Item", "Writer"]

ITEM_ENTRY = 0
"""Item kind: a ``Record`` of a Result entry."""
ITEM_EVENT = 1
"""Item kind: a processed structlog event dict."""
ITEM_RECORD = 2
"""Item kind: a stdlib ``logging.LogRecord`` (rendered with the writer's formatter)."""

Item = tuple[int, Any]
"""``(kind, payload)``. An entry's ``Record`` may also be queued as it is (what ``emit_entry``
does: one object less per entry); a Record never has two values."""

_BATCH = 512
try:  # the fast path of entries; render.py covers the rest (with or without orjson)
    import orjson  # noqa: F401 - only whether it is installed

    _HAS_ORJSON = True
except ImportError:  # pragma: no cover - exercised in environments without orjson
    _HAS_ORJSON = False


class Writer:
    """Renders queued items and writes them to the sink, on a daemon thread or inline.

    Args:
        write: writes bytes to the sink.
        flush: flushes the sink.
        close: closes the sink (None: the sink is not ours to close).
        json: JSON lines (True) or ``key=value`` text lines.
        background: write on a daemon thread (True) or inline in ``submit`` (False).
        queue_size: capacity of the queue.
        formatter: renders stdlib records.
        start: start the thread now (False: at ``start()``; only with ``background``).
        bounds: the caps on keys, values and lines.
    """

    def __init__(
        self,
        write: Callable[[bytes], object],
        flush: Callable[[], object],
        close: Callable[[], object] | None,
        *,
        json: bool,
        background: bool,
        queue_size: int,
        formatter: logging.Formatter,
        start: bool = True,
        bounds: Bounds = DEFAULT_BOUNDS,
    ) -> None:
        self._write = write
        self._flush = flush
        self._close = close
        self.json = json
        self.background = background
        self.maxsize = queue_size
        self.wake_at = max(1, queue_size // 4)
        """The queue length at which ``submit`` wakes the thread (once per filling)."""
        self.formatter = formatter
        self.bounds = bounds
        self.queue: collections.deque[Item | Record] = collections.deque()
        """The queue (appended to by ``submit``, and by ``emit_entry``'s inlined copy of it)."""
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._stopping = False
        self.room = queue_size if background else 0
        """What the queue takes before ``submit`` leaves its fast path (0: inline or
        stopping)."""
        self.submitted = 0
        self.processed = 0
        self._thread: threading.Thread | None = None
        self._encode_many: BatchEncoder | None = LineEncoders().encode_many if _HAS_ORJSON else None
        if background and start:
            self.start()

    @property
    def thread(self) -> threading.Thread | None:
        """The writer thread (None: inline, or not started)."""
        return self._thread

    def pending(self) -> int:
        """Items queued and not yet taken by the thread."""
        return len(self.queue)

    def start(self) -> None:
        """Start the writer thread."""
        self._thread = threading.Thread(target=self._run, name="rfs-log-writer", daemon=True)
        self._thread.start()

    def restart_after_fork(self) -> None:
        """In a forked child: drop the parent's queue and start a writer thread of its own."""
        self.queue.clear()
        self._event = threading.Event()
        self._lock = threading.Lock()
        # the parent's thread may have been inside the encoder: fresh templates
        self._encode_many = LineEncoders().encode_many if _HAS_ORJSON else None
        self.submitted = self.processed = 0
        if self.background and not self._stopping:
            self.start()

    def submit(self, item: Item | Record) -> None:
        """Queue (or, inline, write) one item or entry record; a full queue drops it,
        counted.

        ``emit.emit_entry`` inlines the first branch (the common case) for entries and calls
        this for the rest: keep both alike (``test_faults.py::...::
        test_a_full_queue_drops_and_counts`` overflows through both, ``test_fastline.py::
        test_the_thread_is_woken_once_per_filling_by_both_paths`` wakes through both).
        """
        queue = self.queue
        size = len(queue)
        if size < self.room:  # the common case: one comparison
            queue.append(item)
            self.submitted += 1
            # wake the thread once per filling (it also wakes every 50 ms by itself)
            if size + 1 == self.wake_at:
                self.wake()
            return
        if not self.background:
            with self._lock:
                self._write_batch([item])
            return
        STATE.dropped += 1

    def wake(self) -> None:
        """Wake the thread now (it also wakes every 50 ms by itself)."""
        self._event.set()

    def _run(self) -> None:
        queue = self.queue
        while True:
            if not queue:
                if self._stopping:
                    return
                self._event.wait(0.05)
                self._event.clear()
                continue
            self._write_batch(queue)

    def _render(self, item: Item | Record) -> bytes:
        kind: int
        payload: Any
        kind, payload = item if len(item) == 2 else (ITEM_ENTRY, item)
        try:
            if kind == ITEM_ENTRY:
                data = entry_to_dict(payload)
                if self.json:
                    return render_json(data, self.bounds, fixed_keys=True)
                return text_line(data, self.bounds)
            if kind == ITEM_EVENT:
                if self.json:
                    return render_json(payload, self.bounds)
                return text_line(payload, self.bounds)
            return self._render_record(payload)
        except Exception as exc:  # noqa: BLE001 - observability never raises into the caller
            STATE.serialization_errors += 1
            return self._reduced({"event": "unrenderable log item", "error": type(exc).__name__})

    def _render_record(self, record: logging.LogRecord) -> bytes:
        """A stdlib record: its formatter's line, escaped (text) or bounded (JSON)."""
        record.msg = clean_text(record.getMessage())  # a lone surrogate: escaped as in entries
        record.args = None
        text = self.formatter.format(record)
        if not self.json:
            return self._text(text)
        line = text.encode("utf-8", "backslashreplace")
        if len(line) <= self.bounds.max_line_bytes:
            return line
        return self._reduced(
            {
                "level": record.levelname,
                "logger": record.name,
                "event": truncate(record.getMessage(), self.bounds.max_value_chars),
                "_truncated": f"record of {len(line)} bytes over the line limit",
            }
        )

    def _text(self, text: str) -> bytes:
        return cut_line(one_line(text).encode("utf-8", "backslashreplace"), self.bounds)

    def _reduced(self, data: dict[str, object]) -> bytes:
        STATE.reduced += 1
        if self.json:
            return render_json(data, self.bounds, counted=True)
        return text_line(data, self.bounds)

    def _write_batch(self, items: collections.deque[Item | Record] | list[Item | Record]) -> None:
        """Render and write up to ``_BATCH`` items taken from the left of ``items`` (a
        list is written whole)."""
        # The lines are joined once per batch: a growing bytearray copies what it holds
        # each time it grows (several times per byte over a batch), and to bytes once more.
        lines: list[bytes] = []
        if isinstance(items, list):
            batch = items
        else:
            # popleft() called from C (an item is never None): no bytecode per item
            batch = list(islice(iter(items.popleft, None), min(len(items), _BATCH)))
        count = len(batch)
        encode_many = self._encode_many if self.json else None
        if encode_many is not None:
            # The common entry (JSON) from its operation's template (``fastline``); what
            # orjson cannot render, or renders over a bound, takes the full path.
            bounds = self.bounds
            limit = min(bounds.max_line_bytes, bounds.max_value_chars) + 1
            encode_many(batch, lines.append, limit, self._full_line)
        else:
            lines.extend(map(self._full_line, batch))
        try:
            self._write(b"".join(lines))
            self._flush()
            STATE.written += count
        except Exception:  # noqa: BLE001 - observability never raises into the caller
            STATE.sink_errors += 1
        finally:
            self.processed += count

    def _full_line(self, item: Item | Record) -> bytes:
        """An item's line by the full path (an ``(ITEM_ENTRY, record)`` item: from its
        template when it has one)."""
        encode_many = self._encode_many if self.json else None
        if encode_many is not None and len(item) == 2 and item[0] == ITEM_ENTRY:
            lines: list[bytes] = []
            bounds = self.bounds
            limit = min(bounds.max_line_bytes, bounds.max_value_chars) + 1
            encode_many((item[1],), lines.append, limit, self._full_line)
            return lines[0]
        return self._render(item) + b"\n"  # never fails: an item that fails is reduced

    def flush(self, timeout: float) -> bool:
        """Wait until everything submitted so far is written (or ``timeout`` passed)."""
        if not self.background:
            return True
        target = self.submitted
        deadline = time.monotonic() + timeout
        self._event.set()
        while self.processed < target:
            thread = self._thread
            if thread is None or not thread.is_alive() or time.monotonic() >= deadline:
                return False
            self._event.set()
            time.sleep(0.001)
        return True

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued, stop the thread, close a sink this writer opened."""
        self._stopping = True
        self.room = 0
        self._event.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        if self.queue and (thread is None or not thread.is_alive()):
            with self._lock:
                self._write_batch(list(self.queue))
                self.queue.clear()
        if self._close is not None:
            try:
                self._close()
            except Exception:  # noqa: BLE001 - observability never raises into the caller
                STATE.sink_errors += 1
