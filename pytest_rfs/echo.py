"""Result entries stay out of "Captured log call" unless a test asks for them.

When logging was never configured, each ``ResultLogEntry`` also goes to the stdlib logger
``rfs_monitoring.result``, so a test exercising a failing Result would show an ERROR record
under "Captured log call". While a test runs, a filter on that logger drops them (the
entries stay available through ``rfs_logs``, which listens to every entry). A test gets
them echoed when:

- ``--rfs-echo-logs`` (ini ``rfs_echo_logs = true``) is given;
- the test carries ``@pytest.mark.rfs_echo_logs``;
- the test uses ``caplog`` (it asked to see log records).

Imports only the standard library and pytest.
"""

from __future__ import annotations

import logging

import pytest

__all__ = [
    "LOGGER_NAME",
    "EchoFilter",
    "add_options",
    "configure",
    "setup_item",
    "unconfigure",
]

LOGGER_NAME = "rfs_monitoring.result"
"""The stdlib logger Result entries go to when logging was not configured."""

_MARKER = "rfs_echo_logs: echo this test's Result entries as log records (see --rfs-echo-logs)"
_filter_key = pytest.StashKey["EchoFilter"]()
_default_key = pytest.StashKey[bool]()


class EchoFilter(logging.Filter):
    """Lets the records of ``LOGGER_NAME`` through only while ``echo`` is true."""

    def __init__(self, *, echo: bool) -> None:
        super().__init__()
        self.echo = echo

    def filter(self, record: logging.LogRecord) -> bool:
        return self.echo


def add_options(parser: pytest.Parser, group_name: str) -> None:
    """Register ``--rfs-echo-logs`` and its ini twin ``rfs_echo_logs``."""
    group = parser.getgroup(group_name)
    group.addoption(
        "--rfs-echo-logs",
        dest="rfs_echo_logs",
        action="store_true",
        default=None,
        help="show Result entries under 'Captured log' (default: only through rfs_logs)",
    )
    parser.addini(
        "rfs_echo_logs",
        "show Result entries under 'Captured log' (default: false)",
        type="bool",
        default=False,
    )


def configure(config: pytest.Config) -> None:
    """Register the marker and put the filter on ``LOGGER_NAME``."""
    config.addinivalue_line("markers", _MARKER)
    option = config.getoption("rfs_echo_logs", None)
    echo = bool(config.getini("rfs_echo_logs")) if option is None else bool(option)
    log_filter = EchoFilter(echo=echo)
    config.stash[_default_key] = echo
    config.stash[_filter_key] = log_filter
    logging.getLogger(LOGGER_NAME).addFilter(log_filter)


def setup_item(item: pytest.Item) -> None:
    """Echo or not for the test about to run."""
    log_filter = item.config.stash.get(_filter_key, None)
    if log_filter is None:
        return
    log_filter.echo = (
        item.config.stash.get(_default_key, False)
        or item.get_closest_marker("rfs_echo_logs") is not None
        or "caplog" in getattr(item, "fixturenames", ())
    )


def unconfigure(config: pytest.Config) -> None:
    """Take the filter off ``LOGGER_NAME``."""
    log_filter = config.stash.get(_filter_key, None)
    if log_filter is not None:
        logging.getLogger(LOGGER_NAME).removeFilter(log_filter)
