"""Process memory and CPU figures, sampled by a background thread and read from a cache.

Log entries and metric samples need the process RSS and CPU%, but reading ``/proc`` or
calling psutil on every operation would put a system call on the hot path. A
``ResourceSampler`` refreshes both figures about once a second on a daemon thread;
``resource_snapshot()`` only reads the cached pair (it starts the default sampler on its
first call).

Sources, best first: psutil (when installed), ``/proc/self/statm`` (Linux), the
``resource`` module (peak RSS, POSIX). CPU% is process CPU time over wall time between two
samples (100.0 = one core busy); it is None until two samples exist.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable

from rfs_monitoring.errors import ConfigurationError

__all__ = [
    "RSS_SOURCES",
    "ResourceSampler",
    "after_fork_in_child",
    "default_sampler",
    "pick_rss_reader",
    "proc_rss_reader",
    "psutil_rss_reader",
    "read_rss_mb",
    "resource_rss_reader",
    "resource_snapshot",
    "start_default_sampler",
    "stop_default_sampler",
]

Snapshot = tuple[float | None, float | None]
RssReader = Callable[[], float | None]
"""Returns the process RSS in MiB (None when unknown)."""


def psutil_rss_reader() -> RssReader | None:
    """An RSS reader through psutil, or None when psutil is not installed."""
    try:
        import psutil
    except ImportError:
        return None
    process = psutil.Process()

    def read() -> float | None:
        return float(process.memory_info().rss) / 1_048_576

    return read


def proc_rss_reader() -> RssReader | None:
    """An RSS reader of ``/proc/self/statm``, or None where there is no such file."""
    path = "/proc/self/statm"
    if not os.path.exists(path):
        return None
    page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

    def read() -> float | None:
        with open(path, "rb") as fh:
            fields = fh.read().split()
        return int(fields[1]) * page / 1_048_576

    return read


def resource_rss_reader() -> RssReader | None:
    """A peak-RSS reader through the ``resource`` module, or None where it is missing."""
    try:
        import resource
    except ImportError:  # Windows without psutil
        return None
    # ru_maxrss is in KiB on Linux and in bytes on macOS; it is the peak, the best available.
    scale = 1_048_576 if sys.platform == "darwin" else 1024

    def read() -> float | None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1_048_576

    return read


RSS_SOURCES: tuple[Callable[[], RssReader | None], ...] = (
    psutil_rss_reader,
    proc_rss_reader,
    resource_rss_reader,
)
"""The RSS reader factories, best first."""


def pick_rss_reader(
    sources: Iterable[Callable[[], RssReader | None]] = RSS_SOURCES,
) -> RssReader:
    """The reader of the first source available; one answering None when there is none."""
    for factory in sources:
        reader = factory()
        if reader is not None:
            return reader
    return lambda: None


def read_rss_mb(reader: RssReader | None = None) -> float | None:
    """The process resident set size in MiB right now (a system call; not for hot paths).

    Args:
        reader: the reader to use (default: ``pick_rss_reader()``); a fault gives None.
    """
    try:
        return (reader or pick_rss_reader())()
    except Exception:  # noqa: BLE001 - observability never raises into the caller
        return None


class ResourceSampler:
    """Refreshes ``(rss_mb, cpu_percent)`` every ``interval`` seconds on a daemon thread.

    Args:
        interval: seconds between samples (> 0).
        rss_reader: returns the RSS in MiB (default: psutil, /proc or ``resource``).
        cpu_clock: process CPU seconds (default ``time.process_time``).
        wall_clock: wall seconds (default ``time.monotonic``).

    Raises:
        ConfigurationError: ``interval`` is not a finite number > 0.
    """

    __slots__ = (
        "_cpu_clock",
        "_last",
        "_lock",
        "_rss_reader",
        "_stop",
        "_thread",
        "_wall_clock",
        "errors",
        "interval",
        "samples",
        "snapshot",
    )

    def __init__(
        self,
        interval: float = 1.0,
        *,
        rss_reader: Callable[[], float | None] | None = None,
        cpu_clock: Callable[[], float] = time.process_time,
        wall_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if (
            isinstance(interval, bool)
            or not isinstance(interval, (int, float))
            or not math.isfinite(interval)
            or interval <= 0
        ):
            msg = (
                f"ResourceSampler interval must be a finite number of seconds > 0, got {interval!r}"
            )
            raise ConfigurationError(msg)
        self.interval = float(interval)
        self._rss_reader = rss_reader if rss_reader is not None else pick_rss_reader()
        self._cpu_clock = cpu_clock
        self._wall_clock = wall_clock
        self._last: tuple[float, float] | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.snapshot: Snapshot = (None, None)
        """The latest ``(rss_mb, cpu_percent)``; read without locking (one tuple)."""
        self.samples = 0
        self.errors = 0

    @property
    def running(self) -> bool:
        """True while the sampling thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def sample(self) -> Snapshot:
        """Take one sample now, store it in ``snapshot`` and return it (never raises)."""
        with self._lock:
            try:
                rss = self._rss_reader()
            except Exception:  # noqa: BLE001 - observability never raises into the caller
                self.errors += 1
                rss = None
            cpu: float | None = None
            try:
                now = (self._wall_clock(), self._cpu_clock())
                if self._last is not None:
                    wall = now[0] - self._last[0]
                    if wall > 0:
                        cpu = max(0.0, (now[1] - self._last[1]) / wall * 100.0)
                self._last = now
            except Exception:  # noqa: BLE001 - observability never raises into the caller
                self.errors += 1
            if cpu is None:
                cpu = self.snapshot[1]
            self.snapshot = (rss, cpu)
            self.samples += 1
            return self.snapshot

    def start(self) -> ResourceSampler:
        """Take a first sample and start the thread (no-op when running); returns self."""
        with self._lock:
            if self.running:
                return self
            self._stop.clear()
            thread = threading.Thread(target=self._loop, name="rfs-resource-sampler", daemon=True)
            self._thread = thread
        self.sample()
        thread.start()
        return self

    def stop(self, timeout: float | None = 2.0) -> None:
        """Stop the thread and wait up to ``timeout`` seconds for it."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()


_default: list[ResourceSampler | None] = [None]
_default_lock = threading.Lock()


def start_default_sampler() -> ResourceSampler:
    """The default sampler, started first unless it is running."""
    with _default_lock:
        sampler = _default[0]
        if sampler is None or not sampler.running:
            sampler = ResourceSampler().start()
            _default[0] = sampler
        return sampler


def resource_snapshot() -> Snapshot:
    """The cached ``(rss_mb, cpu_percent)``; starts the default sampler on first use."""
    sampler = _default[0]
    if sampler is None:
        sampler = start_default_sampler()
    return sampler.snapshot


def default_sampler() -> ResourceSampler | None:
    """The default sampler, or None before the first ``resource_snapshot()`` (starts nothing)."""
    return _default[0]


def after_fork_in_child() -> None:
    """Forget the default sampler: what a forked child runs (registered with ``os``).

    The sampling thread does not survive fork(); the child starts its own on first use.
    """
    global _default_lock
    _default_lock = threading.Lock()
    _default[0] = None


if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=after_fork_in_child)


def stop_default_sampler() -> None:
    """Stop the default sampler (the next ``resource_snapshot()`` starts a new one)."""
    with _default_lock:
        sampler = _default[0]
        _default[0] = None
    if sampler is not None:
        sampler.stop()
