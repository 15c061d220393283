"""Testing the Result-returning service of ``metrics_dashboard.py`` with pytest-rfs.

Run: ``pytest examples/monitoring`` (add ``--rfs-metrics-report`` for the per-test table).
The plugin loads itself; nothing here needs a conftest.py. In order:

1. the plan's two target tests, as written there;
2. Result-aware mocking (``result_mocker``: sequences, exceptions, delays, call checks);
3. assertions on Results, batches and timeouts;
4. assertions on the structured log entries (``rfs_logs``);
5. assertions on the metrics (``rfs_metrics``), also through the HTTP API;
6. a Hypothesis property test of the whole chain;
7. a performance and failure-rate budget (``@pytest.mark.rfs_budget``).
"""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from metrics_dashboard import UserRecord, UserResponse, get_user, user_service
from testing_patterns import api_client, sample_user, user_records

from pytest_rfs import (
    ResultMocker,
    assert_flux_result_stats,
    assert_mono_result_timeout,
    assert_result_error,
    assert_result_success,
    mock_result_service,
)
from rfs_monitoring import (
    APIError,
    ErrorCode,
    Failure,
    FluxResult,
    MonoResult,
    ResultMetricsCollector,
    ResultTimeoutError,
    Success,
)

# --------------------------------------------------------------------------- 1. the plan's tests


@pytest.mark.asyncio
async def test_get_user_success():
    # Result 패턴을 고려한 모킹
    with mock_result_service("user_service", "get_user_async") as mock_svc:
        mock_svc.return_success(sample_user)

        result = await get_user("123")

        assert_result_success(result, UserResponse)
        assert result.unwrap().user_id == "123"
        mock_svc.assert_called_once_with("123")


@pytest.mark.asyncio
async def test_get_user_not_found():
    with mock_result_service("user_service", "get_user_async") as mock_svc:
        mock_svc.return_error(APIError.not_found("사용자", "123"))

        result = await get_user("123")

        assert_result_error(result, APIError)
        assert result.unwrap_error().code == ErrorCode.NOT_FOUND


# --------------------------------------------------------------------------- 2. mocking


@pytest.mark.asyncio
async def test_a_sequence_of_answers_drives_the_http_statuses(result_mocker: ResultMocker) -> None:
    """The fixture patches until the end of the test; the app is called over HTTP in process."""
    broken = UserRecord("124", name="", email="x@example.com")
    service = result_mocker.patch(user_service, "get_user_async").return_sequence(
        [Success(sample_user), Success(broken), Failure(APIError.not_found("user", "125"))]
    )

    async with api_client() as client:
        statuses = [(await client.get(f"/users/{n}")).status_code for n in ("123", "124", "125")]

    assert statuses == [200, 422, 404]
    assert service.call_count == 3
    service.assert_called_with("125")


@pytest.mark.asyncio
async def test_a_service_that_raises_becomes_a_503(result_mocker: ResultMocker) -> None:
    """``APIError.from_service_error`` maps a ConnectionError to SERVICE_UNAVAILABLE."""
    result_mocker.patch(user_service, "get_user_async").raise_exception(ConnectionError("db down"))

    result = await get_user("123")

    error = assert_result_error(result, APIError, code=ErrorCode.SERVICE_UNAVAILABLE)
    assert "db down" not in error.message  # clients never see the exception text
    async with api_client() as client:
        assert (await client.get("/users/123")).status_code == 503


# --------------------------------------------------------------------------- 3. assertions


@pytest.mark.asyncio
async def test_assertions_check_values_codes_and_messages(result_mocker: ResultMocker) -> None:
    mock = result_mocker.patch(user_service, "get_user_async")

    mock.return_success(sample_user)
    user = assert_result_success(await get_user("123"), UserResponse, matches={"name": "Kim Minji"})
    assert user == UserResponse("123", "Kim Minji", "minji@example.com")

    mock.return_success(UserRecord("123", "Kim Minji", "no-at-sign"))
    assert_result_error(
        await get_user("123"), code=ErrorCode.VALIDATION_ERROR, message_contains="email"
    )


@pytest.mark.asyncio
async def test_a_batch_of_lookups_has_the_expected_counts() -> None:
    """Against the real in-memory service: two known users, one unknown."""
    batch = FluxResult.from_results([await get_user(i) for i in ("u-001", "u-002", "u-404")])

    assert_flux_result_stats(batch, expected_success=2, expected_failures=1)
    assert [e.code for e in batch.errors()] == [ErrorCode.NOT_FOUND]


