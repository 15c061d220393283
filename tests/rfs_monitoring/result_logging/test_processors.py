"""The structlog processors of the pipeline, usable in an application's own configuration."""

from __future__ import annotations

from rfs_monitoring.context import (
    bind_log_context,
    correlation_context,
    reset_log_context,
    reset_request_id,
    set_request_id,
)
from rfs_monitoring.masking import MASK
from rfs_monitoring.result_logging.processors import add_context, mask_event


class TestAddContext:
    def test_adds_the_ids_and_the_bound_context(self) -> None:
        token = bind_log_context(team="core")
        request = set_request_id("r-1")
        try:
            with correlation_context("c-9"):
                event = add_context(None, "info", {"event": "x"})
        finally:
            reset_request_id(request)
            reset_log_context(token)
        assert event == {"event": "x", "correlation_id": "c-9", "request_id": "r-1", "team": "core"}

    def test_never_overwrites_what_the_event_has(self) -> None:
        token = bind_log_context(team="core")
        try:
            event = add_context(None, "info", {"event": "x", "team": "mine"})
        finally:
            reset_log_context(token)
        assert event == {"event": "x", "team": "mine"}


class TestMaskEvent:
    def test_masks_sensitive_keys(self) -> None:
        assert mask_event(None, "info", {"event": "x", "password": "pw"}) == {
            "event": "x",
            "password": MASK,
        }
