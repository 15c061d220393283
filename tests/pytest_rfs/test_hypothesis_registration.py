"""The ``hypothesis`` entry point: st.from_type knows our types in any program, also under xdist."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from rfs_monitoring import (
    APIError,
    ErrorCode,
    Failure,
    FluxResult,
    MonoResult,
    Result,
    Success,
)

QUICK = settings(max_examples=25, database=None, deadline=None)
FIND = settings(max_examples=300, database=None, deadline=None)

HOOK = "rfs_monitoring._hypothesis:_hypothesis_setup_hook"


def run_python(code: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter of this venv (no pytest, no pytest_rfs)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_entry_point_is_declared() -> None:
    ours = [
        ep
        for ep in importlib.metadata.entry_points(group="hypothesis")
        if ep.value.startswith("rfs_monitoring.")
    ]
    assert [ep.value for ep in ours] == [HOOK]


FROM_TYPE_PROGRAM = """
    import asyncio, dataclasses, sys
    from hypothesis import find, given, settings, strategies as st
    from rfs_monitoring import APIError, ErrorCode, Failure, FluxResult, MonoResult, Result, Success

    s = settings(database=None, max_examples=300)
    assert find(st.from_type(Result[int, str]), lambda r: True, settings=s) == Success(0)
    assert find(st.from_type(Result[int, str]), lambda r: r.is_failure(), settings=s) == Failure("")
    flux = find(st.from_type(FluxResult[int, APIError]), lambda f: len(f) > 0, settings=s)
    assert flux == FluxResult([Success(0)]), flux
    mono = find(st.from_type(MonoResult[bool, str]), lambda m: True, settings=s)
    assert asyncio.run(mono.to_result()) == Success(False)

    @dataclasses.dataclass
    class Order:
        id: int
        payment: Result[str, APIError]
        lines: FluxResult[int, str]

    simplest = find(st.builds(Order), lambda o: True, settings=s)
    assert simplest == Order(0, Success(""), FluxResult([])), simplest

    @settings(database=None, max_examples=30)
    @given(st.from_type(FluxResult[int, APIError]), st.builds(Order))
    def check(flux, order):
        assert all(isinstance(v, int) for v in flux.success_values())
        assert all(isinstance(e, APIError) for e in flux.errors())
        if order.payment.is_failure():
            assert isinstance(order.payment.unwrap_error(), APIError)

    check()
    assert "pytest_rfs" not in sys.modules, "pytest_rfs was imported"
    assert "pytest" not in sys.modules, "pytest was imported"
    print("from_type OK")
"""


def test_from_type_works_in_a_program_without_pytest(tmp_path: Path) -> None:
    done = run_python(FROM_TYPE_PROGRAM, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "from_type OK"


def test_registration_comes_from_the_entry_point(tmp_path: Path) -> None:
    """Importing rfs_monitoring loads no Hypothesis; with Hypothesis's plugins disabled our
    types are unknown to it: nothing but the entry point registers them."""
    done = run_python(
        """
        import sys
        import rfs_monitoring
        from rfs_monitoring import APIError, FluxResult, MonoResult, Result, Success
        loaded = ("hypothesis", "pytest", "rfs_monitoring._hypothesis", "rfs_monitoring.strategies")
        print(sorted(name for name in loaded if name in sys.modules))

        from hypothesis import find, strategies as st
        from hypothesis.errors import ResolutionFailed
        try:
            find(st.from_type(Result[int, str]), lambda r: True)
        except ResolutionFailed:
            print("unregistered")
        """,
        tmp_path,
        HYPOTHESIS_NO_PLUGINS="1",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]", "unregistered"]


LAZY_HOOK_PROGRAM = """
    import sys

    import hypothesis
    from hypothesis import find, settings, strategies as st

    HEAVY = ("asyncio", "structlog", "sqlite3", "rfs_monitoring.strategies",
             "rfs_monitoring.result_logging", "rfs_monitoring.metrics")
    # under `coverage run` (subprocess patch) coverage itself loads sqlite3 for its data file;
    # on Python 3.10 Hypothesis imports unittest.mock, which imports asyncio
    OWN = (("sqlite3",) if "coverage" in sys.modules else ()) + (
        ("asyncio",) if sys.version_info < (3, 11) else ()
    )
    print(sorted(name for name in HEAVY if name in sys.modules and name not in OWN))

    from rfs_monitoring.strategies import REGISTERED_TYPES

    s = settings(database=None, max_examples=50)
    print(sorted(type(find(st.from_type(t), lambda v: True, settings=s)).__name__
                 for t in REGISTERED_TYPES))
