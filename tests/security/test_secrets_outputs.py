"""Attack: every secret form of ``data/secrets.txt`` through every metric, dashboard, export
and access-log output -> 0 leaks.

Each form is recorded as a metric sample's code and message, an exception's ``.code``
(``record_result`` and the decorator) and an operation name; then the outputs are read
back: error groups and top errors, subscribers' samples, archive rows, the Prometheus
exposition, the dashboard page and JSON API, health, OpenTelemetry spans and metric labels,
uvicorn's access log and the library's own loggers.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import importlib
import io
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry, generate_latest
from secret_corpus import (
    FORMS,
    OP,
    CorpusError,
    decoded,
    failing,
    fresh_collector,
    leaks,
    raising,
    record_metrics,
)

from rfs_monitoring import tracing
from rfs_monitoring.alerts import AlertManager
from rfs_monitoring.dashboard import api_key_auth, monitoring_router
from rfs_monitoring.export import OpenTelemetryBridge, register_prometheus
from rfs_monitoring.masking import MaskingFilter, mask_access_log
from rfs_monitoring.metrics import MetricSample, MetricsArchive, ResultMetricsCollector

KEY = "corpus-test-key"


@pytest.fixture
def collector() -> Iterator[ResultMetricsCollector]:
    with fresh_collector() as fresh:
        yield fresh


class TestMetricOutputs:
    def test_error_groups_and_top_errors(self, collector: ResultMetricsCollector) -> None:
        record_metrics(collector)
        top = asyncio.run(collector.top_errors(limit=1000, time_range="1h").to_result())
        shown = [repr(top.unwrap())]
        for name in collector.operation_names():
            metrics = asyncio.run(collector.get_operation_metrics(name, "1h").to_result())
            shown.append(repr(metrics.unwrap()))
        assert len(top.unwrap()) >= len(FORMS) // 2
        assert leaks(shown) == []

    def test_the_codes_subscribers_receive(self, collector: ResultMetricsCollector) -> None:
        """Subscribers (the pytest report) get an exception's ``.code`` masked."""
        samples: list[MetricSample] = []
        unsubscribe = collector.subscribe(samples.append)
        try:
            record_metrics(collector)
        finally:
            unsubscribe()
        coded = [s.error_code for s in samples if s.operation != OP + ".raw"]
        assert len(coded) == 2 * len(FORMS)
        assert leaks(repr(code) for code in coded) == []

    def test_archive_rows(self, tmp_path: Path) -> None:
        archive = MetricsArchive(tmp_path / "metrics.db")
        collector = ResultMetricsCollector(archive=archive, max_error_groups=1000)
        record_metrics(collector)
        assert collector.checkpoint() >= 1
        # sqlite3's own context manager commits but never closes (Python 3.13 warns)
        with contextlib.closing(sqlite3.connect(tmp_path / "metrics.db")) as db:
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            rows = [repr(row) for t in tables for row in db.execute(f'SELECT * FROM "{t}"')]
        assert rows
        assert leaks(rows) == []

    def test_prometheus_exposition(self, collector: ResultMetricsCollector) -> None:
        record_metrics(collector)
        for form in FORMS:  # an operation named after a request URL: a label too
            collector.record(f"GET {form.text}", success=True, duration_ms=1.0)
        registry = CollectorRegistry()
        register_prometheus(collector, registry)
        text = generate_latest(registry).decode("utf-8")
        assert "rfs_operation_errors_total" in text
        assert leaks([text]) == []

    def test_dashboard_health_and_api(self, collector: ResultMetricsCollector) -> None:
        record_metrics(collector)
        pages = asyncio.run(read_monitoring(collector))
        for path, text in pages.items():
            texts = [html.unescape(text)] if path.endswith("dashboard") else decoded(text)
            assert leaks(texts) == [], path


async def read_monitoring(collector: ResultMetricsCollector) -> dict[str, str]:
    app = FastAPI()
    app.include_router(
        monitoring_router(
            collector,
            AlertManager(collector, log_notifications=False, discover_plugins=False),
            auth=api_key_auth(KEY),
            start_alerts=False,
            cache_seconds=0,
        )
    )
    paths = [
        "/monitoring/dashboard",
        "/monitoring/errors/top?limit=100",
        "/monitoring/operations",
        "/monitoring/health/result-patterns",
        "/monitoring/metrics",
        *(f"/monitoring/operations/{name}/metrics" for name in collector.operation_names()),
    ]
    transport = httpx.ASGITransport(app=app)
    out = {}
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        for path in paths:
            response = await http.get(path, headers={"X-API-Key": KEY})
            assert response.status_code == 200, (path, response.text[:300])
            out[path] = response.text
    return out


