"""Levels: names, the threshold in force, RFS_LOG_LEVEL, per-operation overrides."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest

from rfs_monitoring import (
    Failure,
    MonoResult,
    Success,
)
from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.metrics import MetricSample
from rfs_monitoring.result_logging import (
    ResultLogEntry,
    configure_logging,
    get_log_level,
    log_result_operation,
    set_log_level,
)
from rfs_monitoring.result_logging.levels import LEVELS, env_level


class TestLevels:
    def test_global_and_per_operation_thresholds(self, entries: list[ResultLogEntry]) -> None:
        @log_result_operation("a")
        def a(ok: bool) -> Any:
            return Success(1) if ok else Failure("e")

        @log_result_operation("b")
        def b() -> Success[int]:
            return Success(1)

        set_log_level("warning")
        assert get_log_level() == "WARNING"
        a(True)
        a(False)
        b()
        assert [(e.operation_name, e.result_type) for e in entries] == [("a", "error")]
        set_log_level(logging.DEBUG, operation="b")
        assert get_log_level("b") == "DEBUG"
        assert get_log_level("a") == "WARNING"
        b()
        assert entries[-1].operation_name == "b"
        set_log_level(None, operation="b")
        assert get_log_level("b") == "WARNING"
        set_log_level(15)
        assert get_log_level() == "15"

    def test_none_needs_an_operation(self) -> None:
        with pytest.raises(ConfigurationError) as info:
            set_log_level(None)
        assert str(info.value) == (
            "set_log_level(None) needs an operation: None only removes a per-operation level"
        )
        with pytest.raises(ConfigurationError):
            set_log_level("verbose")

    @pytest.mark.asyncio
    async def test_below_the_level_no_entry_but_metrics(
        self, entries: list[ResultLogEntry], samples: list[MetricSample]
    ) -> None:
        @log_result_operation("quiet")
        async def quiet(fail: bool) -> Any:
            if fail:
                raise RuntimeError("x")
            return MonoResult.from_value(1).log_step("inner") if False else Success(1)

        @log_result_operation("quiet_sync")
        def quiet_sync(kind: str) -> Any:
            if kind == "raise":
                raise RuntimeError("x")
            if kind == "mono":
                return MonoResult.from_value(1)
            return Failure("f")

        set_log_level("OFF")
        await quiet(False)
        with pytest.raises(RuntimeError):
            await quiet(True)
        assert quiet_sync("fail") == Failure("f")
        with pytest.raises(RuntimeError):
            quiet_sync("raise")
        assert await quiet_sync("mono") == Success(1)
        assert entries == []
        assert [s.success for s in samples] == [True, False, False, False, True]

    @pytest.mark.asyncio
    async def test_below_the_level_without_metrics_is_a_plain_call(
        self, entries: list[ResultLogEntry], samples: list[MetricSample]
    ) -> None:
        @log_result_operation("bare", record_metrics=False)
        async def bare() -> Success[int]:
            return Success(1)

        @log_result_operation("bare_sync", record_metrics=False)
        def bare_sync(lazy: bool) -> Any:
            return MonoResult.from_value(2) if lazy else Success(1)

        set_log_level("OFF")
        assert await bare() == Success(1)
        assert bare_sync(False) == Success(1)
        assert await bare_sync(True) == Success(2)
        assert entries == []
        assert samples == []

    @pytest.mark.asyncio
    async def test_async_mono_on_the_fast_path(self, samples: list[MetricSample]) -> None:
        @log_result_operation("lazy_quiet")
        async def lazy() -> MonoResult[int, Any]:
            return MonoResult.from_value(3)

        set_log_level("OFF")
        assert await (await lazy()) == Success(3)
        assert [s.operation for s in samples] == ["lazy_quiet"]

    def test_rfs_log_level_at_start(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("RFS_LOG_LEVEL", "error")
        assert env_level() == (logging.ERROR, None)
        configure_logging(sink=io.StringIO(), background=False)
        assert get_log_level() == "ERROR"
        monkeypatch.setenv("RFS_LOG_LEVEL", "chatty")
        level, error = env_level()
        assert level == logging.INFO
        assert error is not None
        try:
            assert LEVELS.load_env() == logging.INFO  # what happens at import
            with pytest.raises(ConfigurationError) as info:
                configure_logging(sink=io.StringIO(), background=False)
            assert str(info.value).startswith("RFS_LOG_LEVEL 'chatty' is not accepted")
        finally:
            monkeypatch.setenv("RFS_LOG_LEVEL", " ")
            assert LEVELS.load_env() == logging.INFO
        assert LEVELS.env_error is None


class TestThresholdRule:
    def test_an_operations_own_level_wins_over_the_global_one(self) -> None:
        set_log_level("ERROR")
        set_log_level("DEBUG", operation="chatty")
        assert LEVELS.threshold("chatty") == logging.DEBUG
        assert LEVELS.threshold("other") == logging.ERROR

    def test_watched_operations_follow_every_change(self) -> None:
        class Op:
            def __init__(self, name: str) -> None:
                self.name = name
                self.threshold = -1

        op = Op("watched")
        LEVELS.watch(op)
        assert op.threshold == logging.INFO
        set_log_level("WARNING")
        assert op.threshold == logging.WARNING
        set_log_level("DEBUG", operation="watched")
        assert op.threshold == logging.DEBUG
        LEVELS.clear_operations()
        assert op.threshold == logging.WARNING
        LEVELS.after_fork()  # a fresh lock keeps working
        set_log_level("ERROR")
        assert op.threshold == logging.ERROR

    def test_a_decorated_operation_reads_the_threshold_in_force(
        self, entries: list[ResultLogEntry]
    ) -> None:
        @log_result_operation("late")
        def op() -> Success[int]:
            return Success(1)

        set_log_level("OFF", operation="late")
        op()
        set_log_level(None, operation="late")
        op()
        assert len(entries) == 1
