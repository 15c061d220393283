"""ErrorCode, APIError and the exception tree of rfs_monitoring.errors."""

from __future__ import annotations

import asyncio
import dataclasses
from types import MappingProxyType

import pytest

from rfs_monitoring import (
    APIError,
    ConfigurationError,
    ErrorCode,
    MissingExtraError,
    ResultAdapterError,
    ResultTimeoutError,
    RfsMonitoringError,
    UnwrapError,
)
from rfs_monitoring.errors import (
    ErrorClassification,
    FaultKind,
    classify_code,
    classify_error,
    code_text,
    error_code_of,
    fault_of_status,
    is_cancelled,
    is_timeout,
    known_code_of,
)


class TestErrorCode:
    @pytest.mark.parametrize(
        ("code", "status"),
        [
            (ErrorCode.BAD_REQUEST, 400),
            (ErrorCode.VALIDATION_ERROR, 422),
            (ErrorCode.UNAUTHORIZED, 401),
            (ErrorCode.FORBIDDEN, 403),
            (ErrorCode.NOT_FOUND, 404),
            (ErrorCode.CONFLICT, 409),
            (ErrorCode.PAYLOAD_TOO_LARGE, 413),
            (ErrorCode.RATE_LIMITED, 429),
            (ErrorCode.INTERNAL_ERROR, 500),
            (ErrorCode.SERVICE_UNAVAILABLE, 503),
            (ErrorCode.TIMEOUT, 504),
            (ErrorCode.CANCELLED, 499),
        ],
    )
    def test_each_code_has_its_http_status(self, code: ErrorCode, status: int) -> None:
        assert code.http_status == status
        assert APIError(code, "m").http_status == status

    def test_str_is_the_value(self) -> None:
        assert str(ErrorCode.NOT_FOUND) == "NOT_FOUND"
        assert f"{ErrorCode.TIMEOUT}" == "TIMEOUT"
        assert ErrorCode.NOT_FOUND == "NOT_FOUND"


class TestAPIError:
    def test_fields(self) -> None:
        error = APIError(ErrorCode.CONFLICT, "taken", {"name": "ada"})
        assert (error.code, error.message, error.details) == (
            ErrorCode.CONFLICT,
            "taken",
            {"name": "ada"},
        )

    def test_details_default_to_an_empty_dict(self) -> None:
        assert APIError(ErrorCode.NOT_FOUND, "m").details == {}

    def test_a_code_string_is_accepted(self) -> None:
        assert APIError("NOT_FOUND", "m").code is ErrorCode.NOT_FOUND  # type: ignore[arg-type]

    def test_an_unknown_code_is_refused(self) -> None:
        with pytest.raises(ConfigurationError) as info:
            APIError("TEAPOT", "m")  # type: ignore[arg-type]
        assert str(info.value) == (
            "APIError code 'TEAPOT' is not an ErrorCode; accepted: BAD_REQUEST, "
            "VALIDATION_ERROR, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, CONFLICT, PAYLOAD_TOO_LARGE, "
            "RATE_LIMITED, "
            "INTERNAL_ERROR, SERVICE_UNAVAILABLE, TIMEOUT, CANCELLED"
        )

    def test_a_non_string_message_is_refused(self) -> None:
        with pytest.raises(ConfigurationError) as info:
            APIError(ErrorCode.NOT_FOUND, 404)  # type: ignore[arg-type]
        assert str(info.value) == "APIError message must be a str, got int: 404"

    def test_non_mapping_details_are_refused(self) -> None:
        with pytest.raises(ConfigurationError) as info:
            APIError(ErrorCode.NOT_FOUND, "m", ["x"])  # type: ignore[arg-type]
        assert str(info.value) == "APIError details must be a mapping, got list: ['x']"

    def test_mapping_details_become_a_dict(self) -> None:
        error = APIError(ErrorCode.NOT_FOUND, "m", MappingProxyType({"a": 1}))  # type: ignore[arg-type]
        assert type(error.details) is dict
        assert error.details == {"a": 1}

    def test_frozen(self) -> None:
        error = APIError.forbidden()
        with pytest.raises(dataclasses.FrozenInstanceError):
            error.message = "x"  # type: ignore[misc]

    def test_equality_and_hash(self) -> None:
        assert APIError.not_found("User", 1) == APIError.not_found("User", "1")
        assert APIError.conflict("a", {"x": 1}) != APIError.conflict("a", {"x": 2})
        assert hash(APIError.conflict("a", {"x": 1})) == hash(APIError.conflict("a", {"x": 2}))
        assert len({APIError.forbidden(), APIError.forbidden()}) == 1

    def test_str(self) -> None:
        assert str(APIError.not_found("User", 7)) == "NOT_FOUND: User 7 not found"

    def test_to_dict_is_the_served_body(self) -> None:
        error = APIError.validation_error("bad", field="age")
        body = error.to_dict()
        assert body == {"code": "VALIDATION_ERROR", "message": "bad", "details": {"field": "age"}}
        body["details"]["x"] = 1
        assert error.details == {"field": "age"}

    def test_a_pydantic_schema_can_be_built(self) -> None:
        from pydantic import TypeAdapter

        adapter = TypeAdapter(APIError)
        schema = adapter.json_schema()
        assert set(schema["properties"]) == {"code", "message", "details"}
        dumped = adapter.dump_python(APIError.not_found("User", 1), mode="json")
        assert dumped == {
            "code": "NOT_FOUND",
            "message": "User 1 not found",
            "details": {"resource": "User", "id": "1"},
        }