@pytest.mark.asyncio
async def test_a_slow_service_times_out(result_mocker: ResultMocker) -> None:
    result_mocker.patch(user_service, "get_user_async").return_success(sample_user).with_delay(5)
    chain = MonoResult.from_async_result(lambda: user_service.get_user_async("123")).timeout(0.05)

    # The lower bound is exact (never early); the generous slack keeps a busy CI green.
    error = await assert_mono_result_timeout(chain, 0.05, slack_seconds=5.0)
    assert isinstance(error, ResultTimeoutError)


# --------------------------------------------------------------------------- 4. logs


@pytest.mark.asyncio
async def test_every_step_of_the_chain_is_logged(rfs_logs, rfs_correlation_id) -> None:
    result = await get_user("u-404")

    assert_result_error(result, code=ErrorCode.NOT_FOUND)
    rfs_logs.assert_logged(operation_name="user_retrieval", step_name="user_service_call")
    rfs_logs.assert_logged(step_name="user_retrieval_error", error_code="NOT_FOUND")
    entry = rfs_logs.assert_logged(operation_name="user_retrieval", step_name=None)
    assert entry.result_type == "error"
    assert entry.correlation_id == rfs_correlation_id
    rfs_logs.assert_not_logged(result_type="success")
    rfs_logs.assert_all_structured()  # every entry validates against the JSON schema


@pytest.mark.asyncio
async def test_the_correlation_id_of_a_request_reaches_its_log_entries(rfs_logs) -> None:
    async with api_client() as client:
        response = await client.get("/users/u-001", headers={"X-Correlation-ID": "req-42"})

    assert response.headers["X-Correlation-ID"] == "req-42"
    assert {e.correlation_id for e in rfs_logs.entries} == {"req-42"}


# --------------------------------------------------------------------------- 5. metrics


@pytest.mark.asyncio
async def test_metrics_count_each_outcome(rfs_metrics: ResultMetricsCollector) -> None:
    """``rfs_metrics`` is an isolated collector: only this test's calls are in it."""
    for user_id in ("u-001", "u-002", "u-bad", "u-404"):
        await get_user(user_id)

    metrics = await ResultMetricsCollector.instance().get_operation_metrics("user_retrieval")
    figures = assert_result_success(metrics)
    assert (figures.total_requests, figures.failed_requests) == (4, 2)
    assert figures.error_breakdown == {"NOT_FOUND": 1, "VALIDATION_ERROR": 1}

    async with api_client() as client:
        report = (await client.get("/analytics/performance")).json()
        health = (await client.get("/monitoring/health/result-patterns")).json()
    assert report["total_requests"] == 4
    assert report["success_rate"] == pytest.approx(0.5)
    # The example's router has no auth: health tells strangers the overall status only.
    # A 404 and a 422 are client errors: shown, but the service is available (no 5xx).
    assert health == {"status": "healthy"}


@pytest.mark.asyncio
async def test_an_operation_never_called_is_a_404(rfs_metrics: ResultMetricsCollector) -> None:
    async with api_client() as client:
        response = await client.get("/analytics/performance")

    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


# --------------------------------------------------------------------------- 6. properties


@settings(max_examples=30, deadline=None)
@given(
    stored=st.one_of(
        user_records().map(Success),
        st.sampled_from([APIError.not_found("user", "1"), APIError.internal()]).map(Failure),
    )
)
def test_get_user_always_yields_a_user_or_an_api_error(stored) -> None:
    """Whatever the service answers, the endpoint answers a UserResponse or an APIError."""
    with mock_result_service(user_service, "get_user_async") as service:
        if stored.is_success():
            service.return_success(stored.unwrap())
        else:
            service.return_error(stored.unwrap_error())
        result = asyncio.run(get_user("123"))

    if result.is_success():
        assert result.unwrap().user_id == stored.unwrap().user_id
    else:
        assert isinstance(result.unwrap_error(), APIError)
        assert stored.is_failure() or result.unwrap_error().code is ErrorCode.VALIDATION_ERROR


# --------------------------------------------------------------------------- 7. budgets


@pytest.mark.rfs_budget(operation="user_retrieval", p99_ms=5000, max_failure_rate=0.0)
@pytest.mark.asyncio
async def test_user_lookups_stay_within_budget() -> None:
    """Fails when any lookup fails or the slowest comes near the 5 s timeout."""
    for user_id in ("u-001", "u-002"):
        assert_result_success(await get_user(user_id), UserResponse)
