"""A small fake of Prometheus's HTTP API on 127.0.0.1 (real HTTP, canned answers).

``FakePrometheus.answer(expr, result)`` sets what an exact PromQL expression returns; every
request is kept in ``requests`` (path and form fields) so tests can assert the PromQL sent.
An expression without an answer returns an empty result, as Prometheus does for a query
matching no series.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["FakePrometheus", "matrix", "vector"]


def vector(*samples: tuple[dict[str, str], float]) -> dict[str, Any]:
    """An instant-query ``data`` holding ``samples`` ((labels, value) pairs)."""
    return {
        "resultType": "vector",
        "result": [{"metric": labels, "value": [0, repr(value)]} for labels, value in samples],
    }


def matrix(*series: tuple[dict[str, str], list[tuple[float, float]]]) -> dict[str, Any]:
    """A range-query ``data`` holding ``series`` ((labels, [(t, value), ...]) pairs)."""
    return {
        "resultType": "matrix",
        "result": [
            {"metric": labels, "values": [[t, repr(v)] for t, v in values]}
            for labels, values in series
        ],
    }


class FakePrometheus:
    """The fake API server; use as a context manager (``url`` is its base URL)."""

    def __init__(self) -> None:
        self.answers: dict[tuple[str, str], Any] = {}
        self.requests: list[tuple[str, dict[str, list[str]]]] = []
        self.status = 200
        self.body: bytes | None = None  # a raw body to send instead of the JSON answer
        self.delay = 0.0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urllib.parse.urlsplit(self.path)
                if not parts.path.startswith("/api/v1/label/"):
                    self.send_error(405)  # as Prometheus: the fake's queries are POSTed
                    return
                self.answer(parts.path, urllib.parse.parse_qs(parts.query))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = urllib.parse.parse_qs(self.rfile.read(length).decode("ascii"))
                path = urllib.parse.urlsplit(self.path).path
                if path.startswith("/api/v1/label/"):
                    self.send_error(405)  # Prometheus answers label values on GET only
                    return
                self.answer(path, form)

            def answer(self, path: str, form: dict[str, list[str]]) -> None:
                fake.requests.append((path, form))
                if fake.delay:
                    time.sleep(fake.delay)
                body = fake.body if fake.body is not None else json.dumps(fake.reply(path, form))
                payload = body if isinstance(body, bytes) else body.encode()
                self.send_response(fake.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def answer(self, expr: str, data: Any, kind: str = "query") -> None:
        """What ``expr`` returns on ``/api/v1/<kind>`` (``query``, ``query_range``)."""
        self.answers[(kind, expr)] = data

    def reply(self, path: str, form: dict[str, list[str]]) -> dict[str, Any]:
        if self.status != 200:
            return {"status": "error", "errorType": "bad_data", "error": "parse error at char 1"}
        kind = path.rsplit("/", 1)[-1]
        if path.startswith("/api/v1/label/"):
            return {"status": "success", "data": self.answers.get(("labels", ""), [])}
        expr = form.get("query", [""])[0]
        empty: dict[str, Any] = {
            "resultType": "matrix" if kind == "query_range" else "vector",
            "result": [],
        }
        return {"status": "success", "data": self.answers.get((kind, expr), empty)}

    def queries(self, kind: str = "query") -> list[str]:
        """The expressions sent to ``/api/v1/<kind>``, in order."""
        return [f["query"][0] for p, f in self.requests if p == f"/api/v1/{kind}"]

    def __enter__(self) -> FakePrometheus:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join()


def serve() -> Iterator[FakePrometheus]:
    """A running fake (for a fixture)."""
    with FakePrometheus() as fake:
        yield fake
