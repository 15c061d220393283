"""Specification of the plugin's fixtures and the classes behind them."""

from __future__ import annotations

import datetime
from typing import Any

# Kept in sys.modules for pytester's in-process runs (see test_plugin.py).
import hypothesis  # noqa: F401
import pytest

from pytest_rfs.fixtures import (
    FIXED_EPOCH,
    FakeClock,
    LogCapture,
    ResultMocker,
    correlation_id_for,
)
from pytest_rfs.generators import ResultFactory
from pytest_rfs.mocking import mock_result_service
from pytest_rfs.registry import register_service, unregister_service
from rfs_monitoring import (
    APIError,
    ConfigurationError,
    Failure,
    ResultMetricsCollector,
    Success,
)
from rfs_monitoring.context import get_correlation_id, peek_correlation_id
from rfs_monitoring.result_logging import ResultLogEntry, log_result_operation

INNER = ("-p", "no:cacheprovider", "-o", "asyncio_default_fixture_loop_scope=function")
MOMENT = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


class Service:
    def fetch(self, key: str) -> Any:
        return Success("real")


service = Service()


def entry(**fields: Any) -> ResultLogEntry:
    base: dict[str, Any] = {
        "timestamp": MOMENT,
        "correlation_id": "c-1",
        "operation_name": "op",
        "step_name": None,
        "result_type": "success",
        "processing_time_ms": 1.0,
        "success_type": "int",
    }
    base.update(fields)
    return ResultLogEntry(**base)


def capture_of(*entries: ResultLogEntry) -> LogCapture:
    capture = LogCapture()
    for item in entries:
        capture.append(item)
    return capture


