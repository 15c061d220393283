"""The host's event loop while the dashboard is polled: p99 of the app's own trivial endpoint.

A FastAPI app (uvicorn on 127.0.0.1, a forked process) serves a trivial endpoint ``/ping``
(which records one sample per call, of each of the 100 operations in turn, as a monitored
app does) and the monitoring router.
Its collector holds 1,000,000 samples (``--quick``: 100,000) over 100 operations recorded
over the last hour, then runs on the live clock. A measuring client (its own process) sends
sequential ``/ping`` requests and takes their p99 in four conditions, in turn, slice by
slice: idle (the anchor); a polling client (another process) requesting the dashboard page
and the top errors every 50 ms, cycling through windows unaligned to the buckets
(``3517.25`` s, ``1799.5`` s, ...) and spellings of one window ("1h", "3600", "3600.0"); the
same poller back to back; and, as controls, the poller requesting a trivial endpoint at the
same pace and back to back (the floor any traffic of that rate sets on a shared 2-core
machine: the client, the server's loop and its query thread share the cores).

Goal (issue 14): the p99 while the dashboard is polled at most 1.5x the idle p99 (the issue
measured 97x while the queries ran on the event loop).
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import multiprocessing
import os
import random
import socket
import time
from typing import Any

from benchmarks._util import record_an_hour, table

OPERATIONS = 100
ANCHOR = "/ping"
WINDOWS = ("1h", "3600", "3517.25", "15m", "1799.5", "3600.0", "5m", "2711.75", "900")
CONTROL = "/pong"
QUERY_CPU = "/query-cpu"
POLL_EVERY = 0.05
"""Seconds between the starts of two polls in the paced condition."""
CONDITIONS = (
    "idle (anchor)",
    "dashboard polled every 50 ms",
    "dashboard polled back to back",
    "control: a trivial endpoint polled back to back",
    "control: a trivial endpoint polled every 50 ms",
)
PACED = (1, 4)
"""The conditions polling every ``POLL_EVERY`` s (the others poll back to back)."""
TRIVIAL = (3, 4)
"""The control conditions, polling ``CONTROL`` instead of the monitoring endpoints."""
POLLED = (
    "/monitoring/dashboard?refresh=0&time_range={w}",
    "/monitoring/errors/top?limit=10&time_range={w}",
)


class _Clock:
    """The fill's clock, then the live one (``t`` None)."""

    def __init__(self) -> None:
        self.t: float | None = None

    def __call__(self) -> float:
        return time.time() if self.t is None else self.t

    def set(self, t: float) -> None:
        self.t = t


def _no_resources() -> tuple[float | None, float | None]:
    return (None, None)


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _build(samples: int) -> tuple[Any, float]:
    """The app, and the seconds recording ``samples`` over the last hour took."""
    from fastapi import FastAPI

    from rfs_monitoring.alerts import AlertManager
    from rfs_monitoring.dashboard import monitoring_router
    from rfs_monitoring.metrics import ResultMetricsCollector

    clock = _Clock()
    collector = ResultMetricsCollector(clock, resources=_no_resources)
    manager = AlertManager(collector, log_notifications=False, discover_plugins=False)
    manager.add({"metric": "error_rate", "threshold": 0.01, "window": "5m"})
    app = FastAPI()

    rng = random.Random(11)
    durations = [rng.lognormvariate(3.0, 0.6) for _ in range(4096)]
    calls = itertools.count()

    @app.get(ANCHOR)
    async def ping() -> dict[str, bool]:
        # the app's traffic goes on: each call records a sample of the next operation (as
        # an app with 100 endpoints does), durations as in the hour recorded before
        i = next(calls)
        collector.record(f"op-{i % OPERATIONS:03d}", success=True, duration_ms=durations[i & 4095])
        return {"ok": True}

    @app.get(CONTROL)
    async def pong() -> dict[str, bool]:
        return {"ok": True}

    pauses = _FullCollections()

    @app.get(QUERY_CPU)
    async def query_cpu() -> dict[str, float]:
        return {"seconds": _query_thread_cpu(), "full_gc": pauses.count, "gc_ms": pauses.read()}

    app.state.full_collections = pauses  # watched in the server process (``_serve``)

    app.include_router(monitoring_router(collector, manager, start_alerts=False))
    fill = record_an_hour(
        collector.record,
        clock.set,
        samples=samples,
        start=time.time() - 3600.0,
        operations=OPERATIONS,
    )
    clock.t = None  # live from here on
    return app, fill


