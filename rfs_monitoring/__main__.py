"""``rfs-monitoring``: the command line (``demo``, ``serve``).

``rfs-monitoring demo [--host 127.0.0.1] [--port 8000] [--duration S] [--rps R]`` serves the
demo app with a traffic generator and prints the dashboard URL; ``rfs-monitoring serve``
serves the same app without traffic. Both need the ``fastapi`` extra.
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    from rfs_monitoring.demo import run

    try:
        return run(
            host=args.host,
            port=args.port,
            duration=args.duration,
            traffic=args.command == "demo",
            rps=getattr(args, "rps", 20.0),
        )
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
