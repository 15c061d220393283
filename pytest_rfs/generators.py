"""Seeded test data factories: Success, Failure, FluxResult and APIError values.

A ``ResultFactory`` built with the same seed produces the same values in the same order,
so a failing test can be replayed (the ``rfs_factory`` fixture seeds it from the test id
and ``--rfs-seed``)::

    factory = ResultFactory(seed=1)
    factory.failure(ErrorCode.NOT_FOUND)   # Failure(APIError(code=NOT_FOUND, ...))
    factory.flux(successes=8, failures=2)  # FluxResult in a seeded order
"""

from __future__ import annotations

import random
import string
import zlib
from collections.abc import Callable
from typing import Any, TypeVar

from rfs_monitoring.errors import APIError, ConfigurationError, ErrorCode
from rfs_monitoring.flux import FluxResult
from rfs_monitoring.mono import MonoResult
from rfs_monitoring.result import Failure, Result, Success

__all__ = ["ResultFactory", "seed_for"]

T = TypeVar("T")

_RESOURCES = ("user", "order", "invoice", "product", "session", "account")
_FIELDS = ("email", "name", "age", "quantity", "currency", "password")


def seed_for(test_id: str, base_seed: int = 0) -> int:
    """A stable seed for ``test_id`` (same id and base seed: same seed, on every run)."""
    return (zlib.crc32(test_id.encode("utf-8")) ^ base_seed) & 0xFFFFFFFF


def _builders() -> dict[ErrorCode, Callable[[random.Random], APIError]]:
    def ident(rng: random.Random) -> str:
        return "".join(rng.choices(string.digits, k=6))

    def not_found(rng: random.Random) -> APIError:
        return APIError.not_found(rng.choice(_RESOURCES), ident(rng))

    def validation(rng: random.Random) -> APIError:
        field = rng.choice(_FIELDS)
        return APIError.validation_error(f"{field} is invalid", field=field)

    def bad_request(rng: random.Random) -> APIError:
        return APIError.bad_request("malformed request body", {"position": rng.randint(0, 512)})

    def conflict(rng: random.Random) -> APIError:
        resource = rng.choice(_RESOURCES)
        return APIError.conflict(f"{resource} already exists", {"resource": resource})

    def timeout(rng: random.Random) -> APIError:
        return APIError.timeout(seconds=float(rng.choice((0.5, 1, 2, 5, 10, 30))))

    return {
        ErrorCode.BAD_REQUEST: bad_request,
        ErrorCode.VALIDATION_ERROR: validation,
        ErrorCode.UNAUTHORIZED: lambda rng: APIError.unauthorized(),
        ErrorCode.FORBIDDEN: lambda rng: APIError.forbidden(),
        ErrorCode.NOT_FOUND: not_found,
        ErrorCode.CONFLICT: conflict,
        ErrorCode.PAYLOAD_TOO_LARGE: lambda rng: APIError(
            ErrorCode.PAYLOAD_TOO_LARGE, "the request body is too large", {"max_bytes": 65536}
        ),
        ErrorCode.RATE_LIMITED: lambda rng: APIError.rate_limited(),
        ErrorCode.INTERNAL_ERROR: lambda rng: APIError.internal(details={"incident": ident(rng)}),
        ErrorCode.SERVICE_UNAVAILABLE: lambda rng: APIError.service_unavailable(),
        ErrorCode.TIMEOUT: timeout,
        ErrorCode.CANCELLED: lambda rng: APIError.cancelled(),
    }


_BUILDERS = _builders()