class TestFactories:
    def test_not_found(self) -> None:
        assert APIError.not_found("사용자", "123") == APIError(
            ErrorCode.NOT_FOUND, "사용자 123 not found", {"resource": "사용자", "id": "123"}
        )

    def test_validation_error(self) -> None:
        assert APIError.validation_error("bad") == APIError(ErrorCode.VALIDATION_ERROR, "bad")
        assert APIError.validation_error("bad", field="age", details={"min": 0}).details == {
            "min": 0,
            "field": "age",
        }

    def test_bad_request(self) -> None:
        assert APIError.bad_request("no", {"a": 1}) == APIError(
            ErrorCode.BAD_REQUEST, "no", {"a": 1}
        )

    @pytest.mark.parametrize(
        ("error", "code", "message"),
        [
            (APIError.unauthorized(), ErrorCode.UNAUTHORIZED, "Authentication required"),
            (APIError.forbidden(), ErrorCode.FORBIDDEN, "Permission denied"),
            (APIError.rate_limited(), ErrorCode.RATE_LIMITED, "Too many requests"),
            (APIError.service_unavailable(), ErrorCode.SERVICE_UNAVAILABLE, "Service unavailable"),
            (APIError.internal(), ErrorCode.INTERNAL_ERROR, "Internal server error"),
            (APIError.timeout(), ErrorCode.TIMEOUT, "Operation timed out"),
            (APIError.unauthorized("token expired"), ErrorCode.UNAUTHORIZED, "token expired"),
        ],
    )
    def test_defaults(self, error: APIError, code: ErrorCode, message: str) -> None:
        assert (error.code, error.message, error.details) == (code, message, {})

    def test_conflict(self) -> None:
        assert APIError.conflict("dup", {"k": 1}).details == {"k": 1}
        assert APIError.conflict("dup").details == {}

    def test_internal_with_details(self) -> None:
        assert APIError.internal("x", {"a": 1}).details == {"a": 1}

    def test_timeout_with_seconds(self) -> None:
        assert APIError.timeout(seconds=2.5).details == {"timeout_seconds": 2.5}


class CodedError(Exception):
    def __init__(self, code: object, message: object = None) -> None:
        super().__init__(f"coded {code}")
        self.code = code
        self.message = message


