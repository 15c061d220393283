"""``rfs-monitoring``: the command line (``demo``, ``serve``).

``rfs-monitoring demo [--host 127.0.0.1] [--port 8000] [--duration S] [--rps R]`` serves the
demo app with a traffic generator, prints the dashboard URL (the real port with
``--port 0``) and then a compact live summary; the JSON log lines go to a file whose path it
prints (``--log-file PATH``), or to stdout with ``--log-to-stdout``. ``rfs-monitoring serve``
serves the same app without traffic. Both need the ``fastapi`` extra.

``rfs-monitoring prometheus-rules [--config MODULE:ATTR | --config FILE.json] [--output F]
[--tests F]`` writes Prometheus alerting rules equivalent to the alert configurations (the
defaults without ``--config``) and, with ``--tests``, their ``promtool test rules`` file;
``rfs-monitoring grafana-dashboard [--output F]`` prints the Grafana dashboard
(``rfs_monitoring.fleet``).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence

__all__ = ["build_parser", "main"]


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        msg = f"invalid port {text!r}: use an integer from 0 to 65535"
        raise argparse.ArgumentTypeError(msg) from None
    if not 0 <= value <= 65535:
        msg = f"invalid port {value}: use an integer from 0 to 65535"
        raise argparse.ArgumentTypeError(msg)
    return value


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        msg = f"invalid number of seconds {text!r}: use a number > 0"
        raise argparse.ArgumentTypeError(msg)
    return value


def _host(text: str) -> str:
    if not text or any(c.isspace() for c in text):
        msg = f"invalid host {text!r}: use an address such as 127.0.0.1 or a host name"
        raise argparse.ArgumentTypeError(msg)
    return text


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``rfs-monitoring``."""
    parser = argparse.ArgumentParser(
        prog="rfs-monitoring",
        description="Observability for the Result pattern: run the monitored demo app.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, helptext in (
        ("demo", "serve the demo app with generated traffic and the dashboard"),
        ("serve", "serve the demo app and the dashboard without generated traffic"),
    ):
        sub = commands.add_parser(name, help=helptext, description=helptext)
        sub.add_argument("--host", type=_host, default="127.0.0.1", help="default: 127.0.0.1")
        sub.add_argument("--port", type=_port, default=8000, help="default: 8000")
        sub.add_argument(
            "--duration",
            type=_positive_seconds,
            default=None,
            metavar="S",
            help="stop after S seconds (default: run until interrupted)",
        )
        if name == "demo":
            sub.add_argument(
                "--rps",
                type=_positive_seconds,
                default=20.0,
                metavar="R",
                help="requests per second of the traffic generator (default: 20)",
            )
        _add_output_options(sub)
    _add_fleet_commands(commands)
    return parser


FLEET_COMMANDS = ("prometheus-rules", "grafana-dashboard")
"""The commands run by ``rfs_monitoring.fleet.cli``."""


def _add_fleet_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rules_help = "write Prometheus alerting rules equivalent to the alert configurations"
    rules = commands.add_parser("prometheus-rules", help=rules_help, description=rules_help)
    rules.add_argument(
        "--config",
        metavar="SPEC",
        default=None,
        help="MODULE:ATTR naming an iterable of AlertConfiguration (or mappings), or a JSON "
        "file holding a list of them (default: the built-in default alerts)",
    )
    rules.add_argument(
        "--tests",
        metavar="PATH",
        default=None,
        help="also write `promtool test rules` unit tests for the rules to PATH",
    )
    dash_help = "print the Grafana dashboard of the exported Prometheus metrics"
    dashboard = commands.add_parser("grafana-dashboard", help=dash_help, description=dash_help)
    for sub in (rules, dashboard):
        sub.add_argument(
            "--output", metavar="PATH", default=None, help="write to PATH (default: stdout)"
        )


def _add_output_options(sub: argparse.ArgumentParser) -> None:
    logs = sub.add_mutually_exclusive_group()
    logs.add_argument(
        "--log-file",
        metavar="PATH",
        default=None,
        help="append the JSON log lines to PATH (default: a new file in the temp directory)",
    )
    logs.add_argument(
        "--log-to-stdout",
        action="store_true",
        help="write the JSON log lines to stdout instead (no live summary then)",
    )
    sub.add_argument(
        "--summary-every",
        type=_positive_seconds,
        default=5.0,
        metavar="S",
        help="seconds between two lines of the live summary (default: 5)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in FLEET_COMMANDS:
        from rfs_monitoring.fleet.cli import run_fleet_command

        return run_fleet_command(args, parser)
    from rfs_monitoring.demo_server import run

    try:
        return run(
            host=args.host,
            port=args.port,
            duration=args.duration,
            traffic=args.command == "demo",
            rps=getattr(args, "rps", 20.0),
            command=args.command,
            log_file=args.log_file,
            log_to_stdout=args.log_to_stdout,
            summary_every=args.summary_every,
        )
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
