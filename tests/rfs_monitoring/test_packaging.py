"""Packaging: the core import needs no extra, lazy names, exported names, the pytest plugin."""

from __future__ import annotations

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


class TestExports:
    def test_every_exported_name_exists(self) -> None:
        missing = [name for name in rfs_monitoring.__all__ if not hasattr(rfs_monitoring, name)]
        assert missing == []

    def test_all_is_sorted_and_unique(self) -> None:
        names = list(rfs_monitoring.__all__)
        assert names == sorted(names)
        assert len(set(names)) == len(names)

    def test_lazy_names_are_exported(self) -> None:
        assert set(rfs_monitoring._LAZY) <= set(rfs_monitoring.__all__)

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
