"""Error values and exceptions of rfs_monitoring.

Exceptions raised by this package all derive from one root::

    RfsMonitoringError
    ├── UnwrapError            unwrap() on a Failure, unwrap_error() on a Success
    ├── ResultAdapterError     a value that is no Result of any known library (also TypeError)
    ├── ConfigurationError     a bad argument or setting (also ValueError)
    ├── MissingExtraError      an optional dependency is not installed (also ImportError)
    ├── ArchiveError           the metrics archive could not be written or read (also OSError)
    └── ResultTimeoutError     a MonoResult timed out (also TimeoutError and an APIError
                               with code TIMEOUT); a Failure value

``ErrorCode`` and ``APIError`` are *values* carried inside ``Failure``; each code maps
to an HTTP status used by the FastAPI glue.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import sys
from collections.abc import Mapping
from typing import Any, ClassVar

__all__ = [
    "APIError",
    "ArchiveError",
    "ConfigurationError",
    "ErrorClassification",
    "ErrorCode",
    "FaultKind",
    "MissingExtraError",
    "ResultAdapterError",
    "ResultTimeoutError",
    "RfsMonitoringError",
    "UnwrapError",
    "classify_code",
    "classify_error",
    "code_text",
    "error_code_of",
    "fault_of_status",
    "is_cancelled",
    "is_timeout",
    "known_code_of",
]


class RfsMonitoringError(Exception):
    """Root of every exception raised by rfs_monitoring."""


class UnwrapError(RfsMonitoringError):
    """``unwrap()`` was called on a Failure, or ``unwrap_error()`` on a Success.

    Attributes:
        result: the Result that was unwrapped the wrong way.
    """

    def __init__(self, result: object, message: str) -> None:
        super().__init__(message)
        self.result = result


class ResultAdapterError(RfsMonitoringError, TypeError):
    """A value given where a Result was expected is no Result of any known library.

    Attributes:
        value: the offending value.
    """

    def __init__(self, value: object, message: str) -> None:
        super().__init__(message)
        self.value = value


class ConfigurationError(RfsMonitoringError, ValueError):
    """A bad argument or setting; the message names the value and what is accepted."""


class MissingExtraError(RfsMonitoringError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""

    def __init__(self, feature: str, extra: str, module: str) -> None:
        msg = (
            f"{feature} needs the optional dependency {module!r}; "
            f"install it with: pip install 'rfs-monitoring[{extra}]'"
        )
        super().__init__(msg, name=module)
        self.feature = feature
        self.extra = extra


class ArchiveError(RfsMonitoringError, OSError):
    """The metrics archive (SQLite) could not be written or read.

    Attributes:
        path: the archive's file.
        kind: ``"busy"`` (another connection held the lock past the wait), ``"full"`` (the
            disk or the database is full) or ``"error"`` (anything else: a damaged or
            closed file, an I/O error).
    """

    def __init__(self, path: object, kind: str, reason: object) -> None:
        super().__init__(f"metrics archive {path} could not be used ({kind}): {reason}")
        self.path = path
        self.kind = kind


class ErrorCode(str, enum.Enum):
    """Error codes of APIError, each tied to one HTTP status (``.http_status``)."""

    BAD_REQUEST = "BAD_REQUEST"
    VALIDATION_ERROR = "VALIDATION_ERROR"
    UNAUTHORIZED = "UNAUTHORIZED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    RATE_LIMITED = "RATE_LIMITED"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    TIMEOUT = "TIMEOUT"
    CANCELLED = "CANCELLED"

    @property
    def http_status(self) -> int:
        """The HTTP status an APIError with this code is served with."""
        return _HTTP_STATUS[self]

    def __str__(self) -> str:
        return self.value


_HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.BAD_REQUEST: 400,
    ErrorCode.VALIDATION_ERROR: 422,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.INTERNAL_ERROR: 500,
    ErrorCode.SERVICE_UNAVAILABLE: 503,
    ErrorCode.TIMEOUT: 504,
    # nginx's "client closed request": the caller went away (or the task was cancelled)
    ErrorCode.CANCELLED: 499,
}


@dataclasses.dataclass(frozen=True)
class APIError:
    """An error meant for API clients: a code, a human message and details.

    A frozen dataclass: FastAPI and pydantic use it as a model and as an OpenAPI schema
    without this package importing pydantic (``import rfs_monitoring`` needs only the core
    dependencies).

    Args:
        code: an ErrorCode (or its string value).
        message: a message safe to show to clients.
        details: JSON-serialisable context (resource, id, field, ...).
    """

    code: ErrorCode
    message: str
    details: dict[str, Any] = dataclasses.field(default_factory=dict)

    GENERIC_INTERNAL_MESSAGE: ClassVar[str] = "Internal server error"

    def __post_init__(self) -> None:
        code: object = self.code
        if not isinstance(code, ErrorCode):
            try:
                object.__setattr__(self, "code", ErrorCode(code))
            except ValueError:
                accepted = ", ".join(c.value for c in ErrorCode)
                msg = f"APIError code {code!r} is not an ErrorCode; accepted: {accepted}"
                raise ConfigurationError(msg) from None
        message: object = self.message
        if not isinstance(message, str):
            kind = type(message).__name__
            msg = f"APIError message must be a str, got {kind}: {message!r}"
            raise ConfigurationError(msg)
        details: object = self.details
        if not isinstance(details, Mapping):
            kind = type(details).__name__
            msg = f"APIError details must be a mapping, got {kind}: {details!r}"
            raise ConfigurationError(msg)
        if not isinstance(details, dict):
            object.__setattr__(self, "details", dict(details))

    def __hash__(self) -> int:
        return hash((APIError, self.code, self.message))

    def __str__(self) -> str:
        return f"{self.code.value}: {self.message}"

    @property
    def http_status(self) -> int:
        """The HTTP status this error is served with."""
        return self.code.http_status

    def to_dict(self) -> dict[str, Any]:
        """The JSON body served for this error."""
        return {"code": self.code.value, "message": self.message, "details": dict(self.details)}

    @classmethod
    def not_found(cls, resource: str, resource_id: object) -> APIError:
        """``resource`` with id ``resource_id`` does not exist (404)."""
        return cls(
            ErrorCode.NOT_FOUND,
            f"{resource} {resource_id} not found",
            {"resource": resource, "id": str(resource_id)},
        )

    @classmethod
    def validation_error(
        cls, message: str, *, field: str | None = None, details: Mapping[str, Any] | None = None
    ) -> APIError:
        """The request or a value failed validation (422)."""
        extra = dict(details or {})
        if field is not None:
            extra["field"] = field
        return cls(ErrorCode.VALIDATION_ERROR, message, extra)

    @classmethod
    def bad_request(cls, message: str, details: Mapping[str, Any] | None = None) -> APIError:
        """The request is malformed (400)."""
        return cls(ErrorCode.BAD_REQUEST, message, dict(details or {}))

    @classmethod
    def unauthorized(cls, message: str = "Authentication required") -> APIError:
        """Credentials are missing or wrong (401)."""
        return cls(ErrorCode.UNAUTHORIZED, message)

    @classmethod
    def forbidden(cls, message: str = "Permission denied") -> APIError:
        """Authenticated, but not allowed (403)."""
        return cls(ErrorCode.FORBIDDEN, message)

    @classmethod
    def conflict(cls, message: str, details: Mapping[str, Any] | None = None) -> APIError:
        """The request conflicts with the current state (409)."""
        return cls(ErrorCode.CONFLICT, message, dict(details or {}))

    @classmethod
    def rate_limited(cls, message: str = "Too many requests") -> APIError:
        """The client sent too many requests (429)."""
        return cls(ErrorCode.RATE_LIMITED, message)

    @classmethod
    def service_unavailable(cls, message: str = "Service unavailable") -> APIError:
        """A dependency is down (503)."""
        return cls(ErrorCode.SERVICE_UNAVAILABLE, message)

    @classmethod
    def internal(
        cls, message: str = GENERIC_INTERNAL_MESSAGE, details: Mapping[str, Any] | None = None
    ) -> APIError:
        """An unexpected server-side failure (500)."""
        return cls(ErrorCode.INTERNAL_ERROR, message, dict(details or {}))

    @classmethod
    def timeout(
        cls, message: str = "Operation timed out", seconds: float | None = None
    ) -> APIError:
        """The operation timed out (504)."""
        details: dict[str, Any] = {} if seconds is None else {"timeout_seconds": seconds}
        return cls(ErrorCode.TIMEOUT, message, details)

    @classmethod
    def cancelled(cls, message: str = "Operation cancelled") -> APIError:
        """The operation was cancelled before it finished (499)."""
        return cls(ErrorCode.CANCELLED, message)

    @classmethod
    def from_service_error(cls, error: object) -> APIError:
        """Turn any error value into the APIError a client should see.

        - an APIError is returned unchanged;
        - a ``ResultTimeoutError`` / ``TimeoutError`` becomes TIMEOUT (504);
        - a ``CancelledError`` (asyncio's or concurrent.futures') becomes CANCELLED (499);
        - an object with a ``code`` naming an ErrorCode keeps that code and its
          ``message`` (else its ``str()``): it was written for clients;
        - ``PermissionError`` becomes FORBIDDEN, ``ConnectionError`` SERVICE_UNAVAILABLE and
          ``ValueError`` VALIDATION_ERROR, each with that code's generic message;
        - a string becomes INTERNAL_ERROR with that string as message (rfs-framework
          services fail with client-facing strings);
        - any other exception or value becomes INTERNAL_ERROR with a generic message.

        The text of an exception is never shown to clients (it may hold internals: SQL,
        paths, secrets); its type goes into ``details["error_type"]``.
        """
        if isinstance(error, ResultTimeoutError):  # an APIError too: made a plain one
            return cls.timeout(str(error), error.seconds)
        if isinstance(error, APIError):
            return error
        if isinstance(error, _timeout_types()):
            return cls.timeout()
        if isinstance(error, _cancelled_types()):
            return cls.cancelled()
        code = known_code_of(error)
        if code is not None:
            message = getattr(error, "message", None)
            return cls(code, message if isinstance(message, str) else str(error))
        details = {"error_type": type(error).__name__}
        if isinstance(error, PermissionError):
            return cls(ErrorCode.FORBIDDEN, "Permission denied", details)
        if isinstance(error, ConnectionError):
            return cls(ErrorCode.SERVICE_UNAVAILABLE, "Service unavailable", details)
        if isinstance(error, ValueError):
            return cls(ErrorCode.VALIDATION_ERROR, "Invalid value", details)
        if isinstance(error, str):
            return cls.internal(error)
        return cls.internal(details=details)


class ResultTimeoutError(RfsMonitoringError, TimeoutError, APIError):
    """A MonoResult did not finish within its timeout.

    Carried as ``Failure(ResultTimeoutError(...))``; ``str()`` says "timed out" and
    "timeout" (what the plan's ``assert_mono_result_timeout`` looks for). It is also an
    ``APIError`` with code TIMEOUT (504), ``message`` its ``str()`` and ``details``
    ``{"timeout_seconds": seconds}`` (and ``"operation"`` when known): a chain whose errors
    are APIErrors stays one after ``.timeout()``, for the type checker and at run time.

    Attributes:
        seconds: the timeout that expired.
        operation: the operation name, when known.
    """

    def __init__(self, seconds: float, operation: str | None = None) -> None:
        what = f"operation {operation!r}" if operation else "operation"
        text = f"{what} timed out after {seconds:g} seconds (timeout exceeded)"
        Exception.__init__(self, text)
        details: dict[str, Any] = {"timeout_seconds": seconds}
        if operation:
            details["operation"] = operation
        # APIError is frozen: its fields are set past its __setattr__
        object.__setattr__(self, "code", ErrorCode.TIMEOUT)
        object.__setattr__(self, "message", text)
        object.__setattr__(self, "details", details)
        self.seconds = seconds
        self.operation = operation

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ResultTimeoutError):
            return NotImplemented
        return (self.seconds, self.operation) == (other.seconds, other.operation)

    def __hash__(self) -> int:
        return hash((ResultTimeoutError, self.seconds, self.operation))

    def __reduce__(self) -> tuple[type[ResultTimeoutError], tuple[float, str | None]]:
        return (ResultTimeoutError, (self.seconds, self.operation))

    def __repr__(self) -> str:
        return f"ResultTimeoutError(seconds={self.seconds!r}, operation={self.operation!r})"

    def __str__(self) -> str:
        return self.message


def _timeout_types() -> tuple[type[BaseException], ...]:
    # asyncio.TimeoutError is TimeoutError from Python 3.11 on; on 3.10 it is its own class,
    # and none of it can exist before asyncio is imported: no need to import asyncio here.
    asyncio = sys.modules.get("asyncio")
    return (TimeoutError,) if asyncio is None else (TimeoutError, asyncio.TimeoutError)


def _cancelled_types() -> tuple[type[BaseException], ...]:
    # asyncio's CancelledError is a BaseException, concurrent.futures' an Exception; neither
    # can be raised before its module is imported
    found: list[type[BaseException]] = []
    for name in ("asyncio", "concurrent.futures"):
        module = sys.modules.get(name)
        kind = getattr(module, "CancelledError", None)
        if isinstance(kind, type) and issubclass(kind, BaseException):
            found.append(kind)
    return tuple(found)


def error_code_of(error: object) -> str | None:
    """The code an error value carries, as a string, or None.

    An APIError's code; a ``code`` attribute that is a str or an int (or an enum member of
    either, e.g. an ErrorCode); ``"TIMEOUT"`` for a timeout and ``"CANCELLED"`` for a
    ``CancelledError`` without a code of their own. The
    logging decorator and ``ResultMetricsCollector.record_result`` both describe errors
    with it, so an error has the same code in the log and in the metrics.

    Raises:
        Exception: whatever the error's own ``code`` attribute raises (callers count it).
    """
    if isinstance(error, APIError):
        return error.code.value
    raw = getattr(error, "code", None)
    raw = getattr(raw, "value", raw)
    if isinstance(raw, (str, int)) and not isinstance(raw, bool):
        return str(raw)
    if isinstance(error, _timeout_types()):
        return ErrorCode.TIMEOUT.value
    if isinstance(error, _cancelled_types()):
        return ErrorCode.CANCELLED.value
    return None


def code_text(code: object) -> str:
    """A code as text: an enum member's value (``ErrorCode.NOT_FOUND`` -> ``"NOT_FOUND"``)."""
    if isinstance(code, enum.Enum):
        return str(code.value)
    return str(code)


