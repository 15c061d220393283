"""Running the demo: ``rfs-monitoring demo`` / ``rfs-monitoring serve``.

``run()`` first binds the listening socket (a taken port is one clear error on stderr,
before anything else is printed; port 0 picks a free one), then points the JSON log lines
at a file (or stdout with ``log_to_stdout``) and serves the demo app of ``demo.create_app``
with uvicorn. stdout shows a banner naming the command, the real URL, the API key and the
log file, then a compact live summary of the figures, one line every few seconds
(rewritten in place on a terminal).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as _dt
import errno
import logging
import os
import secrets
import socket
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import IO

from rfs_monitoring.alerts import AlertManager
from rfs_monitoring.demo import TrafficGenerator, create_app, demo_alert_manager
from rfs_monitoring.errors import MissingExtraError
from rfs_monitoring.masking import mask_access_log
from rfs_monitoring.metrics import OperationMetrics, ResultMetricsCollector
from rfs_monitoring.result import Success
from rfs_monitoring.result_logging import configure_logging, flush_logs

try:
    import uvicorn
    from fastapi import FastAPI
except ImportError as exc:  # pragma: no cover - only without the extra
    raise MissingExtraError("rfs-monitoring demo", "fastapi", exc.name or "fastapi") from exc

__all__ = [
    "LiveSummary",
    "bind_socket",
    "default_log_path",
    "listen_error",
    "run",
    "serve",
    "summary_line",
]

SUMMARY_WINDOW = "5m"
"""The window of the live summary's figures (the dashboard's default window)."""


def bind_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host``:``port`` (0: a free port), not yet listening.

    Raises:
        OSError: the address cannot be used; ``listen_error`` words it for people.
    """
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def listen_error(command: str, host: str, port: int, error: OSError) -> str:
    """The one line ``run`` prints when it cannot listen on ``host``:``port``."""
    where = f"{host}:{port}"
    if isinstance(error, socket.gaierror):
        return f"rfs-monitoring {command}: cannot listen on {where}: unknown host {host!r}"
    reason = error.strerror or str(error)
    hint = ""
    if error.errno == errno.EADDRINUSE:
        hint = " (another program is using it: pick one with --port, or --port 0 for a free one)"
    return f"rfs-monitoring {command}: cannot listen on {where}: {reason.lower()}{hint}"


def default_log_path(command: str) -> Path:
    """Where the JSON log lines go by default: a file of this run in the temp directory."""
    return Path(tempfile.gettempdir()) / f"rfs-monitoring-{command}-{os.getpid()}.jsonl"


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def summary_line(figures: OperationMetrics | None, firing: int, now: _dt.datetime) -> str:
    """One compact line of the live summary (``figures`` of all operations, or None)."""
    clock = now.strftime("%H:%M:%S")
    alerts = f"{firing} alert{'s' if firing != 1 else ''} firing"
    if figures is None or figures.total_requests == 0:
        return f"{clock}  last 5 min: no calls yet · {alerts}"
    return (
        f"{clock}  last 5 min: {figures.total_requests} calls · "
        f"{figures.current_requests_per_second:.1f} req/s now · "
        f"availability {figures.availability:.1%} · "
        f"client errors {figures.client_error_rate:.1%} · "
        f"p50 {figures.p50_response_time_ms:.0f} ms · p99 {figures.p99_response_time_ms:.0f} ms"
        f" · {alerts}"
    )


class LiveSummary:
    """Prints ``summary_line`` every ``every`` seconds to ``out`` until cancelled.

    On a terminal the line is rewritten in place; elsewhere (a pipe, a file) each summary
    is a new line. The figures are computed in a worker thread, off the event loop.

    Args:
        collector: where the figures come from.
        alerts: whose firing alerts are counted.
        out: the text stream written to.
        every: seconds between two lines.
    """

    def __init__(
        self,
        collector: ResultMetricsCollector,
        alerts: AlertManager,
        out: IO[str],
        every: float,
    ) -> None:
        self.collector = collector
        self.alerts = alerts
        self.out = out
        self.every = every
        self.lines = 0
        self._in_place = bool(getattr(out, "isatty", lambda: False)())

    async def line(self) -> str:
        """The summary line of now (the figures merged in a worker thread)."""
        figures = await asyncio.to_thread(self.collector.overall, SUMMARY_WINDOW)
        found = await figures
        shown = found.unwrap() if isinstance(found, Success) else None
        return summary_line(shown, len(self.alerts.firing()), _dt.datetime.now())

    def show(self, text: str) -> None:
        """Write one summary line (in place on a terminal)."""
        self.out.write(f"\r\033[K{text}" if self._in_place else f"{text}\n")
        self.out.flush()
        self.lines += 1

    async def run(self) -> None:
        """Print a line every ``every`` seconds until cancelled."""
        try:
            while True:
                await asyncio.sleep(self.every)
                self.show(await self.line())
        finally:
            if self._in_place and self.lines:
                self.out.write("\n")
                self.out.flush()


def _say(stream: IO[str], text: str) -> None:
    stream.write(text + "\n")
    stream.flush()


def _banner(
    stream: IO[str], command: str, base: str, key: str, log_path: Path | None, tail: str
) -> None:
    _say(stream, f"rfs-monitoring {command}: dashboard at {base}/monitoring/dashboard")
    _say(
        stream,
        f"  API: {base}/users/u-001 · /analytics/performance · /monitoring/operations · /docs"
        + tail,
    )
    _say(
        stream,
        f"  monitoring API key: {key} (sign in at {base}/monitoring/login, "
        "or send the header X-API-Key)",
    )
    if log_path is not None:
        _say(stream, f"  JSON log lines: {log_path}")


