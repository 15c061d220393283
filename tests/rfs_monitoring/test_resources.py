"""The resource sampler: cached RSS / CPU%, refreshed by a background thread."""

from __future__ import annotations

import sys
import threading

import pytest

from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.resources import (
    RSS_SOURCES,
    ResourceSampler,
    after_fork_in_child,
    default_sampler,
    pick_rss_reader,
    proc_rss_reader,
    psutil_rss_reader,
    read_rss_mb,
    resource_rss_reader,
    resource_snapshot,
    start_default_sampler,
    stop_default_sampler,
)


class FakeClock:
    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


class TestSample:
    def test_cpu_percent_is_cpu_time_over_wall_time(self) -> None:
        wall, cpu = FakeClock(100.0), FakeClock(5.0)
        sampler = ResourceSampler(rss_reader=lambda: 12.5, cpu_clock=cpu, wall_clock=wall)
        assert sampler.snapshot == (None, None)
        assert sampler.sample() == (12.5, None)  # one sample: no CPU figure yet
        wall.now, cpu.now = 102.0, 6.0
        assert sampler.sample() == (12.5, 50.0)
        wall.now, cpu.now = 103.0, 8.0
        assert sampler.sample() == (12.5, 200.0)  # two busy cores
        assert sampler.samples == 3

    def test_a_clock_that_stands_still_keeps_the_last_cpu_figure(self) -> None:
        wall, cpu = FakeClock(1.0), FakeClock(1.0)
        sampler = ResourceSampler(rss_reader=lambda: 1.0, cpu_clock=cpu, wall_clock=wall)
        sampler.sample()
        wall.now, cpu.now = 2.0, 1.5
        assert sampler.sample() == (1.0, 50.0)
        assert sampler.sample() == (1.0, 50.0)

    def test_failing_sources_give_none_and_are_counted(self) -> None:
        def broken() -> float:
            raise OSError("no /proc")

        def broken_clock() -> float:
            raise OSError("no clock")

        sampler = ResourceSampler(rss_reader=broken, cpu_clock=broken_clock)
        assert sampler.sample() == (None, None)
        assert sampler.errors == 2

    @pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), True, "1"])
    def test_interval_must_be_a_positive_number(self, bad: object) -> None:
        with pytest.raises(ConfigurationError) as info:
            ResourceSampler(bad)  # type: ignore[arg-type]
        assert str(info.value) == (
            f"ResourceSampler interval must be a finite number of seconds > 0, got {bad!r}"
        )


class TestThread:
    def test_the_thread_refreshes_the_snapshot(self) -> None:
        refreshed = threading.Event()
        calls = [0]

        def reader() -> float:
            calls[0] += 1
            if calls[0] >= 3:
                refreshed.set()
            return float(calls[0])

        sampler = ResourceSampler(0.01, rss_reader=reader)
        assert sampler.start() is sampler
        assert sampler.start() is sampler  # already running: no second thread
        try:
            assert sampler.running
            assert refreshed.wait(10)
            assert sampler.snapshot[0] is not None
            assert sampler.snapshot[0] >= 2.0
        finally:
            sampler.stop()
        assert not sampler.running
        sampler.stop()  # stopping twice is harmless

    def test_the_default_sampler_starts_lazily(self) -> None:
        stop_default_sampler()
        assert default_sampler() is None
        rss, cpu = resource_snapshot()
        try:
            sampler = default_sampler()
            assert sampler is not None
            assert sampler.running
            assert rss is None or rss > 0
            assert cpu is None
            assert resource_snapshot() == sampler.snapshot
        finally:
            stop_default_sampler()
        stop_default_sampler()


class TestSources:
    def test_read_rss_mb(self) -> None:
        rss = read_rss_mb()
        assert rss is not None
        assert 1.0 < rss < 100_000

    def test_read_rss_mb_never_raises(self, monkeypatch: pytest.MonkeyPatch) -> None:
        def broken() -> float:
            raise OSError("gone")

        assert read_rss_mb(broken) is None

    def test_sources_are_tried_best_first(self) -> None:
        assert (psutil_rss_reader, proc_rss_reader, resource_rss_reader) == RSS_SOURCES

    def test_without_psutil_proc_is_used(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setitem(sys.modules, "psutil", None)
        assert psutil_rss_reader() is None
        reader = pick_rss_reader()
        if sys.platform.startswith("linux"):
            assert reader is not None
            value = reader()
            assert value is not None
            assert value > 1.0

    def test_proc_reader(self) -> None:
        reader = proc_rss_reader()
        if not sys.platform.startswith("linux"):
            assert reader is None
            return
        assert reader is not None
        value = reader()
        assert value is not None
        assert value > 1.0

    def test_resource_module_reader(self) -> None:
        reader = resource_rss_reader()
        if sys.platform == "win32":
            assert reader is None
            return
        assert reader is not None
        value = reader()
        assert value is not None
        assert value > 1.0

    def test_no_source_at_all(self, monkeypatch: pytest.MonkeyPatch) -> None:
        nothing = (lambda: None, lambda: None, lambda: None)
        assert pick_rss_reader(nothing)() is None

    def test_no_proc_and_no_resource_module(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr("os.path.exists", lambda path: False)
        assert proc_rss_reader() is None
        monkeypatch.setitem(sys.modules, "resource", None)
        assert resource_rss_reader() is None


def test_starting_the_default_twice_keeps_one_sampler() -> None:
    stop_default_sampler()
    try:
        first = start_default_sampler()
        assert start_default_sampler() is first
    finally:
        stop_default_sampler()


def test_the_fork_hook_forgets_the_parents_sampler() -> None:
    resource_snapshot()
    parent = default_sampler()
    assert parent is not None
    after_fork_in_child()  # what a forked child runs (here: in this process)
    try:
        assert default_sampler() is None
    finally:
        parent.stop()
        stop_default_sampler()
