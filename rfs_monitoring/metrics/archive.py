"""SQLite archive of hour buckets: metrics older than the in-memory retention.

``ResultMetricsCollector(archive=MetricsArchive("metrics.db"))`` writes every hour bucket
that leaves its in-memory retention to the archive (in ``flush_archive()``, which every query
calls: never on the recording path), and reads the archive for windows reaching further back
("30d"). Several processes can share one file: each writes rows under its own ``source`` id,
and a query merges the rows of every source (rows are whole hours, so windows shorter than an
hour read memory only). ``collector.checkpoint()`` also writes the hours still in memory
(e.g. at shutdown, or every few minutes), so a restarted process or a sibling worker sees them.
Rows older than the archive's ``retention`` (default 90 days) are deleted when it is written.

The file uses WAL journaling and a busy timeout, so readers never block the writer and
concurrent writers wait for each other instead of failing. A query waits for a locked file
only ``query_timeout`` (0.1 s) and then answers from memory; a writer waits ``timeout``
(10 s). Every SQLite failure surfaces as one ``ArchiveError`` whose ``kind`` says busy, full
or error (and is counted in ``stats()``); a table dropped under the archive is recreated on
the next use. A row that cannot be decoded (a damaged file, a hand-edited row) is skipped by
the read, counted (``stats()["rows_skipped"]``) and logged once: a query answers from the
rest. Only the standard library's ``sqlite3`` is used.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import math
import os
import socket
import sqlite3
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from rfs_monitoring.errors import ArchiveError, ConfigurationError
from rfs_monitoring.masking.logs import masked_logger
from rfs_monitoring.metrics.bucket import BUCKET_FIELDS, FieldKind, MetricBucket
from rfs_monitoring.metrics.sketch import LatencySketch
from rfs_monitoring.text import truncate

__all__ = [
    "DEFAULT_QUERY_TIMEOUT",
    "SCHEMA_VERSION",
    "MetricsArchive",
    "archive_fault",
    "default_source",
    "enable_wal",
]

DEFAULT_QUERY_TIMEOUT = 0.1
"""Seconds a query waits for a locked archive before it answers from memory."""

_T = TypeVar("_T")

_logger = masked_logger("rfs_monitoring.archive")

_WARNED_ROWS = 1000
"""Skipped rows an archive logs a warning for (each once); later ones are only counted."""

SCHEMA_VERSION = 1
"""Version of the table layout, kept in ``PRAGMA user_version``."""


class _Codec(NamedTuple):
    sql: str
    encode: Callable[[Any], Any]
    decode: Callable[[Any], Any]


def _json(value: object) -> str:
    return json.dumps(value, sort_keys=True)


def _shown(value: object) -> str:
    """``repr(value)``, cut to 80 characters (a damaged column may hold megabytes)."""
    return truncate(repr(value), 80)


def _count(value: object) -> int:
    """A count or a start read back: an int >= 0 (a REAL column value must be whole)."""
    if not isinstance(value, bool) and isinstance(value, (int, float)):
        number = int(value)  # OverflowError for an infinity: caught by ``_decode``
        if number == value and number >= 0:
            return number
    msg = f"expected a whole number >= 0, got {_shown(value)}"
    raise ValueError(msg)


def _amount(value: object) -> float:
    """A sum or a maximum read back: a finite number >= 0."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
    ):
        msg = f"expected a finite number >= 0, got {_shown(value)}"
        raise ValueError(msg)
    return float(value)


def _object(text: object) -> dict[str, Any]:
    if not isinstance(text, str):
        msg = f"expected JSON text, got {type(text).__name__}"
        raise ValueError(msg)
    data = json.loads(text)
    if not isinstance(data, dict):
        msg = f"expected a JSON object, got {type(data).__name__}"
        raise ValueError(msg)
    return data


def _counts(text: object) -> dict[str, int]:
    return {key: _count(n) for key, n in _object(text).items()}


def _groups(text: object) -> dict[str, list[Any]]:
    groups = {}
    for key, entry in _object(text).items():
        if not isinstance(entry, list) or len(entry) != 3 or not isinstance(entry[2], str):
            msg = (
                f"error group {_shown(key)}: expected [count, last seen, code], got {_shown(entry)}"
            )
            raise ValueError(msg)
        groups[key] = [_count(entry[0]), _amount(entry[1]), entry[2]]
    return groups


