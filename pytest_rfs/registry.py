"""Where ``mock_result_service`` finds the service a name refers to.

``register_service(name, service)`` gives a service a name; ``resolve_service`` looks a
target up among those names, the calling module's names and import paths.
"""

from __future__ import annotations

import importlib
import types
from typing import TypeVar

from pytest_rfs.frames import caller_frame
from rfs_monitoring.errors import ConfigurationError

__all__ = [
    "caller_frame",
    "register_service",
    "resolve_service",
    "service_label",
    "unregister_service",
]

T = TypeVar("T")

_services: dict[str, object] = {}


def register_service(name: str, service: T) -> T:
    """Make ``service`` patchable as ``mock_result_service(name, method)``; returns it."""
    if not isinstance(name, str) or not name:
        msg = f"register_service() expects a non-empty service name, got {name!r}"
        raise ConfigurationError(msg)
    _services[name] = service
    return service


def unregister_service(name: str) -> object | None:
    """Forget a name registered with ``register_service``; returns its service, if any."""
    return _services.pop(name, None)


def _import_path(path: str) -> object:
    parts = path.split(".")
    for size in range(len(parts), 0, -1):
        module_name = ".".join(parts[:size])
        try:
            obj: object = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and module_name.startswith(exc.name):
                continue
            raise
        for attr in parts[size:]:
            obj = getattr(obj, attr)
        return obj
    raise LookupError(path)


def resolve_service(target: object, frame: types.FrameType | None) -> object:
    """The service object named by ``target``.

    A string is looked up, in order, among the names given to ``register_service``, in
    ``frame``'s local and global names (the first dotted part, then attributes), and as
    an import path. Any other value is the service itself.
    """
    if not isinstance(target, str):
        return target
    if target in _services:
        return _services[target]
    head, _, rest = target.partition(".")
    if frame is not None:
        for namespace in (frame.f_locals, frame.f_globals):
            if head in namespace:
                obj = namespace[head]
                try:
                    for attr in rest.split(".") if rest else ():
                        obj = getattr(obj, attr)
                except AttributeError as exc:
                    msg = f"cannot find the service {target!r}: {exc}"
                    raise ConfigurationError(msg) from None
                return obj
    try:
        return _import_path(target)
    except (LookupError, AttributeError):
        module = frame.f_globals.get("__name__", "?") if frame is not None else "?"
        msg = (
            f"cannot find the service {target!r}: it is not registered with register_service(), "
            f"not a name in the calling module {module!r} and not importable; pass the object "
            f"itself, an import path such as 'myapp.services.user_service', or register it with "
            f"register_service({target!r}, service)"
        )
        raise ConfigurationError(msg) from None


def service_label(target: object) -> str:
    if isinstance(target, str):
        return target
    if isinstance(target, types.ModuleType):
        return target.__name__
    if isinstance(target, type):
        return target.__name__
    return type(target).__name__