def is_timeout(error: object) -> bool:
    """Whether ``error`` is a timeout: a TimeoutError or any error whose code is TIMEOUT."""
    if isinstance(error, _timeout_types()):
        return True
    code = getattr(error, "code", None)
    return code is not None and code_text(code) == ErrorCode.TIMEOUT.value


def is_cancelled(error: object) -> bool:
    """Whether ``error`` is a cancellation: a CancelledError or any error whose code is
    CANCELLED."""
    if isinstance(error, _cancelled_types()):
        return True
    code = getattr(error, "code", None)
    return code is not None and code_text(code) == ErrorCode.CANCELLED.value


def known_code_of(error: object) -> ErrorCode | None:
    """The ErrorCode an error's ``code`` attribute names (any case), or None."""
    raw = getattr(error, "code", None)
    if isinstance(raw, ErrorCode):
        return raw
    if isinstance(raw, str):
        try:
            return ErrorCode(raw.upper())
        except ValueError:
            return None
    return None


class FaultKind(str, enum.Enum):
    """Whose fault an error is: the client's (4xx), the server's (5xx), a timeout (504) or
    nobody's: the call was cancelled (499)."""

    CLIENT = "client"
    SERVER = "server"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"

    def __str__(self) -> str:
        return self.value


def fault_of_status(status: int) -> FaultKind:
    """The fault kind an HTTP status stands for: 504 a timeout, 499 a cancellation, other
    4xx the client, anything else the server."""
    if status == ErrorCode.TIMEOUT.http_status:
        return FaultKind.TIMEOUT
    if status == ErrorCode.CANCELLED.http_status:
        return FaultKind.CANCELLED
    if 400 <= status < 500:
        return FaultKind.CLIENT
    return FaultKind.SERVER


