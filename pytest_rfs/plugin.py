"""Hooks of the ``rfs`` pytest plugin: options, markers, fixture registration, report wiring.

Logic lives in the sibling modules; this module only wires it into pytest. Loading it imports
nothing heavy (no structlog, no logging or metrics module, no sqlite3, no Hypothesis): another
project's suite runs the same with the plugin installed. The fixtures live in
``pytest_rfs.fixtures``, registered as a plugin only once collection shows a test that asks
for one of them (``pytest_collection_modifyitems``), or eagerly for ``--fixtures``.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

from pytest_rfs import echo as _echo
from pytest_rfs import misuse as _misuse
from pytest_rfs import report as _report

__all__ = ["FIXTURES_MODULE", "GROUP", "is_plugin_fixture", "register_fixtures"]

GROUP = "rfs"

FIXTURES_MODULE = "pytest_rfs.fixtures"
"""The module holding the plugin's fixtures (``result_mocker``, ``rfs_logs``, ...)."""

_LEGACY_FIXTURES = frozenset({"result_mocker", "fake_clock", "correlation_id"})
"""The plugin's fixture names without the ``rfs_`` prefix (the plan's and deprecated ones)."""

_SEED_KEY = pytest.StashKey[int]()


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Add the plugin's own hooks (``pytest_rfs_report_columns``, ``pytest_rfs_report_ready``)."""
    from pytest_rfs import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ``rfs`` option group."""
    group = parser.getgroup(GROUP, "rfs-monitoring: Result-pattern testing and metrics")
    group.addoption(
        "--rfs-seed",
        dest="rfs_seed",
        default=None,
        metavar="INT",
        help="base seed of the rfs_factory fixture (default: ini rfs_seed, else 0)",
    )
    parser.addini("rfs_seed", "base seed of the rfs_factory fixture", default="0")
    _report.add_options(parser, GROUP)
    _echo.add_options(parser, GROUP)


def pytest_configure(config: pytest.Config) -> None:
    """Register the plugin's markers."""
    _report.configure(config)  # marker rfs_budget, --rfs-metrics-report recorder/reporter
    _echo.configure(config)  # marker rfs_echo_logs, the filter keeping entries out of caplog
    raw = config.getoption("rfs_seed")
    if raw is None:
        raw = config.getini("rfs_seed")
    try:
        config.stash[_SEED_KEY] = int(raw)
    except ValueError:
        msg = f"--rfs-seed / rfs_seed must be an integer, got {raw!r}"
        raise pytest.UsageError(msg) from None
    listing = ("showfixtures", "show_fixtures_per_test")  # --fixtures, --fixtures-per-test
    if any(getattr(config.option, option, False) for option in listing):
        register_fixtures(config)


def is_plugin_fixture(name: str) -> bool:
    """Whether ``name`` may be one of the plugin's fixtures (``rfs_*`` or a legacy name)."""
    return name.startswith("rfs_") or name in _LEGACY_FIXTURES


def register_fixtures(config: pytest.Config) -> None:
    """Import ``pytest_rfs.fixtures`` and register it as a plugin (once per ``config``)."""
    import importlib

    fixtures = importlib.import_module(FIXTURES_MODULE)
    config.stash[fixtures.base_seed_key] = config.stash.get(_SEED_KEY, 0)
    if not config.pluginmanager.is_registered(fixtures):
        config.pluginmanager.register(fixtures, "rfs-fixtures")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Register the fixtures when a collected test (or a fixture it uses) asks for one.

    pytest looks a fixture up again when a test sets up, so fixtures registered after
    collection are found; a run whose tests ask for none never imports them.
    """
    if any(is_plugin_fixture(name) for item in items for name in _fixture_names(item)):
        register_fixtures(config)


def _fixture_names(item: pytest.Item) -> list[str]:
    names = getattr(item, "fixturenames", None)
    return names if isinstance(names, list) else []


def pytest_assertrepr_compare(
    config: pytest.Config, op: str, left: object, right: object
) -> list[str] | None:
    """Explain a failed ``==`` between two Results (payload diff, variant, library)."""
    if op != "==":
        return None
    from pytest_rfs.explain import explain_result_comparison

    def explain_payload(a: object, b: object) -> list[str] | None:
        answers = config.hook.pytest_assertrepr_compare(config=config, op=op, left=a, right=b)
        return next((list(lines) for lines in answers if lines), None)

    return explain_result_comparison(left, right, explain_payload)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Take the ``rfs_echo_logs`` filter off the ``rfs_monitoring.result`` logger."""
    _echo.unconfigure(config)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Echo this test's Result entries as log records, or not (``pytest_rfs.echo``)."""
    _echo.setup_item(item)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Fail a test that left an async helper un-awaited (``pytest_rfs.misuse``)."""
    return (yield from _misuse.watch_call(item))
