"""The plan's two FastAPI samples, copied verbatim into a user's project, start, answer and
type-check.

``plan/get_user.py.txt`` and ``plan/get_performance_metrics.py.txt`` are the plan's code
blocks byte for byte (the Korean comments and a trailing space included). The project's
``app.py`` is the imports, ``app = FastAPI()`` and the two samples, nothing else; the helpers
the samples call live in the user's own ``services.py``. It is served by uvicorn in a
subprocess on 127.0.0.1 and checked with ``mypy --strict`` in another.

Other interpreters (e.g. a venv holding the minimum FastAPI of pyproject.toml) are checked
too when ``RFS_SAMPLE_PYTHONS`` lists them (``os.pathsep``-separated); each needs
rfs-monitoring installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

PLAN = Path(__file__).parent / "plan"
TIMEOUT = 180

IMPORTS = """\
from fastapi import FastAPI

from rfs_monitoring import (
    APIError,
    FastAPIResult,
    MonoResult,
    Result,
    ResultMetricsCollector,
    handle_result,
    log_result_operation,
)
from services import (
    PerformanceMetrics,
    UserResponse,
    format_performance_report,
    user_service,
    validate_user_response,
)

app = FastAPI()
"""


def app_source() -> str:
    """``app.py`` of the user's project: imports, ``app = FastAPI()`` and the samples."""
    samples = [(PLAN / name).read_text(encoding="utf-8") for name in SAMPLES]
    return IMPORTS + "".join(f"\n\n{sample}" for sample in samples)


SAMPLES = ("get_user.py.txt", "get_performance_metrics.py.txt")


def _pythons() -> list[str]:
    extra = [p for p in os.environ.get("RFS_SAMPLE_PYTHONS", "").split(os.pathsep) if p]
    return [sys.executable, *extra]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The user's project: ``app.py`` (the samples) and ``services.py`` (their helpers)."""
    root = tmp_path_factory.mktemp("user_project")
    (root / "app.py").write_text(app_source(), encoding="utf-8")
    services = (PLAN / "services.py.txt").read_text(encoding="utf-8")
    (root / "services.py").write_text(services, encoding="utf-8")
    return root


def _wait_for_port(process: subprocess.Popen[str], log: Path) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = log.read_text(encoding="utf-8", errors="replace")
        for line in text.splitlines():
            if "Uvicorn running on http://127.0.0.1:" in line:
                return int(line.rsplit(":", 1)[1].split()[0])
        if process.poll() is not None:
            pytest.fail(f"uvicorn exited with {process.returncode}:\n{text}")
        time.sleep(0.05)
    pytest.fail(f"uvicorn did not start:\n{log.read_text(encoding='utf-8')}")


@pytest.fixture(scope="module", params=_pythons())
def served(request: pytest.FixtureRequest, project: Path) -> Iterator[str]:
    """The project's app served by uvicorn (``--port 0``) in a subprocess; its base URL."""
    log = project / f"uvicorn-{len(os.listdir(project))}.log"
    with log.open("w", encoding="utf-8") as sink:
        process = subprocess.Popen(
            [request.param, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", "0"],
            cwd=project,
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        port = _wait_for_port(process, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


class TestTheSamplesServe:
    """Order matters inside this class: the report is asked for before and after lookups."""

    def test_the_report_before_any_lookup_is_a_404_with_the_apierror(self, served: str) -> None:
        response = httpx.get(f"{served}/analytics/performance", timeout=30)
        assert response.status_code == 404
        assert response.json() == {
            "detail": {
                "code": "NOT_FOUND",
                "message": "operation user_retrieval not found",
                "details": {"resource": "operation", "id": "user_retrieval"},
            }
        }

    def test_get_user_answers_200_404_and_422(self, served: str) -> None:
        ok = httpx.get(f"{served}/users/123", timeout=30)
        assert (ok.status_code, ok.json()) == (200, {"user_id": "123", "name": "Kim"})
        missing = httpx.get(f"{served}/users/9", timeout=30)
        assert missing.status_code == 404
        assert missing.json() == {
            "code": "NOT_FOUND",
            "message": "사용자 9 not found",
            "details": {"resource": "사용자", "id": "9"},
        }
        invalid = httpx.get(f"{served}/users/nameless", timeout=30)
        assert invalid.status_code == 422
        assert invalid.json()["code"] == "VALIDATION_ERROR"

    def test_the_report_counts_the_lookups(self, served: str) -> None:
        response = httpx.get(f"{served}/analytics/performance", timeout=30)
        assert response.status_code == 200
        body = response.json()
        assert body["operation"] == "user_retrieval"
        assert body["total_requests"] == 3
        assert body["success_rate"] == pytest.approx(1 / 3)

    def test_openapi_documents_the_success_type(self, served: str) -> None:
        spec = httpx.get(f"{served}/openapi.json", timeout=30).json()
        for path, model in (
            ("/analytics/performance", "PerformanceMetrics"),
            ("/users/{user_id}", "UserResponse"),
        ):
            ok = spec["paths"][path]["get"]["responses"]["200"]
            assert ok["content"]["application/json"]["schema"] == {
                "$ref": f"#/components/schemas/{model}"
            }


def test_app_py_holds_only_imports_the_app_and_the_samples() -> None:
    source = app_source()
    assert source.startswith(IMPORTS)
    rest = source[len(IMPORTS) :]
    for name in SAMPLES:
        sample = (PLAN / name).read_text(encoding="utf-8")
        assert sample in rest
        rest = rest.replace(sample, "")
    assert rest.strip() == ""


def test_the_samples_pass_mypy_strict(project: Path) -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            os.devnull,
            "app.py",
            "services.py",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.startswith("Success: no issues found in 2 source files")