@dataclasses.dataclass(frozen=True)
class ErrorClassification:
    """What an error is: its code, the HTTP status it stands for and whose fault it is."""

    code: str
    http_status: int
    fault: FaultKind


_UNKNOWN_CODE = "UNKNOWN"


def _status_of_code(code: str) -> int | None:
    known = ErrorCode.__members__.get(code.upper())
    if known is not None:
        return known.http_status
    if code.isdigit() and 400 <= int(code) <= 599:
        return int(code)
    return None


@functools.lru_cache(maxsize=1024)
def classify_code(code: str) -> ErrorClassification:
    """The classification of an error code given as text (what the metrics keep).

    An ErrorCode's name in any case takes its status, a number between 400 and 599 is a
    status itself, anything else is a server fault (500). ``classify_error`` is this rule
    applied to an error value's code (where a timeout without a known code is a timeout).
    """
    status = _status_of_code(code)
    if status is None:
        status = 500
    return ErrorClassification(code, status, fault_of_status(status))


def classify_error(error: object) -> ErrorClassification:
    """The one classification of an error value: code -> HTTP status -> fault kind.

    The code is ``error_code_of(error)`` (``"UNKNOWN"`` when the error names none); a code
    that is an ErrorCode (any case) takes its status, an int code between 400 and 599 is a
    status itself, a timeout is 504, and anything else is a server fault (500)
    (``classify_code``).

    Raises:
        Exception: whatever the error's own ``code`` attribute raises (callers count it).
    """
    code = error_code_of(error)
    if code is None:
        return classify_code(_UNKNOWN_CODE)
    if _status_of_code(code) is None and is_timeout(error):
        timeout = ErrorCode.TIMEOUT.http_status
        return ErrorClassification(code, timeout, fault_of_status(timeout))
    return classify_code(code)
