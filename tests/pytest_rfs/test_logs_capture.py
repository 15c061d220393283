"""``rfs_logs``: counts, once, in order, normalized entries; entries kept out of caplog.

(pytest_rfs.log_capture, log_normalize, echo)
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

# Kept in sys.modules for pytester's in-process runs (see test_plugin.py).
import hypothesis  # noqa: F401
import pytest

from pytest_rfs.log_capture import Entries, LogCapture
from rfs_monitoring import APIError, Failure, Success, correlation_context
from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.result_logging import ResultLogEntry, log_result_operation, reset_logging

INNER = ("-p", "no:cacheprovider", "-o", "asyncio_default_fixture_loop_scope=function")
MOMENT = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


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


STEPS = capture_of(
    entry(step_name="fetch"),
    entry(step_name="validate", result_type="error", success_type=None, error_code="E1"),
    entry(step_name="save"),
    entry(step_name="fetch"),
)


class TestCount:
    def test_counts_matching_entries(self) -> None:
        assert STEPS.count() == 4
        assert STEPS.count(step_name="fetch") == 2
        assert STEPS.count(operation_name="op", result_type="error") == 1
        assert STEPS.count(step_name=lambda s: s.startswith("s")) == 1
        assert STEPS.count(step_name="nothing") == 0


class TestAssertLoggedOnce:
    def test_returns_the_one_entry(self) -> None:
        assert STEPS.assert_logged_once(step_name="save").step_name == "save"

    def test_two_matches_are_listed(self) -> None:
        assert failure_message(STEPS.assert_logged_once, step_name="fetch") == (
            "expected one ResultLogEntry matching step_name='fetch'; found 2:\n"
            "  operation_name='op' step_name='fetch' result_type='success'\n"
            "  operation_name='op' step_name='fetch' result_type='success'"
        )

    def test_no_match_shows_the_nearest(self) -> None:
        message = failure_message(STEPS.assert_logged_once, step_name="load")
        assert message.startswith(
            "no ResultLogEntry matched step_name='load'; 4 logged, the nearest:"
        )

    def test_needs_fields(self) -> None:
        with pytest.raises(ConfigurationError, match=r"assert_logged_once\(\) needs"):
            STEPS.assert_logged_once()


class TestAssertLoggedInOrder:
    def test_in_order_with_entries_between(self) -> None:
        matched = STEPS.assert_logged_in_order({"step_name": "fetch"}, {"step_name": "save"})
        assert [e.step_name for e in matched] == ["fetch", "save"]
        STEPS.assert_logged_in_order({"step_name": "save"}, {"step_name": "fetch"})

    def test_out_of_order_says_where_it_was(self) -> None:
        message = failure_message(
            STEPS.assert_logged_in_order,
            {"step_name": "save"},
            {"error_code": "E1"},
        )
        assert message == (
            "step 2 (error_code='E1') was not logged after entry [2]: it matches only before "
            "it, at [1]; 4 entries logged:\n"
            "  [0] operation_name='op' step_name='fetch' result_type='success'\n"
            "  [1] operation_name='op' step_name='validate' result_type='error' "
            "error_code='E1'\n"
            "  [2] operation_name='op' step_name='save' result_type='success'\n"
            "  [3] operation_name='op' step_name='fetch' result_type='success'"
        )

    def test_never_logged(self) -> None:
        message = failure_message(STEPS.assert_logged_in_order, {"step_name": "load"})
        assert message.startswith("step 1 (step_name='load') was not logged: it matches nowhere")

    def test_long_lists_are_cut(self) -> None:
        many = capture_of(*(entry() for _ in range(25)))
        message = failure_message(many.assert_logged_in_order, {"step_name": "x"})
        assert message.splitlines()[-1] == "  ... and 5 more"

    @pytest.mark.parametrize("steps", [(), ({},), ("step_name",)])
    def test_needs_mappings_of_fields(self, steps: tuple[Any, ...]) -> None:
        with pytest.raises(ConfigurationError, match="expects mappings of field=value"):
            STEPS.assert_logged_in_order(*steps)


class TestEntries:
    def test_is_a_list_and_callable(self) -> None:
        entries = STEPS.entries
        assert isinstance(entries, Entries)
        assert len(entries) == 4
        assert entries() == list(entries)

    def test_normalize_gives_dicts_to_compare_to_a_literal(self) -> None:
        capture = LogCapture().start()
        try:

            @log_result_operation("get_user")
            def get_user(user_id: str) -> Any:
                if user_id == "x":
                    return Failure(APIError.not_found("user", user_id))
                return Success({"id": user_id})

            with correlation_context("first-request"):
                get_user("1")
                get_user("x")
            get_user("2")
        finally:
            capture.stop()
        common = {
            "operation_name": "get_user",
            "step_name": None,
            "processing_time_ms": "<duration_ms>",
            "user_id": None,
            "request_id": None,
            "service_name": "rfs-framework",
            "environment": "production",
            "memory_usage_mb": "<memory_mb>",
            "cpu_usage_percent": "<cpu_percent>",
            "metadata": {},
        }
        success = {"success_type": "dict", "error_type": None, "error_code": None, "level": "INFO"}
        assert capture.entries(normalize=True) == [
            {
                **common,
                **success,
                "timestamp": 1,
                "correlation_id": 1,
                "result_type": "success",
                "error_message": None,
            },
            {
                **common,
                "timestamp": 2,
                "correlation_id": 1,
                "result_type": "error",
                "success_type": None,
                "error_type": "APIError",
                "error_code": "NOT_FOUND",
                "error_message": "user x not found",
                "level": "ERROR",
            },
            {
                **common,
                **success,
                "timestamp": 3,
                "correlation_id": 2,
                "result_type": "success",
                "error_message": None,
            },
        ]

    def test_trace_ids_are_numbered_and_none_stays_none(self) -> None:
        capture = capture_of(
            entry(trace_id="aa", span_id="s1", request_id="r"),
            entry(trace_id="aa", span_id="s2", request_id=None),
            entry(trace_id="bb", span_id="s3", request_id="r"),
        )
        normalized = capture.entries(normalize=True)
        assert [(d["trace_id"], d["span_id"], d["request_id"]) for d in normalized] == [
            (1, 1, 1),
            (1, 2, None),
            (2, 3, 1),
        ]


RESULT_TEST = """
import logging
import pytest
from rfs_monitoring import Failure
from rfs_monitoring.result_logging import log_result_operation

