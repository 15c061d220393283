"""Structured logging of Result operations, end to end.

Run: ``python examples/monitoring/basic_logging.py``.

What it shows, in order:

1. ``configure_logging()``: one JSON-lines pipeline on stdout for Result entries, structlog
   events and stdlib ``logging`` records, all carrying the correlation id.
2. ``@log_result_operation`` on a sync and an async function: one entry per call, success or
   failure, with the processing time; an exception is logged and re-raised unchanged.
3. A ``MonoResult`` chain with ``log_step`` / ``log_error``: one entry per step, named after
   the operation that runs the chain.
4. A ``FluxResult`` batch with ``log_flux_result``: a summary entry and one entry per failed
   item.
5. Sensitive values (passwords, tokens, card numbers) masked before anything is written.

Every line on stdout is one JSON object; the summary at the end goes to stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys

from rfs_monitoring import (
    APIError,
    Failure,
    FluxResult,
    MonoResult,
    Result,
    ResultMetricsCollector,
    Success,
    configure_logging,
    correlation_context,
    flush_logs,
    log_flux_result,
    log_result_operation,
    logging_stats,
)
from rfs_monitoring.context import log_context

USERS = {"u-1": "Kim", "u-2": "Lee"}


@log_result_operation("parse_quantity")
def parse_quantity(text: str) -> Result[int, APIError]:
    """A sync operation: a Success or a validation error."""
    if not text.isdigit():
        return Failure(APIError.validation_error(f"quantity {text!r} is not a number", field="qty"))
    return Success(int(text))


@log_result_operation("load_user", context_args=["user_id"])
async def load_user(user_id: str) -> Result[str, APIError]:
    """An async operation; ``context_args`` copies ``user_id`` into the entry."""
    await asyncio.sleep(0.001)
    name = USERS.get(user_id)
    if name is None:
        return Failure(APIError.not_found("user", user_id))
    return Success(name)


@log_result_operation("greet_user")
async def greet_user(user_id: str) -> Result[str, APIError]:
    """A MonoResult chain: each ``log_step`` writes an entry named after this operation."""
    return await (
        MonoResult.from_async_result(lambda: load_user(user_id))
        .log_step("user_loaded")
        .map(lambda name: f"Hello, {name}!")
        .log_step("greeting_built")
        # an entry only for a failure no earlier step logged: after a failed load (logged
        # by user_loaded) this and greeting_built are "skipped" entries, at DEBUG
        .log_error("greeting_failed")
        .timeout(1.0)
        .to_result()
    )


@log_result_operation("charge_card")
def charge_card(card_number: str, password: str) -> Result[str, APIError]:
    """Raises: the exception is logged as an error entry, then re-raised unchanged."""
    msg = f"payment gateway refused card {card_number} (password={password})"
    raise ConnectionError(msg)


async def main() -> None:
    """Run every kind of operation once inside one correlation id."""
    configure_logging(json=True, service_name="basic-logging-example", environment="example")

    # log_context binds fields for the block: they land in every entry's metadata.
    with correlation_context("example-run-0001"), log_context(tenant="acme"):
        logging.getLogger("example").info("stdlib records go through the same pipeline")
        parse_quantity("3")
        parse_quantity("three")
        await load_user("u-1")
        await greet_user("u-2")
        await greet_user("u-404")
        # The entry is written; the caller still sees the exception.
        with contextlib.suppress(ConnectionError):
            charge_card("4111 1111 1111 1111", "hunter2")

        batch = FluxResult.from_results([parse_quantity(text) for text in ("1", "x", "7", "")])
        log_flux_result(batch, "import_quantities", per_item_errors=True)

    flush_logs(timeout=5.0)
    figures = ResultMetricsCollector.instance().operation_metrics("greet_user").unwrap()
    print(
        f"\n{logging_stats()['written']} lines written; greet_user: "
        f"{figures.total_requests} calls, success rate {figures.success_rate:.0%}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    asyncio.run(main())