class _FullCollections:
    """Counts the server's full garbage collections (generation 2) and keeps the longest
    since the last read: each stops every thread, the event loop's included."""

    def __init__(self) -> None:
        self.count = 0
        self.longest = 0.0
        self._began = 0.0

    def observe(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.count += 1
            self.longest = max(self.longest, (time.perf_counter() - self._began) * 1e3)

    def read(self) -> float:
        """The longest full collection (ms) since the last read."""
        longest, self.longest = self.longest, 0.0
        return longest


def _query_thread_cpu() -> float:
    """CPU seconds used so far by this process's threads other than the event loop's (the
    monitoring router's query worker: the app starts no other) from Linux ``/proc`` (0.0
    elsewhere): what the monitoring work costs the host."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return 0.0
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/stat") as stat:
                fields = stat.read().rsplit(")", 1)
        except OSError:
            continue
        if int(task) != os.getpid():
            rest = fields[1].split()
            total += int(rest[11]) + int(rest[12])  # utime, stime
    return total / ticks


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pin_client() -> None:
    """Keep the load off the first CPU, as clients run elsewhere in production: the clients
    (measuring and polling) run on the other CPUs, the server may use all of them. With one
    CPU (or without ``sched_setaffinity``) everything shares it."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(cpus) >= 2:
        os.sched_setaffinity(0, cpus[1:])


def _serve(app: Any, port: int) -> None:
    import uvicorn

    gc.callbacks.append(app.state.full_collections.observe)

    uvicorn.run(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off"
    )


def _poll(base: str, mode: Any, stop: Any, polled: Any) -> None:
    """The polling client, doing what ``mode`` says (an index of ``CONDITIONS``).

    It stands for browsers on other machines: it runs at the lowest priority (``nice``
    19) so that on this shared machine its own work never delays the measuring client on
    the same CPU, and it reads answers with a lean HTTP/1.1 client (the bytes are read
    whole and dropped; an HTTP client library would parse 60 KB pages on that CPU)."""
    _pin_client()
    if hasattr(os, "nice"):
        os.nice(19)
    asyncio.run(_polling(base, mode, stop, polled))


class _Connections:
    """Keep-alive HTTP/1.1 connections to the server, one request at a time on each."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def get(self, path: str) -> None:
        """GET ``path`` and read the whole answer; raises on a status other than 200."""
        request = f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode()
        while self.idle:  # the server closes connections idle for its keep-alive time
            reader, writer = self.idle.pop()
            writer.write(request)
            try:
                head = await reader.readuntil(b"\r\n\r\n")
                break
            except (asyncio.IncompleteReadError, ConnectionError):
                writer.close()
        else:
            reader, writer = await asyncio.open_connection(self.host, self.port)
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
        status = head.split(b" ", 2)[1]
        length = 0
        for line in head.lower().split(b"\r\n"):
            if line.startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await reader.readexactly(length)
        if status != b"200":
            writer.close()
            msg = f"GET {path} answered {status.decode()}"
            raise RuntimeError(msg)
        self.idle.append((reader, writer))

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()


async def _polling(base: str, mode: Any, stop: Any, polled: Any) -> None:
    turn = 0

    def next_path() -> str:
        nonlocal turn
        window = WINDOWS[turn % len(WINDOWS)]
        path = POLLED[turn % len(POLLED)].format(w=window)
        turn += 1
        return path

    host, port = base.removeprefix("http://").split(":")
    connections = _Connections(host, int(port))

    async def get(path: str, condition: int) -> None:
        await connections.get(path)
        polled[condition] += 1

    in_flight: set[asyncio.Task[None]] = set()
    while not stop.is_set():
        now = mode.value
        if now == 0:
            await asyncio.sleep(0.01)
        elif now in PACED:  # a request every POLL_EVERY s, whether answered or not
            path = CONTROL if now in TRIVIAL else next_path()
            task = asyncio.ensure_future(get(path, now))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
            await asyncio.sleep(POLL_EVERY)
        else:
            await get(CONTROL if now in TRIVIAL else next_path(), now)
    await asyncio.gather(*in_flight, return_exceptions=True)
    connections.close()


async def _wait_ready(base: str) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(100):
            try:
                (await client.get(ANCHOR)).raise_for_status()
                return
            except httpx.HTTPError:
                await asyncio.sleep(0.1)
    msg = f"the server at {base} did not answer"
    raise RuntimeError(msg)


def _measure(client: Any, seconds: float) -> list[float]:
    """Sequential ``/ping`` requests for ``seconds``: their times in ms."""
    timings = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        began = time.perf_counter()
        client.get(ANCHOR).raise_for_status()
        timings.append((time.perf_counter() - began) * 1e3)
    return timings


def _phases(
    base: str, seconds: float, slices: int
) -> tuple[list[list[float]], list[int], list[float], list[int], list[float]]:
    """Slices of ``seconds`` in each condition, in turn (so that the machine's other load
    falls on all alike): the pooled ``/ping`` times of each, and the requests polled."""
    import httpx

    context = multiprocessing.get_context("fork")
    mode, stop = context.Value("i", 0, lock=False), context.Event()
    polled = context.Array("l", len(CONDITIONS), lock=False)
    poller = context.Process(target=_poll, args=(base, mode, stop, polled), daemon=True)
    poller.start()
    timings: list[list[float]] = [[] for _ in CONDITIONS]
    cpu = [0.0 for _ in CONDITIONS]
    collections = [0 for _ in CONDITIONS]
    longest = [0.0 for _ in CONDITIONS]
    own = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    try:
        _pin_client()
        with httpx.Client(base_url=base, timeout=60.0) as client:
            for _ in range(50):  # warm up the connection
                client.get(ANCHOR)
            for _ in range(slices):
                for condition in range(len(CONDITIONS)):
                    mode.value = 0
                    time.sleep(0.3)  # the last poll and its computation end
                    mode.value = condition
                    time.sleep(0.3)  # the poller is under way
                    before = client.get(QUERY_CPU).json()
                    timings[condition].extend(_measure(client, seconds))
                    after = client.get(QUERY_CPU).json()
                    cpu[condition] += after["seconds"] - before["seconds"]
                    collections[condition] += int(after["full_gc"] - before["full_gc"])
                    longest[condition] = max(longest[condition], after["gc_ms"])
    finally:
        if own is not None:
            os.sched_setaffinity(0, own)  # the next benchmark gets every CPU again
        stop.set()
        poller.join(30)
        if poller.is_alive():
            poller.terminate()
    return timings, list(polled), cpu, collections, longest


def run(quick: bool = False) -> str:
    """Run the benchmark; returns its Markdown section."""
    samples = 100_000 if quick else 1_000_000
    seconds = 1.0
    slices = 3 if quick else 12
    app, fill_seconds = _build(samples)
    port = _free_port()
    context = multiprocessing.get_context("fork")
    server = context.Process(target=_serve, args=(app, port), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{port}"
    try:
        asyncio.run(_wait_ready(base))
        timings, polled, cpu, collections, longest = _phases(base, seconds, slices)
    finally:
        server.terminate()
        server.join(10)
    idle_p99 = _percentile(timings[0], 0.99)
    rows = []
    measured = zip(CONDITIONS, timings, polled, cpu, collections, longest, strict=True)
    for label, times, count, used, full, gc_ms in measured:
        p99 = _percentile(times, 0.99)
        rows.append(
            [
                label,
                f"{count / (slices * seconds):,.0f}" if count else "–",
                f"{used / (slices * seconds) * 1e3:.0f}",
                f"{full} ({gc_ms:.0f} ms)" if full else "0",
                f"{len(times):,}",
                f"{_percentile(times, 0.50):.2f}",
                f"{p99:.2f}",
                f"{p99 / idle_p99:.2f}x",
            ]
        )
    ratio = _percentile(timings[1], 0.99) / idle_p99
    paced_control = _percentile(timings[4], 0.99)
    return "\n\n".join(
        [
            "## The host's event loop under dashboard polling (`bench_event_loop`)",
            "uvicorn on 127.0.0.1 (forked process, on every CPU; the two clients kept off the "
            f"first CPU, as clients run elsewhere in production), {samples:,} samples "
            "over 100 operations "
            f"recorded over the last hour (in {fill_seconds:.1f} s), then the live clock; "
            "sequential `/ping` requests (each records a sample of the next of the 100 operations: "
            "the app's traffic goes on) measured in "
            f"{slices} slices of {seconds:g} s per condition, conditions in turn; the poller "
            "(its own process at nice 19, reading answers whole with a lean HTTP/1.1 client, "
            "so that its own work does not delay the measuring client on the shared CPU: "
            "browsers run elsewhere) requests the dashboard and the top errors over unaligned "
            f"windows and equal spellings ({', '.join(WINDOWS)}) every {POLL_EVERY * 1e3:g} ms "
            "whether answered or not (about 100 browsers refreshing every 5 s), or back to "
            "back, one at a time; the controls poll a "
            "trivial endpoint at the same pace and back to back (what any such traffic costs "
            "the loop). Query thread CPU: the server's threads but the event loop's (the "
            "router's query worker), from /proc, per second of measurement. Times in "
            "ms, pooled per condition; goal: polled p99 <= 1.5x idle p99.",
            table(
                [
                    "`/ping` while",
                    "polls answered / s",
                    "query thread CPU ms / s",
                    "full GCs (longest)",
                    "requests",
                    "p50",
                    "p99",
                    "p99 vs idle",
                ],
                rows,
            ),
            f"p99 ratio, dashboard polled every {POLL_EVERY * 1e3:g} ms / idle: "
            f"**{ratio:.2f}x** (goal <= 1.5x); the same poller at the same pace on a trivial "
            f"endpoint: {paced_control / idle_p99:.2f}x; dashboard / that control: "
            f"{_percentile(timings[1], 0.99) / paced_control:.2f}x (what the monitoring work "
            "itself adds).",
        ]
    )
