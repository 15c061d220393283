"""The ``rfs`` plugin as a user's project sees it (pytester runs, no conftest.py)."""

from __future__ import annotations

import importlib
import sys
import textwrap

# Imported here so that pytester's in-process runs find them in sys.modules instead of
# importing (and assertion-rewriting) them again for every run.
import fastapi  # noqa: F401
import httpx  # noqa: F401
import hypothesis  # noqa: F401
import pytest

INNER = ("-p", "no:cacheprovider", "-o", "asyncio_default_fixture_loop_scope=function")

# The plan's "목표 패턴": the endpoint and the two target tests, copied as written. The
# module adds only imports, ``app``, and the names the plan assumes exist (user_service,
# sample_user, UserResponse, validate_user_response).
PLAN_MODULE = """
from dataclasses import dataclass

import pytest
from fastapi import FastAPI

from pytest_rfs import assert_result_error, assert_result_success, mock_result_service
from rfs_monitoring import (
    APIError,
    ErrorCode,
    Failure,
    MonoResult,
    Result,
    Success,
    handle_result,
)
from rfs_monitoring.result_logging import log_result_operation

app = FastAPI()


@dataclass
class User:
    user_id: str
    name: str


@dataclass
class UserResponse:
    user_id: str
    name: str


class UserService:
    async def get_user_async(self, user_id: str) -> Result[User, APIError]:
        raise RuntimeError("the real user service is not reachable from tests")


user_service = UserService()
sample_user = User(user_id="123", name="Kim")


def validate_user_response(user: User) -> Result[UserResponse, APIError]:
    if not user.name:
        return Failure(APIError.validation_error("name is empty", field="name"))
    return Success(UserResponse(user_id=user.user_id, name=user.name))


# 🎯 구현할 구조화된 로깅 패턴
@app.get("/users/{user_id}")
@handle_result
@log_result_operation("user_retrieval")  # 자동 로깅 데코레이터
async def get_user(user_id: str) -> Result[UserResponse, APIError]:
    return await (
        MonoResult.from_async_result(lambda: user_service.get_user_async(user_id))
        .log_step("user_service_call")  # 중간 단계 로깅
        .bind_result(lambda user: validate_user_response(user))
        .log_step("user_validation")
        .map_error(lambda e: APIError.from_service_error(e))
        .log_error("user_retrieval_error")  # 에러 전용 로깅
        .timeout(5.0)
        .to_result()
    )

# 🎯 구현할 Result 기반 테스팅 패턴
@pytest.mark.asyncio
async def test_get_user_success():
    # Result 패턴을 고려한 모킹
    with mock_result_service("user_service", "get_user_async") as mock_svc:
        mock_svc.return_success(sample_user)

        result = await get_user("123")

        assert_result_success(result, UserResponse)
        assert result.unwrap().user_id == "123"
        mock_svc.assert_called_once_with("123")

@pytest.mark.asyncio
async def test_get_user_not_found():
    with mock_result_service("user_service", "get_user_async") as mock_svc:
        mock_svc.return_error(APIError.not_found("사용자", "123"))

        result = await get_user("123")

        assert_result_error(result, APIError)
        assert result.unwrap_error().code == ErrorCode.NOT_FOUND
"""


def write_plan_module(pytester: pytest.Pytester, extra: str = "") -> None:
    pytester.makepyfile(test_users=PLAN_MODULE + textwrap.dedent(extra))


