"""What FastAPI sees of a Result-returning endpoint: its resolved annotations and success type.

``success_type`` turns ``Result[T, E]`` / ``FastAPIResult[T]`` / ``MonoResult[T, E]`` into the
``T`` FastAPI serialises; ``fastapi_signature`` adds the hidden ``Request`` parameter through
which a ``handle_result`` wrapper learns that it is serving a request.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any, TypeGuard, TypeVar

from rfs_monitoring.errors import MissingExtraError
from rfs_monitoring.mono import MonoResult
from rfs_monitoring.result import Failure, Result

try:
    from starlette.requests import Request
except ImportError as exc:
    raise MissingExtraError("rfs_monitoring.web", "fastapi", exc.name or "fastapi") from exc

__all__ = ["REQUEST_PARAM", "fastapi_signature", "returns_result", "success_type"]

REQUEST_PARAM = "_rfs_request"
"""The name of the hidden keyword-only ``Request`` parameter (``_`` appended on a clash)."""

_EMPTY = inspect.Signature.empty


def _resolve(annotation: object, globalns: dict[str, Any]) -> object:
    # Per annotation, so that one unresolvable name does not lose the others. Twice: under
    # ``from __future__ import annotations`` a quoted annotation is a string of a string.
    for _ in range(2):
        if not isinstance(annotation, str):
            break
        try:
            annotation = eval(annotation, globalns)  # what typing.get_type_hints does
        except Exception:  # noqa: BLE001 - an unresolvable annotation stays a string
            break
    return annotation


def _is_class(annotation: object) -> TypeGuard[type[Any]]:
    """Whether ``annotation`` is a class, which ``issubclass`` accepts: on Python 3.10
    ``isinstance(dict[str, str], type)`` is true as well, and ``issubclass`` raises on it."""
    return isinstance(annotation, type) and typing.get_origin(annotation) is None


def success_type(annotation: object) -> object:
    """The success type ``T`` of a ``Result[T, E]``-like annotation, for ``response_model``.

    ``inspect.Signature.empty`` when there is none to give (a bare ``Result``, ``Failure[E]``,
    ``Result[Any, E]``, a type variable or an unresolved string); any other annotation is
    returned unchanged.
    """
    if annotation is _EMPTY or isinstance(annotation, str):
        return _EMPTY
    origin = typing.get_origin(annotation)
    if isinstance(origin, type) and issubclass(origin, (Result, MonoResult)):
        args = typing.get_args(annotation)
        if origin is Failure or not args or args[0] is Any or isinstance(args[0], TypeVar):
            return _EMPTY
        return args[0]
    if _is_class(annotation) and issubclass(annotation, (Result, MonoResult)):
        return _EMPTY
    return annotation


def returns_result(endpoint: Callable[..., Any]) -> bool:
    """True when ``endpoint`` is annotated to return a Result or MonoResult."""
    try:
        annotation = inspect.signature(endpoint).return_annotation
    except (TypeError, ValueError):
        return False
    unwrapped = inspect.unwrap(endpoint)
    annotation = _resolve(annotation, getattr(unwrapped, "__globals__", {}))
    origin = typing.get_origin(annotation) or annotation
    return isinstance(origin, type) and issubclass(origin, (Result, MonoResult))


def fastapi_signature(func: Callable[..., Any]) -> tuple[inspect.Signature, str, bool]:
    """``func``'s signature as FastAPI should see it, and how the request reaches the wrapper.

    Annotations are resolved in ``func``'s module, the return annotation is the success
    type, and a hidden keyword-only ``Request`` parameter is added unless ``func`` has a
    ``Request`` parameter of its own (FastAPI fills only one). Returns the signature, the
    name of the parameter that carries the request and whether it is the hidden one.
    """
    signature = inspect.signature(func)
    globalns = getattr(inspect.unwrap(func), "__globals__", {})
    params = [
        p.replace(annotation=_resolve(p.annotation, globalns))
        for p in signature.parameters.values()
    ]
    success = success_type(_resolve(signature.return_annotation, globalns))
    for param in params:
        if _is_class(param.annotation) and issubclass(param.annotation, Request):
            return (
                signature.replace(parameters=params, return_annotation=success),
                param.name,
                False,
            )
    name = REQUEST_PARAM
    while name in signature.parameters:
        name += "_"
    hidden = inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=Request)
    if params and params[-1].kind is inspect.Parameter.VAR_KEYWORD:
        params.insert(len(params) - 1, hidden)
    else:
        params.append(hidden)
    return signature.replace(parameters=params, return_annotation=success), name, True