@pytest.mark.usefixtures("collector")
def test_opentelemetry_span_attributes() -> None:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracing.configure_tracing(provider)
    logging.disable(logging.CRITICAL)
    try:
        for form in FORMS:
            with pytest.raises(CorpusError):
                raising(form.text)
            failing(form.text)
    finally:
        logging.disable(logging.NOTSET)
        tracing.configure_tracing(None, enabled=False)
        tracing.configure_tracing(None)
    spans = memory.get_finished_spans()
    assert len(spans) == 2 * len(FORMS)
    shown = [
        repr(
            (
                dict(s.attributes or {}),
                s.status.description,
                [dict(e.attributes or {}) for e in s.events],
            )
        )
        for s in spans
    ]
    assert leaks(shown) == []


URLS = [
    "/items?api_key=live-ak-93Jd2&page=2",
    "/callback?code=x&access_token=at-4f9a2c1e&state=s",
    "/reset?token=rst-88c1a0f2",
    "/login?user=bob&password=hunter2hunter2",
    "/files/a.txt?X-Amz-Signature=3f1a9c0d7e6b5a4f&X-Amz-Expires=300",
    "/sas?sv=2022-11-02&sig=Zk9sQm8yT2xv%2BQ%3D%3D",
    "/hook?secret=whk-secret-77",
    "/redirect?next=https%3A%2F%2Fx%3FaccessToken%3DeyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjF9.c2ln",
]
URL_SECRETS = [
    "live-ak-93Jd2",
    "at-4f9a2c1e",
    "rst-88c1a0f2",
    "hunter2hunter2",
    "3f1a9c0d7e6b5a4f",
    "Zk9sQm8yT2xv",
    "whk-secret-77",
    "eyJzdWIiOjF9",
]


def test_uvicorn_access_log_lines() -> None:
    """An access line shows the URL: its credentials are masked before any handler."""
    mask_access_log()
    access = logging.getLogger("uvicorn.access")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    access.addHandler(handler)
    level = access.level
    access.setLevel(logging.INFO)
    # the corpus forms that can stand in a URL as they are, and realistic request URLs
    paths = [f"/x?q={f.text}" for f in FORMS if not any(c.isspace() for c in f.text)]
    try:
        for path in [*paths, *URLS]:
            access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", path, "1.1", 200)
    finally:
        access.removeHandler(handler)
        access.setLevel(level)
    text = stream.getvalue()
    assert text.count("\n") == len(paths) + len(URLS) >= 25
    assert leaks([text]) == []
    assert [s for s in URL_SECRETS if s in text] == []


def test_opentelemetry_metric_labels(collector: ResultMetricsCollector) -> None:
    """Error codes (an exception's ``.code``) and operation names as OTel attributes."""
    record_metrics(collector)
    reader = InMemoryMetricReader()
    bridge = OpenTelemetryBridge(collector, meter_provider=MeterProvider(metric_readers=[reader]))
    try:
        data = reader.get_metrics_data()
    finally:
        bridge.close()
    assert data is not None
    shown = [
        repr(dict(point.attributes or {}))
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        for point in metric.data.data_points
    ]
    assert any("error.code" in text for text in shown)
    assert leaks(shown) == []


@pytest.mark.parametrize(
    "name",
    ["rfs_monitoring.web", "rfs_monitoring.alerts", "rfs_monitoring.dashboard_api"],
)
def test_the_librarys_own_loggers_mask_before_any_handler(name: str) -> None:
    """Records of these loggers (the 500 path, alert delivery faults, the router's warnings)
    are masked by a logger filter, whatever handlers the application installed."""
    importlib.import_module("rfs_monitoring.dashboard")
    importlib.import_module("rfs_monitoring.web")
    logger = logging.getLogger(name)
    assert any(isinstance(f, MaskingFilter) for f in logger.filters)
    record = logger.makeRecord(name, logging.ERROR, __file__, 1, "%s", (FORMS[0].text,), None)
    assert logger.filter(record)
    assert leaks([record.getMessage()]) == []