class TestFromServiceError:
    def test_an_apierror_is_returned_unchanged(self) -> None:
        error = APIError.conflict("c")
        assert APIError.from_service_error(error) is error

    def test_a_result_timeout_keeps_its_text_and_seconds(self) -> None:
        error = APIError.from_service_error(ResultTimeoutError(5.0, "user_retrieval"))
        assert error == APIError(
            ErrorCode.TIMEOUT,
            "operation 'user_retrieval' timed out after 5 seconds (timeout exceeded)",
            {"timeout_seconds": 5.0},
        )

    @pytest.mark.parametrize("exc", [TimeoutError("10.0.0.1"), asyncio.TimeoutError()])
    def test_other_timeouts(self, exc: BaseException) -> None:
        assert APIError.from_service_error(exc) == APIError.timeout()

    def test_a_cancellation_becomes_cancelled(self) -> None:
        error = APIError.from_service_error(asyncio.CancelledError())
        assert error == APIError(ErrorCode.CANCELLED, "Operation cancelled")
        assert error.http_status == 499

    @pytest.mark.parametrize(
        ("exc", "code", "message"),
        [
            (PermissionError("/etc/shadow"), ErrorCode.FORBIDDEN, "Permission denied"),
            (
                ConnectionRefusedError("10.0.0.5:5432"),
                ErrorCode.SERVICE_UNAVAILABLE,
                "Service unavailable",
            ),
            (
                ValueError("invalid literal for int(): 'x'"),
                ErrorCode.VALIDATION_ERROR,
                "Invalid value",
            ),
            (KeyError("secret-key"), ErrorCode.INTERNAL_ERROR, "Internal server error"),
        ],
    )
    def test_exceptions_get_a_code_and_no_internal_text(
        self, exc: Exception, code: ErrorCode, message: str
    ) -> None:
        error = APIError.from_service_error(exc)
        assert error == APIError(code, message, {"error_type": type(exc).__name__})

    def test_a_string_is_the_message(self) -> None:
        assert APIError.from_service_error("User service down") == APIError(
            ErrorCode.INTERNAL_ERROR, "User service down"
        )

    def test_other_values(self) -> None:
        assert APIError.from_service_error(None) == APIError(
            ErrorCode.INTERNAL_ERROR, "Internal server error", {"error_type": "NoneType"}
        )

    @pytest.mark.parametrize("code", [ErrorCode.NOT_FOUND, "NOT_FOUND", "not_found"])
    def test_a_coded_error_keeps_its_code_and_message(self, code: object) -> None:
        assert APIError.from_service_error(CodedError(code, "no such user")) == APIError(
            ErrorCode.NOT_FOUND, "no such user"
        )

    def test_a_coded_error_without_message_uses_its_text(self) -> None:
        assert APIError.from_service_error(CodedError("CONFLICT")) == APIError(
            ErrorCode.CONFLICT, "coded CONFLICT"
        )

    @pytest.mark.parametrize("code", ["E42", 404])
    def test_unknown_codes_are_ignored(self, code: object) -> None:
        assert APIError.from_service_error(CodedError(code)).code is ErrorCode.INTERNAL_ERROR