class ResultFactory:
    """Builds Results, APIErrors and batches from one seeded random source.

    Args:
        seed: the seed; the same seed gives the same sequence of values.
    """

    __slots__ = ("_rng", "seed")

    def __init__(self, seed: int = 0) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            msg = f"ResultFactory seed must be an int, got {seed!r}"
            raise ConfigurationError(msg)
        self.seed = seed
        self._rng = random.Random(seed)

    def __repr__(self) -> str:
        return f"ResultFactory(seed={self.seed})"

    @property
    def random(self) -> random.Random:
        """The seeded ``random.Random`` behind this factory (for values of your own)."""
        return self._rng

    def value(self) -> int | str | dict[str, Any]:
        """A small random value: an int, a short str or a record dict."""
        kind = self._rng.randrange(3)
        if kind == 0:
            return self._rng.randint(-1000, 1000)
        if kind == 1:
            return "".join(self._rng.choices(string.ascii_lowercase, k=self._rng.randint(1, 12)))
        return {"id": self._rng.randint(1, 10**6), "name": self._rng.choice(_RESOURCES)}

    def api_error(self, code: ErrorCode | str | None = None, **overrides: Any) -> APIError:
        """An APIError with ``code`` (random when None) and a realistic message and details.

        Args:
            code: an ErrorCode or its string value.
            overrides: ``message=`` and/or ``details=`` replacing the generated ones.

        Raises:
            ConfigurationError: an unknown code or override name.
        """
        unknown = set(overrides) - {"message", "details"}
        if unknown:
            msg = f"api_error() accepts the overrides message= and details=, got {sorted(unknown)}"
            raise ConfigurationError(msg)
        chosen = self._code(code)
        error = _BUILDERS[chosen](self._rng)
        if overrides:
            error = APIError(
                chosen,
                overrides.get("message", error.message),
                overrides.get("details", error.details),
            )
        return error

    def api_errors(self) -> list[APIError]:
        """One APIError for every ErrorCode, in ErrorCode order."""
        return [self.api_error(code) for code in ErrorCode]

    def _code(self, code: ErrorCode | str | None) -> ErrorCode:
        if code is None:
            return self._rng.choice(list(ErrorCode))
        try:
            return ErrorCode(code)
        except ValueError:
            accepted = ", ".join(c.value for c in ErrorCode)
            msg = f"unknown error code {code!r}; accepted: {accepted}"
            raise ConfigurationError(msg) from None

    def success(self, value: T | None = None) -> Success[T | int | str | dict[str, Any]]:
        """``Success(value)``; a random value when None."""
        return Success(self.value() if value is None else value)

    def failure(self, error: object = None) -> Failure[Any]:
        """``Failure(error)``; ``error`` may be an ErrorCode (or None: a random APIError)."""
        if error is None or isinstance(error, ErrorCode):
            return Failure(self.api_error(error))
        return Failure(error)

    def result(self, success_rate: float = 0.5) -> Result[Any, APIError]:
        """A random Success (probability ``success_rate``) or Failure(APIError)."""
        self._check_rate(success_rate)
        if self._rng.random() < success_rate:
            return self.success()
        return self.failure()

    def results(self, count: int, success_rate: float = 0.5) -> list[Result[Any, APIError]]:
        """``count`` random Results (see ``result``)."""
        self._check_count(count, "count")
        self._check_rate(success_rate)
        return [self.result(success_rate) for _ in range(count)]

    def flux(
        self, successes: int, failures: int, *, shuffle: bool = True
    ) -> FluxResult[Any, APIError]:
        """A FluxResult with exactly ``successes`` Successes and ``failures`` Failures.

        Args:
            shuffle: mix them in a seeded order (otherwise Successes come first).
        """
        self._check_count(successes, "successes")
        self._check_count(failures, "failures")
        items: list[Result[Any, APIError]] = [self.success() for _ in range(successes)]
        items.extend(self.failure() for _ in range(failures))
        if shuffle:
            self._rng.shuffle(items)
        return FluxResult.from_results(items)

    def mono_success(self, value: T | None = None) -> MonoResult[Any, Any]:
        """A MonoResult yielding ``success(value)``."""
        return MonoResult.from_result(self.success(value))

    def mono_failure(self, error: object = None) -> MonoResult[Any, Any]:
        """A MonoResult yielding ``failure(error)``."""
        return MonoResult.from_result(self.failure(error))

    @staticmethod
    def _check_count(value: object, name: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            msg = f"{name} must be an int >= 0, got {value!r}"
            raise ConfigurationError(msg)

    @staticmethod
    def _check_rate(value: object) -> None:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1
        if not ok:
            msg = f"success_rate must be a number from 0 to 1, got {value!r}"
            raise ConfigurationError(msg)