def _sketch(blob: object) -> LatencySketch:
    if not isinstance(blob, bytes):
        msg = f"expected a BLOB, got {type(blob).__name__}"
        raise ValueError(msg)
    return LatencySketch.from_bytes(blob)


_CODECS: dict[FieldKind, _Codec] = {
    "int": _Codec("INTEGER", int, _count),
    "float": _Codec("REAL", float, _amount),
    "sketch": _Codec("BLOB", LatencySketch.to_bytes, _sketch),
    "counts": _Codec("TEXT", _json, _counts),
    "groups": _Codec("TEXT", _json, _groups),
}
_FIELDS = tuple((name, _CODECS[kind]) for name, kind in BUCKET_FIELDS.items())
# a row is (operation, source, *the bucket's fields, written_at); the bucket's start is
# the row's hour_start
_BUCKET_COLUMNS = tuple("hour_start" if name == "start" else name for name, _ in _FIELDS)
_COLUMNS = ", ".join(("operation", "source", *_BUCKET_COLUMNS))
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS rfs_metric_hours (\n"
    "    operation TEXT NOT NULL,\n"
    "    source TEXT NOT NULL,\n"
    + "".join(
        f"    {column} {codec.sql} NOT NULL,\n"
        for column, (_, codec) in zip(_BUCKET_COLUMNS, _FIELDS, strict=True)
    )
    + "    written_at REAL NOT NULL,\n"
    "    PRIMARY KEY (operation, source, hour_start)\n"
    ");\n"
    "CREATE INDEX IF NOT EXISTS rfs_metric_hours_by_time ON rfs_metric_hours (hour_start);\n"
)
_INSERT = (
    f"INSERT OR REPLACE INTO rfs_metric_hours ({_COLUMNS}, written_at) "
    f"VALUES ({', '.join('?' for _ in range(len(_BUCKET_COLUMNS) + 3))})"
)


