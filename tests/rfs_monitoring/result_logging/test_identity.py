"""service_identity: the service name and environment from the standard environment first."""

from __future__ import annotations

import pytest

from rfs_monitoring.result_logging.identity import (
    DEFAULT_ENVIRONMENT,
    DEFAULT_SERVICE_NAME,
    ServiceIdentity,
    parse_resource_attributes,
    service_identity,
)


class TestServiceIdentity:
    def test_the_plan_defaults_without_any_variable(self) -> None:
        assert service_identity({}) == ServiceIdentity(
            "rfs-framework", "production", "default", "default"
        )
        assert (DEFAULT_SERVICE_NAME, DEFAULT_ENVIRONMENT) == ("rfs-framework", "production")

    def test_the_rfs_variables_over_the_defaults(self) -> None:
        env = {"RFS_SERVICE_NAME": "billing", "RFS_ENVIRONMENT": "staging"}
        assert service_identity(env) == ServiceIdentity(
            "billing", "staging", "RFS_SERVICE_NAME", "RFS_ENVIRONMENT"
        )

    def test_the_opentelemetry_variables_over_the_rfs_ones(self) -> None:
        env = {
            "OTEL_SERVICE_NAME": "otel-billing",
            "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=eu-prod",
            "RFS_SERVICE_NAME": "billing",
            "RFS_ENVIRONMENT": "staging",
        }
        assert service_identity(env) == ServiceIdentity(
            "otel-billing",
            "eu-prod",
            "OTEL_SERVICE_NAME",
            "OTEL_RESOURCE_ATTRIBUTES deployment.environment",
        )

    def test_otel_service_name_over_the_resource_service_name(self) -> None:
        env = {"OTEL_SERVICE_NAME": "a", "OTEL_RESOURCE_ATTRIBUTES": "service.name=b"}
        assert service_identity(env).service_name == "a"
        del env["OTEL_SERVICE_NAME"]
        identity = service_identity(env)
        assert (identity.service_name, identity.service_name_source) == (
            "b",
            "OTEL_RESOURCE_ATTRIBUTES service.name",
        )

    def test_the_current_semantic_convention_over_its_older_spelling(self) -> None:
        env = {
            "OTEL_RESOURCE_ATTRIBUTES": (
                "deployment.environment=old, deployment.environment.name = new"
            )
        }
        identity = service_identity(env)
        assert (identity.environment, identity.environment_source) == (
            "new",
            "OTEL_RESOURCE_ATTRIBUTES deployment.environment.name",
        )

    def test_empty_values_count_as_unset(self) -> None:
        env = {
            "OTEL_SERVICE_NAME": " ",
            "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=",
            "RFS_SERVICE_NAME": "",
            "RFS_ENVIRONMENT": "qa",
        }
        assert service_identity(env) == ServiceIdentity(
            "rfs-framework", "qa", "default", "RFS_ENVIRONMENT"
        )

    def test_a_malformed_resource_variable_is_ignored_and_named(self) -> None:
        env = {
            "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=prod,oops",
            "RFS_ENVIRONMENT": "qa",
        }
        assert service_identity(env) == ServiceIdentity(
            "rfs-framework",
            "qa",
            "default",
            "RFS_ENVIRONMENT",
            "OTEL_RESOURCE_ATTRIBUTES: expected comma-separated key=value pairs, "
            "got the item 'oops'; the variable was ignored",
        )

    def test_reads_os_environ_by_default(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("OTEL_SERVICE_NAME", "from-os")
        assert service_identity().service_name == "from-os"


class TestParseResourceAttributes:
    def test_pairs_are_stripped_and_percent_decoded(self) -> None:
        assert parse_resource_attributes(" a = 1 ,b=x%2Cy%20z,, c=") == {
            "a": "1",
            "b": "x,y z",
            "c": "",
        }

    def test_an_empty_value_has_no_attributes(self) -> None:
        assert parse_resource_attributes("") == {}

    @pytest.mark.parametrize("bad", ["novalue", "=x", "a=1, =2"])
    def test_an_item_without_a_key_is_refused(self, bad: str) -> None:
        with pytest.raises(ValueError, match="expected comma-separated key=value pairs") as info:
            parse_resource_attributes(bad)
        item = bad.split(",")[-1].strip()
        assert str(info.value).endswith(f"got the item {item!r}")
