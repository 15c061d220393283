"""Packaging: the core import needs no extra, lazy names, exported names, the pytest plugin."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import textwrap

import pytest

import rfs_monitoring

OPTIONAL = [
    "fastapi",
    "starlette",
    "pydantic",
    "httpx",
    "uvicorn",
    "opentelemetry",
    "prometheus_client",
    "pytest",
    "hypothesis",
]

BLOCKED_IMPORT = textwrap.dedent(
    """
    import importlib.abc, json, sys

    BLOCKED = set(sys.argv[1].split(","))

    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    for loaded in [m for m in sys.modules if m.partition(".")[0] in BLOCKED]:
        del sys.modules[loaded]
    sys.meta_path.insert(0, Blocker())

    import rfs_monitoring

    report = {"success": repr(rfs_monitoring.Success(1))}
    namespace = {}
    exec("from rfs_monitoring import *", namespace)
    report["star"] = sorted(n for n in namespace if not n.startswith("__"))
    try:
        rfs_monitoring.handle_result
    except Exception as exc:
        report["error_type"] = type(exc).__name__
        report["error"] = str(exc)
        report["extra"] = getattr(exc, "extra", None)
        report["is_import_error"] = isinstance(exc, ImportError)
    print(json.dumps(report))
    """
)

IMPORTED_AFTER_IMPORT = textwrap.dedent(
    """
    import json, sys
    import rfs_monitoring
    roots = set(sys.argv[1].split(",")) | {"rfs_monitoring.web"}
    print(json.dumps(sorted(m for m in sys.modules if m.partition(".")[0] in roots or m in roots)))
    """
)


def run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class TestCoreImport:
    def test_import_works_without_any_optional_dependency(self) -> None:
        proc = run_python(BLOCKED_IMPORT, ",".join(OPTIONAL))
        assert proc.returncode == 0, proc.stderr
        report = json.loads(proc.stdout.strip().splitlines()[-1])
        assert report["success"] == "Success(1)"
        assert "Success" in report["star"]
        assert "log_result_operation" in report["star"]
        assert "handle_result" not in report["star"], "a name needing fastapi is left out of *"
        assert report["error_type"] == "MissingExtraError"
        assert report["is_import_error"] is True
        assert report["extra"] == "fastapi"
        assert "pip install 'rfs-monitoring[fastapi]'" in report["error"]

    def test_import_loads_no_optional_dependency(self) -> None:
        proc = run_python(IMPORTED_AFTER_IMPORT, ",".join(OPTIONAL))
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


LIGHT_IMPORT = textwrap.dedent(
    """
    import importlib.abc, json, sys

    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in ("structlog", "pythonjsonlogger", "sqlite3"):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, Blocker())
    import rfs_monitoring
    after_import = sorted(m for m in sys.modules if m.startswith("rfs_monitoring."))
    from rfs_monitoring import ResultMetricsCollector, Success, log_result_operation

    @log_result_operation("light")
    def light():
        return Success(1)

    result = light()
    figures = ResultMetricsCollector.instance().operation_metrics("light", "1h").unwrap()
    from rfs_monitoring.errors import APIError, is_timeout
    timeouts = [is_timeout(TimeoutError()), APIError.from_service_error(TimeoutError()).code.value]
    print(json.dumps({
        "asyncio": "asyncio" in sys.modules,
        "timeouts": timeouts,
        "after_import": after_import,
        "result": repr(result),
        "counted": figures.total_requests,
        "loaded": sorted(m for m in ("rfs_monitoring.result_logging.config",
                                     "rfs_monitoring.metrics.archive") if m in sys.modules),
    }))
    """
)


class TestLightImport:
    def test_import_rfs_monitoring_loads_only_the_core_it_needs(self) -> None:
        """Every public name is served on first access; the import itself loads only
        ``mono`` (and what it needs), to install the chain observer's stand-in, and ``lazy``."""
        proc = run_python(LIGHT_IMPORT)
        assert proc.returncode == 0, proc.stderr
        report = json.loads(proc.stdout.strip().splitlines()[-1])
        assert report["after_import"] == [
            "rfs_monitoring.errors",
            "rfs_monitoring.lazy",
            "rfs_monitoring.mono",
            "rfs_monitoring.result",
        ]

    def test_the_decorator_needs_neither_structlog_nor_sqlite(self) -> None:
        """With structlog, python-json-logger and sqlite3 made unimportable, an operation
        is still logged and counted."""
        proc = run_python(LIGHT_IMPORT)
        assert proc.returncode == 0, proc.stderr
        report = json.loads(proc.stdout.strip().splitlines()[-1])
        assert report["result"] == "Success(1)"
        assert report["counted"] == 1
        assert report["loaded"] == []

    def test_timeouts_are_recognised_before_asyncio_is_imported(self) -> None:
        """errors.py no longer imports asyncio (the Hypothesis hook stays light) and still
        knows a timeout when asyncio was never loaded."""
        proc = run_python(LIGHT_IMPORT)
        assert proc.returncode == 0, proc.stderr
        report = json.loads(proc.stdout.strip().splitlines()[-1])
        assert report["asyncio"] is False
        assert report["timeouts"] == [True, "TIMEOUT"]


