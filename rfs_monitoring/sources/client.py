"""``PrometheusClient``: instant and range queries over Prometheus's HTTP API (stdlib only).

Synchronous on purpose: the monitoring router and the alert manager call their source from a
worker thread. Every request has a timeout; an unreachable server, a timeout, an error answer
or a malformed body raises ``SourceUnavailableError`` (its ``error`` a 503 APIError naming
the URL and the cause) and is counted in ``stats()`` — never a hang, never a raw exception.
Works against anything that speaks the API: Prometheus, VictoriaMetrics, Thanos, Mimir.
"""

from __future__ import annotations

import json
import math
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from rfs_monitoring.errors import APIError, ConfigurationError
from rfs_monitoring.metrics.source import SourceUnavailableError

__all__ = ["PrometheusClient", "RangeSeries", "VectorSample", "check_url"]


class VectorSample(NamedTuple):
    """One series of an instant-query answer: its labels and value (NaN stays NaN)."""

    labels: dict[str, str]
    value: float


class RangeSeries(NamedTuple):
    """One series of a range-query answer: its labels and ``(epoch seconds, value)`` pairs."""

    labels: dict[str, str]
    values: list[tuple[float, float]]


def check_url(url: object) -> str:
    """The base URL of a Prometheus API, without a trailing slash.

    Raises:
        ConfigurationError: not an ``http``/``https`` URL with a host, or one carrying a
            query, fragment or credentials (naming the value).
    """
    accepted = "an http(s) URL such as 'http://127.0.0.1:9090' (a path prefix is allowed)"
    if not isinstance(url, str):
        msg = f"Prometheus url must be {accepted}, got {url!r}"
        raise ConfigurationError(msg)
    try:
        parts = urllib.parse.urlsplit(url.strip())
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        parts, port_ok = None, False
    if (
        parts is None
        or not port_ok
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or parts.username is not None
    ):
        msg = f"Prometheus url must be {accepted}, got {url!r}"
        raise ConfigurationError(msg)
    return url.strip().rstrip("/")


def _number(raw: object) -> float:
    # Prometheus sends sample values as strings: "1", "NaN", "+Inf".
    if not isinstance(raw, str):
        raise TypeError(raw)
    return float(raw)


