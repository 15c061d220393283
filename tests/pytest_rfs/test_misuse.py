"""Misuse fails the test: swallowed refusals, forgotten awaits (pytest_rfs.misuse, fixtures)."""

from __future__ import annotations

import asyncio
import builtins
import sys
import types
from typing import Any

# Kept in sys.modules for pytester's in-process runs (see test_plugin.py).
import hypothesis  # noqa: F401
import pytest

from pytest_rfs import echo
from pytest_rfs.frames import call_site
from pytest_rfs.misuse import PendingHelper, _add_note, exception_chain
from pytest_rfs.mono_assertions import assert_mono_result_error, assert_mono_result_success
from rfs_monitoring import Failure, MonoResult, Success

INNER = ("-p", "no:cacheprovider", "-o", "asyncio_default_fixture_loop_scope=function")

SERVICE = """
import asyncio
import pytest
from rfs_monitoring import Result, Success


class UserService:
    async def get_user(self, user_id: str) -> Result[str, str]:
        return Success("real")


user_service = UserService()


async def load_all(ids):
    return await asyncio.gather(*(user_service.get_user(i) for i in ids), return_exceptions=True)


async def fetch(user_id):
    return await user_service.get_user(user_id)
"""


class TestSwallowedRefusals:
    """A refused call fails the test at teardown when the code under test swallowed it."""

    def test_gather_with_return_exceptions(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(
            SERVICE
            + """
@pytest.mark.asyncio
async def test_swallowed(result_mocker):
    result_mocker.patch(user_service, "get_user")
    outcomes = await asyncio.gather(fetch("7"), return_exceptions=True)
    assert len(outcomes) == 1
"""
        )
        outcome = pytester.runpytest_inprocess(*INNER)
        outcome.assert_outcomes(passed=1, errors=1)
        outcome.stdout.fnmatch_lines(
            [
                "*ERROR at teardown of test_swallowed*",
                "*UserService.get_user refused call 1, get_user('7'), and the code under test "
                "swallowed the refusal (a broad except, or "
                "asyncio.gather(..., return_exceptions=True)):",
                "*UserService.get_user was called but not configured: call return_success()*",
            ]
        )

    def test_broad_except(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(
            SERVICE
            + """
@pytest.mark.asyncio
async def test_swallowed(result_mocker):
    result_mocker.patch(user_service, "get_user").return_sequence([Success("a")])
    assert await fetch("1") == Success("a")
    try:
        await fetch("2")
    except BaseException:
        pass
"""
        )
        outcome = pytester.runpytest_inprocess(*INNER)
        outcome.assert_outcomes(passed=1, errors=1)
        outcome.stdout.fnmatch_lines(
            [
                "*UserService.get_user refused call 2, get_user('2'), and the code under test "
                "swallowed the refusal*",
                "*configured only 1 result (call 2 has none)",
            ]
        )

    def test_a_refusal_the_test_saw_is_reported_once(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(
            SERVICE
            + """
@pytest.mark.asyncio
async def test_not_swallowed(result_mocker):
    result_mocker.patch(user_service, "get_user")
    await fetch("1")
"""
        )
        outcome = pytester.runpytest_inprocess(*INNER)
        outcome.assert_outcomes(failed=1)
        assert "swallowed the refusal" not in outcome.stdout.str()

    @pytest.mark.skipif(sys.version_info < (3, 11), reason="TaskGroup is new in 3.11")
    def test_a_refusal_inside_an_exception_group_counts_as_seen(
        self, pytester: pytest.Pytester
    ) -> None:
        pytester.makepyfile(
            SERVICE
            + """
@pytest.mark.asyncio
async def test_group(result_mocker):
    result_mocker.patch(user_service, "get_user")
    async with asyncio.TaskGroup() as group:
        group.create_task(fetch("1"))
"""
        )
        outcome = pytester.runpytest_inprocess(*INNER)
        outcome.assert_outcomes(failed=1)
        assert "swallowed the refusal" not in outcome.stdout.str()

    def test_reset_calls_acknowledges_a_refusal(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(
            SERVICE
            + """
@pytest.mark.asyncio
async def test_checked(result_mocker):
    mocker = result_mocker.patch(user_service, "get_user")
    with pytest.raises(pytest.fail.Exception):
        await fetch("1")
    assert [r.call for r in mocker.refusals] == ["get_user('1')"]
    assert repr(mocker.refusals[0]) == "Refusal(call 1: get_user('1'))"
    mocker.reset_calls()
    assert mocker.refusals == ()
"""
        )
        pytester.runpytest_inprocess(*INNER).assert_outcomes(passed=1)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="ExceptionGroup is new in 3.11")
def test_exception_chain_walks_causes_contexts_and_groups() -> None:
    inner = KeyError("k")
    cause = ValueError("v")
    group_type: Any = getattr(builtins, "ExceptionGroup")  # noqa: B009 - absent before 3.11
    group = group_type("g", [inner])
    top = RuntimeError("top")
    top.__cause__ = cause
    cause.__context__ = group
    chain = exception_chain(top)
    assert [type(e) for e in chain] == [RuntimeError, ValueError, group_type, KeyError]
    assert exception_chain(None) == []
    looped = ValueError("loop")
    looped.__context__ = looped
    assert exception_chain(looped) == [looped]


def test_call_site_without_a_frame() -> None:
    assert call_site(None) == "<unknown>"


def test_echo_setup_without_the_plugin_configured(pytester: pytest.Pytester) -> None:
    config = pytester.parseconfigure("-p", "no:rfs", *INNER[2:])
    item: Any = types.SimpleNamespace(config=config)
    echo.setup_item(item)  # nothing to switch: no filter was put on
    echo.unconfigure(config)


class TestForgottenAwait:
    """An async helper never awaited fails the test with "did you forget await?"."""

    def test_fails_naming_the_helper_and_the_call_site(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(
            """
            import pytest
            from pytest_rfs import assert_mono_result_error
            from rfs_monitoring import MonoResult

            @pytest.mark.asyncio
            async def test_forgot():
                mono = MonoResult.from_error("boom")
                assert_mono_result_error(mono)
            """
        )
        outcome = pytester.runpytest_inprocess(*INNER, "-W", "error")
        outcome.assert_outcomes(failed=1)
        outcome.stdout.fnmatch_lines(
            [
                "*assert_mono_result_error(...) at *test_fails_naming_the_helper_and_the_call_site"
                ".py:8 was never awaited: did you forget await?",
            ]
        )
        assert "RuntimeWarning" not in outcome.stdout.str()

    def test_in_a_sync_test_too(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(
            """
            from pytest_rfs import assert_mono_result_success
            from rfs_monitoring import MonoResult

            def test_forgot():
                assert_mono_result_success(MonoResult.from_value(1))
            """
        )
        outcome = pytester.runpytest_inprocess(*INNER)
        outcome.assert_outcomes(failed=1)
        outcome.stdout.fnmatch_lines(["*did you forget await?*"])

    def test_awaited_helpers_pass(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(
            """
            import asyncio
            import pytest
            from pytest_rfs import assert_mono_result_success, assert_mono_result_timeout
            from rfs_monitoring import MonoResult

            @pytest.mark.asyncio
            async def test_awaited():
                assert await assert_mono_result_success(MonoResult.from_value(1)) == 1
                await asyncio.gather(assert_mono_result_success(MonoResult.from_value(2)))

            def test_run_by_asyncio_run():
                assert asyncio.run(assert_mono_result_success(MonoResult.from_value(3))) == 3
            """
        )
        pytester.runpytest_inprocess(*INNER, "-W", "error").assert_outcomes(passed=2)

    def test_a_test_failing_anyway_keeps_its_error_and_gets_a_note(
        self, pytester: pytest.Pytester
    ) -> None:
        pytester.makepyfile(
            """
            from pytest_rfs import assert_mono_result_success
            from rfs_monitoring import MonoResult

            def test_forgot_then_failed():
                assert_mono_result_success(MonoResult.from_value(1))
                assert 1 == 2
            """
        )
        outcome = pytester.runpytest_inprocess(*INNER)
        outcome.assert_outcomes(failed=1)
        outcome.stdout.fnmatch_lines(["*assert 1 == 2*", "*did you forget await?*"])

    def test_outside_pytest_it_only_warns(self, pytester: pytest.Pytester) -> None:
        script = pytester.makepyfile(
            outside="""
            import warnings
            from pytest_rfs.mono_assertions import assert_mono_result_success
            from rfs_monitoring import MonoResult

            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                assert_mono_result_success(MonoResult.from_value(1))
            print([f"{w.category.__name__}: {w.message}" for w in caught])
            """
        )
        result = pytester.run(sys.executable, str(script))
        assert result.ret == 0
        result.stdout.fnmatch_lines(
            [
                "*RuntimeWarning: assert_mono_result_success(...) at *outside.py:7 was never "
                "awaited: did you forget await?*"
            ]
        )
        assert "coroutine" not in result.stdout.str() + result.stderr.str()


class TestPendingHelper:
    """The object the async helpers return: a coroutine that knows its name and call site."""

    @pytest.mark.asyncio
    async def test_is_awaitable_and_reports_awaited(self) -> None:
        helper = assert_mono_result_success(MonoResult.from_value(5))
        assert isinstance(helper, PendingHelper)
        assert helper.name == "assert_mono_result_success"
        assert helper.site.endswith("test_misuse.py:" + str(sys._getframe().f_lineno - 3))
        assert helper.pending
        assert not helper.awaited
        assert await helper == 5
        assert helper.awaited
        assert not helper.pending

    def test_send_and_throw_drive_the_coroutine(self) -> None:
        helper = assert_mono_result_error(MonoResult.from_result(Failure("x")))
        with pytest.raises(StopIteration) as info:
            helper.send(None)
        assert info.value.value == "x"
        other = assert_mono_result_success(MonoResult.from_value(1))
        with pytest.raises(KeyError):
            other.throw(KeyError("k"))
        assert other.awaited

    def test_close_leaves_it_unreported(self) -> None:
        helper = assert_mono_result_success(MonoResult.from_value(1))
        helper.close()
        assert not helper.pending
        assert not helper.awaited

    def test_runs_under_asyncio_run(self) -> None:
        assert asyncio.run(assert_mono_result_success(Success(2))) == 2


class TestNotesWithoutAddNote:
    """Python 3.10 has no ``add_note``: the note goes into PEP 678's ``__notes__``, which
    pytest shows on every version (run here on exceptions hiding ``add_note``)."""

    class Old(Exception):
        add_note = None  # as on Python 3.10

    def test_a_note_starts_the_list(self) -> None:
        exc = self.Old("boom")
        _add_note(exc, "did you forget await?")
        assert exc.__notes__ == ["did you forget await?"]

    def test_a_note_joins_the_notes_already_there(self) -> None:
        exc = self.Old("boom")
        exc.__notes__ = ["first"]
        _add_note(exc, "second")
        assert exc.__notes__ == ["first", "second"]

    class Frozen(Old):
        def __setattr__(self, name: str, value: object) -> None:
            raise AttributeError(name)

    def test_an_exception_refusing_attributes_keeps_its_report(self) -> None:
        exc = self.Frozen("boom")
        _add_note(exc, "note")  # no error raised over the test's own
        assert not hasattr(exc, "__notes__")
