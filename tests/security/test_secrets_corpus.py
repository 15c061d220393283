"""Attack: every secret form of ``data/secrets.txt`` through every log output -> 0 leaks;
the messages of ``data/benign.txt`` -> at most 2% altered.

Each secret form is fed as an exception message, an exception's ``.code``, an APIError
message and detail, a logged argument, a stdlib record (message, ``extra=``, traceback) and
a structlog event; then every log output is read back: JSON and text lines, stdlib records
with and without ``configure_logging`` (the 500 path's log and traceback included), and
structlog events. No secret part may appear. The metric, dashboard, export and access-log
outputs are in ``test_secrets_outputs.py``.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator, MutableMapping
from typing import Any

import httpx
import pytest
import structlog
from fastapi import FastAPI
from secret_corpus import (
    BENIGN,
    FORMS,
    CorpusError,
    Form,
    decoded,
    failing,
    failing_api,
    fresh_collector,
    leaks,
    raising,
)

from rfs_monitoring.errors import APIError
from rfs_monitoring.masking import mask_text
from rfs_monitoring.metrics import ResultMetricsCollector
from rfs_monitoring.result import Result
from rfs_monitoring.result_logging import configure_logging, reset_logging
from rfs_monitoring.web import handle_result


@pytest.fixture
def collector() -> Iterator[ResultMetricsCollector]:
    with fresh_collector() as fresh:
        yield fresh


def run_application(forms: list[Form]) -> None:
    """What an application does with the texts: failures, raises, stdlib and structlog."""
    app_log = logging.getLogger("secrets.corpus.app")
    events = structlog.get_logger("secrets.corpus.events")
    for form in forms:
        failing(form.text)
        failing_api(form.text)
        with pytest.raises(CorpusError):
            raising(form.text)
        app_log.error("failed: %s", form.text, extra={"detail": form.text})
        try:
            raise RuntimeError(form.text)
        except RuntimeError:
            app_log.exception("boom")
        events.error("corpus_event", detail=form.text, note=[form.text])


def logged(json_mode: bool) -> str:
    sink = io.BytesIO()
    configure_logging(sink=sink, background=False, json=json_mode, level="DEBUG")
    try:
        run_application(FORMS)
    finally:
        reset_logging()
    return sink.getvalue().decode("utf-8")


class TestTheCorpora:
    def test_the_secret_corpus_has_at_least_60_forms(self) -> None:
        assert len(FORMS) >= 60
        assert all(form.secrets for form in FORMS)

    def test_the_benign_corpus_has_at_least_200_messages(self) -> None:
        assert len(BENIGN) >= 200

    def test_mask_text_leaves_no_secret(self) -> None:
        assert leaks(mask_text(form.text) for form in FORMS) == []

    def test_at_most_2_percent_of_the_benign_messages_are_altered(self) -> None:
        altered = [text for text in BENIGN if mask_text(text) != text]
        assert len(altered) <= 0.02 * len(BENIGN), altered


@pytest.mark.usefixtures("collector")
class TestLogOutput:
    def test_json_log_lines(self) -> None:
        text = logged(json_mode=True)
        assert text.count("\n") >= 6 * len(FORMS)
        assert leaks(decoded(text)) == []

    def test_text_mode_log_lines(self) -> None:
        text = logged(json_mode=False)
        assert text.count("\n") >= 6 * len(FORMS)
        assert leaks([text]) == []

    def test_stdlib_records_before_configure_logging(self) -> None:
        """The fallback logger of entries, and the 500 path's log with its traceback, are
        masked for any handler, also when ``configure_logging`` never ran."""
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(RecordDump())
        root = logging.getLogger()
        level = root.level
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        try:
            for form in FORMS:
                failing(form.text)
            responses = asyncio.run(call_500_endpoints(FORMS))
        finally:
            root.removeHandler(handler)
            root.setLevel(level)
        assert {r.status_code for r in responses} == {500}
        text = stream.getvalue()
        assert "Traceback" in text
        assert text.count('"name": "rfs_monitoring.web"') == len(FORMS)
        assert leaks(decoded(text)) == []


class RecordDump(logging.Formatter):
    """Everything a handler could write: the formatted line and every record attribute."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        return json.dumps({"line": line, **{k: str(v) for k, v in vars(record).items()}})


async def call_500_endpoints(forms: list[Form]) -> list[httpx.Response]:
    app = FastAPI()

    @app.get("/boom/{index}")
    @handle_result
    async def boom(index: int) -> Result[str, APIError]:
        raise CorpusError(forms[index].text)

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        return [await http.get(f"/boom/{i}") for i in range(len(forms))]


@pytest.mark.usefixtures("collector")
class TestStructlog:
    def test_events_of_the_pipeline(self) -> None:
        sink = io.BytesIO()
        configure_logging(sink=sink, background=False, level="DEBUG")
        try:
            events = structlog.get_logger("secrets.corpus.events")
            for form in FORMS:
                events.error("corpus_event", detail=form.text, items=[form.text])
                try:
                    raise RuntimeError(form.text)
                except RuntimeError:
                    events.exception("corpus_exception")
        finally:
            reset_logging()
        text = sink.getvalue().decode("utf-8")
        assert text.count("corpus_event") == len(FORMS)
        assert leaks(decoded(text)) == []

    def test_entries_sent_to_an_application_configured_structlog(self) -> None:
        captured: list[dict[str, Any]] = []

        def capture(logger: object, method: str, event_dict: MutableMapping[str, Any]) -> str:
            captured.append(dict(event_dict))
            return ""

        reset_logging()
        structlog.configure(processors=[capture], logger_factory=structlog.ReturnLoggerFactory())
        try:
            for form in FORMS:
                failing(form.text)
                failing_api(form.text)
        finally:
            structlog.reset_defaults()
        assert len(captured) == 2 * len(FORMS)
        assert leaks(repr(event) for event in captured) == []
