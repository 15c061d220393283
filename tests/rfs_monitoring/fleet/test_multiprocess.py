"""Several workers on one host: every worker's scrape is the sum over the workers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from rfs_monitoring import ConfigurationError, ResultMetricsCollector
from rfs_monitoring.export import (
    PrometheusExporter,
    mark_process_dead,
    multiprocess_dir,
    start_multiprocess_export,
    stop_multiprocess_export,
)

from .support import Samples, Worker

OP = (("operation", "checkout"),)


def requests(samples: Samples, outcome: str) -> float:
    return samples[("rfs_operation_requests_total", (*OP, ("outcome", outcome)))]


def le(samples: Samples, bound: str) -> float:
    key = ("rfs_operation_duration_seconds_bucket", (("le", bound), *OP))
    return samples[key]


class TestTwoWorkers:
    def test_each_worker_scrape_is_the_sum_of_both(
        self, multiproc_dir: Path, workers: list[Worker]
    ) -> None:
        workers.append(Worker(multiproc_dir, 7, "NOT_FOUND:3", "INTERNAL_ERROR:2"))
        workers.append(Worker(multiproc_dir, 5, "TIMEOUT:1", "CANCELLED:1"))
        for worker in workers:
            samples = worker.scrape()
            assert requests(samples, "success") == 12
            assert requests(samples, "client_error") == 3
            assert requests(samples, "server_error") == 2
            assert requests(samples, "timeout") == 1
            assert requests(samples, "cancelled") == 1
            codes = {
                dict(labels)["error_code"]: v
                for (name, labels), v in samples.items()
                if name == "rfs_operation_errors_total"
            }
            assert codes == {"NOT_FOUND": 3, "INTERNAL_ERROR": 2, "TIMEOUT": 1, "CANCELLED": 1}
            groups = {
                dict(labels)["error_group"]: v
                for (name, labels), v in samples.items()
                if name == "rfs_operation_error_groups_total"
            }
            assert groups["payment not_found for order <n>"] == 3
            assert sum(groups.values()) == 7
            assert le(samples, "0.025") == 12  # the 20 ms successes
            assert le(samples, "+Inf") == 19
            assert samples[("rfs_operation_duration_seconds_count", OP)] == 19
            assert samples[("rfs_operation_duration_seconds_sum", OP)] == pytest.approx(
                12 * 0.02 + 7 * 0.3
            )
            assert samples[("rfs_export_workers", ())] == 2

    def test_new_records_of_one_worker_are_in_every_scrape_once_it_synced(
        self, multiproc_dir: Path, workers: list[Worker]
    ) -> None:
        first, second = Worker(multiproc_dir, 1), Worker(multiproc_dir, 1)
        workers += [first, second]
        assert second.ask("record ok") == "done"
        assert second.ask("scrape")  # the recording worker syncs at its own scrape
        assert requests(first.scrape(), "success") == 3

    def test_a_dead_worker_keeps_its_counts_and_leaves_the_live_count(
        self, multiproc_dir: Path, workers: list[Worker]
    ) -> None:
        alive, dying = Worker(multiproc_dir, 2), Worker(multiproc_dir, 3, "CONFLICT:1")
        workers += [alive, dying]
        dying.exit()
        assert alive.scrape()[("rfs_export_workers", ())] == 2  # not marked dead yet
        mark_process_dead(dying.pid, str(multiproc_dir))
        samples = alive.scrape()
        assert samples[("rfs_export_workers", ())] == 1
        assert requests(samples, "success") == 5  # counters of the dead stay (monotonic)
        assert requests(samples, "client_error") == 1

    def test_a_forked_child_publishes_only_its_own_records(
        self, multiproc_dir: Path, workers: list[Worker]
    ) -> None:
        parent = Worker(multiproc_dir, 4)
        workers.append(parent)
        assert parent.ask("fork 2").startswith("forked ")
        assert requests(parent.scrape(), "success") == 6  # not 4 + (4 + 2)


@pytest.fixture
def in_multiproc_env(multiproc_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(multiproc_dir))
    yield multiproc_dir
    stop_multiprocess_export()


class TestSwitch:
    def test_without_the_variable_there_is_no_feed(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
        assert multiprocess_dir() is None
        assert PrometheusExporter().feed is None

    def test_with_the_variable_the_exporter_runs_a_feed(self, in_multiproc_env: Path) -> None:
        collector = ResultMetricsCollector(resources=lambda: (None, None))
        exporter = PrometheusExporter(collector)
        assert exporter.feed is not None
        assert exporter.feed.running
        assert start_multiprocess_export(collector) is exporter.feed  # one feed per collector
        assert (in_multiproc_env / f"gauge_livesum_rfs-{os.getpid()}.db").exists()
        stop_multiprocess_export()
        assert not exporter.feed.running

    def test_a_missing_directory_is_named(self, tmp_path: Path) -> None:
        missing = tmp_path / "nowhere"
        with pytest.raises(ConfigurationError) as info:
            start_multiprocess_export(path=str(missing))
        assert str(info.value) == (
            f"PROMETHEUS_MULTIPROC_DIR must name an existing, writable directory, got "
            f"{str(missing)!r}"
        )

    def test_no_directory_at_all_is_named(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
        with pytest.raises(ConfigurationError) as info:
            start_multiprocess_export()
        assert str(info.value) == (
            "multiprocess export needs a directory: set PROMETHEUS_MULTIPROC_DIR or pass path"
        )

    @pytest.mark.parametrize("interval", [0, -1.0, float("nan"), "1", True])
    def test_a_bad_interval_is_refused(self, in_multiproc_env: Path, interval: object) -> None:
        with pytest.raises(ConfigurationError) as info:
            start_multiprocess_export(interval=interval)  # type: ignore[arg-type]
        assert str(info.value) == f"interval must be a number of seconds > 0, got {interval!r}"

    def test_a_failing_sync_is_counted_not_raised(self, in_multiproc_env: Path) -> None:
        class Broken(ResultMetricsCollector):
            def totals(self):  # type: ignore[no-untyped-def]
                raise RuntimeError("boom")

        feed = start_multiprocess_export(Broken(resources=lambda: (None, None)))
        assert feed.sync() == 0
        assert feed.stats()["errors"] >= 2  # the start's sync and this one

    def test_unchanged_figures_are_not_written_again(self, in_multiproc_env: Path) -> None:
        collector = ResultMetricsCollector(resources=lambda: (None, None))
        collector.record("a", success=True, duration_ms=1.0)
        feed = start_multiprocess_export(collector, interval=60.0)
        assert feed.sync() == 0
        collector.record("a", success=True, duration_ms=1.0)
        assert feed.sync() > 0


class TestMonitoringEndpoint:
    @pytest.mark.asyncio
    async def test_building_the_router_starts_the_feed_and_metrics_answer_the_sum(
        self, in_multiproc_env: Path, workers: list[Worker]
    ) -> None:
        import httpx
        from fastapi import FastAPI
        from prometheus_client.parser import text_string_to_metric_families

        from rfs_monitoring.dashboard import monitoring_router
        from rfs_monitoring.export import running_feeds

        collector = ResultMetricsCollector(resources=lambda: (None, None))
        collector.record("checkout", success=True, duration_ms=5.0)
        app = FastAPI()
        app.include_router(monitoring_router(collector, start_alerts=False, protect_reads=False))
        assert [feed.collector for feed in running_feeds()] == [collector]
        workers.append(Worker(in_multiproc_env, 3))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/monitoring/metrics")
        assert response.status_code == 200
        samples = {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text)
            for s in family.samples
        }
        assert requests(samples, "success") == 4
        assert samples[("rfs_export_workers", ())] == 2

    def test_after_a_fork_only_new_records_are_published(self, in_multiproc_env: Path) -> None:
        collector = ResultMetricsCollector(resources=lambda: (None, None))
        for _ in range(3):
            collector.record("a", success=True, duration_ms=1.0)
        feed = start_multiprocess_export(collector, interval=60.0)
        feed.after_fork()  # as in a forked child: the copied figures are the parent's
        collector.record("a", success=True, duration_ms=1.0)
        collector.record("a", success=True, duration_ms=1.0)
        feed.sync()
        samples = {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for metric in feed.read_fleet()
            for s in metric.samples
        }
        key = ("rfs_operation_requests_total", (("operation", "a"), ("outcome", "success")))
        assert samples[key] == 2

    def test_a_new_pid_writes_its_own_files_from_scratch(
        self, in_multiproc_env: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        collector = ResultMetricsCollector(resources=lambda: (None, None))
        collector.record("a", success=True, duration_ms=1.0)
        feed = start_multiprocess_export(collector, interval=60.0)
        monkeypatch.setattr(os, "getpid", lambda: 424242)  # as after a fork without the hook
        assert feed.sync() > 0  # everything again, into the new process' files
        assert (in_multiproc_env / "counter_rfs-424242.db").exists()

    def test_a_failing_fork_baseline_is_counted(self, in_multiproc_env: Path) -> None:
        class Broken(ResultMetricsCollector):
            def totals(self):  # type: ignore[no-untyped-def]
                raise RuntimeError("boom")

        feed = start_multiprocess_export(Broken(resources=lambda: (None, None)), interval=60.0)
        before = feed.stats()["errors"]
        feed.after_fork()
        assert feed.stats()["errors"] >= before + 2  # the baseline and the restart's sync

    def test_without_prometheus_client_the_extra_is_named(
        self, in_multiproc_env: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import sys

        from rfs_monitoring import MissingExtraError

        monkeypatch.setitem(sys.modules, "prometheus_client.mmap_dict", None)
        with pytest.raises(MissingExtraError) as info:
            start_multiprocess_export()
        assert str(info.value) == (
            "Prometheus export needs the optional dependency 'prometheus_client'; "
            "install it with: pip install 'rfs-monitoring[prometheus]'"
        )
