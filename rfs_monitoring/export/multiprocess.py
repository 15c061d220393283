"""Several worker processes on one host: every worker's figures in one directory.

With ``PROMETHEUS_MULTIPROC_DIR`` set (prometheus_client's convention: an empty, writable
directory shared by the workers), each worker runs a *feed*: a daemon thread that, once per
``interval`` (1 s), writes the worker's lifetime figures into prometheus_client's per-process
files (``counter_rfs-<pid>.db``, ``histogram_rfs-<pid>.db``, ``gauge_livesum_rfs-<pid>.db``),
only the values that changed, and once more when the interpreter exits. Recording is
untouched: ``record()`` costs what it costs without the export. A scrape of any worker syncs
its own figures, then sums the directory (``MultiprocessFeed.read_fleet``).

Dead workers: as prometheus_client documents, the counters and histograms of a dead process
stay in the sum (totals never go back); ``mark_process_dead(pid)`` (gunicorn's ``child_exit``
hook) removes its live gauges, so ``rfs_export_workers`` counts the live workers only.
"""

from __future__ import annotations

import atexit
import glob
import importlib
import math
import os
import threading
from collections.abc import Sequence
from typing import Any

from rfs_monitoring.errors import ConfigurationError, MissingExtraError
from rfs_monitoring.export.figures import (
    DEFAULT_BUCKETS_SECONDS,
    DEFAULT_ERROR_GROUPS,
    HELP,
    check_bounds,
    check_limit,
    figures_of,
    group_labels,
)
from rfs_monitoring.metrics import ResultMetricsCollector

__all__ = [
    "ENV_VAR",
    "FILE_TAG",
    "MultiprocessFeed",
    "mark_process_dead",
    "multiprocess_dir",
    "running_feeds",
    "start_multiprocess_export",
    "stop_multiprocess_export",
]

ENV_VAR = "PROMETHEUS_MULTIPROC_DIR"
"""The environment variable naming the shared directory (prometheus_client's)."""

FILE_TAG = "rfs-"
"""Our files are ``<type>_rfs-<pid>.db``: apart from the application's own metric files."""


def multiprocess_dir() -> str | None:
    """The value of ``PROMETHEUS_MULTIPROC_DIR``, or None when it is unset or empty."""
    return os.environ.get(ENV_VAR) or None


def _check_dir(path: str | None) -> str:
    found = path if path is not None else multiprocess_dir()
    if found is None:
        msg = f"multiprocess export needs a directory: set {ENV_VAR} or pass path"
        raise ConfigurationError(msg)
    if not os.path.isdir(found) or not os.access(found, os.W_OK):
        msg = f"{ENV_VAR} must name an existing, writable directory, got {found!r}"
        raise ConfigurationError(msg)
    return found


def _check_interval(interval: object) -> float:
    if (
        isinstance(interval, bool)
        or not isinstance(interval, (int, float))
        or not math.isfinite(interval)
        or interval <= 0
    ):
        msg = f"interval must be a number of seconds > 0, got {interval!r}"
        raise ConfigurationError(msg)
    return float(interval)


def _prometheus(module: str) -> Any:
    """``prometheus_client.<module>`` (untyped, hence ``Any``).

    Raises:
        MissingExtraError: prometheus_client is not installed.
    """
    try:
        return importlib.import_module(f"prometheus_client.{module}")
    except ImportError as exc:
        raise MissingExtraError("Prometheus export", "prometheus", "prometheus_client") from exc


_FILES: dict[str, Any] = {}
"""File name -> prometheus_client ``MmapedDict``: one writer per file in this process."""
_FILES_LOCK = threading.Lock()


def _write(path: str, prefix: str, key: str, value: float) -> None:
    """Write ``value`` under ``key`` into this process' ``<prefix>_rfs-<pid>.db`` file."""
    name = os.path.join(path, f"{prefix}_{FILE_TAG}{os.getpid()}.db")
    with _FILES_LOCK:
        found = _FILES.get(name)
        if found is None:
            found = _FILES[name] = _prometheus("mmap_dict").MmapedDict(name)
        found.write_value(key, value, 0.0)


