"""Suite-wide audit of structured log entries (issue 3, "log structuring 100%").

This file holds only this hook (owned by the result-logging work): a session-scoped
autouse fixture registers an entry listener that validates every ``ResultLogEntry`` any
test emits against the shipped JSON schema
(``rfs_monitoring/schemas/result_log_entry.schema.json``). An invalid entry fails the
session at teardown, naming the entry and the schema errors.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from rfs_monitoring.result_logging import (
    ResultLogEntry,
    add_entry_listener,
    result_log_entry_schema,
)


class EntrySchemaAudit:
    """Validates each entry as it is emitted; remembers the invalid ones."""

    def __init__(self) -> None:
        self.validator = jsonschema.Draft202012Validator(result_log_entry_schema())
        self.checked = 0
        self.invalid: list[tuple[dict[str, object], list[str]]] = []

    def __call__(self, entry: ResultLogEntry) -> None:
        data = entry.to_dict()
        self.checked += 1
        errors = [error.message for error in self.validator.iter_errors(data)]
        if errors:
            self.invalid.append((data, errors))


@pytest.fixture(scope="session", autouse=True)
def rfs_entry_schema_audit() -> Iterator[EntrySchemaAudit]:
    """Every ResultLogEntry emitted during the session must match the JSON schema."""
    audit = EntrySchemaAudit()
    remove = add_entry_listener(audit)
    yield audit
    remove()
    assert not audit.invalid, (
        f"{len(audit.invalid)} log entries do not match the schema: {audit.invalid[:5]}"
    )


def _hypothesis_globals() -> list[tuple[object, str, object]]:
    """The Hypothesis globals that schemathesis patches in place when it generates or when
    its pytest plugin is imported (e.g. by an in-process ``pytester`` run): the example
    printer, buffer sizes and two helpers."""
    from hypothesis import core as root_core
    from hypothesis.internal import entropy
    from hypothesis.internal.conjecture import engine
    from hypothesis.strategies._internal import collections, core

    patched = [
        (root_core, "RepresentationPrinter"),
        (root_core, "BUFFER_SIZE"),
        (engine, "BUFFER_SIZE"),
        (collections, "BUFFER_SIZE"),
        (core, "is_first_param_referenced_in_function"),
        (entropy, "register_random"),
    ]
    return [(owner, name, getattr(owner, name)) for owner, name in patched]


_PRISTINE_HYPOTHESIS = _hypothesis_globals()


@pytest.fixture(autouse=True)
def _hypothesis_unpatched() -> Iterator[None]:
    """Every test sees Hypothesis as shipped, whatever an earlier test let schemathesis do
    (also when schemathesis is gone from ``sys.modules`` again: an in-process ``pytester``
    run removes the modules it imported, and leaves Hypothesis patched)."""
    yield
    for owner, name, value in _PRISTINE_HYPOTHESIS:
        if getattr(owner, name) is not value:
            setattr(owner, name, value)
    setup = getattr(sys.modules.get("schemathesis.generation.hypothesis"), "setup", None)
    if setup is not None:
        setup._is_patched = False  # let schemathesis patch again when it next generates


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium_options() -> dict[str, Any]:
    """Keyword arguments for Playwright's ``chromium.launch``: Debian's Chromium, headless,
    without the background connections this closed network refuses. Skips the test where
    Chromium is missing (``.ci/system-deps`` installs it, so CI runs it)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is not installed (.ci/system-deps installs it)")
    return {"executable_path": CHROMIUM, "args": list(CHROMIUM_ARGS)}
