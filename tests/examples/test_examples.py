"""Every example under examples/ runs as a user would run it, and its output is checked.

- ``basic_logging.py``: run as a script; every stdout line must be JSON, the Result entries
  must validate against the ResultLogEntry schema and show each kind of operation.
- ``metrics_dashboard.py``: served on a free 127.0.0.1 port and queried over HTTP.
- ``test_testing_patterns.py`` (and ``examples/property_testing``): run with plain
  ``pytest examples/`` from the repository root, the repository's strict config in force.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jsonschema
import pytest

from rfs_monitoring.result_logging import result_log_entry_schema

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "monitoring"
TIMEOUT = 120
REPORT = ["--rfs-metrics-report"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def _json_lines(text: str) -> list[dict[str, object]]:
    lines = [line for line in text.splitlines() if line.strip()]
    return [json.loads(line) for line in lines]  # each line must be one JSON object


@pytest.fixture(scope="module")
def run() -> subprocess.CompletedProcess[str]:
    """One run of basic_logging.py."""
    return _run(str(EXAMPLES / "basic_logging.py"))


@pytest.fixture(scope="module")
def entries(run: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    """The ResultLogEntry lines of that run."""
    assert run.returncode == 0, run.stderr
    return [line for line in _json_lines(run.stdout) if "operation_name" in line]


class TestBasicLogging:
    def test_every_stdout_line_is_json_and_the_summary_goes_to_stderr(
        self, run: subprocess.CompletedProcess[str]
    ) -> None:
        assert run.returncode == 0, run.stderr
        lines = _json_lines(run.stdout)
        assert len(lines) >= 19
        assert re.search(r"\d+ lines written; greet_user: 2 calls, success rate 50%", run.stderr)

    def test_result_entries_validate_against_the_schema(
        self, entries: list[dict[str, object]]
    ) -> None:
        validator = jsonschema.Draft202012Validator(result_log_entry_schema())
        for entry in entries:
            validator.validate(entry)
        assert {e["correlation_id"] for e in entries} == {"example-run-0001"}
        assert {e["service_name"] for e in entries} == {"basic-logging-example"}
        assert all(e["metadata"]["tenant"] == "acme" for e in entries)  # type: ignore[index]

    def test_sync_async_chain_and_exception_operations_are_logged(
        self, entries: list[dict[str, object]]
    ) -> None:
        outcomes = {
            (e["operation_name"], e["step_name"], e["result_type"], e["error_code"])
            for e in entries
        }
        assert ("parse_quantity", None, "success", None) in outcomes
        assert ("parse_quantity", None, "error", "VALIDATION_ERROR") in outcomes
        assert ("load_user", None, "error", "NOT_FOUND") in outcomes
        assert ("greet_user", "user_loaded", "success", None) in outcomes
        assert ("greet_user", "user_loaded", "error", "NOT_FOUND") in outcomes
        # after the failed load the later steps never ran: skipped (DEBUG, not written)
        later = {o for o in outcomes if o[1] in ("greeting_built", "greeting_failed")}
        assert later == {("greet_user", "greeting_built", "success", None)}
        loads = [e for e in entries if e["operation_name"] == "load_user"]
        assert {e["user_id"] for e in loads} == {"u-1", "u-2", "u-404"}
        (charge,) = [e for e in entries if e["operation_name"] == "charge_card"]
        assert charge["error_type"] == "ConnectionError"

    def test_secrets_are_masked(self, run: subprocess.CompletedProcess[str]) -> None:
        assert "hunter2" not in run.stdout
        assert "4111 1111 1111 1111" not in run.stdout

    def test_the_batch_has_a_summary_and_one_entry_per_failed_item(
        self, entries: list[dict[str, object]]
    ) -> None:
        batch = [e for e in entries if e["operation_name"] == "import_quantities"]
        summary = next(e for e in batch if e["step_name"] == "flux_summary")
        assert summary["metadata"] == {
            "tenant": "acme",
            "total": 4,
            "succeeded": 2,
            "failed": 2,
            "success_rate": 0.5,
        }
        items = [e["metadata"]["index"] for e in batch if e["step_name"] == "flux_item"]  # type: ignore[index]
        assert items == [1, 3]

    def test_stdlib_records_carry_the_correlation_id(
        self, run: subprocess.CompletedProcess[str]
    ) -> None:
        records = [line for line in _json_lines(run.stdout) if line.get("logger") == "example"]
        assert records[0]["correlation_id"] == "example-run-0001"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """metrics_dashboard.py served on a free port (stopped with SIGINT at the end)."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "metrics_dashboard.py"), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            assert process.poll() is None, process.communicate()
            try:
                httpx.get(f"{base}/monitoring/health/result-patterns", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the example server did not start"
                time.sleep(0.1)
        yield base, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


class TestMetricsDashboard:
    def test_the_plans_endpoints_and_the_monitoring_router_answer(
        self, served: tuple[str, subprocess.Popen[str]]
    ) -> None:
        base, process = served
        with httpx.Client(base_url=base, timeout=10) as client:
            ok = client.get("/users/u-001", headers={"X-Correlation-ID": "dash-test-1"})
            assert ok.status_code == 200
            assert ok.json() == {
                "user_id": "u-001",
                "name": "Kim Minji",
                "email": "minji@example.com",
            }
            assert ok.headers["X-Correlation-ID"] == "dash-test-1"
            invalid = client.get("/users/u-bad")
            assert (invalid.status_code, invalid.json()["code"]) == (422, "VALIDATION_ERROR")
            missing = client.get("/users/nobody")
            assert (missing.status_code, missing.json()["code"]) == (404, "NOT_FOUND")

            report = client.get("/analytics/performance").json()
            assert report["operation"] == "user_retrieval"
            assert report["total_requests"] == 3
            assert report["error_breakdown"] == {"NOT_FOUND": 1, "VALIDATION_ERROR": 1}

            metrics = client.get("/monitoring/operations/user_retrieval/metrics").json()
            assert metrics["failed_requests"] == 2
            top = client.get("/monitoring/errors/top", params={"limit": 5}).json()
            assert {e["error_code"] for e in top} == {"NOT_FOUND", "VALIDATION_ERROR"}
            alerts = client.get("/monitoring/alerts").json()
            assert [a["config"]["name"] for a in alerts] == ["user lookups unavailable"]
            dashboard = client.get("/monitoring/dashboard")
            assert dashboard.status_code == 200
            assert "text/html" in dashboard.headers["content-type"]

        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
        assert process.returncode == 0, err
        entries = [e for e in _json_lines(out) if e.get("operation_name") == "user_retrieval"]
        first = [e for e in entries if e["correlation_id"] == "dash-test-1"]
        assert [e["step_name"] for e in first] == ["user_service_call", "user_validation", None]

    def test_help_names_the_port_option(self) -> None:
        run = _run(str(EXAMPLES / "metrics_dashboard.py"), "--help")
        assert run.returncode == 0, run.stderr
        assert "--port" in run.stdout


def _outcome(stdout: str) -> dict[str, int]:
    last = stdout.strip().splitlines()[-1]
    return {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", last)}


def test_the_example_tests_pass_with_plain_pytest_from_the_root() -> None:
    """``pytest examples/`` as a user runs it: the repository's config (strict markers,
    warnings as errors, asyncio strict), the plugin from its entry point, and the report."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "examples/", "-p", "no:cacheprovider", "-q", *REPORT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        env=env,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    outcome = _outcome(run.stdout)
    assert set(outcome) == {"passed"}, outcome
    assert outcome["passed"] >= 13
    assert "rfs metrics: " in run.stdout
    assert re.search(r"^user_retrieval +\d+", run.stdout, re.MULTILINE)
