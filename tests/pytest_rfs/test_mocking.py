"""Specification of pytest_rfs.mocking: the Result-aware service mocker on unittest.mock."""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import types
from typing import Any, Literal

# Kept in sys.modules for pytester's in-process runs (see test_plugin.py).
import hypothesis  # noqa: F401
import pytest
import result as rustedpy
from returns.result import Failure as RFailure
from returns.result import Result as RResult
from returns.result import Success as RSuccess

from pytest_rfs.assertions import assert_mono_result_timeout
from pytest_rfs.mocking import ResultServiceMocker, mock_result_service
from pytest_rfs.registry import register_service, resolve_service, unregister_service
from pytest_rfs.shape import MethodShape
from rfs_monitoring import (
    APIError,
    ConfigurationError,
    Failure,
    MonoResult,
    Result,
    Success,
)


@dataclasses.dataclass
class User:
    user_id: str


@dataclasses.dataclass
class UserResponse:
    user_id: str


NOT_FOUND = APIError.not_found("user", "123")
NOT_FOUND_TEXT = (
    "APIError(code=NOT_FOUND, message='user 123 not found', "
    "details={'resource': 'user', 'id': '123'})"
)


def failure_message(fn: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(AssertionError) as info:
        fn(*args, **kwargs)
    return str(info.value)


async def async_failure_message(fn: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(AssertionError) as info:
        await fn(*args, **kwargs)
    return str(info.value)


# --------------------------------------------------------------------------- services


class UserService:
    """A service with one method of each shape the mocker mirrors."""

    async def get_user_async(self, user_id: str) -> Result[User, APIError]:
        raise AssertionError("the real method must not run")

    def get_user(self, user_id: str, *, verbose: bool = False) -> Result[User, APIError]:
        raise AssertionError("the real method must not run")

    def get_user_mono(self, user_id: str) -> MonoResult[User, APIError]:
        raise AssertionError("the real method must not run")

    async def get_user_mono_async(self, user_id: str) -> MonoResult[User, APIError]:
        raise AssertionError("the real method must not run")

    def untyped(self, user_id):  # type: ignore[no-untyped-def]
        raise AssertionError("the real method must not run")

    def get_returns(self, user_id: str) -> RResult[User, str]:
        raise AssertionError("the real method must not run")

    def get_rustedpy(self, user_id: str) -> rustedpy.Result[User, str]:
        raise AssertionError("the real method must not run")

    @staticmethod
    def static_lookup(user_id: str) -> Result[User, APIError]:
        raise AssertionError("the real method must not run")

    @classmethod
    def class_lookup(cls, user_id: str) -> Result[User, APIError]:
        raise AssertionError("the real method must not run")

    def unresolvable(self, user_id: str) -> NoSuchType[User]:  # type: ignore[name-defined]  # noqa: F821
        raise AssertionError("the real method must not run")

    not_a_method = 42


user_service = UserService()


class TestOtherResultLibraries:
    """The mocker answers with the Result types of ``returns`` and ``result`` too."""

    def test_mocker_mirrors_the_library_of_the_annotation(self) -> None:
        with mock_result_service(user_service, "get_returns") as mocker:
            mocker.return_success(User("1"))
            assert user_service.get_returns("1") == RSuccess(User("1"))
            mocker.return_error("nope")
            assert user_service.get_returns("1") == RFailure("nope")
        with mock_result_service(user_service, "get_rustedpy") as mocker:
            mocker.return_success(User("1"))
            assert user_service.get_rustedpy("1") == rustedpy.Ok(User("1"))
            mocker.return_error("nope")
            assert user_service.get_rustedpy("1") == rustedpy.Err("nope")
            mocker.return_sequence([rustedpy.Ok(1)])
            assert user_service.get_rustedpy("1") == rustedpy.Ok(1)


# --------------------------------------------------------------------------- the mocker


class TestMockResultService:
    @pytest.mark.asyncio
    async def test_bare_name_in_the_calling_module(self) -> None:
        original = UserService.get_user_async
        with mock_result_service("user_service", "get_user_async") as mock_svc:
            assert mock_svc.name == "user_service.get_user_async"
            mock_svc.return_success(User("1"))
            assert await user_service.get_user_async("1") == Success(User("1"))
            mock_svc.assert_called_once_with("1")
        assert "get_user_async" not in vars(user_service)
        assert user_service.get_user_async.__func__ is original  # type: ignore[attr-defined]

    def test_local_name(self) -> None:
        local_service = UserService()
        with mock_result_service("local_service", "get_user") as mocker:
            mocker.return_success(User("1"))
            assert local_service.get_user("1") == Success(User("1"))

    def test_dotted_attribute_of_a_local_name(self) -> None:
        holder = types.SimpleNamespace(service=UserService())
        with mock_result_service("holder.service", "get_user") as mocker:
            mocker.return_error("x")
            assert holder.service.get_user("1") == Failure("x")
        with pytest.raises(ConfigurationError, match=r"^cannot find the service 'holder\.nope'"):
            mock_result_service("holder.nope", "get_user")

    def test_import_path(self) -> None:
        module = types.ModuleType("rfs_fake_services")
        module.service = UserService()  # type: ignore[attr-defined]
        sys.modules["rfs_fake_services"] = module
        try:
            with mock_result_service("rfs_fake_services.service", "get_user") as mocker:
                mocker.return_success(1)
                assert module.service.get_user("1") == Success(1)  # type: ignore[attr-defined]
            assert mocker.service_name == "rfs_fake_services.service"
        finally:
            del sys.modules["rfs_fake_services"]

    def test_import_error_of_the_target_module_itself_propagates(
        self, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        (tmp_path / "rfs_needs_missing_dep.py").write_text("import rfs_no_such_dependency\n")
        monkeypatch.syspath_prepend(str(tmp_path))
        with pytest.raises(ModuleNotFoundError, match="rfs_no_such_dependency"):
            mock_result_service("rfs_needs_missing_dep.service", "get_user")

    def test_missing_submodule(self) -> None:
        module = types.ModuleType("rfs_broken_pkg")
        module.__path__ = []  # type: ignore[attr-defined]
        sys.modules["rfs_broken_pkg"] = module
        try:
            with pytest.raises(ConfigurationError, match="cannot find the service"):
                mock_result_service("rfs_broken_pkg.missing.thing", "get_user")
        finally:
            del sys.modules["rfs_broken_pkg"]

    def test_module_function(self) -> None:
        module = types.ModuleType("rfs_fake_functions")

        def fetch(user_id: str) -> Result[User, APIError]:
            raise AssertionError("real")

        module.fetch = fetch  # type: ignore[attr-defined]
        with mock_result_service(module, "fetch") as mocker:
            mocker.return_success(User("1"))
            assert module.fetch("1") == Success(User("1"))  # type: ignore[attr-defined]
        assert module.fetch is fetch  # type: ignore[attr-defined]
        assert mocker.service_name == "rfs_fake_functions"

    def test_registered_name(self) -> None:
        other = UserService()
        assert register_service("users", other) is other
        try:
            with mock_result_service("users", "get_user") as mocker:
                mocker.return_success(User("2"))
                assert other.get_user("2") == Success(User("2"))
        finally:
            assert unregister_service("users") is other
        assert unregister_service("users") is None

    def test_register_needs_a_name(self) -> None:
        with pytest.raises(ConfigurationError, match=r"non-empty service name, got ''"):
            register_service("", object())

    def test_unknown_name(self) -> None:
        with pytest.raises(ConfigurationError) as info:
            mock_result_service("no_such_service_xyz", "get")
        assert str(info.value) == (
            "cannot find the service 'no_such_service_xyz': it is not registered with "
            "register_service(), not a name in the calling module 'test_mocking' and "
            "not importable; pass the object itself, an import path such as "
            "'myapp.services.user_service', or register it with "
            "register_service('no_such_service_xyz', service)"
        )

    def test_unknown_name_without_a_frame(self) -> None:
        with pytest.raises(ConfigurationError, match="not a name in the calling module '\\?'"):
            resolve_service("no_such_service_xyz", None)

    def test_unknown_method_suggests_a_name(self) -> None:
        with pytest.raises(ConfigurationError) as info:
            mock_result_service(user_service, "get_usr")
        assert str(info.value) == (
            "service 'UserService' (UserService) has no method 'get_usr'; did you mean 'get_user'?"
        )

    def test_unknown_method_without_suggestion(self) -> None:
        with pytest.raises(ConfigurationError) as info:
            mock_result_service(user_service, "zzz")
        assert str(info.value) == "service 'UserService' (UserService) has no method 'zzz'"

    def test_not_callable(self) -> None:
        with pytest.raises(ConfigurationError) as info:
            mock_result_service(user_service, "not_a_method")
        assert str(info.value) == (
            "UserService.not_a_method is not callable (an int); mock_result_service() "
            "replaces methods"
        )

    def test_restores_after_an_exception(self) -> None:
        mockers: list[ResultServiceMocker] = []

        def block_that_raises() -> None:
            with mock_result_service(user_service, "get_user") as mocker:
                mockers.append(mocker.return_success(1))
                assert "get_user" in vars(user_service)
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            block_that_raises()
        assert "get_user" not in vars(user_service)
        assert not mockers[0].active

    def test_restores_an_instance_attribute(self) -> None:
        service = UserService()

        def own(user_id: str) -> Result[User, APIError]:
            return Success(User("own"))

        service.get_user = own  # type: ignore[method-assign]
        with mock_result_service(service, "get_user") as mocker:
            mocker.return_success(User("mock"))
            assert service.get_user("1") == Success(User("mock"))
        assert service.get_user is own

    def test_patch_on_the_class(self) -> None:
        with mock_result_service(UserService, "get_user") as mocker:
            mocker.return_success(User("c"))
            assert UserService().get_user("9", verbose=True) == Success(User("c"))
            mocker.assert_called_once_with("9", verbose=True)
            with pytest.raises(TypeError, match="do not fit its signature"):
                UserService().get_user()  # type: ignore[call-arg]
        assert UserService.get_user.__name__ == "get_user"
        assert "mocker" not in vars(UserService.get_user)

    def test_static_and_class_methods(self) -> None:
        with mock_result_service(UserService, "static_lookup") as static:
            static.return_success(1)
            assert UserService.static_lookup("a") == Success(1)
            assert UserService().static_lookup("b") == Success(1)
        with mock_result_service(UserService, "class_lookup") as klass:
            klass.return_success(2)
            assert UserService.class_lookup("a") == Success(2)
            klass.assert_called_once_with("a")
        assert isinstance(vars(UserService)["static_lookup"], staticmethod)
        assert isinstance(vars(UserService)["class_lookup"], classmethod)

    def test_cannot_patch_slotted_instances(self) -> None:
        class Slotted:
            __slots__ = ()

            def get(self) -> Result[int, str]:
                return Success(1)

        with pytest.raises(ConfigurationError, match=r"^cannot patch 'get' on"):
            mock_result_service(Slotted(), "get").start()

    def test_start_twice_and_stop_twice(self) -> None:
        mocker = mock_result_service(user_service, "get_user")
        mocker.start()
        try:
            with pytest.raises(ConfigurationError, match="is already patched"):
                mocker.start()
        finally:
            mocker.stop()
        mocker.stop()
        assert "get_user" not in vars(user_service)

    def test_a_bare_mocker_cannot_patch(self) -> None:
        with pytest.raises(ConfigurationError, match="has no service to patch"):
            ResultServiceMocker("svc", "m").start()

    def test_the_replacement_looks_like_the_original(self) -> None:
        import inspect

        with mock_result_service(user_service, "get_user_async"):
            replacement = user_service.get_user_async
            assert replacement.__name__ == "get_user_async"
            assert str(inspect.signature(replacement)) == (
                "(user_id: 'str') -> 'Result[User, APIError]'"
            )
            if sys.version_info >= (3, 12):
                assert inspect.iscoroutinefunction(replacement)

    def test_nested_patches_of_the_same_method(self) -> None:
        with mock_result_service(user_service, "get_user") as outer:
            outer.return_success("outer")
            with mock_result_service(user_service, "get_user") as inner:
                assert inner.shape is outer.shape
                inner.return_success("inner")
                assert user_service.get_user("1") == Success("inner")
            assert user_service.get_user("1") == Success("outer")


class TestMirroring:
    @pytest.mark.asyncio
    async def test_async_original_gives_an_awaitable(self) -> None:
        with mock_result_service(user_service, "get_user_async") as mocker:
            mocker.return_success(User("1"))
            pending = user_service.get_user_async("1")
            assert asyncio.iscoroutine(pending)
            assert mocker.results_history == []
            assert await pending == Success(User("1"))
            assert mocker.results_history == [Success(User("1"))]

    def test_sync_original_gives_a_result(self) -> None:
        with mock_result_service(user_service, "get_user") as mocker:
            mocker.return_error(NOT_FOUND)
            assert user_service.get_user("1") == Failure(NOT_FOUND)

    @pytest.mark.asyncio
    async def test_mono_original_gives_a_mono(self) -> None:
        with mock_result_service(user_service, "get_user_mono") as mocker:
            mocker.return_success(User("1"))
            mono = user_service.get_user_mono("1")
            assert isinstance(mono, MonoResult)
            assert mocker.call_count == 1
            assert await mono == Success(User("1"))

    @pytest.mark.asyncio
    async def test_async_mono_original(self) -> None:
        with mock_result_service(user_service, "get_user_mono_async") as mocker:
            mocker.return_error("x")
            mono = await user_service.get_user_mono_async("1")
            assert isinstance(mono, MonoResult)
            assert await mono == Failure("x")

    @pytest.mark.asyncio
    async def test_mono_with_delay_times_out(self) -> None:
        with mock_result_service(user_service, "get_user_mono") as mocker:
            mocker.return_success(1).with_delay(10)
            await assert_mono_result_timeout(user_service.get_user_mono("1").timeout(0.05), 0.05)

    def test_string_annotations_that_do_not_resolve(self) -> None:
        shape = MethodShape.of(user_service.unresolvable)
        assert (shape.returns, shape.annotation) == ("unknown", "NoSuchType[User]")

        def as_text() -> "MonoResult[int, str]":  # noqa: UP037
            raise AssertionError

        as_text.__annotations__["return"] = "Missing | MonoResult[int, str]"
        as_text.__annotations__["return"] = "MonoResult[Missing]"
        assert MethodShape.of(as_text).returns == "mono"
        as_text.__annotations__["return"] = "'FastAPIResult[Missing]'"
        assert MethodShape.of(as_text).returns == "result"

    def test_annotations_that_are_no_classes(self) -> None:
        def literal() -> Literal["x"]:
            raise AssertionError

        def optional() -> Result[int, str] | None:
            raise AssertionError

        def mixed() -> RResult[int, str] | rustedpy.Ok[int]:
            raise AssertionError

        assert MethodShape.of(literal).returns == "unknown"
        assert MethodShape.of(optional).returns == "unknown"
        assert MethodShape.of(mixed).returns == "unknown"

    def test_untyped_original_accepts_any_value(self) -> None:
        with mock_result_service(user_service, "untyped") as mocker:
            mocker.return_sequence([1, Success(2)])
            assert user_service.untyped("a") == 1
            assert user_service.untyped("b") == Success(2)
            mocker.side_effect(lambda user_id: user_id * 2)
            assert user_service.untyped("ab") == "abab"

    def test_builtin_without_signature(self) -> None:
        class NoSignature:
            __signature__ = "not a Signature"  # inspect.signature() raises TypeError

            def __call__(self, *args: Any, **kwargs: Any) -> object:
                raise AssertionError("real")

        shape = MethodShape.of(NoSignature())
        assert (shape.returns, shape.signature) == ("unknown", None)
        bad = types.SimpleNamespace(fn=NoSignature())
        with mock_result_service(bad, "fn") as mocker:
            mocker.return_success(1)
            assert bad.fn(1, 2, anything=3) == Success(1)

    @pytest.mark.asyncio
    async def test_the_plans_standalone_mocker(self) -> None:
        mocker = ResultServiceMocker("user_service", "get_user_async").return_success(1)
        assert await mocker("any", thing=1) == Success(1)
        assert mocker.call_args_history == [(("any",), {"thing": 1})]
        assert repr(mocker) == "<ResultServiceMocker user_service.get_user_async calls=1>"


class TestConfiguration:
    def test_each_method_returns_the_mocker(self) -> None:
        mocker = ResultServiceMocker("s", "m")
        assert mocker.return_success(1) is mocker
        assert mocker.return_error("e") is mocker
        assert mocker.return_sequence([Success(1)]) is mocker
        assert mocker.raise_exception(ValueError("x")) is mocker
        assert mocker.side_effect(lambda: Success(1)) is mocker
        assert mocker.with_delay(0) is mocker

    def test_unconfigured_call_fails_naming_service_and_method(self) -> None:
        with mock_result_service(user_service, "get_user") as mocker:
            with pytest.raises(pytest.fail.Exception) as info:
                user_service.get_user("1")
            assert mocker.call_count == 1
        assert str(info.value) == (
            "UserService.get_user was called but not configured: call return_success(), "
            "return_error(), return_sequence(), raise_exception() or side_effect() on the "
            "mocker before the code under test calls it"
        )

    @pytest.mark.asyncio
    async def test_unconfigured_call_is_not_swallowed_by_monoresult(self) -> None:
        with mock_result_service(user_service, "get_user_async"):
            mono = MonoResult.from_async_result(lambda: user_service.get_user_async("1"))
            with pytest.raises(pytest.fail.Exception, match="was called but not configured"):
                await mono

    def test_sequence_then_exhausted(self) -> None:
        with mock_result_service(user_service, "get_user") as mocker:
            mocker.return_sequence([Success(1), Failure("x"), KeyError("k")])
            assert user_service.get_user("a") == Success(1)
            assert user_service.get_user("b") == Failure("x")
            with pytest.raises(KeyError):
                user_service.get_user("c")
            with pytest.raises(pytest.fail.Exception) as info:
                user_service.get_user("d")
        assert str(info.value) == (
            "UserService.get_user was called 4 times, but return_sequence() configured only "
            "3 results (call 4 has none)"
        )

    def test_exhausted_single_result(self) -> None:
        shape = MethodShape(is_async=False, returns="result", signature=None)
        mocker = ResultServiceMocker("s", "m", shape=shape)
        mocker.return_sequence([Success(1)])
        mocker()
        with pytest.raises(pytest.fail.Exception, match=r"configured only 1 result \(call 2"):
            mocker()

    def test_non_result_rejected_at_configuration(self) -> None:
        mocker = mock_result_service(user_service, "get_user")
        with pytest.raises(ConfigurationError) as info:
            mocker.return_sequence([Success(1), {"user_id": "1"}])
        assert str(info.value) == (
            "UserService.get_user: return_sequence item 1 is dict: {'user_id': '1'}, not a "
            "Result; get_user is annotated to return Result[User, APIError]: use "
            "Success(...) / Failure(...) (or return_success / return_error)"
        )

    def test_result_given_to_return_success_is_rejected(self) -> None:
        mocker = ResultServiceMocker("s", "m")
        with pytest.raises(ConfigurationError) as info:
            mocker.return_success(Success(1))
        assert str(info.value) == (
            "s.m: return_success() takes the success value itself, got the Result Success(1); "
            "pass its content, or use return_sequence([...]) to return Results as they are"
        )
        with pytest.raises(ConfigurationError, match=r"return_error\(\) takes the error itself"):
            mocker.return_error(Failure("x"))

    def test_bad_configuration_arguments(self) -> None:
        mocker = ResultServiceMocker("s", "m")
        with pytest.raises(TypeError, match=r"^s\.m: raise_exception\(\) expects an exception"):
            mocker.raise_exception("boom")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"^s\.m: side_effect\(\) expects a callable"):
            mocker.side_effect(5)  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError, match=r"with_delay\(\) seconds must be"):
            mocker.with_delay(-1)

    @pytest.mark.asyncio
    async def test_raise_exception_async_raises_when_awaited(self) -> None:
        with mock_result_service(user_service, "get_user_async") as mocker:
            mocker.raise_exception(ConnectionError)
            pending = user_service.get_user_async("1")
            with pytest.raises(ConnectionError):
                await pending

    @pytest.mark.asyncio
    async def test_side_effect_sync_and_async(self) -> None:
        async def lookup(user_id: str) -> Result[User, APIError]:
            return Success(User(user_id))

        with mock_result_service(user_service, "get_user_async") as mocker:
            mocker.side_effect(lookup)
            assert await user_service.get_user_async("7") == Success(User("7"))
            mocker.side_effect(lambda user_id: Success(User(user_id + "!")))
            assert await user_service.get_user_async("7") == Success(User("7!"))

    def test_side_effect_returning_a_non_result(self) -> None:
        with mock_result_service(user_service, "get_user") as mocker:
            mocker.side_effect(lambda user_id, verbose=False: user_id)
            with pytest.raises(TypeError) as info:
                user_service.get_user("1")
        assert str(info.value) == (
            "UserService.get_user: side_effect returned str: '1', not a Result; get_user is "
            "annotated to return Result[User, APIError]"
        )

    @pytest.mark.asyncio
    async def test_with_delay_async(self) -> None:
        with mock_result_service(user_service, "get_user_async") as mocker:
            mocker.return_success(1).with_delay(10)
            mono = MonoResult.from_async_result(lambda: user_service.get_user_async("1"))
            await assert_mono_result_timeout(mono.timeout(0.05), 0.05)

    def test_with_delay_sync(self) -> None:
        with mock_result_service(user_service, "get_user") as mocker:
            mocker.return_success(1).with_delay(0.001)
            assert user_service.get_user("1") == Success(1)

    def test_reset_calls(self) -> None:
        with mock_result_service(user_service, "get_user") as mocker:
            mocker.return_sequence([Success(1)])
            user_service.get_user("1")
            mocker.reset_calls()
            assert (mocker.call_count, mocker.call_args_history, mocker.results_history) == (
                0,
                [],
                [],
            )
            assert user_service.get_user("1") == Success(1)


class TestSignatureChecking:
    def test_missing_argument(self) -> None:
        with mock_result_service(user_service, "get_user") as mocker:
            mocker.return_success(1)
            with pytest.raises(TypeError) as info:
                user_service.get_user()  # type: ignore[call-arg]
            assert mocker.call_count == 0
        assert str(info.value) == (
            "UserService.get_user() was called with arguments that do not fit its signature "
            "(user_id: 'str', *, verbose: 'bool' = False) -> 'Result[User, APIError]': "
            "missing a required argument: 'user_id'"
        )

    @pytest.mark.asyncio
    async def test_async_original_fails_at_the_call_not_at_the_await(self) -> None:
        with mock_result_service(user_service, "get_user_async") as mocker:
            mocker.return_success(1)
            with pytest.raises(TypeError, match="got an unexpected keyword argument 'nope'"):
                user_service.get_user_async("1", nope=2)  # type: ignore[call-arg]


class TestCallAssertions:
    def calls(self, *calls: tuple[tuple[Any, ...], dict[str, Any]]) -> ResultServiceMocker:
        mocker = mock_result_service(user_service, "get_user").return_success(1)
        with mocker:
            for args, kwargs in calls:
                user_service.get_user(*args, **kwargs)
        return mocker

    def test_the_unittest_mock_is_public(self) -> None:
        from unittest.mock import call

        mocker = self.calls((("1",), {}), (("2",), {"verbose": True}))
        mocker.mock.assert_has_calls([call("1"), call("2", verbose=True)])
        assert mocker.mock.call_args_list == [call("1"), call("2", verbose=True)]

    def test_keyword_and_positional_forms_match(self) -> None:
        mocker = self.calls((("1",), {}))
        mocker.assert_called_once_with(user_id="1")
        mocker.assert_called_with("1")
        mocker.assert_any_call(user_id="1")
        mocker.assert_called()

    def test_not_called(self) -> None:
        mocker = self.calls()
        mocker.assert_not_called()
        assert failure_message(mocker.assert_called) == (
            "expected UserService.get_user to be called; it was not called"
        )
        assert failure_message(mocker.assert_called_once_with, "1") == (
            "expected UserService.get_user to be called once with get_user('1'); it was not called"
        )
        assert failure_message(mocker.assert_called_with, "1") == (
            "expected UserService.get_user to be called with get_user('1'); it was not called"
        )
        assert failure_message(mocker.assert_any_call, "1") == (
            "expected UserService.get_user to have been called with get_user('1'); "
            "it was not called"
        )

    def test_called_twice(self) -> None:
        mocker = self.calls((("1",), {}), (("2",), {"verbose": True}))
        assert failure_message(mocker.assert_called_once_with, "1") == (
            "expected UserService.get_user to be called once with get_user('1'); it was called "
            "2 times:\n"
            "  1. get_user('1')\n"
            "  2. get_user('2', verbose=True)"
        )
        assert failure_message(mocker.assert_not_called) == (
            "expected UserService.get_user not to be called; it was called 2 times:\n"
            "  1. get_user('1')\n"
            "  2. get_user('2', verbose=True)"
        )

    def test_different_arguments(self) -> None:
        mocker = self.calls((("1",), {}))
        assert failure_message(mocker.assert_called_once_with, "2") == (
            "the call to UserService.get_user had different arguments\n"
            "expected: get_user('2')\n"
            "actual:   get_user('1')"
        )

    def test_last_call(self) -> None:
        mocker = self.calls((("1",), {}), (("2",), {}))
        mocker.assert_called_with("2")
        assert failure_message(mocker.assert_called_with, "1") == (
            "the last call to UserService.get_user had different arguments\n"
            "expected: get_user('1')\n"
            "actual:   get_user('2')\n"
            "all calls:\n"
            "  1. get_user('1')\n"
            "  2. get_user('2')"
        )

    def test_any_call(self) -> None:
        mocker = self.calls((("1",), {}))
        mocker.assert_any_call("1")
        assert failure_message(mocker.assert_any_call, "3", verbose=True) == (
            "expected UserService.get_user to have been called with get_user('3', verbose=True); "
            "none of its 1 call matched:\n"
            "  1. get_user('1')"
        )
        assert failure_message(mocker.assert_not_called) == (
            "expected UserService.get_user not to be called; it was called 1 time:\n"
            "  1. get_user('1')"
        )

    def test_expected_call_not_fitting_the_signature_never_matches(self) -> None:
        mocker = self.calls((("1",), {}))
        with pytest.raises(AssertionError, match="had different arguments"):
            mocker.assert_called_with("1", "extra")

    @pytest.mark.asyncio
    async def test_without_signature_compares_raw(self) -> None:
        mocker = ResultServiceMocker("s", "m").return_success(1)
        assert await mocker("a", b=1) == Success(1)
        mocker.assert_called_once_with("a", b=1)
        with pytest.raises(AssertionError):
            mocker.assert_called_once_with(a="a", b=1)