def default_source() -> str:
    """A source id unique to this process and archive object: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class MetricsArchive:
    """An SQLite file of hour buckets, shareable by several processes.

    Args:
        path: the database file (created with its directory if missing).
        retention: rows older than this are deleted on write (default 90 days).
        source: the id this process writes its rows under (default: host, pid, random).
        clock: returns epoch seconds (inject a fake one in tests).
        timeout: seconds a writer waits for another process's lock.
        query_timeout: seconds a query (``load``, and the writes queries make on their way)
            waits for it; the collector then answers from memory and counts it.

    Raises:
        ConfigurationError: a bad argument, or a file that is no archive of this version.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        retention: _dt.timedelta = _dt.timedelta(days=90),
        source: str | None = None,
        clock: Callable[[], float] = time.time,
        timeout: float = 10.0,
        query_timeout: float = DEFAULT_QUERY_TIMEOUT,
    ) -> None:
        for label, value in (("timeout", timeout), ("query_timeout", query_timeout)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
                msg = f"archive {label} must be a number of seconds >= 0, got {value!r}"
                raise ConfigurationError(msg)
        if not isinstance(retention, _dt.timedelta) or retention < _dt.timedelta(hours=1):
            msg = f"archive retention must be a timedelta of at least one hour, got {retention!r}"
            raise ConfigurationError(msg)
        if source is not None and (not isinstance(source, str) or not source):
            msg = f"archive source must be a non-empty str, got {source!r}"
            raise ConfigurationError(msg)
        self.path = Path(path)
        self.retention = retention
        self.source = source or default_source()
        self._clock = clock
        self.timeout = float(timeout)
        self.query_timeout = float(query_timeout)
        self._lock = threading.Lock()  # the connection's
        self._count_lock = threading.Lock()  # the counters' (never held while waiting)
        self._counters = dict.fromkeys(
            ("busy", "full", "errors", "tables_recreated", "rows_skipped"), 0
        )
        self._warned: set[tuple[Any, ...]] = set()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            str(self.path), timeout=timeout, check_same_thread=False, isolation_level=None
        )
        try:
            _prepare(conn, self.path, timeout)
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        # an archive dropped without close() still closes its connection when collected
        self._finalizer = weakref.finalize(self, conn.close)

    def __repr__(self) -> str:
        return f"MetricsArchive({str(self.path)!r}, source={self.source!r})"

    @property
    def connection(self) -> sqlite3.Connection:
        """The archive's SQLite connection (WAL, autocommit), for inspection and maintenance.

        E.g. ``PRAGMA`` settings that are per connection. Rows written through it bypass the
        archive's lock and its retention.
        """
        return self._conn

    def close(self) -> None:
        """Close the database connection (idempotent)."""
        with self._lock:
            self._finalizer()

    def __enter__(self) -> MetricsArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ writing

    def stats(self) -> dict[str, int]:
        """Failures by kind: ``busy`` (locked past the wait), ``full`` (disk or database
        full), ``errors`` (any other), ``tables_recreated`` (the table was missing) and
        ``rows_skipped`` (rows a read could not decode, each time one was read). Answers at
        once, also while a write waits for a locked file."""
        with self._count_lock:
            return dict(self._counters)

    def write(
        self,
        rows: Iterable[tuple[str, MetricBucket]],
        *,
        now: float | None = None,
        timeout: float | None = None,
    ) -> int:
        """Store ``(operation, hour bucket)`` rows under this source, then purge old rows.

        A row for the same operation, source and hour replaces the earlier one; nothing is
        written when any row fails. ``timeout``: seconds to wait for a locked file (None:
        the archive's ``timeout``). Returns how many rows were written.

        Raises:
            ArchiveError: the file was locked past ``timeout``, full, or failed otherwise.
        """
        stamp = self._clock() if now is None else now
        values = [_encode(op, self.source, bucket, stamp) for op, bucket in rows]
        cutoff = int(stamp - self.retention.total_seconds())

        def work(conn: sqlite3.Connection) -> int:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(_INSERT, values)
                conn.execute("DELETE FROM rfs_metric_hours WHERE hour_start < ?", (cutoff,))
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
            return len(values)

        return self._use(self.timeout if timeout is None else timeout, work)

    def purge(self, *, now: float | None = None) -> int:
        """Delete rows older than the retention; returns how many.

        Raises:
            ArchiveError: the file was locked past ``timeout``, full, or failed otherwise.
        """
        stamp = self._clock() if now is None else now
        cutoff = int(stamp - self.retention.total_seconds())

        def work(conn: sqlite3.Connection) -> int:
            sql = "DELETE FROM rfs_metric_hours WHERE hour_start < ?"
            return conn.execute(sql, (cutoff,)).rowcount

        return self._use(self.timeout, work)

    def _use(self, timeout: float, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run ``work`` on the connection waiting ``timeout`` s for a lock; a missing table
        is recreated and ``work`` retried once; a failure becomes a counted ArchiveError."""
        with self._lock:
            conn = self._conn
            try:
                conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
                try:
                    return work(conn)
                except sqlite3.OperationalError as exc:
                    if "no such table" not in str(exc):
                        raise
                    conn.executescript(_SCHEMA)
                    self._add("tables_recreated")
                    return work(conn)
            except sqlite3.Error as exc:
                kind = archive_fault(exc)
                self._add("errors" if kind == "error" else kind)
                raise ArchiveError(self.path, kind, exc) from exc

    def _add(self, counter: str) -> None:
        with self._count_lock:
            self._counters[counter] += 1

    # ------------------------------------------------------------------ reading

    def load(
        self,
        operations: list[str] | None,
        *,
        start: int,
        end: int,
        own_before: Mapping[str, int] | None = None,
    ) -> list[tuple[str, MetricBucket]]:
        """Rows with ``start <= hour_start < end`` as ``(operation, bucket)``.

        Args:
            operations: the operations to read (None: all).
            own_before: per operation, the first hour this process still holds in memory:
                its own rows from that hour on are skipped (they would count twice); rows
                of other sources are always read.

        Waits ``query_timeout`` s at most for a locked file. A row that cannot be decoded
        (a damaged file, a hand-edited row) is left out: counted in ``stats()["rows_skipped"]``
        and logged (a warning, the first time each row is skipped).

        Raises:
            ArchiveError: the file was locked past ``query_timeout``, or failed otherwise.
        """
        sql = f"SELECT {_COLUMNS} FROM rfs_metric_hours WHERE hour_start >= ? AND hour_start < ?"
        params: list[Any] = [start, end]
        if operations is not None:
            if not operations:
                return []
            sql += f" AND operation IN ({', '.join('?' for _ in operations)})"
            params.extend(operations)
        query = sql + " ORDER BY hour_start"
        rows = self._use(self.query_timeout, lambda conn: conn.execute(query, params).fetchall())
        horizons = own_before or {}
        out = []
        for row in rows:
            operation, source, hour_start = row[0], row[1], row[2]
            if source == self.source and hour_start >= horizons.get(operation, end):
                continue
            try:
                bucket = _decode(row)
            except ValueError as exc:
                self._skip(row[:3], exc)
                continue
            out.append((operation, bucket))
        return out

    def _skip(self, key: tuple[Any, ...], problem: ValueError) -> None:
        """Count a row ``(operation, source, hour_start)`` that could not be decoded; warn
        about it the first time (for the first ``_WARNED_ROWS`` rows)."""
        with self._count_lock:
            self._counters["rows_skipped"] += 1
            first = key not in self._warned and len(self._warned) < _WARNED_ROWS
            if first:
                self._warned.add(key)
        if first:
            _logger.warning(
                "metrics archive %s: row %s skipped, it cannot be decoded: %s",
                self.path,
                _shown(key),
                problem,
            )

    def operations(self) -> list[str]:
        """Every operation with rows in the archive, sorted.

        Raises:
            ArchiveError: the file was locked past ``query_timeout``, or failed otherwise.
        """
        sql = "SELECT DISTINCT operation FROM rfs_metric_hours ORDER BY operation"
        rows = self._use(self.query_timeout, lambda conn: conn.execute(sql).fetchall())
        return [r[0] for r in rows]

    def sources(self) -> list[str]:
        """Every source with rows in the archive, sorted.

        Raises:
            ArchiveError: the file was locked past ``query_timeout``, or failed otherwise.
        """
        sql = "SELECT DISTINCT source FROM rfs_metric_hours ORDER BY source"
        rows = self._use(self.query_timeout, lambda conn: conn.execute(sql).fetchall())
        return [r[0] for r in rows]


def archive_fault(exc: BaseException) -> str:
    """The kind of an SQLite failure: ``"busy"``, ``"full"`` or ``"error"``."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return "busy"
    if "full" in text:
        return "full"
    return "error"


def enable_wal(conn: sqlite3.Connection, timeout: float) -> None:
    """Switch ``conn`` to WAL journaling, retrying for ``timeout`` s while the file is locked.

    Switching the journal mode takes an exclusive lock and SQLite answers "database is
    locked" at once, without its busy handler, while another process is opening the same
    new file.

    Raises:
        sqlite3.OperationalError: still locked when ``timeout`` is spent, or another error.
    """
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
        else:
            return


def _prepare(conn: sqlite3.Connection, path: Path, timeout: float = 10.0) -> None:
    """Set WAL mode and create (or check) the schema."""
    try:
        enable_wal(conn, timeout)
        conn.execute("PRAGMA synchronous=NORMAL")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):
            msg = (
                f"{path} is a metrics archive of schema version {version}; "
                f"this rfs-monitoring reads version {SCHEMA_VERSION}"
            )
            raise ConfigurationError(msg)
        conn.executescript(_SCHEMA)
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    except sqlite3.DatabaseError as exc:
        msg = f"{path} cannot be used as a metrics archive: {exc}"
        raise ConfigurationError(msg) from exc


def _encode(operation: str, source: str, bucket: MetricBucket, stamp: float) -> tuple[Any, ...]:
    fields = (codec.encode(getattr(bucket, name)) for name, codec in _FIELDS)
    return (operation, source, *fields, stamp)


def _decode(row: tuple[Any, ...]) -> MetricBucket:
    """The bucket of a row ``(operation, source, *fields)``.

    Raises:
        ValueError: a column holds what its field cannot (naming the column).
    """
    if not isinstance(row[0], str):  # a BLOB keeps its type in a TEXT column
        msg = f"column operation: expected text, got {type(row[0]).__name__}"
        raise ValueError(msg)
    bucket = MetricBucket(0)
    for column, (name, codec), value in zip(_BUCKET_COLUMNS, _FIELDS, row[2:], strict=True):
        try:
            decoded = codec.decode(value)
        except (ValueError, TypeError, OverflowError, RecursionError) as exc:
            msg = f"column {column}: {exc}"
            raise ValueError(msg) from exc
        setattr(bucket, name, decoded)
    return bucket