"""


class TestTheHookIsLazy:
    def test_import_hypothesis_loads_neither_strategies_nor_runtime(self, tmp_path: Path) -> None:
        """The hook imports only the modules defining our types; every type still resolves."""
        done = run_python(LAZY_HOOK_PROGRAM, tmp_path)
        assert done.returncode == 0, done.stderr
        loaded, resolved = done.stdout.strip().splitlines()
        assert loaded == "[]"
        # Result draws its simplest value, a Success; the others draw themselves.
        assert resolved == str(
            ["APIError", "ErrorCode", "Failure", "FluxResult", "MonoResult", "Success", "Success"]
        )

    def test_type_strategy_names_what_it_accepts(self) -> None:
        from rfs_monitoring.errors import ConfigurationError
        from rfs_monitoring.strategies import type_strategy

        with pytest.raises(ConfigurationError) as info:
            type_strategy(int)
        assert str(info.value) == (
            "type_strategy() got <class 'int'>, which is none of Result, Success, Failure, "
            "FluxResult, MonoResult, APIError, ErrorCode"
        )


class TestFromTypeInProcess:
    def test_bare_types_use_the_defaults(self) -> None:
        assert find(st.from_type(Result), lambda r: True, settings=FIND) == Success(0)
        assert find(st.from_type(Success), lambda r: True, settings=FIND) == Success(0)
        assert find(st.from_type(Failure), lambda r: True, settings=FIND) == Failure("")
        assert find(st.from_type(FluxResult), lambda f: True, settings=FIND) == FluxResult([])

    def test_any_arguments_use_the_defaults(self) -> None:
        strategy = st.from_type(Result[Any, Any])
        assert find(strategy, lambda r: True, settings=FIND) == Success(0)
        assert find(strategy, lambda r: r.is_failure(), settings=FIND) == Failure("")
        assert find(st.from_type(Result[bytes, Any]), lambda r: True, settings=FIND) == Success(b"")

    def test_api_errors_and_codes(self) -> None:
        assert find(st.from_type(APIError), lambda e: True, settings=FIND) == APIError(
            ErrorCode.BAD_REQUEST, ""
        )
        assert find(st.from_type(ErrorCode), lambda c: True, settings=FIND) is (
            ErrorCode.BAD_REQUEST
        )

    @QUICK
    @given(st.from_type(Result[int, ErrorCode]))
    def test_type_arguments_are_read(self, result: Result[int, ErrorCode]) -> None:
        if result.is_success():
            assert isinstance(result.unwrap(), int)
        else:
            assert isinstance(result.unwrap_error(), ErrorCode)

    @QUICK
    @given(st.from_type(MonoResult[int, str]))
    def test_mono_results(self, mono: MonoResult[int, str]) -> None:
        assert isinstance(mono, MonoResult)

    def test_builds_fills_result_fields(self) -> None:
        @dataclasses.dataclass
        class Reply:
            body: Result[str, APIError]
            batch: FluxResult[int, str]

        reply = find(
            st.builds(Reply), lambda r: r.body.is_failure() and len(r.batch) > 0, settings=FIND
        )
        assert reply.body == Failure(APIError(ErrorCode.BAD_REQUEST, ""))
        assert len(reply.batch) == 1
        assert reply.batch.results[0] in (Success(0), Failure(""))


XDIST_MODULE = """
import dataclasses
from hypothesis import given, settings, strategies as st
from rfs_monitoring import APIError, FluxResult, Result

@dataclasses.dataclass
class Reply:
    body: Result[int, str]

@settings(max_examples=20, database=None)
@given(st.from_type(Result[int, str]))
def test_results(result):
    assert isinstance(result, Result)

@settings(max_examples=20, database=None)
@given(st.from_type(FluxResult[int, APIError]))
def test_fluxes(flux):
    assert all(isinstance(e, APIError) for e in flux.errors())

@settings(max_examples=20, database=None)
@given(st.builds(Reply))
def test_builds(reply):
    assert isinstance(reply.body, Result)
"""


def test_from_type_under_xdist(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_from_type_xdist=XDIST_MODULE)
    outcome = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    outcome.assert_outcomes(passed=3)
    outcome.stdout.fnmatch_lines(["*2 workers*"])
