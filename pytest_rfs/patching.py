"""Replacing one service method for the mocker and the spy (``unittest.mock.patch.object``).

``plan_patch(target, method_name, frame)`` finds the service and the method and decides how
to install a replacement (instance method, classmethod, staticmethod, plain attribute);
``Patchable`` installs it (``start`` / ``with``) and puts the original back (``stop``).
"""

from __future__ import annotations

import contextlib
import difflib
import inspect
import types
from collections.abc import Callable
from typing import Any, Literal

from pytest_rfs.explain import a_type
from pytest_rfs.registry import resolve_service, service_label
from pytest_rfs.shape import MethodShape
from rfs_monitoring.errors import ConfigurationError

__all__ = ["PatchPlan", "Patchable", "plan_patch"]

# Python 3.12+ lets a sync function returning a coroutine declare itself a coroutine function.
_mark_coroutine_function: Callable[[Any], Any] = getattr(
    inspect, "markcoroutinefunction", lambda fn: fn
)

Install = Literal["plain", "class", "static"]


class PatchPlan:
    """Where and how to replace one method.

    Attributes:
        service: the object whose attribute is replaced.
        label: how the service is named in messages.
        method_name: the attribute.
        strip: how many leading arguments (``self``/``cls``) the replacement drops.
        install: ``plain``, ``class`` (classmethod) or ``static`` (staticmethod).
        shape: how the original behaves.
        signature: the original's full signature, if it has one.
        original: the original, callable with the replacement's full arguments.
    """

    __slots__ = (
        "install",
        "label",
        "method_name",
        "original",
        "service",
        "shape",
        "signature",
        "strip",
    )

    def __init__(
        self,
        service: object,
        label: str,
        method_name: str,
        strip: int,
        install: Install,
        shape: MethodShape,
        original: Callable[..., Any],
    ) -> None:
        self.service = service
        self.label = label
        self.method_name = method_name
        self.strip = strip
        self.install: Install = install
        self.shape = shape
        self.original = original
        self.signature: inspect.Signature | None = None
        with contextlib.suppress(TypeError, ValueError):
            self.signature = inspect.signature(getattr(service, method_name))


def _find(service: object, label: str, method_name: object) -> Callable[..., Any]:
    if not isinstance(method_name, str) or not hasattr(service, method_name):
        names = [n for n in dir(service) if not n.startswith("_")]
        close = difflib.get_close_matches(str(method_name), names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        msg = f"service {label!r} ({type(service).__name__}) has no method {method_name!r}{hint}"
        raise ConfigurationError(msg)
    original: object = getattr(service, method_name)
    if not callable(original):
        msg = (
            f"{label}.{method_name} is not callable ({a_type(type(original))}); "
            "mock_result_service() replaces methods"
        )
        raise ConfigurationError(msg)
    return original


def plan_patch(target: object, method_name: str, frame: types.FrameType | None) -> PatchPlan:
    """How to replace ``method_name`` of the service ``target`` names.

    Raises:
        ConfigurationError: the service or the method cannot be found.
    """
    service = resolve_service(target, frame)
    label = service_label(target)
    original = _find(service, label, method_name)
    strip, install, drop_first = 0, "plain", False
    full: Callable[..., Any] = original
    if isinstance(service, type):
        raw = inspect.getattr_static(service, method_name)
        if isinstance(raw, classmethod):
            strip, install, full = 1, "class", raw.__func__
        elif inspect.isfunction(raw):
            strip, drop_first, full = 1, True, raw
        else:
            install = "static"
    shape = MethodShape.of(original, drop_first=drop_first)
    return PatchPlan(service, label, method_name, strip, install, shape, full)  # type: ignore[arg-type]


class Patchable:
    """``start`` / ``stop`` / ``with`` for an object standing in for one method.

    The class using it sets ``plan`` (a ``PatchPlan`` or None), ``shape``, ``service_name``,
    ``method_name``, ``name`` and implements ``enter(args, kwargs, strip)``.
    """

    plan: PatchPlan | None
    shape: MethodShape
    service_name: str
    method_name: str
    name: str
    _patcher: Any = None

    def enter(self, args: tuple[Any, ...], kwargs: dict[str, Any], strip: int) -> Any:
        raise NotImplementedError  # pragma: no cover - implemented by the class using it

    @property
    def active(self) -> bool:
        """True while the original method is replaced."""
        return self._patcher is not None

    def _replacement(self, plan: PatchPlan) -> object:
        stand_in = self
        strip = plan.strip

        def replacement(*args: Any, **kwargs: Any) -> Any:
            __tracebackhide__ = True
            return stand_in.enter(args, kwargs, strip)

        replacement.__name__ = self.method_name
        replacement.__qualname__ = f"{self.service_name}.{self.method_name}"
        replacement.__doc__ = f"{type(self).__name__} for {self.name}"
        if plan.signature is not None and plan.install != "class":
            replacement.__signature__ = plan.signature  # type: ignore[attr-defined]
        replacement._rfs_shape = self.shape  # type: ignore[attr-defined]
        replacement.mocker = self  # type: ignore[attr-defined]
        if self.shape.is_async and self.shape.returns != "mono":
            _mark_coroutine_function(replacement)
        if plan.install == "static":
            return staticmethod(replacement)
        if plan.install == "class":
            return classmethod(replacement)
        return replacement

    def start(self) -> Any:
        """Replace the original method (``with`` does this); returns self.

        Raises:
            ConfigurationError: already started, built without a service to patch, or
                the service does not let its method be replaced.
        """
        if self._patcher is not None:
            msg = f"{self.name} is already patched"
            raise ConfigurationError(msg)
        plan = self.plan
        if plan is None:
            msg = f"{self.name} has no service to patch: create it with mock_result_service()"
            raise ConfigurationError(msg)
        from unittest.mock import patch  # lazy: loading the plugin stays cheap

        patcher = patch.object(plan.service, plan.method_name, self._replacement(plan))
        try:
            patcher.start()
        except (AttributeError, TypeError) as exc:
            msg = (
                f"cannot patch {plan.method_name!r} on {plan.service!r}: {exc}; patch its class "
                "or register a patchable service with register_service()"
            )
            raise ConfigurationError(msg) from None
        self._patcher = patcher
        return self

    def stop(self) -> None:
        """Put the original method back (idempotent)."""
        patcher, self._patcher = self._patcher, None
        if patcher is not None:
            patcher.stop()

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