STEP_WITHOUT_DECORATOR = textwrap.dedent(
    """
    import asyncio, sys
    from rfs_monitoring import MonoResult, add_entry_listener

    seen = []
    add_entry_listener(seen.append)
    loaded_before = "rfs_monitoring.result_logging.chain" in sys.modules
    asyncio.run(MonoResult.from_value(1).log_step("first").log_step("second").to_result())
    print(loaded_before, [(e.operation_name, e.step_name) for e in seen])
    """
)


class TestChainSteps:
    def test_log_step_logs_before_anything_loaded_the_logging_chain(self) -> None:
        """The package installs a stand-in observer that loads the chain on the first step."""
        proc = run_python(STEP_WITHOUT_DECORATOR)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == ("False [('first', 'first'), ('second', 'second')]")


class TestExports:
    def test_every_exported_name_exists(self) -> None:
        missing = [name for name in rfs_monitoring.__all__ if not hasattr(rfs_monitoring, name)]
        assert missing == []

    def test_all_is_sorted_and_unique(self) -> None:
        names = list(rfs_monitoring.__all__)
        assert names == sorted(names)
        assert len(set(names)) == len(names)

    def test_names_needing_an_extra_are_exported_when_it_is_installed(self) -> None:
        needing_extras = {"AlertManager", "CorrelationIdMiddleware", "handle_result"}
        assert needing_extras | {"monitoring_router", "PrometheusExporter"} <= set(
            rfs_monitoring.__all__
        )

    @pytest.mark.parametrize(
        ("module", "qualified"),
        [
            ("rfs_monitoring", "rfs_monitoring"),
            ("rfs_monitoring.result_logging", "rfs_monitoring.result_logging"),
            ("rfs_monitoring.metrics", "rfs_monitoring.metrics"),
            ("pytest_rfs", "pytest_rfs"),
            ("pytest_rfs.report", "pytest_rfs.report"),
            ("rfs_monitoring._hypothesis", "rfs_monitoring._hypothesis"),
        ],
    )
    def test_lazy_packages_refuse_unknown_names(self, module: str, qualified: str) -> None:
        imported = importlib.import_module(module)
        with pytest.raises(AttributeError) as info:
            imported.no_such_name  # noqa: B018
        assert str(info.value) == f"module {qualified!r} has no attribute 'no_such_name'"

    @pytest.mark.parametrize(
        "module", ["rfs_monitoring.result_logging", "pytest_rfs", "pytest_rfs.report"]
    )
    def test_every_name_of_a_lazy_package_resolves(self, module: str) -> None:
        imported = importlib.import_module(module)
        assert [name for name in imported.__all__ if getattr(imported, name, None) is None] == []

    def test_lazy_names_come_from_their_module(self) -> None:
        from rfs_monitoring import web

        assert rfs_monitoring.handle_result is web.handle_result
        assert rfs_monitoring.CorrelationIdMiddleware is web.CorrelationIdMiddleware

    def test_unknown_names_raise_attribute_error(self) -> None:
        with pytest.raises(AttributeError) as info:
            rfs_monitoring.no_such_name  # noqa: B018
        assert str(info.value) == "module 'rfs_monitoring' has no attribute 'no_such_name'"

    def test_version(self) -> None:
        from importlib.metadata import version

        assert rfs_monitoring.__version__ == version("rfs-monitoring")


class TestPytestPlugin:
    def test_help_lists_the_rfs_option_group(self, pytester: pytest.Pytester) -> None:
        result = pytester.runpytest_subprocess("--help")
        assert result.ret == 0
        result.stdout.fnmatch_lines(
            ["rfs-monitoring: Result-pattern testing and metrics:", "*--rfs-metrics-report*"]
        )

    def test_the_plugin_can_be_disabled(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(
            """
            def test_plain():
                assert 1 + 1 == 2
            """
        )
        result = pytester.runpytest_subprocess("-p", "no:rfs")
        result.assert_outcomes(passed=1)
        help_text = pytester.runpytest_subprocess("-p", "no:rfs", "--help")
        assert "rfs-monitoring: Result-pattern testing and metrics" not in help_text.stdout.str()
