"""The ``prometheus-rules`` and ``grafana-dashboard`` commands of ``rfs-monitoring``.

``--config`` names the alert configurations: ``MODULE:ATTR`` (an importable iterable of
``AlertConfiguration`` or mappings; a callable is called first) or a JSON file holding a list
of mappings (``AlertConfiguration`` fields).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rfs_monitoring.alerts.config import AlertConfiguration, parse_alert_configuration
from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.fleet.grafana import dashboard_text
from rfs_monitoring.fleet.rules import render_rules
from rfs_monitoring.fleet.ruletests import render_rule_tests

__all__ = ["load_alert_configs", "run_fleet_command"]


def _from_module(spec: str) -> object:
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        msg = f"--config {spec!r} is neither MODULE:ATTR nor an existing .json file"
        raise ConfigurationError(msg)
    sys.path.insert(0, os.getcwd())  # as `python -m` would: the project's own modules
    try:
        found: object = importlib.import_module(module_name)
        for part in attr.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError) as exc:
        msg = f"--config {spec!r} could not be loaded: {exc}"
        raise ConfigurationError(msg) from exc
    finally:
        sys.path.remove(os.getcwd())
    return found() if callable(found) else found


def _from_file(path: Path) -> object:
    try:
        loaded: object = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        msg = f"--config {str(path)!r} is no readable JSON file: {exc}"
        raise ConfigurationError(msg) from exc
    return loaded


def load_alert_configs(spec: str) -> list[AlertConfiguration]:
    """The alert configurations ``spec`` names (``MODULE:ATTR`` or a JSON file).

    Raises:
        ConfigurationError: ``spec`` cannot be loaded, is no list of configurations, or one
            of them does not validate; the message names it.
    """
    path = Path(spec)
    found = _from_file(path) if path.suffix == ".json" or path.is_file() else _from_module(spec)
    if isinstance(found, (str, bytes, Mapping)) or not hasattr(found, "__iter__"):
        msg = (
            f"--config {spec!r} must give a list of AlertConfiguration or mappings, "
            f"got {type(found).__name__}"
        )
        raise ConfigurationError(msg)
    items: list[Any] = list(found)
    return [parse_alert_configuration(item) for item in items]


def _write(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        Path(output).write_text(text, encoding="utf-8")


def run_fleet_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run ``prometheus-rules`` or ``grafana-dashboard``; a bad input exits with status 2
    and a message naming it (``parser.error``)."""
    if args.command == "grafana-dashboard":
        _write(dashboard_text(), args.output)
        return 0
    try:
        configs = None if args.config is None else load_alert_configs(args.config)
        rules = render_rules(configs)
        tests = None
        if args.tests is not None:
            # promtool reads the rule file relative to the tests file
            where = os.path.dirname(os.path.abspath(args.tests))
            rule_file = os.path.relpath(args.output, where) if args.output else "rules.yml"
            tests = render_rule_tests(configs, rule_file=rule_file)
    except ConfigurationError as exc:
        parser.error(str(exc))
    _write(rules, args.output)
    if tests is not None:
        _write(tests, args.tests)
    return 0
