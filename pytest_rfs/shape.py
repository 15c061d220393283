"""What calling a service method gives: awaitable or not, Result or MonoResult, signature.

``MethodShape.of(original)`` reads it from the original's annotations, so that the mocker
standing in for the method answers the same way (and with the same Result library).
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from collections.abc import Callable
from typing import Literal

from rfs_monitoring.mono import MonoResult
from rfs_monitoring.result import Failure, Result, Success

__all__ = ["MethodShape", "ReturnKind"]

ReturnKind = Literal["result", "mono", "unknown"]
_RESULT_NAMES = frozenset({"Result", "Success", "Failure", "FastAPIResult", "ResultE", "Ok", "Err"})


class MethodShape:
    """What calling the original method gives: awaitable or not, Result / MonoResult, signature."""

    __slots__ = ("annotation", "is_async", "library", "returns", "signature")

    def __init__(
        self,
        *,
        is_async: bool,
        returns: ReturnKind,
        signature: inspect.Signature | None,
        library: str = "rfs_monitoring",
        annotation: str = "Result",
    ) -> None:
        self.is_async = is_async
        self.returns: ReturnKind = returns
        self.signature = signature
        self.library = library
        self.annotation = annotation

    @classmethod
    def of(cls, original: Callable[..., object], *, drop_first: bool = False) -> MethodShape:
        """The shape of ``original``; ``drop_first`` leaves ``self`` out of the signature."""
        known = getattr(original, "_rfs_shape", None)
        if isinstance(known, MethodShape):
            return known
        try:
            signature: inspect.Signature | None = inspect.signature(original)
        except (TypeError, ValueError):
            signature = None
        if signature is not None and drop_first:
            params = list(signature.parameters.values())[1:]
            signature = signature.replace(parameters=params)
        is_async = inspect.iscoroutinefunction(original) or inspect.iscoroutinefunction(
            inspect.unwrap(original)
        )
        returns, library, annotation = _classify_return(original)
        return cls(
            is_async=is_async,
            returns=returns,
            signature=signature,
            library=library,
            annotation=annotation,
        )

    def success(self, value: object) -> object:
        """``value`` wrapped as a Success of the original's Result library."""
        if self.library == "returns":
            from returns.result import Success as RSuccess

            return RSuccess(value)
        if self.library == "result":
            from result import Ok

            return Ok(value)
        return Success(value)

    def failure(self, error: object) -> object:
        """``error`` wrapped as a Failure of the original's Result library."""
        if self.library == "returns":
            from returns.result import Failure as RFailure

            return RFailure(error)
        if self.library == "result":
            from result import Err

            return Err(error)
        return Failure(error)


def _classify_return(fn: Callable[..., object]) -> tuple[ReturnKind, str, str]:
    try:
        annotation: object = typing.get_type_hints(fn).get("return", inspect.Signature.empty)
    except Exception:  # noqa: BLE001 - unresolvable names: fall back to the raw annotation
        try:
            annotation = inspect.signature(fn).return_annotation
        except (TypeError, ValueError):
            annotation = inspect.Signature.empty
    if isinstance(annotation, str):
        head = annotation.strip("'\" ").partition("[")[0].rpartition(".")[2]
        if head == "MonoResult":
            return "mono", "rfs_monitoring", annotation
        if head in _RESULT_NAMES:
            return "result", "rfs_monitoring", annotation
        return "unknown", "rfs_monitoring", annotation
    text = annotation.__name__ if isinstance(annotation, type) else repr(annotation)
    text = re.sub(r"\b(?:[A-Za-z_]\w*\.)+([A-Za-z_]\w*)", r"\1", text)
    origin = typing.get_origin(annotation) or annotation
    is_union = origin is typing.Union or origin is types.UnionType
    candidates = typing.get_args(annotation) if is_union else (annotation,)
    classes = [typing.get_origin(c) or c for c in candidates]
    if classes and all(isinstance(c, type) for c in classes):
        if all(issubclass(c, MonoResult) for c in classes):
            return "mono", "rfs_monitoring", text
        if all(issubclass(c, Result) for c in classes):
            return "result", "rfs_monitoring", text
        roots = {c.__module__.partition(".")[0] for c in classes}
        names = {c.__name__ for c in classes}
        if roots <= {"returns", "result"} and len(roots) == 1 and names <= _RESULT_NAMES:
            return "result", roots.pop(), text
    return "unknown", "rfs_monitoring", text