def failure_message(fn: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(AssertionError) as info:
        fn(*args, **kwargs)
    return str(info.value)


# --------------------------------------------------------------------------- result_mocker


class TestResultMocker:
    def test_patch_lasts_until_teardown(self, result_mocker: ResultMocker) -> None:
        mocker = result_mocker.patch("service", "fetch").return_success(1)
        assert service.fetch("k") == Success(1)
        assert result_mocker.mockers == (mocker,)

    def test_previous_test_was_undone(self) -> None:
        assert service.fetch("k") == Success("real")

    def test_undo_restores_patches_newest_first(self) -> None:
        mocker = ResultMocker()
        mocker.patch(service, "fetch").return_success("outer")
        mocker.patch(service, "fetch").return_success("inner")
        assert service.fetch("k") == Success("inner")
        mocker.undo()
        assert service.fetch("k") == Success("real")
        assert mocker.mockers == ()

    def test_register_is_undone(self) -> None:
        first, second = Service(), Service()
        register_service("svc-under-test", first)
        try:
            mocker = ResultMocker()
            mocker.register("svc-under-test", second)
            mocker.register("svc-new", second)
            with mock_result_service("svc-under-test", "fetch") as patched:
                patched.return_error("x")
                assert second.fetch("k") == Failure("x")
            mocker.undo()
            assert unregister_service("svc-new") is None
        finally:
            assert unregister_service("svc-under-test") is first


# --------------------------------------------------------------------------- rfs_logs


class TestLogCapture:
    def test_captures_decorated_operations(self, rfs_logs: LogCapture) -> None:
        @log_result_operation("capture_op")
        def operation(fail: bool) -> Any:
            return Failure(APIError.not_found("user", "1")) if fail else Success(1)

        operation(False)
        operation(True)
        assert [e.result_type for e in rfs_logs.entries] == ["success", "error"]
        assert rfs_logs.assert_logged(operation_name="capture_op", error_code="NOT_FOUND")
        rfs_logs.assert_not_logged(operation_name="other_op")
        assert len(rfs_logs.filter(operation_name="capture_op")) == 2
        rfs_logs.assert_all_structured()
        rfs_logs.clear()
        assert rfs_logs.entries == []

    def test_stop_stops_listening(self) -> None:
        capture = LogCapture().start()
        assert capture.start() is capture
        capture.stop()
        capture.stop()
        log_result_operation("after_stop")(lambda: Success(1))()
        assert capture.entries == []

    def test_filter_by_metadata_and_predicate(self) -> None:
        capture = capture_of(entry(metadata={"tenant": "a"}), entry(processing_time_ms=50.0))
        assert capture.filter(tenant="a") == [capture.entries[0]]
        assert capture.filter(processing_time_ms=lambda ms: ms > 10) == [capture.entries[1]]

    def test_assert_logged_shows_nearest_entries(self) -> None:
        capture = capture_of(
            entry(operation_name="user_retrieval", result_type="success"),
            entry(operation_name="other", step_name="s", result_type="success"),
            entry(
                operation_name="user_retrieval",
                step_name="user_service_call",
                result_type="error",
                success_type=None,
                error_code="NOT_FOUND",
            ),
        )
        message = failure_message(
            capture.assert_logged,
            operation_name="user_retrieval",
            result_type="error",
            error_code="CONFLICT",
        )
        assert message == (
            "no ResultLogEntry matched operation_name='user_retrieval', result_type='error', "
            "error_code='CONFLICT'; 3 logged, the nearest:\n"
            "  [2] operation_name='user_retrieval' step_name='user_service_call' "
            "result_type='error' error_code='NOT_FOUND'\n"
            "        error_code: 'NOT_FOUND' (expected 'CONFLICT')\n"
            "  [0] operation_name='user_retrieval' step_name=None result_type='success'\n"
            "        result_type: 'success' (expected 'error')\n"
            "        error_code: None (expected 'CONFLICT')\n"
            "  [1] operation_name='other' step_name='s' result_type='success'\n"
            "        operation_name: 'other' (expected 'user_retrieval')\n"
            "        result_type: 'success' (expected 'error')\n"
            "        error_code: None (expected 'CONFLICT')"
        )

    def test_assert_logged_with_nothing_logged(self) -> None:
        message = failure_message(LogCapture().assert_logged, operation_name="x")
        assert message == "no ResultLogEntry matched operation_name='x': no entries were logged"

    def test_assert_logged_missing_field_and_predicate(self) -> None:
        def slow(ms: float) -> bool:
            return ms > 100

        message = failure_message(
            capture_of(entry()).assert_logged, tenant="a", processing_time_ms=slow
        )
        assert message == (
            "no ResultLogEntry matched tenant='a', processing_time_ms=<predicate "
            "TestLogCapture.test_assert_logged_missing_field_and_predicate.<locals>.slow>; "
            "1 logged, the nearest:\n"
            "  [0] operation_name='op' step_name=None result_type='success'\n"
            "        tenant: missing (expected 'a')\n"
            "        processing_time_ms: 1.0 (expected <predicate "
            "TestLogCapture.test_assert_logged_missing_field_and_predicate.<locals>.slow>)"
        )

    def test_assert_not_logged(self) -> None:
        capture = capture_of(entry(), entry(step_name="s"))
        message = failure_message(capture.assert_not_logged, operation_name="op")
        assert message == (
            "expected no ResultLogEntry matching operation_name='op'; found 2:\n"
            "  operation_name='op' step_name=None result_type='success'\n"
            "  operation_name='op' step_name='s' result_type='success'"
        )

    def test_fields_are_required(self) -> None:
        with pytest.raises(ConfigurationError) as info:
            LogCapture().assert_logged()
        assert str(info.value) == (
            "rfs_logs.assert_logged() needs at least one field=value, e.g. operation_name='x'"
        )
        with pytest.raises(ConfigurationError, match=r"assert_not_logged\(\) needs"):
            LogCapture().assert_not_logged()

    def test_assert_all_structured_schema_violation(self) -> None:
        capture = capture_of(entry(), entry(success_type=None))
        message = failure_message(capture.assert_all_structured)
        assert message == (
            "entry [1] is not a structured ResultLogEntry: operation_name='op' step_name=None "
            "result_type='success': success_type: None is not of type 'string'"
        )

    def test_assert_all_structured_unserialisable(self) -> None:
        capture = capture_of(entry(metadata={"obj": object()}))
        message = failure_message(capture.assert_all_structured)
        assert message.startswith(
            "entry [0] is not a structured ResultLogEntry: operation_name='op' step_name=None "
            "result_type='success': not JSON-serialisable (Object of type object is not JSON"
        )

    def test_assert_all_structured_wrong_objects(self) -> None:
        capture = LogCapture()
        capture.append("text line")  # type: ignore[arg-type]
        assert failure_message(capture.assert_all_structured) == (
            "entry [0] is not a structured ResultLogEntry: got str: 'text line'"
        )
        capture = capture_of(entry(timestamp="2026-01-01"))
        assert failure_message(capture.assert_all_structured) == (
            "entry [0] is not a structured ResultLogEntry: timestamp is '2026-01-01', "
            "not a datetime"
        )

    def test_works_whatever_the_structlog_configuration(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(
            """
            import structlog
            from rfs_monitoring import Success
            from rfs_monitoring.result_logging import log_result_operation

            def drop_everything(logger, method, event_dict):
                raise structlog.DropEvent

            structlog.configure(
                processors=[drop_everything],
                cache_logger_on_first_use=True,
            )
            structlog.get_logger("warm").info("cache the logger")
            CONFIG = structlog.get_config()

            @log_result_operation("configured_op")
            def operation():
                return Success(1)

            def test_captured(rfs_logs):
                operation()
                rfs_logs.assert_logged(operation_name="configured_op", result_type="success")

            def test_config_untouched():
                assert structlog.get_config() == CONFIG
                assert structlog.is_configured()
            """
        )
        pytester.runpytest_inprocess(*INNER).assert_outcomes(passed=2)


# --------------------------------------------------------------------------- metrics, clock


class TestRfsMetrics:
    def test_is_the_global_instance(
        self, rfs_metrics: ResultMetricsCollector, rfs_clock: FakeClock
    ) -> None:
        assert ResultMetricsCollector.instance() is rfs_metrics
        seen: list[float] = []
        with rfs_metrics.subscription(lambda sample: seen.append(sample.timestamp)):
            log_result_operation("metered")(lambda: Success(1))()
            rfs_clock.advance(30)
            log_result_operation("metered")(lambda: Success(1))()
        assert seen == [FIXED_EPOCH, FIXED_EPOCH + 30]
        assert rfs_metrics.operation_names() == ["metered"]

    def test_global_instance_restored(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(
            """
            from rfs_monitoring import ResultMetricsCollector

            BEFORE = ResultMetricsCollector.instance()

            def test_uses(rfs_metrics):
                assert ResultMetricsCollector.instance() is rfs_metrics is not BEFORE
                rfs_metrics.record("only-in-the-fixture", success=True, duration_ms=1.0)

            def test_after():
                assert ResultMetricsCollector.instance() is BEFORE
                assert "only-in-the-fixture" not in BEFORE.operation_names()
            """
        )
        pytester.runpytest_inprocess(*INNER).assert_outcomes(passed=2)


class TestFakeClock:
    def test_starts_fixed_and_moves_when_told(self, rfs_clock: FakeClock) -> None:
        assert rfs_clock() == rfs_clock.now == FIXED_EPOCH
        assert rfs_clock.datetime == datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
        assert rfs_clock.advance(1.5) == FIXED_EPOCH + 1.5
        assert rfs_clock.advance() == FIXED_EPOCH + 2.5
        assert repr(rfs_clock) == "FakeClock(2026-01-01T00:00:02.500000+00:00)"

    def test_set(self) -> None:
        clock = FakeClock(0)
        assert clock.set(100) == 100.0
        assert clock.set(datetime.datetime(1970, 1, 1, 0, 1)) == 60.0
        aware = datetime.datetime(
            1970, 1, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
        )
        assert clock.set(aware) == 0.0

    def test_bad_values(self) -> None:
        clock = FakeClock()
        with pytest.raises(ConfigurationError) as info:
            clock.advance(-1)
        assert str(info.value) == (
            "FakeClock.advance() expects seconds >= 0, got -1; use set() to go back"
        )
        with pytest.raises(ConfigurationError, match=r"advance\(\) expects seconds >= 0"):
            clock.advance(True)
        with pytest.raises(ConfigurationError) as info:
            clock.set("noon")  # type: ignore[arg-type]
        assert str(info.value) == (
            "FakeClock.set() expects epoch seconds or a datetime, got 'noon'"
        )


# --------------------------------------------------------------------------- context, data


class TestCorrelationId:
    def test_fixed_and_bound(self, rfs_correlation_id: str, request: pytest.FixtureRequest) -> None:
        assert rfs_correlation_id == correlation_id_for(request.node.nodeid)
        assert get_correlation_id() == rfs_correlation_id

    @pytest.mark.asyncio
    async def test_bound_in_async_tests(self, rfs_correlation_id: str) -> None:
        assert get_correlation_id() == rfs_correlation_id

    def test_logged_entries_carry_it(self, rfs_correlation_id: str, rfs_logs: LogCapture) -> None:
        log_result_operation("with_id")(lambda: Success(1))()
        rfs_logs.assert_logged(operation_name="with_id", correlation_id=rfs_correlation_id)

    def test_unbound_after_the_test(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(
            """
            import pytest
            from rfs_monitoring.context import peek_correlation_id

            def test_a(rfs_correlation_id):
                assert peek_correlation_id() == rfs_correlation_id

            @pytest.mark.asyncio
            async def test_b(rfs_correlation_id):
                assert peek_correlation_id() == rfs_correlation_id

            def test_c():
                assert peek_correlation_id() is None
            """
        )
        pytester.runpytest_inprocess(*INNER).assert_outcomes(passed=3)
        pytester.runpytest_inprocess(*INNER, "-o", "asyncio_mode=auto").assert_outcomes(passed=3)

    def test_stable_id(self) -> None:
        assert correlation_id_for("a::b") == correlation_id_for("a::b")
        assert correlation_id_for("a::b") != correlation_id_for("a::c")
        assert peek_correlation_id() is None or isinstance(peek_correlation_id(), str)


class TestRfsFactory:
    def test_seeded_from_the_test_id(
        self, rfs_factory: ResultFactory, request: pytest.FixtureRequest
    ) -> None:
        from pytest_rfs.generators import seed_for

        assert rfs_factory.seed == seed_for(request.node.nodeid)
        assert ResultFactory(rfs_factory.seed).api_errors() == rfs_factory.api_errors()


class TestDeprecatedNames:
    """``fake_clock`` and ``correlation_id`` still work for one release, with a warning."""

    @pytest.mark.parametrize(
        ("old", "new"), [("fake_clock", "rfs_clock"), ("correlation_id", "rfs_correlation_id")]
    )
    def test_old_name_warns_naming_the_new_one(
        self, request: pytest.FixtureRequest, old: str, new: str
    ) -> None:
        message = (
            f"the fixture '{old}' is deprecated and will be removed in the next release; "
            f"use '{new}'"
        )
        with pytest.deprecated_call(match=message):
            value = request.getfixturevalue(old)
        assert value is request.getfixturevalue(new)

    def test_old_names_in_a_suite(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(
            """
            def test_old(fake_clock, correlation_id, rfs_clock, rfs_correlation_id):
                assert fake_clock is rfs_clock
                assert correlation_id == rfs_correlation_id
            """
        )
        outcome = pytester.runpytest_inprocess(*INNER)
        outcome.assert_outcomes(passed=1)
        outcome.stdout.fnmatch_lines(
            [
                "*DeprecationWarning: the fixture 'fake_clock' is deprecated and will be "
                "removed in the next release; use 'rfs_clock'",
                "*DeprecationWarning: the fixture 'correlation_id' is deprecated*; "
                "use 'rfs_correlation_id'",
            ]
        )

    def test_with_warnings_as_errors_the_setup_fails(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile("def test_old(fake_clock):\n    pass\n")
        outcome = pytester.runpytest_inprocess(*INNER, "-W", "error::DeprecationWarning")
        outcome.assert_outcomes(errors=1)
        outcome.stdout.fnmatch_lines(["*use 'rfs_clock'*"])

    def test_every_fixture_carries_the_prefix(self) -> None:
        from pytest_rfs import fixtures

        names = {
            getattr(value, "name", None) or name
            for name, value in vars(fixtures).items()
            if type(value).__name__ == "FixtureFunctionDefinition"
        }
        assert names == {
            "correlation_id",
            "fake_clock",
            "result_mocker",
            "rfs_clock",
            "rfs_correlation_id",
            "rfs_factory",
            "rfs_logs",
            "rfs_metrics",
        }
