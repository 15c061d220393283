"""``result_mocker.spy``: the real method runs, its calls and Results are recorded.

Also ``resetall`` / ``stopall`` on ``result_mocker`` (pytest_rfs.spying, fixtures).
"""

from __future__ import annotations

from unittest.mock import call

# Kept in sys.modules for pytester's in-process runs (see test_plugin.py).
import hypothesis  # noqa: F401
import pytest

from pytest_rfs.fixtures import ResultMocker
from pytest_rfs.spying import ResultSpy, spy_on
from rfs_monitoring import Failure, MonoResult, Result, Success


class Accounts:
    def __init__(self) -> None:
        self.balance = 10

    def withdraw(self, amount: int) -> Result[int, str]:
        if amount > self.balance:
            return Failure("insufficient")
        self.balance -= amount
        return Success(self.balance)

    async def fetch(self, key: str) -> Result[str, str]:
        return Success(f"value:{key}")

    def fetch_mono(self, key: str) -> MonoResult[str, str]:
        return MonoResult.from_value(key.upper())

    def explode(self) -> Result[int, str]:
        raise KeyError("boom")

    @staticmethod
    def parse(text: str) -> Result[int, str]:
        return Success(int(text))

    @classmethod
    def build(cls, name: str) -> Result[str, str]:
        return Success(f"{cls.__name__}:{name}")


accounts = Accounts()


class TestSpy:
    def test_the_real_method_runs_and_its_results_are_kept(self) -> None:
        mocker = ResultMocker()
        local = Accounts()
        spy = mocker.spy(local, "withdraw")
        assert local.withdraw(4) == Success(6)
        assert local.withdraw(100) == Failure("insufficient")
        mocker.undo()
        assert spy.results == [Success(6), Failure("insufficient")]
        assert spy.spy_return == Failure("insufficient")
        assert spy.spy_return_list == spy.results
        assert spy.call_args_list == [call(4), call(100)]
        spy.assert_called_with(amount=100)
        assert repr(spy) == "<ResultSpy Accounts.withdraw calls=2>"
        assert mocker.spies == ()

    @pytest.mark.asyncio
    async def test_async_methods_record_the_awaited_result(self) -> None:
        mocker = ResultMocker()
        spy = mocker.spy(accounts, "fetch")
        pending = accounts.fetch("b")
        assert await accounts.fetch("a") == Success("value:a")
        assert spy.call_count == 2
        assert spy.await_count == 1
        assert spy.results == [Success("value:a")]
        with pytest.raises(AssertionError, match="the coroutine of call 1 was never awaited"):
            spy.assert_awaited_once_with("b")
        assert await pending == Success("value:b")
        mocker.undo()

    @pytest.mark.asyncio
    async def test_mono_methods_record_the_settled_result(self) -> None:
        mocker = ResultMocker()
        spy = mocker.spy(accounts, "fetch_mono")
        mono = accounts.fetch_mono("x")
        assert isinstance(mono, MonoResult)
        assert spy.results == []
        assert await mono == Success("X")
        assert spy.results == [Success("X")]
        spy.assert_awaited_once_with("x")
        mocker.undo()

    def test_exceptions_are_kept_and_raised(self) -> None:
        spy = spy_on(accounts, "explode").start()
        try:
            with pytest.raises(KeyError):
                accounts.explode()
        finally:
            spy.stop()
        assert isinstance(spy.spy_exception, KeyError)
        assert spy.results == []

    @pytest.mark.asyncio
    async def test_async_exceptions_are_kept(self) -> None:
        class Failing:
            async def go(self) -> Result[int, str]:
                raise ValueError("nope")

        target = Failing()
        with spy_on(target, "go") as spy, pytest.raises(ValueError, match="nope"):
            await target.go()
        assert isinstance(spy.spy_exception, ValueError)

    def test_on_the_class_sees_every_instance(self) -> None:
        with spy_on(Accounts, "withdraw") as spy:
            assert Accounts().withdraw(1) == Success(9)
            assert Accounts.parse("5") == Success(5)
        spy.assert_called_once_with(1)
        assert spy.results == [Success(9)]
        assert Accounts().withdraw(1) == Success(9)

    def test_static_and_class_methods(self) -> None:
        with spy_on(Accounts, "parse") as parse_spy, spy_on(Accounts, "build") as build_spy:
            assert Accounts.parse("7") == Success(7)
            assert Accounts.build("n") == Success("Accounts:n")
        assert parse_spy.results == [Success(7)]
        build_spy.assert_called_once_with("n")

    def test_a_call_that_does_not_fit_fails_before_the_real_method(self) -> None:
        local = Accounts()
        with spy_on(local, "withdraw") as spy, pytest.raises(TypeError, match="do not fit"):
            local.withdraw(1, 2)  # type: ignore[call-arg]
        assert local.balance == 10
        assert isinstance(spy, ResultSpy)

    def test_reset_calls(self) -> None:
        local = Accounts()
        with spy_on(local, "withdraw") as spy:
            local.withdraw(1)
            spy.reset_calls()
        assert (spy.call_count, spy.results, spy.spy_return) == (0, [], None)


class TestResetallStopall:
    def test_resetall_forgets_records_and_keeps_configuration(self) -> None:
        mocker = ResultMocker()
        local = Accounts()
        stub = mocker.patch(local, "withdraw").return_success(1)
        spy = mocker.spy(local, "fetch_mono")
        local.withdraw(5)
        mocker.resetall()
        assert (stub.call_count, spy.call_count) == (0, 0)
        assert local.withdraw(5) == Success(1)
        mocker.undo()

    def test_stopall_restores_every_method(self) -> None:
        mocker = ResultMocker()
        local = Accounts()
        mocker.patch(local, "withdraw").return_success(1)
        spy = mocker.spy(local, "fetch_mono")
        mocker.stopall()
        assert local.withdraw(1) == Success(9)
        assert not spy.active
        assert mocker.mockers == ()


def test_through_the_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from rfs_monitoring import Result, Success

        class Prices:
            def quote(self, item: str) -> Result[int, str]:
                return Success(len(item))

        prices = Prices()

        def test_spy(result_mocker):
            spy = result_mocker.spy(prices, "quote")
            assert prices.quote("abc") == Success(3)
            spy.assert_called_once_with("abc")
            assert spy.spy_return == Success(3)

        def test_restored():
            assert not hasattr(Prices.quote, "mocker")
            assert not hasattr(prices.quote, "mocker")
        """
    )
    outcome = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-o", "asyncio_default_fixture_loop_scope=function"
    )
    outcome.assert_outcomes(passed=2)