class TestPlanTargetTests:
    def test_pass_as_written_without_conftest(self, pytester: pytest.Pytester) -> None:
        write_plan_module(pytester)
        assert not (pytester.path / "conftest.py").exists()
        result = pytester.runpytest_inprocess(*INNER)
        result.assert_outcomes(passed=2)

    def test_pass_in_auto_mode(self, pytester: pytest.Pytester) -> None:
        write_plan_module(pytester)
        result = pytester.runpytest_inprocess(*INNER, "-o", "asyncio_mode=auto")
        result.assert_outcomes(passed=2)

    def test_a_wrong_mock_makes_the_plan_test_fail_clearly(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(
            test_users=PLAN_MODULE.replace(
                "mock_svc.return_success(sample_user)",
                'mock_svc.return_error(APIError.not_found("user", "123"))',
            )
        )
        result = pytester.runpytest_inprocess(*INNER)
        result.assert_outcomes(passed=1, failed=1)
        result.stdout.fnmatch_lines(
            [
                "E * AssertionError: expected Success(UserResponse), got Failure(APIError("
                "code=NOT_FOUND, message='user 123 not found', "
                "details={'resource': 'user', 'id': '123'}))",
            ]
        )

    def test_the_same_mock_serves_real_http_requests(self, pytester: pytest.Pytester) -> None:
        write_plan_module(
            pytester,
            """
            import httpx

            @pytest.mark.asyncio
            async def test_http_not_found(rfs_logs, rfs_metrics, rfs_correlation_id):
                with mock_result_service("user_service", "get_user_async") as mock_svc:
                    mock_svc.return_error(APIError.not_found("user", "123"))
                    transport = httpx.ASGITransport(app=app)
                    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
                        response = await c.get("/users/123")
                assert response.status_code == 404
                assert response.json()["code"] == "NOT_FOUND"
                mock_svc.assert_called_once_with("123")
                rfs_logs.assert_logged(operation_name="user_retrieval", error_code="NOT_FOUND")
                rfs_logs.assert_all_structured()
                metrics = (await rfs_metrics.get_operation_metrics("user_retrieval")).unwrap()
                assert metrics.failed_requests == 1
            """,
        )
        result = pytester.runpytest_inprocess(*INNER)
        result.assert_outcomes(passed=3)


class TestPluginLoading:
    def test_fixtures_need_no_import(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(
            """
            def test_all(result_mocker, rfs_logs, rfs_metrics, rfs_correlation_id, rfs_clock,
                         rfs_factory):
                assert rfs_correlation_id.startswith("test-")
                assert rfs_logs.entries == []
            """
        )
        pytester.runpytest_inprocess(*INNER).assert_outcomes(passed=1)

    def test_p_no_rfs_disables_the_plugin(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(
            """
            from rfs_monitoring import Success

            def test_fixture(result_mocker):
                pass

            def test_compare():
                assert Success("1") == Success(1)
            """
        )
        result = pytester.runpytest_inprocess(*INNER, "-p", "no:rfs")
        result.assert_outcomes(failed=1, errors=1)
        result.stdout.fnmatch_lines(["*fixture 'result_mocker' not found*"])
        result.stdout.no_fnmatch_line("*Success values differ*")
        result = pytester.runpytest_inprocess("-p", "no:rfs", "--rfs-seed=1")
        assert result.ret == pytest.ExitCode.USAGE_ERROR

    @pytest.mark.parametrize(
        "module", ["pytest_rfs.assertions", "pytest_rfs.mocking", "pytest_rfs.result_helpers"]
    )
    def test_helper_modules_get_assertion_rewriting(self, module: str) -> None:
        importlib.import_module(module)
        loader = sys.modules[module].__loader__
        assert type(loader).__name__ == "AssertionRewritingHook"

    def test_result_comparison_is_explained(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(
            """
            from rfs_monitoring import Success, Failure

            def test_str_vs_int():
                assert Success("1") == Success(1)

            def test_nested_payload():
                assert Failure({"code": "A", "n": 1}) == Failure({"code": "B", "n": 1})

            def test_other_operators_untouched():
                assert Success(1) != Success(1)
            """
        )
        result = pytester.runpytest_inprocess(*INNER)
        result.assert_outcomes(failed=3)
        result.stdout.fnmatch_lines(
            [
                "E       AssertionError: assert Success('1') == Success(1)",
                "E         Success values differ: '1' != 1",
                "E           (left is a str, right is an int)",
            ]
        )
        result.stdout.fnmatch_lines(
            [
                "E         Failure errors differ: {'code': 'A', 'n': 1} != {'code': 'B', 'n': 1}",
                "*Differing items:",
                "E         {'code': 'A'} != {'code': 'B'}",
            ]
        )

    def test_bad_seed_is_a_usage_error(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile("def test_x(): pass")
        result = pytester.runpytest_inprocess("--rfs-seed=abc")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(["*--rfs-seed / rfs_seed must be an integer, got 'abc'*"])

    def test_seed_from_ini_and_cli(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(
            """
            def test_seed(rfs_factory, pytestconfig):
                print("VALUE", rfs_factory.seed, rfs_factory.success().unwrap())
            """
        )

        def values(*args: str) -> list[str]:
            result = pytester.runpytest_inprocess("-s", *INNER, *args)
            result.assert_outcomes(passed=1)
            found = [line.partition("VALUE")[2] for line in result.outlines if "VALUE" in line]
            assert len(found) == 1
            return found

        first, again = values(), values()
        assert first == again
        assert values("--rfs-seed=7") != first
        pytester.makeini("[pytest]\nrfs_seed = 7\n")
        assert values() == values("--rfs-seed=7")


class TestMockingInAUserProject:
    def test_unconfigured_mock_fails_the_test(self, pytester: pytest.Pytester) -> None:
        write_plan_module(
            pytester,
            """
            @pytest.mark.asyncio
            async def test_forgot_to_configure():
                with mock_result_service("user_service", "get_user_async"):
                    result = await get_user("123")
                assert result  # a MagicMock would have made this pass
            """,
        )
        result = pytester.runpytest_inprocess(*INNER)
        result.assert_outcomes(passed=2, failed=1)
        result.stdout.fnmatch_lines(
            [
                "E * Failed: user_service.get_user_async was called but not configured: call "
                "return_success(), return_error(), return_sequence(), raise_exception() or "
                "side_effect() on the mocker before the code under test calls it",
            ]
        )

    def test_signature_mismatch(self, pytester: pytest.Pytester) -> None:
        write_plan_module(
            pytester,
            """
            def test_wrong_arguments(result_mocker):
                mock_svc = result_mocker.patch("user_service", "get_user_async")
                mock_svc.return_success(sample_user)
                user_service.get_user_async("123", "extra")
            """,
        )
        result = pytester.runpytest_inprocess(*INNER)
        result.assert_outcomes(passed=2, failed=1)
        result.stdout.fnmatch_lines(
            [
                "E * TypeError: user_service.get_user_async() was called with arguments that do "
                "not fit its signature (user_id: str) -> *: too many positional arguments",
            ]
        )

    def test_restoration_after_an_exception(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(
            """
            import pytest
            from pytest_rfs import mock_result_service

            class Service:
                def fetch(self, key: str):
                    return "real"

            service = Service()

            def test_block_raises():
                with pytest.raises(KeyError):
                    with mock_result_service("service", "fetch") as mocker:
                        mocker.return_success(1)
                        raise KeyError("inside")
                assert service.fetch("k") == "real"

            def test_fixture_patch_in_a_failing_test(result_mocker):
                result_mocker.patch(service, "fetch").return_success(1)
                raise RuntimeError("the test fails while patched")

            def test_after_the_failing_test():
                assert service.fetch("k") == "real"
                assert "fetch" not in vars(service)
            """
        )
        result = pytester.runpytest_inprocess(*INNER)
        result.assert_outcomes(passed=2, failed=1)

    def test_xdist_keeps_fixtures_isolated_per_test(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(
            """
            import pytest
            from rfs_monitoring import ResultMetricsCollector, Success
            from rfs_monitoring.context import get_correlation_id
            from rfs_monitoring.result_logging import log_result_operation

            class Service:
                def fetch(self, key: str):
                    return Success("real")

            service = Service()

            @pytest.mark.parametrize("n", range(8))
            def test_isolated(n, result_mocker, rfs_logs, rfs_metrics, rfs_correlation_id):
                result_mocker.patch("service", "fetch").return_success(n)

                @log_result_operation(f"op{n}")
                def operation():
                    return service.fetch("k")

                assert operation() == Success(n)
                assert ResultMetricsCollector.instance() is rfs_metrics
                assert rfs_metrics.operation_names() == [f"op{n}"]
                assert [e.operation_name for e in rfs_logs.entries] == [f"op{n}"]
                assert rfs_logs.entries[0].correlation_id == rfs_correlation_id
                assert get_correlation_id() == rfs_correlation_id

            def test_after_all():
                assert service.fetch("k") == Success("real")
            """
        )
        result = pytester.runpytest_inprocess(*INNER, "-n", "2")
        result.assert_outcomes(passed=9)