@log_result_operation("charge")
def charge():
    return Failure("card declined")

def test_declined(rfs_logs):
    charge()
    rfs_logs.assert_logged_once(operation_name="charge", result_type="error")
    assert False, "show the captured logs"
"""


@pytest.mark.rfs_echo_logs  # the outer run's filter sits on the same logger as the inner's
class TestEcho:
    """A failing Result is not echoed under "Captured log call" unless asked."""

    @pytest.fixture(autouse=True)
    def unconfigured_logging(self) -> Iterator[None]:
        """Echoing concerns the stdlib fallback: an earlier test's configured pipeline
        (same xdist worker, pytester runs in process) must not be in the way."""
        reset_logging()
        yield
        reset_logging()

    def test_not_echoed_by_default(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(RESULT_TEST)
        outcome = pytester.runpytest_inprocess(*INNER)
        outcome.assert_outcomes(failed=1)
        outcome.stdout.fnmatch_lines(["*show the captured logs*"])
        assert "Captured log call" not in outcome.stdout.str()

    @pytest.mark.parametrize(
        "how", [("--rfs-echo-logs",), ("-o", "rfs_echo_logs=true")], ids=["option", "ini"]
    )
    def test_echoed_when_asked(self, pytester: pytest.Pytester, how: tuple[str, ...]) -> None:
        pytester.makepyfile(RESULT_TEST)
        outcome = pytester.runpytest_inprocess(*INNER, *how)
        outcome.stdout.fnmatch_lines(
            [
                "*Captured log call*",
                "ERROR    rfs_monitoring.result:*result_operation charge error*",
            ]
        )

    def test_echoed_with_the_marker(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(
            RESULT_TEST.replace(
                "def test_declined", "@pytest.mark.rfs_echo_logs\ndef test_declined"
            )
        )
        outcome = pytester.runpytest_inprocess(*INNER)
        outcome.stdout.fnmatch_lines(["*Captured log call*", "*result_operation charge error*"])

    def test_caplog_sees_them(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(
            """
            from rfs_monitoring import Failure
            from rfs_monitoring.result_logging import log_result_operation

            @log_result_operation("charge")
            def charge():
                return Failure("card declined")

            def test_caplog(caplog):
                charge()
                assert [r.levelname for r in caplog.records] == ["ERROR"]

            def test_after_it_quiet_again(rfs_logs):
                charge()
                assert rfs_logs.count(operation_name="charge") == 1
                assert False
            """
        )
        outcome = pytester.runpytest_inprocess(*INNER)
        outcome.assert_outcomes(passed=1, failed=1)
        assert "Captured log call" not in outcome.stdout.str()

    def test_the_filter_is_removed_at_the_end(self, pytester: pytest.Pytester) -> None:
        import logging

        before = list(logging.getLogger("rfs_monitoring.result").filters)
        pytester.makepyfile("def test_nothing():\n    pass\n")
        pytester.runpytest_inprocess(*INNER).assert_outcomes(passed=1)
        assert logging.getLogger("rfs_monitoring.result").filters == before
