"""Worker processes sharing one multiprocess directory (driven over stdin / stdout)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

WORKER = Path(__file__).with_name("worker.py")

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


class Worker:
    """One worker process (``worker.py``) driven over its stdin / stdout."""

    def __init__(self, directory: Path, successes: int, *failures: str) -> None:
        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), str(successes), *failures],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        ready = self._read()
        assert ready.startswith("ready "), ready
        self.pid = int(ready.split()[1])

    def _read(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, f"worker exited with {self.process.wait()}"
        return line.strip()

    def ask(self, command: str) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self._read()

    def scrape(self) -> Samples:
        rows: list[list[Any]] = json.loads(self.ask("scrape"))
        return {(name, tuple(sorted(labels.items()))): value for name, labels, value in rows}

    def exit(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.write("exit\n")
            self.process.stdin.close()
            assert self.process.wait(timeout=30) == 0
        if self.process.stdout is not None:
            self.process.stdout.close()
