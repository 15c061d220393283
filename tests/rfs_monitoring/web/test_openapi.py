"""The OpenAPI schema of result-aware routes: success models and APIError responses."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from rfs_monitoring import (
    Success,
)
from rfs_monitoring.web import (
    FastAPIResult,
    install_result_routes,
)

from .app import app


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return app.openapi()


class TestOpenAPI:
    def test_the_success_type_is_the_200_schema(self, schema: dict[str, Any]) -> None:
        responses = schema["paths"]["/users/{user_id}"]["get"]["responses"]
        assert responses["200"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/UserResponse"
        }

    def test_an_undecorated_fastapiresult_route_documents_its_model(
        self, schema: dict[str, Any]
    ) -> None:
        responses = schema["paths"]["/analytics/performance"]["get"]["responses"]
        assert responses["200"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/PerformanceMetrics"
        }
        assert responses["404"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/APIError"
        }

    def test_error_statuses_reference_apierror(self, schema: dict[str, Any]) -> None:
        responses = schema["paths"]["/users/{user_id}"]["get"]["responses"]
        for status in ("400", "401", "403", "404", "409", "429", "500", "503", "504"):
            assert responses[status]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/APIError"
            }
        # FastAPI keeps documenting its own request-validation body under 422.
        assert responses["422"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/HTTPValidationError"
        }

    def test_apierror_component(self, schema: dict[str, Any]) -> None:
        component = schema["components"]["schemas"]["APIError"]
        assert set(component["properties"]) == {"code", "message", "details"}
        assert set(component["required"]) == {"code", "message"}
        codes = schema["components"]["schemas"]["ErrorCode"]["enum"]
        assert {"NOT_FOUND", "TIMEOUT", "INTERNAL_ERROR"} <= set(codes)

    def test_the_hidden_request_parameter_is_not_documented(self, schema: dict[str, Any]) -> None:
        operation = schema["paths"]["/users/{user_id}"]["get"]
        assert [p["name"] for p in operation["parameters"]] == ["user_id"]
        ages = schema["paths"]["/ages"]["get"]
        assert [p["name"] for p in ages["parameters"]] == ["age", "unit"]
        assert "_rfs_request" not in str(schema)

    def test_an_explicit_response_model_wins(self, schema: dict[str, Any]) -> None:
        responses = schema["paths"]["/filtered"]["get"]["responses"]
        assert responses["200"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/PublicUser"
        }

    def test_the_route_status_code_is_documented(self, schema: dict[str, Any]) -> None:
        responses = schema["paths"]["/users"]["post"]["responses"]
        assert responses["201"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/UserResponse"
        }

    def test_non_result_routes_get_no_apierror_responses(self, schema: dict[str, Any]) -> None:
        assert set(schema["paths"]["/plain-model"]["get"]["responses"]) == {"200"}

    def test_responses_given_to_the_route_win(self) -> None:
        local = FastAPI()
        install_result_routes(local)

        @local.get("/x", responses={404: {"description": "Nothing here"}})
        async def x() -> FastAPIResult[int]:
            return Success(1)

        responses = local.openapi()["paths"]["/x"]["get"]["responses"]
        assert responses["404"] == {"description": "Nothing here"}
        assert responses["500"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/APIError"
        }
