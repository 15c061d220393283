"""The plan's user retrieval chain, written so that it can be property-tested.

``get_user`` is the target pattern of the plan: a MonoResult chain that calls the user
service, validates the record with ``validate_user_response`` and turns any error into an
``APIError``. ``test_user_retrieval_properties.py`` beside this file tests it with Hypothesis.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Protocol

from rfs_monitoring import APIError, Failure, MonoResult, Result, Success

MAX_NAME_LENGTH = 100


@dataclasses.dataclass(frozen=True)
class UserResponse:
    """What the API returns for a user."""

    user_id: str
    name: str
    email: str
    active: bool = True


def validate_user_response(user: Mapping[str, Any]) -> Result[UserResponse, APIError]:
    """Turn a raw user record into a UserResponse, or a VALIDATION_ERROR naming the field."""
    user_id = user.get("user_id")
    if not isinstance(user_id, str) or not user_id.isdigit():
        message = "user_id must be a string of digits"
        return Failure(APIError.validation_error(message, field="user_id"))
    name = user.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_LENGTH:
        return Failure(
            APIError.validation_error(
                f"name must be 1 to {MAX_NAME_LENGTH} characters, not blank", field="name"
            )
        )
    email = user.get("email")
    if not isinstance(email, str) or not _looks_like_email(email):
        return Failure(APIError.validation_error("email must look like name@domain", field="email"))
    active = user.get("active", True)
    if not isinstance(active, bool):
        return Failure(APIError.validation_error("active must be a boolean", field="active"))
    return Success(UserResponse(user_id, name.strip(), email, active))


def _looks_like_email(text: str) -> bool:
    local, at, domain = text.partition("@")
    return bool(local and at and domain) and "@" not in domain


def ensure_active(user: UserResponse) -> Result[UserResponse, APIError]:
    """A deactivated user is forbidden (403)."""
    if not user.active:
        return Failure(APIError.forbidden(f"user {user.user_id} is deactivated"))
    return Success(user)


class UserService(Protocol):
    """What ``get_user`` needs from the user service."""

    def get_user_async(self, user_id: str) -> Any:
        """An awaitable (or MonoResult) of ``Result[raw user record, error]``."""


async def get_user(user_service: UserService, user_id: str) -> Result[UserResponse, APIError]:
    """The plan's user retrieval chain."""
    return await (
        MonoResult.from_async_result(lambda: user_service.get_user_async(user_id))
        .log_step("user_service_call")
        .bind_result(lambda user: validate_user_response(user))
        .bind_result(ensure_active)
        .log_step("user_validation")
        # timeout before map_error: a ResultTimeoutError also becomes an APIError (504)
        .timeout(5.0)
        .map_error(lambda e: APIError.from_service_error(e))
        .log_error("user_retrieval_error")
        .to_result()
    )