async def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    duration: float | None = None,
    traffic: bool = True,
    rps: float = 20.0,
    out: IO[str] | None = None,
    api_key: str | None = None,
    command: str | None = None,
    sock: socket.socket | None = None,
    log_path: Path | None = None,
    summary_every: float | None = 5.0,
) -> int:
    """Serve the demo app with uvicorn (and traffic) until interrupted or ``duration`` ends.

    Listens on ``sock`` (bound by ``run``), else binds ``host``:``port`` itself. Prints the
    banner (naming ``command``: "demo" with traffic, "serve" without, by default), with the
    real port, and a live summary every ``summary_every`` seconds (None: none). The
    monitoring API is guarded by ``api_key`` (a fresh random one when None): sign in at
    ``/monitoring/login`` or send it as ``X-API-Key``. Returns the exit status.
    """
    stream = out if out is not None else sys.stdout
    name = command or ("demo" if traffic else "serve")
    if sock is None:
        try:
            sock = bind_socket(host, port)
        except OSError as exc:
            _say(sys.stderr, listen_error(name, host, port, exc))
            return 1
    bound_port = int(sock.getsockname()[1])
    base = f"http://{_url_host(host)}:{bound_port}"
    key = api_key or secrets.token_urlsafe(18)
    generator = TrafficGenerator(base, rps=rps) if traffic else None
    collector = ResultMetricsCollector.instance()
    alerts = demo_alert_manager(collector)
    summary = LiveSummary(collector, alerts, stream, summary_every) if summary_every else None
    tasks: list[asyncio.Future[None]] = []

    async def stop_tasks() -> None:
        while tasks:
            task = tasks.pop()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if generator is not None:
            tasks.append(asyncio.ensure_future(generator.run()))
        if summary is not None:
            tasks.append(asyncio.ensure_future(summary.run()))
        try:
            yield
        finally:
            await stop_tasks()

    tail = (f" · traffic {rps:g} req/s" if traffic else "") + (
        f" · stops after {duration:g} s" if duration else " · Ctrl+C stops"
    )
    _banner(stream, name, base, key, log_path, tail)
    app = create_app(lifespan=lifespan, api_key=key, alert_manager=alerts)
    log = str(log_path) if log_path is not None else "the log"
    what = f"rfs-monitoring {name}: the server on {host}:{bound_port} did not start: see {log}"
    return await _run_uvicorn(app, sock, duration, stop_tasks, what)


async def _run_uvicorn(
    app: FastAPI,
    sock: socket.socket,
    duration: float | None,
    stop_tasks: Callable[[], Awaitable[None]],
    failure: str,
) -> int:
    # uvicorn's records (its error log, and access lines when enabled) show request URLs:
    # an ``api_key=`` / ``token=`` query parameter in them is masked before any handler
    mask_access_log()
    config = uvicorn.Config(
        app, log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)

    async def stop_later(seconds: float) -> None:
        await asyncio.sleep(seconds)
        await stop_tasks()
        server.should_exit = True

    stopper = asyncio.ensure_future(stop_later(duration)) if duration else None
    exited = False
    try:
        with sock:
            await server.serve(sockets=[sock])
    except SystemExit:  # uvicorn exits on some start-up errors
        exited = True
    finally:
        if stopper is not None:
            stopper.cancel()
    if exited or not server.started:  # e.g. the app's start-up failed
        _say(sys.stderr, failure)
        return 1
    return 0


def run(
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    duration: float | None = None,
    traffic: bool = True,
    rps: float = 20.0,
    command: str | None = None,
    log_file: str | os.PathLike[str] | None = None,
    log_to_stdout: bool = False,
    summary_every: float = 5.0,
) -> int:
    """Bind, point the JSON logs at a file (or stdout), serve the demo; the exit status.

    A port that cannot be used is one line on stderr and status 1, before anything else is
    printed or configured. The log lines go to ``log_file`` (default: ``default_log_path``)
    and the live summary to stdout; with ``log_to_stdout`` the log lines go to stdout and
    there is no live summary.
    """
    name = command or ("demo" if traffic else "serve")
    try:
        sock = bind_socket(host, port)
    except OSError as exc:
        _say(sys.stderr, listen_error(name, host, port, exc))
        return 1
    log_path = None if log_to_stdout else Path(log_file or default_log_path(name))
    if log_path is not None:
        try:
            log_path.open("ab").close()
        except OSError as exc:
            sock.close()
            reason = (exc.strerror or str(exc)).lower()
            _say(
                sys.stderr, f"rfs-monitoring {name}: cannot write the log file {log_path}: {reason}"
            )
            return 1
    configure_logging(
        json=True,
        sink=sys.stdout if log_path is None else log_path,
        service_name="rfs-monitoring-demo",
        environment="demo",
    )
    # One line per request comes from the Result entries; the generator's client stays quiet.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        return asyncio.run(
            serve(
                host=host,
                duration=duration,
                traffic=traffic,
                rps=rps,
                command=name,
                sock=sock,
                log_path=log_path,
                summary_every=None if log_to_stdout else summary_every,
            )
        )
    finally:
        flush_logs(timeout=2.0)