class PrometheusClient:
    """Queries one Prometheus HTTP API.

    Args:
        url: the API's base URL (``http://host:9090``).
        timeout: seconds a request may take, connecting included (also sent to the server
            as the query ``timeout``).
        headers: extra request headers (e.g. ``Authorization`` for a hosted Prometheus).

    Attributes:
        max_answer_bytes: a larger answer is refused (a failure), not loaded (32 MiB).

    Raises:
        ConfigurationError: a bad ``url``, ``timeout`` or ``headers``.
    """

    max_answer_bytes = 32 * 1024 * 1024

    def __init__(
        self, url: str, *, timeout: float = 5.0, headers: Mapping[str, str] | None = None
    ) -> None:
        self.url = check_url(url)
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, (int, float))
            or not math.isfinite(timeout)
            or timeout <= 0
        ):
            msg = f"Prometheus timeout must be a finite number of seconds > 0, got {timeout!r}"
            raise ConfigurationError(msg)
        given = dict(headers or {})
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in given.items()):
            msg = f"Prometheus headers must map str to str, got {headers!r}"
            raise ConfigurationError(msg)
        self.timeout = float(timeout)
        self._headers = {"Accept": "application/json", **given}
        self._lock = threading.Lock()
        self._stats = {"queries": 0, "failures": 0, "timeouts": 0}

    def stats(self) -> dict[str, int]:
        """Counters: ``queries`` sent, ``failures`` (any unusable answer), ``timeouts``."""
        with self._lock:
            return dict(self._stats)

    def query(self, expr: str, at: float) -> list[VectorSample]:
        """The instant vector ``expr`` evaluates to at ``at`` (epoch seconds)."""
        data = self._call("query", {"query": expr, "time": f"{at:.3f}"})
        try:
            if data["resultType"] != "vector":
                raise TypeError(data["resultType"])
            return [
                VectorSample(dict(item["metric"]), _number(item["value"][1]))
                for item in data["result"]
            ]
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise self._failure(f"a malformed answer to {expr!r}: {exc!r}") from exc

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[RangeSeries]:
        """The series ``expr`` evaluates to at ``start``, ``start + step``, ... ``end``."""
        params = {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"}
        data = self._call("query_range", params)
        try:
            if data["resultType"] != "matrix":
                raise TypeError(data["resultType"])
            return [
                RangeSeries(
                    dict(item["metric"]), [(float(t), _number(v)) for t, v in item["values"]]
                )
                for item in data["result"]
            ]
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise self._failure(f"a malformed answer to {expr!r}: {exc!r}") from exc

    def label_values(self, label: str, match: Sequence[str], start: float, end: float) -> list[str]:
        """The values ``label`` takes in the series of ``match`` between ``start`` and
        ``end``, sorted."""
        params: list[tuple[str, str]] = [("match[]", m) for m in match]
        params += [("start", f"{start:.3f}"), ("end", f"{end:.3f}")]
        data = self._call(f"label/{urllib.parse.quote(label, safe='')}/values", params)
        if not isinstance(data, list) or not all(isinstance(v, str) for v in data):
            raise self._failure(f"a malformed answer to the values of label {label!r}")
        return sorted(data)

    # ------------------------------------------------------------------ transport

    def _call(self, path: str, params: Mapping[str, str] | list[tuple[str, str]]) -> Any:
        items = list(params.items()) if isinstance(params, Mapping) else list(params)
        if path.startswith("query"):
            items.append(("timeout", f"{self.timeout:g}s"))
        encoded = urllib.parse.urlencode(items)
        if path.startswith("query"):  # POST: a long query stays out of the URL
            request = urllib.request.Request(
                f"{self.url}/api/v1/{path}",
                data=encoded.encode("ascii"),
                headers={**self._headers, "Content-Type": "application/x-www-form-urlencoded"},
                method="POST",
            )
        else:  # the label endpoints answer GET only
            request = urllib.request.Request(
                f"{self.url}/api/v1/{path}?{encoded}", headers=self._headers, method="GET"
            )
        with self._lock:
            self._stats["queries"] += 1
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read(self.max_answer_bytes + 1)
        except urllib.error.HTTPError as exc:
            # Prometheus answers 400/422/503 with a JSON body naming the problem.
            raw = exc.read(self.max_answer_bytes + 1)
            exc.close()
            raise self._failure(f"HTTP {exc.code}: {self._reason(raw)}") from None
        except OSError as exc:  # URLError included; a timeout reading or connecting
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError):
                raise self._failure(f"no answer within {self.timeout:g} s", timed_out=True) from exc
            raise self._failure(f"unreachable ({reason})") from exc
        if len(raw) > self.max_answer_bytes:
            raise self._failure(f"an answer larger than {self.max_answer_bytes} bytes")
        try:
            answer = json.loads(raw)
        except ValueError as exc:
            raise self._failure("an answer that is not JSON") from exc
        if not isinstance(answer, dict) or answer.get("status") != "success":
            raise self._failure(self._reason(raw))
        return answer.get("data")

    @staticmethod
    def _reason(raw: bytes) -> str:
        try:
            answer = json.loads(raw)
            return f"{answer['errorType']}: {answer['error']}"
        except (ValueError, KeyError, TypeError):
            return raw[:200].decode("utf-8", "replace") or "an empty answer"

    def _failure(self, cause: str, *, timed_out: bool = False) -> SourceUnavailableError:
        with self._lock:
            self._stats["failures"] += 1
            if timed_out:
                self._stats["timeouts"] += 1
        return SourceUnavailableError(
            APIError.service_unavailable(f"Prometheus at {self.url}: {cause}")
        )

    def __repr__(self) -> str:
        return f"PrometheusClient({self.url!r}, timeout={self.timeout:g})"