class TestExceptions:
    @pytest.mark.parametrize(
        ("cls", "also"),
        [
            (UnwrapError, RfsMonitoringError),
            (ResultAdapterError, TypeError),
            (ConfigurationError, ValueError),
            (MissingExtraError, ImportError),
            (ResultTimeoutError, TimeoutError),
        ],
    )
    def test_tree(self, cls: type[BaseException], also: type[BaseException]) -> None:
        assert issubclass(cls, RfsMonitoringError)
        assert issubclass(cls, also)

    def test_missing_extra_names_the_extra(self) -> None:
        error = MissingExtraError("rfs_monitoring.web", "fastapi", "starlette")
        assert str(error) == (
            "rfs_monitoring.web needs the optional dependency 'starlette'; "
            "install it with: pip install 'rfs-monitoring[fastapi]'"
        )
        assert (error.feature, error.extra, error.name) == (
            "rfs_monitoring.web",
            "fastapi",
            "starlette",
        )

    def test_result_timeout_error(self) -> None:
        error = ResultTimeoutError(0.5)
        assert str(error) == "operation timed out after 0.5 seconds (timeout exceeded)"
        assert "timed out" in str(error)
        assert "timeout" in str(error).lower()
        assert repr(error) == "ResultTimeoutError(seconds=0.5, operation=None)"
        assert (error.seconds, error.operation) == (0.5, None)

    def test_result_timeout_error_equality(self) -> None:
        assert ResultTimeoutError(1, "a") == ResultTimeoutError(1, "a")
        assert ResultTimeoutError(1, "a") != ResultTimeoutError(1, "b")
        assert hash(ResultTimeoutError(1, "a")) == hash(ResultTimeoutError(1.0, "a"))
        assert ResultTimeoutError(1).__eq__(TimeoutError()) is NotImplemented


class TestErrorCodeOf:
    """One rule for the code of an error, shared by the log entries and the metrics."""

    @pytest.mark.parametrize(
        ("error", "expected"),
        [
            (APIError.not_found("user", 1), "NOT_FOUND"),
            (ResultTimeoutError(1.0), "TIMEOUT"),
            (TimeoutError("slow"), "TIMEOUT"),
            (asyncio.TimeoutError(), "TIMEOUT"),
            (asyncio.CancelledError(), "CANCELLED"),
            (ValueError("bad"), None),
            ("plain text", None),
        ],
    )
    def test_codes_of_common_errors(self, error: object, expected: str | None) -> None:
        assert error_code_of(error) == expected

    def test_a_code_attribute_wins(self) -> None:
        class Coded(Exception):
            code = ErrorCode.FORBIDDEN

        class Numbered(Exception):
            code = 42

        class Flagged(Exception):
            code = True

        assert [error_code_of(e) for e in (Coded(), Numbered(), Flagged())] == [
            "FORBIDDEN",
            "42",
            None,
        ]

    def test_a_raising_code_attribute_propagates_for_the_caller_to_count(self) -> None:
        class Weird(Exception):
            @property
            def code(self) -> str:
                raise RuntimeError("no code")

        with pytest.raises(RuntimeError, match="no code"):
            error_code_of(Weird())


