"""Running the fleet of the integration test: real processes on 127.0.0.1, free ports, a
temporary directory, everything stopped at the end.

``Processes`` starts and stops subprocesses (their output kept in files, shown when a wait
fails); ``prometheus_config`` writes the server's configuration (1 s scrape and rule
evaluation); ``wait_for`` polls a check until it holds.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

import pytest

__all__ = ["HERE", "Processes", "free_port", "prometheus_config", "wait_for"]

HERE = Path(__file__).resolve().parent
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], T | None], *, timeout: float, what: str) -> T:
    """Poll ``check()`` (an exception counts as "not yet") until it returns a value."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            value = check()
        except Exception as exc:
            last = exc
        else:
            if value is not None and value is not False:
                return value
            last = value
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout} s waiting for {what}; last: {last!r}")


def prometheus_config(directory: Path, app_port: int, rule_file: str) -> Path:
    """The Prometheus configuration: scrape the app's workers every second, evaluate
    ``rule_file`` every second."""
    path = directory / "prometheus.yml"
    path.write_text(
        "global:\n"
        "  scrape_interval: 1s\n"
        "  scrape_timeout: 1s\n"
        "  evaluation_interval: 1s\n"
        f"rule_files: [{rule_file!r}]\n"
        "scrape_configs:\n"
        "  - job_name: fleet\n"
        "    metrics_path: /monitoring/metrics\n"
        "    static_configs:\n"
        f"      - targets: ['127.0.0.1:{app_port}']\n",
        encoding="utf-8",
    )
    return path


class Processes:
    """Subprocesses started for one test; ``stop_all()`` ends them (SIGINT, then kill)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, argv: list[str], env: Mapping[str, str] | None = None) -> None:
        out = (self.directory / f"{name}.log").open("wb")
        process = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=self.directory,
            env={**os.environ, **(env or {})},
            start_new_session=True,  # uvicorn's workers end with their supervisor
        )
        out.close()
        self.started.append((name, process))

    def uvicorn(self, name: str, app: str, port: int, *extra: str, **env: str) -> None:
        self.start(
            name,
            [
                sys.executable,
                "-m",
                "uvicorn",
                app,
                "--app-dir",
                str(HERE),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
                *extra,
            ],
            env,
        )

    def check_alive(self) -> None:
        for name, process in self.started:
            if process.poll() is not None:
                log = (self.directory / f"{name}.log").read_text(errors="replace")
                pytest.fail(f"{name} exited with {process.returncode}: {log[-3000:]}")

    def stop_all(self) -> None:
        for _, process in reversed(self.started):
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for _, process in reversed(self.started):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
