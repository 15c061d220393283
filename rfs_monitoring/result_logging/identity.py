"""Who is logging: the ``service_name`` and ``environment`` of every line of the pipeline.

Resolved from the standard OpenTelemetry environment first, then ours, then the plan's
literal defaults:

=================  ==================================================================
``service_name``   ``OTEL_SERVICE_NAME``; ``service.name`` in ``OTEL_RESOURCE_ATTRIBUTES``;
                   ``RFS_SERVICE_NAME``; ``"rfs-framework"``
``environment``    ``deployment.environment.name`` in ``OTEL_RESOURCE_ATTRIBUTES``;
                   ``deployment.environment`` (its older spelling); ``RFS_ENVIRONMENT``;
                   ``"production"``
=================  ==================================================================

Empty values count as unset. ``OTEL_RESOURCE_ATTRIBUTES`` is read as the OpenTelemetry
SDK reads it: comma-separated ``key=value`` pairs, values percent-decoded; a malformed
value is ignored as a whole (as the SDK does) and named in ``ServiceIdentity.problem``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import NamedTuple

__all__ = [
    "DEFAULT_ENVIRONMENT",
    "DEFAULT_SERVICE_NAME",
    "ServiceIdentity",
    "parse_resource_attributes",
    "service_identity",
]

DEFAULT_SERVICE_NAME = "rfs-framework"
"""The plan's ``ResultLogEntry.service_name`` default."""
DEFAULT_ENVIRONMENT = "production"
"""The plan's ``ResultLogEntry.environment`` default."""


class ServiceIdentity(NamedTuple):
    """The resolved ``service_name`` and ``environment``, and where each came from.

    Attributes:
        service_name: the service name of every line.
        environment: the deployment environment of every line.
        service_name_source: the variable (or attribute) it came from, or ``"default"``.
        environment_source: likewise for ``environment``.
        problem: why ``OTEL_RESOURCE_ATTRIBUTES`` was ignored (None: it was not).
    """

    service_name: str
    environment: str
    service_name_source: str
    environment_source: str
    problem: str | None = None


def parse_resource_attributes(text: str) -> dict[str, str]:
    """The attributes of an ``OTEL_RESOURCE_ATTRIBUTES`` value (``k1=v1,k2=v2``).

    Keys and values are stripped, values percent-decoded; empty items are skipped.

    Raises:
        ValueError: an item without ``=`` or with an empty key (the message names it).
    """
    attributes: dict[str, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            msg = (
                f"OTEL_RESOURCE_ATTRIBUTES: expected comma-separated key=value pairs, "
                f"got the item {item.strip()!r}"
            )
            raise ValueError(msg)
        value = value.strip()
        if "%" in value:  # urllib.parse only when needed: it costs the import ~2 ms
            from urllib.parse import unquote

            value = unquote(value)
        attributes[key] = value
    return attributes


def _first(candidates: list[tuple[str, str | None]], default: str) -> tuple[str, str]:
    """``(value, source)`` of the first non-empty candidate, else ``(default, "default")``."""
    for source, value in candidates:
        if value:
            return value, source
    return default, "default"


def service_identity(environ: Mapping[str, str] | None = None) -> ServiceIdentity:
    """The ``service_name`` and ``environment`` the environment asks for (never raises).

    Args:
        environ: the variables to read (None: ``os.environ``).
    """
    env = os.environ if environ is None else environ
    problem: str | None = None
    try:
        resource = parse_resource_attributes(env.get("OTEL_RESOURCE_ATTRIBUTES", ""))
    except ValueError as exc:
        resource, problem = {}, f"{exc}; the variable was ignored"
    service_name, service_source = _first(
        [
            ("OTEL_SERVICE_NAME", env.get("OTEL_SERVICE_NAME", "").strip()),
            ("OTEL_RESOURCE_ATTRIBUTES service.name", resource.get("service.name")),
            ("RFS_SERVICE_NAME", env.get("RFS_SERVICE_NAME", "").strip()),
        ],
        DEFAULT_SERVICE_NAME,
    )
    environment, environment_source = _first(
        [
            (
                "OTEL_RESOURCE_ATTRIBUTES deployment.environment.name",
                resource.get("deployment.environment.name"),
            ),
            (
                "OTEL_RESOURCE_ATTRIBUTES deployment.environment",
                resource.get("deployment.environment"),
            ),
            ("RFS_ENVIRONMENT", env.get("RFS_ENVIRONMENT", "").strip()),
        ],
        DEFAULT_ENVIRONMENT,
    )
    return ServiceIdentity(service_name, environment, service_source, environment_source, problem)