class TestClassifyError:
    """One classification: code -> HTTP status -> whose fault."""

    @pytest.mark.parametrize(
        ("error", "expected"),
        [
            (APIError.not_found("user", 1), ("NOT_FOUND", 404, FaultKind.CLIENT)),
            (APIError.validation_error("bad"), ("VALIDATION_ERROR", 422, FaultKind.CLIENT)),
            (APIError.internal(), ("INTERNAL_ERROR", 500, FaultKind.SERVER)),
            (APIError.timeout(), ("TIMEOUT", 504, FaultKind.TIMEOUT)),
            (TimeoutError("slow"), ("TIMEOUT", 504, FaultKind.TIMEOUT)),
            (ResultTimeoutError(1.0, "op"), ("TIMEOUT", 504, FaultKind.TIMEOUT)),
            (ValueError("no code"), ("UNKNOWN", 500, FaultKind.SERVER)),
            ("a plain string", ("UNKNOWN", 500, FaultKind.SERVER)),
            (APIError.cancelled(), ("CANCELLED", 499, FaultKind.CANCELLED)),
            (asyncio.CancelledError(), ("CANCELLED", 499, FaultKind.CANCELLED)),
        ],
    )
    def test_known_shapes(self, error: object, expected: tuple[str, int, FaultKind]) -> None:
        result = classify_error(error)
        assert (result.code, result.http_status, result.fault) == expected

    def test_a_code_attribute_in_any_case_takes_its_error_codes_status(self) -> None:
        class Coded(Exception):
            code = "conflict"

        assert classify_error(Coded()) == ErrorClassification("conflict", 409, FaultKind.CLIENT)

    def test_an_int_code_in_the_http_error_range_is_its_own_status(self) -> None:
        class Http(Exception):
            code = 429

        class Weird(Exception):
            code = 7

        assert classify_error(Http()) == ErrorClassification("429", 429, FaultKind.CLIENT)
        assert classify_error(Weird()) == ErrorClassification("7", 500, FaultKind.SERVER)

    def test_a_known_code_on_a_timeout_keeps_its_status(self) -> None:
        class Internal(TimeoutError):
            code = "INTERNAL_ERROR"

        assert classify_error(Internal()) == ErrorClassification(
            "INTERNAL_ERROR", 500, FaultKind.SERVER
        )

    @pytest.mark.parametrize(
        ("code", "status", "fault"),
        [
            ("NOT_FOUND", 404, FaultKind.CLIENT),
            ("not_found", 404, FaultKind.CLIENT),
            ("TIMEOUT", 504, FaultKind.TIMEOUT),
            ("CANCELLED", 499, FaultKind.CANCELLED),
            ("INTERNAL_ERROR", 500, FaultKind.SERVER),
            ("409", 409, FaultKind.CLIENT),
            ("700", 500, FaultKind.SERVER),
            ("UNKNOWN", 500, FaultKind.SERVER),
            ("__other__", 500, FaultKind.SERVER),
        ],
    )
    def test_classify_code_reads_the_code_text_alone(
        self, code: str, status: int, fault: FaultKind
    ) -> None:
        assert classify_code(code) == ErrorClassification(code, status, fault)

    def test_an_unknown_code_on_a_timeout_is_still_a_timeout(self) -> None:
        class SlowUpstream(TimeoutError):
            code = "UPSTREAM_SLOW"

        assert classify_error(SlowUpstream()) == ErrorClassification(
            "UPSTREAM_SLOW", 504, FaultKind.TIMEOUT
        )

    @pytest.mark.parametrize(
        ("status", "fault"),
        [
            (400, FaultKind.CLIENT),
            (498, FaultKind.CLIENT),
            (499, FaultKind.CANCELLED),
            (504, FaultKind.TIMEOUT),
            (500, FaultKind.SERVER),
            (503, FaultKind.SERVER),
            (302, FaultKind.SERVER),
        ],
    )
    def test_fault_of_status(self, status: int, fault: FaultKind) -> None:
        assert fault_of_status(status) is fault
        assert str(fault) == fault.value


class TestCodeHelpers:
    def test_code_text_reads_enum_values(self) -> None:
        assert code_text(ErrorCode.NOT_FOUND) == "NOT_FOUND"
        assert code_text(404) == "404"

    def test_is_timeout(self) -> None:
        assert is_timeout(TimeoutError())
        assert is_timeout(APIError.timeout())
        assert not is_timeout(APIError.not_found("x", 1))
        assert not is_timeout(ValueError())

    def test_is_cancelled(self) -> None:
        import concurrent.futures

        assert is_cancelled(asyncio.CancelledError())
        assert is_cancelled(concurrent.futures.CancelledError())
        assert is_cancelled(APIError.cancelled())
        assert not is_cancelled(APIError.timeout())
        assert not is_cancelled(ValueError())

    def test_known_code_of(self) -> None:
        class Lower(Exception):
            code = "not_found"

        class Other(Exception):
            code = "NOPE"

        class Direct(Exception):
            code = ErrorCode.CONFLICT

        assert known_code_of(Lower()) is ErrorCode.NOT_FOUND
        assert known_code_of(Other()) is None
        assert known_code_of(Direct()) is ErrorCode.CONFLICT
        assert known_code_of(ValueError()) is None