class MultiprocessFeed:
    """Writes one process' figures into the shared directory; reads the fleet's sum.

    Use ``start_multiprocess_export``, which keeps one feed per collector and settings.

    Args:
        collector: the collector read (None: the process-wide instance at each sync).
        path: the shared directory.
        interval: seconds between two syncs of the background thread.
        namespace / buckets / max_error_groups: as ``PrometheusExporter``'s.
    """

    def __init__(
        self,
        collector: ResultMetricsCollector | None,
        path: str,
        *,
        interval: float = 1.0,
        namespace: str = "rfs",
        buckets: Sequence[float] = DEFAULT_BUCKETS_SECONDS,
        max_error_groups: int = DEFAULT_ERROR_GROUPS,
    ) -> None:
        self.collector = collector
        self.path = path
        self.interval = _check_interval(interval)
        self.namespace = namespace
        self.buckets = check_bounds(buckets)
        self.max_error_groups = check_limit(max_error_groups)
        self._le = [_go_float(b) for b in self.buckets] + ["+Inf"]
        self._written: dict[tuple[str, str, tuple[str, ...]], float] = {}
        self._keys: dict[tuple[str, str, tuple[str, ...]], str] = {}
        self._seen: dict[str, tuple[int, int, float]] = {}
        self._baseline: dict[tuple[str, str, tuple[str, ...]], float] | None = None
        self._dry = False
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._counters = {"syncs": 0, "writes": 0, "errors": 0}

    def stats(self) -> dict[str, int]:
        """``syncs`` done, values ``writes`` written, sync ``errors`` (counted, never raised)."""
        with self._lock:
            return dict(self._counters)

    # ------------------------------------------------------------------ writing

    def sync(self) -> int:
        """Write the figures that changed since the last sync; returns how many were written.

        Never raises: a failure (a full disk, a removed directory) is counted in
        ``stats()["errors"]`` and retried at the next sync.
        """
        with self._lock:
            try:
                written = self._sync()
            except Exception:  # noqa: BLE001 - exporting never breaks the application
                self._counters["errors"] += 1
                return 0
            self._counters["syncs"] += 1
            self._counters["writes"] += written
            return written

    def _sync(self) -> int:
        if os.getpid() != self._pid:  # forked: this process' files start empty
            self._pid = os.getpid()
            self._written.clear()
            self._seen.clear()
        collector = self.collector or ResultMetricsCollector.instance()
        labels = group_labels(collector, self.max_error_groups)
        ns = self.namespace
        written = self._put("gauge", f"{ns}_export_workers", "", (), (), 1)
        for totals in collector.totals():
            seen = (totals.total, totals.failed, totals.sum_ms)
            if not self._dry and self._seen.get(totals.operation) == seen:
                continue  # nothing new: every value of it is written already
            self._seen[totals.operation] = seen
            fig = figures_of(totals, self.buckets, labels)
            op = fig.operation
            for outcome, n in fig.outcomes.items():
                written += self._counter("operation_requests", ("outcome",), (op, outcome), n)
            for code, n in fig.errors.items():
                written += self._counter("operation_errors", ("error_code",), (op, code), n)
            for group, n in fig.groups.items():
                written += self._counter("operation_error_groups", ("error_group",), (op, group), n)
            written += self._histogram(op, fig.cumulative, fig.sum_seconds)
        return written

    def _counter(self, family: str, extra: tuple[str, ...], values: tuple[str, ...], n: int) -> int:
        metric = f"{self.namespace}_{family}"
        return self._put("counter", metric, "_total", ("operation", *extra), values, n)

    def _histogram(self, op: str, cumulative: tuple[int, ...], sum_seconds: float) -> int:
        metric = f"{self.namespace}_operation_duration_seconds"
        written = self._put("histogram", metric, "_sum", ("operation",), (op,), sum_seconds)
        below = 0
        for le, upto in zip(self._le, cumulative, strict=True):
            # the files hold per-bucket counts; the reader accumulates them
            n = upto - below
            below = upto
            written += self._put("histogram", metric, "_bucket", ("operation", "le"), (op, le), n)
        return written

    def _put(
        self,
        typ: str,
        metric: str,
        suffix: str,
        names: tuple[str, ...],
        values: tuple[str, ...],
        value: float,
    ) -> int:
        key = (metric + suffix, typ, values)
        if typ != "gauge" and self._baseline is not None:
            if self._dry:
                self._baseline[key] = value
                return 0
            value -= self._baseline.get(key, 0)
        if self._written.get(key) == value:
            return 0
        metric_key = self._keys.get(key)
        if metric_key is None:  # one JSON key per series, as prometheus_client writes it
            help_text = HELP[metric[len(self.namespace) + 1 :]]
            metric_key = _prometheus("mmap_dict").mmap_key(
                metric, metric + suffix, names, values, help_text
            )
            self._keys[key] = metric_key
        _write(self.path, "gauge_livesum" if typ == "gauge" else typ, metric_key, float(value))
        self._written[key] = value
        return 1

    # ------------------------------------------------------------------ reading

    def read_fleet(self) -> list[Any]:
        """The sum of every worker's figures in the directory (prometheus_client ``Metric``s)."""
        merge = _prometheus("multiprocess").MultiProcessCollector.merge
        files = glob.glob(os.path.join(glob.escape(self.path), f"*_{FILE_TAG}*.db"))
        return list(merge(files, accumulate=True))

    # ------------------------------------------------------------------ the thread

    @property
    def running(self) -> bool:
        """Whether the background thread runs in this process."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def start(self) -> None:
        """Sync now, then every ``interval`` seconds on a daemon thread (idempotent)."""
        self.sync()
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="rfs-prometheus-feed", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread after a last sync (idempotent)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5.0)
        self._thread = None
        self.sync()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sync()

    def after_fork(self) -> None:
        """In a forked child: publish only what the child records from now on.

        The child's collector is a copy of the parent's, whose figures the parent
        publishes: they are taken as the child's baseline and subtracted.
        """
        self._lock = threading.Lock()
        self._thread = None
        self._stop = threading.Event()
        self._pid = os.getpid()
        self._written.clear()
        self._seen.clear()
        self._baseline = {}
        self._dry = True
        try:
            self._sync()
        except Exception:  # noqa: BLE001 - exporting never breaks the application
            self._counters["errors"] += 1
        finally:
            self._dry = False
        self.start()


def _go_float(value: float) -> str:
    return str(_prometheus("utils").floatToGoString(value))


_FEEDS: dict[tuple[object, ...], MultiprocessFeed] = {}
_FEEDS_LOCK = threading.Lock()


def start_multiprocess_export(
    collector: ResultMetricsCollector | None = None,
    *,
    path: str | None = None,
    interval: float = 1.0,
    namespace: str = "rfs",
    buckets: Sequence[float] = DEFAULT_BUCKETS_SECONDS,
    max_error_groups: int = DEFAULT_ERROR_GROUPS,
) -> MultiprocessFeed:
    """Start (or return the running) feed of this process for ``collector`` and settings.

    Args:
        collector: the collector to export (None: the process-wide instance).
        path: the shared directory (default: ``PROMETHEUS_MULTIPROC_DIR``).
        interval: seconds between two syncs.
        namespace / buckets / max_error_groups: as ``PrometheusExporter``'s.

    Raises:
        ConfigurationError: no usable directory, a bad interval, namespace, bucket list or limit.
        MissingExtraError: prometheus_client is not installed.
    """
    folder = _check_dir(path)
    _prometheus("mmap_dict")
    bounds = check_bounds(buckets)
    key = (id(collector), os.path.realpath(folder), namespace, bounds, max_error_groups)
    with _FEEDS_LOCK:
        feed = _FEEDS.get(key)
        if feed is None or feed.collector is not collector:
            feed = MultiprocessFeed(
                collector,
                folder,
                interval=interval,
                namespace=namespace,
                buckets=bounds,
                max_error_groups=max_error_groups,
            )
            _FEEDS[key] = feed
    feed.start()
    return feed


def running_feeds() -> list[MultiprocessFeed]:
    """The feeds started in this process."""
    with _FEEDS_LOCK:
        return list(_FEEDS.values())


def stop_multiprocess_export() -> None:
    """Stop every feed of this process after a last sync, then close this process' files
    (at exit, and for tests; a feed started later opens them again)."""
    with _FEEDS_LOCK:
        feeds = list(_FEEDS.values())
        _FEEDS.clear()
    for feed in feeds:
        feed.stop()
    with _FILES_LOCK:
        files = list(_FILES.values())
        _FILES.clear()
    for opened in files:
        opened.close()


def mark_process_dead(pid: int, path: str | None = None) -> None:
    """A worker died: drop its live gauges (ours and prometheus_client's).

    Call it from your process manager, e.g. gunicorn's ``child_exit(server, worker)`` hook
    with ``worker.pid``. Its counters and histograms stay in the sum (prometheus_client's
    documented behaviour, so totals never go back).

    Raises:
        ConfigurationError: no usable directory.
    """
    folder = _check_dir(path)
    _prometheus("multiprocess").mark_process_dead(pid, folder)
    for found in glob.glob(os.path.join(glob.escape(folder), f"gauge_live*_{FILE_TAG}{pid}.db")):
        try:
            os.remove(found)
        except FileNotFoundError:  # another process removed it first
            continue


def _restart_after_fork() -> None:
    global _FEEDS_LOCK, _FILES_LOCK  # a lock held by a parent thread at fork stays held
    _FEEDS_LOCK = threading.Lock()
    _FILES_LOCK = threading.Lock()
    _FILES.clear()  # the parent's files: the child writes its own (named by its pid)
    for feed in list(_FEEDS.values()):
        feed.after_fork()


atexit.register(stop_multiprocess_export)
os.register_at_fork(after_in_child=_restart_after_fork)
