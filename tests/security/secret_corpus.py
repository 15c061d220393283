"""The secret and benign corpora of ``tests/security/data`` and what feeds them to the
library: shared by ``test_secrets_corpus.py`` (log outputs) and ``test_secrets_outputs.py``
(metric, dashboard, export and access-log outputs).

``secrets.txt`` holds one secret form per line with its secret parts between ``⟦`` and ``⟧``;
``benign.txt`` one benign message per line; in both a literal ``\\n`` is a line break.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

from rfs_monitoring.errors import APIError, ErrorCode
from rfs_monitoring.metrics import ResultMetricsCollector
from rfs_monitoring.result import Failure, Result
from rfs_monitoring.result_logging import log_result_operation

__all__ = [
    "BENIGN",
    "FORMS",
    "OP",
    "CorpusError",
    "Form",
    "decoded",
    "failing",
    "failing_api",
    "fresh_collector",
    "leaks",
    "raising",
    "record_metrics",
]

DATA = Path(__file__).parent / "data"
OP = "secrets.corpus"


@dataclasses.dataclass(frozen=True)
class Form:
    """One line of the corpus: the text, and the parts of it that are secret."""

    text: str
    secrets: tuple[str, ...]


def _lines(name: str) -> list[str]:
    out = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            out.append(line.replace("\\n", "\n"))
    return out


def load_forms() -> list[Form]:
    forms = []
    for line in _lines("secrets.txt"):
        parts = []
        rest = line
        while "⟦" in rest:
            _, _, after = rest.partition("⟦")
            secret, _, rest = after.partition("⟧")
            parts.append(secret)
        forms.append(Form(line.replace("⟦", "").replace("⟧", ""), tuple(parts)))
    return forms


FORMS = load_forms()
BENIGN = _lines("benign.txt")


def leaks(texts: Iterable[str]) -> list[tuple[str, str]]:
    """(form, secret) pairs whose secret part appears in one of ``texts``."""
    joined = "\n".join(texts)
    return [(f.text, s) for f in FORMS for s in f.secrets if s in joined]


def json_strings(value: object) -> Iterator[str]:
    """Every string (keys included) inside a decoded JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from json_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from json_strings(v)


def decoded(text: str) -> list[str]:
    """``text`` itself plus, when it is JSON (or JSON lines), the strings inside it."""
    out = [text]
    for line in text.splitlines() or [text]:
        try:
            out.extend(json_strings(json.loads(line)))
        except ValueError:
            continue
    return out


class CorpusError(Exception):
    """An exception whose ``.code`` is attacker-shaped text too."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.code = text


@log_result_operation(OP, context_args=("note",))
def failing(note: str) -> Result[str, Exception]:
    return Failure(CorpusError(note))


@log_result_operation(OP + ".api")
def failing_api(note: str) -> Result[str, APIError]:
    return Failure(APIError(ErrorCode.VALIDATION_ERROR, note, {"detail": note}))


@log_result_operation(OP + ".raises")
def raising(note: str) -> Result[str, Exception]:
    raise CorpusError(note)


def record_metrics(collector: ResultMetricsCollector) -> None:
    logging.disable(logging.CRITICAL)  # these tests read the metric outputs
    try:
        for form in FORMS:
            collector.record(
                OP + ".raw",
                success=False,
                duration_ms=2.0,
                error_code=form.text,
                error_type="CorpusError",
                error_message=form.text,
            )
            collector.record_result(OP + ".result", Failure(CorpusError(form.text)), 1.0)
            failing(form.text)
    finally:
        logging.disable(logging.NOTSET)


@contextlib.contextmanager
def fresh_collector() -> Iterator[ResultMetricsCollector]:
    """A new process-wide collector (room for every form's group), the old one restored."""
    fresh = ResultMetricsCollector(max_error_groups=1000)
    previous = ResultMetricsCollector.set_instance(fresh)
    try:
        yield fresh
    finally:
        ResultMetricsCollector.set_instance(previous)
