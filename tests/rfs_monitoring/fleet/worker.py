"""A worker process for the multiprocess export tests (run as a script, not collected).

``python worker.py SUCCESSES CODE:N ...`` records the given outcomes on a fresh collector,
starts the multiprocess export (``PROMETHEUS_MULTIPROC_DIR`` from the environment), prints
``ready <pid>`` and then answers commands read from stdin, one per line:

- ``scrape``: prints one line of JSON, the samples of a scrape of this worker
  (``[[name, {labels}, value], ...]``), through ``register_prometheus``;
- ``record CODE``: records one more failure with that code (``ok``: a success), prints ``done``;
- ``fork N``: forks a child that records N successes, syncs and exits; prints ``forked``;
- ``exit``: stops the export (a last sync) and exits.
"""

from __future__ import annotations

import json
import os
import sys


def main(argv: list[str]) -> int:
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    from rfs_monitoring import ResultMetricsCollector
    from rfs_monitoring.export import register_prometheus, start_multiprocess_export

    collector = ResultMetricsCollector(resources=lambda: (None, None))
    ResultMetricsCollector.set_instance(collector)

    def record(code: str) -> None:
        if code == "ok":
            collector.record("checkout", success=True, duration_ms=20.0)
        else:
            message = f"payment {code.lower()} for order 42"
            collector.record(
                "checkout",
                success=False,
                duration_ms=300.0,
                error_code=code,
                error_message=message,
            )

    for _ in range(int(argv[0])):
        record("ok")
    for spec in argv[1:]:
        code, n = spec.split(":")
        for _ in range(int(n)):
            record(code)
    feed = start_multiprocess_export(interval=0.2)
    registry = CollectorRegistry()
    register_prometheus(registry=registry)
    print(f"ready {os.getpid()}", flush=True)
    for line in sys.stdin:
        command, _, arg = line.strip().partition(" ")
        if command == "scrape":
            text = generate_latest(registry).decode()
            samples = [
                [s.name, s.labels, s.value]
                for family in text_string_to_metric_families(text)
                for s in family.samples
            ]
            print(json.dumps(samples), flush=True)
        elif command == "record":
            record(arg)
            print("done", flush=True)
        elif command == "fork":
            pid = os.fork()
            if pid == 0:  # the child: its own records only, then a clean exit (atexit runs)
                for _ in range(int(arg)):
                    record("ok")
                return 0
            os.waitpid(pid, 0)
            print(f"forked {pid}", flush=True)
        elif command == "exit":
            break
    feed.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
