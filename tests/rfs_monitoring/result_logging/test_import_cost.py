"""``import rfs_monitoring`` loads no heavy dependency; the decorator needs no structlog.

Checked in a fresh interpreter (``sys.modules`` after the import), so the test does not
depend on what the test session already imported. The time figure itself is in
``benchmarks/bench_logging.py`` (no timed assertions here).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

HEAVY = ("structlog", "rich", "fastapi", "starlette", "prometheus_client", "opentelemetry")

PROBE = textwrap.dedent(
    """
    import json, sys
    heavy = sys.argv[1].split(",")

    def loaded():
        return sorted({m.partition(".")[0] for m in sys.modules} & set(heavy))

    report = {}
    import rfs_monitoring
    report["import"] = loaded()
    from rfs_monitoring import Success, log_result_operation

    @log_result_operation("probe")
    def probe():
        return Success(1)

    probe()
    report["decorated_call"] = loaded()
    rfs_monitoring.configure_logging(sink=sys.stderr)
    report["configure_logging"] = "structlog" in sys.modules
    print(json.dumps(report))
    """
)


def _probe() -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(HEAVY)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    report: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return report


class TestImportCost:
    def test_import_loads_no_structlog_fastapi_prometheus_or_opentelemetry(self) -> None:
        assert _probe()["import"] == []

    def test_a_logged_call_loads_none_of_them_either(self) -> None:
        assert _probe()["decorated_call"] == []

    def test_configure_logging_is_what_loads_structlog(self) -> None:
        assert _probe()["configure_logging"] is True
