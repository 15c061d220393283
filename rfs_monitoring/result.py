"""The Result type: ``Success(value)`` or ``Failure(error)``, and adapters for other libraries.

``Result[T, E]`` is an abstract generic base: usable in annotations, ``isinstance`` checks and
``typing.get_args``. ``Success`` and ``Failure`` are final, slotted and immutable, compare and
hash by variant and payload, and support ``match``::

    match result:
        case Success(user):
            ...
        case Failure(APIError(code=ErrorCode.NOT_FOUND)):
            ...

``to_result`` turns the Result values of ``returns``, ``result`` (rustedpy) and
``rfs-framework`` into ours; ``register_result_adapter`` adds more.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import Any, Generic, NoReturn, TypeVar, final

from rfs_monitoring.errors import ResultAdapterError, UnwrapError

__all__ = [
    "Failure",
    "Result",
    "Success",
    "is_result_like",
    "register_result_adapter",
    "to_result",
    "unregister_result_adapter",
]

T_co = TypeVar("T_co", covariant=True)
E_co = TypeVar("E_co", covariant=True)
U = TypeVar("U")
F = TypeVar("F")


class Result(abc.ABC, Generic[T_co, E_co]):
    """Either ``Success(value)`` or ``Failure(error)``; the two variants are the only subclasses."""

    __slots__ = ()

    @abc.abstractmethod
    def is_success(self) -> bool:
        """True for Success."""

    @abc.abstractmethod
    def is_failure(self) -> bool:
        """True for Failure."""

    @abc.abstractmethod
    def unwrap(self) -> T_co:
        """The success value; raises ``UnwrapError`` (showing the error) on a Failure."""

    @abc.abstractmethod
    def unwrap_error(self) -> E_co:
        """The error; raises ``UnwrapError`` (showing the value) on a Success."""

    @abc.abstractmethod
    def unwrap_or(self, default: U) -> T_co | U:
        """The success value, or ``default`` for a Failure."""

    @abc.abstractmethod
    def unwrap_or_else(self, fn: Callable[[E_co], U]) -> T_co | U:
        """The success value, or ``fn(error)`` for a Failure."""

    @abc.abstractmethod
    def map(self, fn: Callable[[T_co], U]) -> Result[U, E_co]:
        """Apply ``fn`` to the success value; a Failure passes through."""

    @abc.abstractmethod
    def map_error(self, fn: Callable[[E_co], F]) -> Result[T_co, F]:
        """Apply ``fn`` to the error; a Success passes through."""

    @abc.abstractmethod
    def bind(self, fn: Callable[[T_co], Result[U, F]]) -> Result[U, E_co | F]:
        """Chain a Result-returning ``fn`` on the success value; a Failure passes through."""

    @abc.abstractmethod
    def or_else(self, fn: Callable[[E_co], Result[U, F]]) -> Result[T_co | U, F]:
        """Recover from a Failure with a Result-returning ``fn``; a Success passes through."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        """Pydantic's hook: a ``Result[T, E]`` field validates a Success as ``T`` and turns a
        Failure into its HTTP error (``rfs_monitoring.result_schema``; needs pydantic)."""
        from rfs_monitoring.result_schema import result_core_schema

        return result_core_schema(source, handler)


@final
class Success(Result[T_co, Any], Generic[T_co]):
    """A successful Result holding ``value``."""

    __slots__ = ("value",)
    __match_args__ = ("value",)

    value: T_co

    def __init__(self, value: T_co) -> None:
        object.__setattr__(self, "value", value)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        msg = f"Success is immutable: cannot set {name!r}"
        raise AttributeError(msg)

    def __delattr__(self, name: str) -> NoReturn:
        msg = f"Success is immutable: cannot delete {name!r}"
        raise AttributeError(msg)

    def __reduce__(self) -> tuple[type[Success[T_co]], tuple[T_co]]:
        return (Success, (self.value,))

    def __repr__(self) -> str:
        return f"Success({self.value!r})"

    def __eq__(self, other: object) -> bool:
        if type(other) is Success:
            return bool(self.value == other.value)
        if type(other) is Failure:
            return False
        return NotImplemented

    def __hash__(self) -> int:
        return hash((Success, self.value))

    def is_success(self) -> bool:
        return True

    def is_failure(self) -> bool:
        return False

    def unwrap(self) -> T_co:
        return self.value

    def unwrap_error(self) -> NoReturn:
        msg = f"called unwrap_error() on Success({self.value!r})"
        raise UnwrapError(self, msg)

    def unwrap_or(self, default: object) -> T_co:
        return self.value

    def unwrap_or_else(self, fn: Callable[[Any], object]) -> T_co:
        return self.value

    def map(self, fn: Callable[[T_co], U]) -> Success[U]:
        return Success(fn(self.value))

    def map_error(self, fn: Callable[[Any], object]) -> Success[T_co]:
        return self

    def bind(self, fn: Callable[[T_co], Result[U, F]]) -> Result[U, F]:
        return fn(self.value)

    def or_else(self, fn: Callable[[Any], object]) -> Success[T_co]:
        return self


@final
class Failure(Result[Any, E_co], Generic[E_co]):
    """A failed Result holding ``error``."""

    __slots__ = ("error",)
    __match_args__ = ("error",)

    error: E_co

    def __init__(self, error: E_co) -> None:
        object.__setattr__(self, "error", error)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        msg = f"Failure is immutable: cannot set {name!r}"
        raise AttributeError(msg)

    def __delattr__(self, name: str) -> NoReturn:
        msg = f"Failure is immutable: cannot delete {name!r}"
        raise AttributeError(msg)

    def __reduce__(self) -> tuple[type[Failure[E_co]], tuple[E_co]]:
        return (Failure, (self.error,))

    def __repr__(self) -> str:
        return f"Failure({self.error!r})"

    def __eq__(self, other: object) -> bool:
        if type(other) is Failure:
            return bool(self.error == other.error)
        if type(other) is Success:
            return False
        return NotImplemented

    def __hash__(self) -> int:
        return hash((Failure, self.error))

    def is_success(self) -> bool:
        return False

    def is_failure(self) -> bool:
        return True

    def unwrap(self) -> NoReturn:
        msg = f"called unwrap() on Failure({self.error!r})"
        err = UnwrapError(self, msg)
        if isinstance(self.error, BaseException):
            raise err from self.error
        raise err

    def unwrap_error(self) -> E_co:
        return self.error

    def unwrap_or(self, default: U) -> U:
        return default

    def unwrap_or_else(self, fn: Callable[[E_co], U]) -> U:
        return fn(self.error)

    def map(self, fn: Callable[[Any], object]) -> Failure[E_co]:
        return self

    def map_error(self, fn: Callable[[E_co], F]) -> Failure[F]:
        return Failure(fn(self.error))

    def bind(self, fn: Callable[[Any], object]) -> Failure[E_co]:
        return self

    def or_else(self, fn: Callable[[E_co], Result[U, F]]) -> Result[U, F]:
        return fn(self.error)


# --------------------------------------------------------------------------- adapters

Adapter = Callable[[Any], "Result[Any, Any] | None"]
"""Returns our Result for a value it knows, ``None`` for any other value."""

_adapters: list[Adapter] = []


def register_result_adapter(adapter: Adapter) -> Adapter:
    """Register ``adapter(value) -> Result | None`` for another library's Result values.

    Adapters registered later are tried first. Usable as a decorator; returns ``adapter``.

    Raises:
        TypeError: ``adapter`` is not callable.
    """
    candidate: object = adapter
    if not callable(candidate):
        msg = f"a result adapter must be callable, got {candidate!r}"
        raise TypeError(msg)
    _adapters.insert(0, adapter)
    return adapter


def unregister_result_adapter(adapter: Adapter) -> bool:
    """Remove an adapter added with ``register_result_adapter``; False if it was not there."""
    try:
        _adapters.remove(adapter)
    except ValueError:
        return False
    return True


def _module_root(value: object) -> str:
    return type(value).__module__.partition(".")[0]


def _from_returns(value: Any) -> Result[Any, Any] | None:
    # dry-python/returns: returns.result.Success / Failure (both subclasses of Result).
    if _module_root(value) != "returns":
        return None
    from returns.result import Failure as RFailure
    from returns.result import Success as RSuccess

    if isinstance(value, RSuccess):
        return Success(value.unwrap())
    if isinstance(value, RFailure):
        return Failure(value.failure())
    return None


def _from_rustedpy(value: Any) -> Result[Any, Any] | None:
    # rustedpy/result: result.Ok / result.Err.
    if _module_root(value) != "result":
        return None
    name = type(value).__name__
    if name == "Ok":
        return Success(value.ok_value)
    if name == "Err":
        return Failure(value.err_value)
    return None


def _from_rfs_framework(value: Any) -> Result[Any, Any] | None:
    # rfs-framework: rfs.core.result.Success / Failure.
    if _module_root(value) != "rfs":
        return None
    is_success = getattr(value, "is_success", None)
    if not callable(is_success):
        return None
    if is_success():
        return Success(value.unwrap())
    return Failure(value.unwrap_error())


_BUILTIN_ADAPTERS: tuple[Adapter, ...] = (_from_returns, _from_rustedpy, _from_rfs_framework)


def to_result(value: object) -> Result[Any, Any]:
    """Return ``value`` as our Result: ours unchanged, other libraries' converted.

    Raises:
        ResultAdapterError: ``value`` is no Result of any known or registered library.
    """
    if isinstance(value, Result):
        return value
    for adapter in (*_adapters, *_BUILTIN_ADAPTERS):
        converted = adapter(value)
        if converted is not None:
            return converted
    msg = (
        f"expected a Result (rfs_monitoring Success/Failure, returns, result or rfs-framework, "
        f"or a type with a registered adapter), got {type(value).__name__}: {value!r}"
    )
    raise ResultAdapterError(value, msg)


def is_result_like(value: object) -> bool:
    """True when ``to_result(value)`` would succeed."""
    try:
        to_result(value)
    except ResultAdapterError:
        return False
    return True
