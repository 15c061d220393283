"""Property tests of the plan's user retrieval chain (run: ``pytest examples/property_testing``)."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st
from user_retrieval import UserResponse, ensure_active, get_user, validate_user_response

from pytest_rfs.laws import Chain, assert_mono_matches_result, check_result_laws
from pytest_rfs.strategies import api_errors, mono_results, results
from rfs_monitoring import APIError, ErrorCode, MonoResult, Result

FAST = settings(max_examples=40, deadline=None)


def valid_users() -> st.SearchStrategy[dict[str, object]]:
    """Raw user records that validate."""
    return st.fixed_dictionaries(
        {
            "user_id": st.text("0123456789", min_size=1, max_size=8),
            "name": st.text(min_size=1, max_size=100).filter(str.strip),
            "email": st.builds(
                "{}@{}".format,
                st.text("abcxyz._", min_size=1, max_size=8),
                st.text("abcxyz.", min_size=1, max_size=8),
            ),
            "active": st.booleans(),
        }
    )


def raw_users() -> st.SearchStrategy[dict[str, object]]:
    """Any record the service might send: valid ones, and ones with a field broken."""
    junk = st.one_of(st.none(), st.integers(), st.text(max_size=5))
    broken = valid_users().flatmap(
        lambda user: st.sampled_from(sorted(user)).flatmap(
            lambda key: junk.map(lambda value: {**user, key: value})
        )
    )
    return valid_users() | broken


service_errors = st.one_of(
    api_errors(),
    st.builds(ConnectionError, st.text(max_size=10)),
    st.builds(TimeoutError),
)


@FAST
@given(valid_users())
def test_valid_records_validate(user: dict[str, object]) -> None:
    result = validate_user_response(user)
    assert result == validate_user_response(user)
    response = result.unwrap()
    assert isinstance(response, UserResponse)
    assert response.user_id == user["user_id"]


@FAST
@given(raw_users())
def test_validation_never_raises_and_names_the_field(user: dict[str, object]) -> None:
    result = validate_user_response(user)
    if result.is_failure():
        error = result.unwrap_error()
        assert error.code is ErrorCode.VALIDATION_ERROR
        assert error.details["field"] in user


class FakeUserService:
    """Answers every call with one MonoResult drawn by Hypothesis."""

    def __init__(self, answer: MonoResult[dict[str, object], object]) -> None:
        self.answer = answer
        self.calls: list[str] = []

    def get_user_async(self, user_id: str) -> MonoResult[dict[str, object], object]:
        self.calls.append(user_id)
        return self.answer


@FAST
@given(
    mono_results(
        results(success=raw_users(), failure=service_errors),
        raises=st.builds(ConnectionError, st.text(max_size=10)),
    )
)
def test_get_user_always_yields_user_or_api_error(
    answer: MonoResult[dict[str, object], object],
) -> None:
    service = FakeUserService(answer)
    result: Result[UserResponse, APIError] = asyncio.run(get_user(service, "123"))
    assert service.calls == ["123"]
    if result.is_success():
        assert isinstance(result.unwrap(), UserResponse)
    else:
        assert isinstance(result.unwrap_error(), APIError)


user_chain = (
    Chain().bind(validate_user_response).bind(ensure_active).map_error(APIError.from_service_error)
)


def test_mono_chain_matches_plain_result_chain() -> None:
    assert_mono_matches_result(
        user_chain, results=results(success=raw_users(), failure=service_errors), settings=FAST
    )


TestUserChainLaws = check_result_laws(
    validate_user_response,
    ensure_active,
    values=raw_users(),
    errors=service_errors,
    error_map=APIError.from_service_error,
    settings=FAST,
)
