"""Masking of secrets in log data: sensitive keys, secrets in free text, odd objects."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.masking import (
    MASK,
    MAX_DEPTH,
    MAX_ITEMS,
    MAX_TEXT_CHARS,
    REDACTED_ON_ERROR,
    add_masking_pattern,
    add_sensitive_keys,
    is_sensitive_key,
    mask_text,
    mask_value,
    masking_stats,
)

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
VISA = "4111111111111111"


def luhn_complete(prefix: str) -> str:
    """``prefix`` + the check digit that makes it Luhn-valid."""
    total = 0
    for index, char in enumerate(reversed(prefix + "0")):
        digit = int(char)
        if index % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return prefix + str((10 - total % 10) % 10)


class TestSensitiveKeys:
    @pytest.mark.parametrize(
        "key",
        [
            "password",
            "PASSWORD",
            "user_password",
            "passwd",
            "secret",
            "client_secret",
            "token",
            "access_token",
            "refreshToken",
            "api_key",
            "apiKey",
            "X-Api-Key",
            "authorization",
            "Authorization",
            "cookie",
            "Set-Cookie",
            "session",
            "sessionId",
            "card_number",
            "cardNumber",
            "cvv",
            "ssn",
            "user.ssn",
            "pin",
            "private_key",
        ],
    )
    def test_sensitive(self, key: str) -> None:
        assert is_sensitive_key(key)
        assert mask_value({key: "s3cr3t-value", "other": 1}) == {key: MASK, "other": 1}

    @pytest.mark.parametrize(
        "key", ["username", "lessness", "description", "id", "spinner", "count"]
    )
    def test_not_sensitive(self, key: str) -> None:
        assert not is_sensitive_key(key)
        assert mask_value({key: "plain"}) == {key: "plain"}

    def test_non_string_keys_are_stringified_and_never_sensitive_by_type(self) -> None:
        assert not is_sensitive_key(42)
        assert mask_value({1: "a", (2, 3): "b"}) == {"1": "a", "(2, 3)": "b"}

    def test_whole_nested_value_under_a_sensitive_key_is_masked(self) -> None:
        assert mask_value({"credentials": {"user": "u", "pw": "p"}}) == {"credentials": MASK}

    def test_added_keys_are_masked_until_removed(self) -> None:
        remove = add_sensitive_keys("tenantSecretish", "employee-no")
        try:
            assert mask_value({"employee_no": 7, "tenant_secretish": 1}) == {
                "employee_no": MASK,
                "tenant_secretish": MASK,
            }
        finally:
            remove()
        assert mask_value({"employee_no": 7}) == {"employee_no": 7}

    @pytest.mark.parametrize("bad", ["", 3, None])
    def test_added_keys_must_be_non_empty_strings(self, bad: object) -> None:
        with pytest.raises(ConfigurationError) as info:
            add_sensitive_keys(bad)  # type: ignore[arg-type]
        assert str(info.value) == f"sensitive keys must be non-empty strings, got {bad!r}"


@dataclasses.dataclass
class Login:
    username: str
    password: str
    note: str = ""


class Card(BaseModel):
    holder: str
    card_number: str
    memo: str = ""


class Color(enum.Enum):
    RED = "red"


class TestStructures:
    def test_nested_containers(self) -> None:
        data = {
            "users": [{"name": "a", "token": "t1"}, ({"apiKey": "k"},)],
            "tags": {"x"},
            "frozen": frozenset({1}),
        }
        assert mask_value(data) == {
            "users": [{"name": "a", "token": MASK}, [{"apiKey": MASK}]],
            "tags": ["x"],
            "frozen": [1],
        }

    def test_dataclasses_and_pydantic_models_become_masked_dicts(self) -> None:
        value = {
            "login": Login("bob", "hunter2", note=f"card {VISA}"),
            "card": Card(holder="Bob", card_number=VISA),
        }
        assert mask_value(value) == {
            "login": {"username": "bob", "password": MASK, "note": f"card {MASK}1111"},
            "card": {"holder": "Bob", "card_number": MASK, "memo": ""},
        }

    def test_a_dataclass_type_is_not_a_record(self) -> None:
        assert mask_value(Login).startswith("<class ")

    def test_cycles_are_cut(self) -> None:
        data: dict[str, Any] = {"a": 1}
        data["self"] = data
        items: list[Any] = [1]
        items.append(items)
        assert mask_value(data) == {"a": 1, "self": "<cycle>"}
        assert mask_value(items) == [1, "<cycle>"]

    def test_shared_but_acyclic_values_are_repeated(self) -> None:
        shared = {"v": 1}
        assert mask_value([shared, shared]) == [{"v": 1}, {"v": 1}]

    def test_depth_and_width_are_bounded(self) -> None:
        deep: Any = "bottom"
        for _ in range(MAX_DEPTH + 5):
            deep = [deep]
        text = json.dumps(mask_value(deep))
        assert "<max depth>" in text
        assert "bottom" not in text
        wide = mask_value(list(range(MAX_ITEMS + 10)))
        assert len(wide) == MAX_ITEMS + 1
        assert wide[-1] == "<truncated>"
        wide_map = mask_value({str(i): i for i in range(MAX_ITEMS + 10)})
        assert wide_map["<truncated>"] is True

    def test_scalars_become_json_safe(self) -> None:
        moment = datetime.datetime(2026, 1, 2, 3, 4, 5)
        assert mask_value(
            [None, True, 3, 2.5, float("nan"), float("inf"), b"xyz", Color.RED, moment, 2**70]
        ) == [
            None,
            True,
            3,
            2.5,
            "nan",
            "inf",
            "<bytes len=3>",
            "red",
            "2026-01-02T03:04:05",
            str(2**70),
        ]
        assert mask_value(datetime.date(2026, 1, 2)) == "2026-01-02"

    def test_card_numbers_stored_as_ints_are_masked(self) -> None:
        assert mask_value({"n": int(VISA)}) == {"n": f"{MASK}1111"}
        assert mask_value({"n": 1234567890123}) == {"n": 1234567890123}  # not Luhn-valid

    def test_exceptions_and_other_objects_are_masked_text(self) -> None:
        assert mask_value(ValueError("password=abc")) == f"ValueError: password={MASK}"

        class Thing:
            def __str__(self) -> str:
                return f"thing with token {JWT}"

        assert mask_value(Thing()) == f"thing with token {MASK}"


class TestText:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            (f"jwt {JWT} end", f"jwt {MASK} end"),
            ("Authorization: Bearer abc.def-ghi_123", f"Authorization: {MASK}"),
            ("header bearer abcdefgh12345 ok", f"header bearer {MASK} ok"),
            ("password=hunter2&user=bob", f"password={MASK}&user=bob"),
            ("db_password = hunter2, next", f"db_password = {MASK}, next"),
            ("X-Api-Key: abc123", f"X-Api-Key: {MASK}"),
            ("{'cvv': 123}", f"{{'cvv': {MASK}}}"),
            ('{"api_key": "k-123"}', f'{{"api_key": {MASK}}}'),
            ("secret: 's p a c e'", f"secret: {MASK}"),
            (f"pay with {VISA} now", f"pay with {MASK}1111 now"),
            ("pay with 4111 1111 1111 1111 now", f"pay with {MASK}1111 now"),
            ("pay with 4111-1111-1111-1111 now", f"pay with {MASK}1111 now"),
            ("order 1234567890123 shipped", "order 1234567890123 shipped"),
            ("mail john.doe@example.com please", f"mail j{MASK}@example.com please"),
            ("nothing to see", "nothing to see"),
        ],
    )
    def test_builtin_patterns(self, text: str, expected: str) -> None:
        assert mask_text(text) == expected

    def test_non_strings_are_converted(self) -> None:
        assert mask_text(12) == "12"  # type: ignore[arg-type]

    def test_huge_strings_are_truncated(self) -> None:
        masked = mask_text("a" * (MAX_TEXT_CHARS + 100))
        assert masked == "a" * MAX_TEXT_CHARS + "...[truncated 100 chars]"

    def test_user_patterns(self) -> None:
        remove = add_masking_pattern(r"EMP-(\d+)", "EMP-#")
        remove_compiled = add_masking_pattern(re.compile("internal-[a-z]+"))
        try:
            assert mask_text("EMP-42 on internal-host") == f"EMP-# on {MASK}"
            assert masking_stats()["patterns"] >= 2
        finally:
            remove()
            remove_compiled()
        assert mask_text("EMP-42") == "EMP-42"

    def test_callable_replacements(self) -> None:
        remove = add_masking_pattern(r"acct-(\d+)", lambda m: f"acct-{len(m.group(1))}digits")
        try:
            assert mask_text("acct-12345") == "acct-5digits"
        finally:
            remove()

    def test_bad_patterns_are_refused_with_the_reason(self) -> None:
        with pytest.raises(ConfigurationError) as info:
            add_masking_pattern("(unclosed")
        assert str(info.value).startswith(
            "masking pattern '(unclosed' is not a valid regular expression: "
        )
        with pytest.raises(ConfigurationError) as info:
            add_masking_pattern(42)  # type: ignore[arg-type]
        assert str(info.value) == "masking pattern must be a str or re.Pattern, got int: 42"
        with pytest.raises(ConfigurationError) as info:
            add_masking_pattern("x", replacement=3)  # type: ignore[arg-type]
        assert str(info.value) == (
            "masking replacement must be a str or a callable taking the match, got int: 3"
        )


class TestNeverRaises:
    def test_a_raising_rule_redacts_and_counts(self) -> None:
        def explode(match: re.Match[str]) -> str:
            raise RuntimeError("rule bug")

        remove = add_masking_pattern("boom", explode)
        before = masking_stats()["faults"]
        try:
            assert mask_text("boom") == REDACTED_ON_ERROR
            assert mask_value({"a": "boom", "b": "fine"}) == {"a": REDACTED_ON_ERROR, "b": "fine"}
        finally:
            remove()
        assert masking_stats()["faults"] == before + 2

    def test_an_object_whose_str_raises(self) -> None:
        class Bad:
            def __str__(self) -> str:
                raise RuntimeError("no str")

        before = masking_stats()["faults"]
        assert mask_value({"bad": Bad(), "ok": 1}) == {"bad": REDACTED_ON_ERROR, "ok": 1}
        assert mask_value(Bad()) == REDACTED_ON_ERROR
        assert mask_text(Bad()) == REDACTED_ON_ERROR  # type: ignore[arg-type]
        assert masking_stats()["faults"] == before + 3

    def test_a_mapping_whose_items_raise(self) -> None:
        class BrokenMapping(dict):  # type: ignore[type-arg]
            def items(self) -> Iterator[Any]:  # type: ignore[override]
                raise RuntimeError("broken")

        before = masking_stats()["faults"]
        assert mask_value(BrokenMapping(a=1)) == REDACTED_ON_ERROR
        assert masking_stats()["faults"] == before + 1


# --------------------------------------------------------------------------- property tests

_filler = st.text(alphabet="abcdefghij klm", min_size=0, max_size=12)
_token = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=16, max_size=32).filter(
    lambda t: any(c.isdigit() for c in t) and any(c.isalpha() for c in t)
)
_card = st.sampled_from(["4", "51", "37", "6011"]).flatmap(
    lambda prefix: st.text(
        alphabet="0123456789", min_size=15 - len(prefix), max_size=15 - len(prefix)
    ).map(lambda body: luhn_complete(prefix + body))
)
_sensitive_key = st.sampled_from(
    ["password", "apiKey", "Authorization", "session_id", "cvv", "ssn", "client-secret"]
)


@st.composite
def secret_and_carrier(draw: st.DrawFn) -> tuple[str, object]:
    """A secret and a small value carrying it (under a sensitive key, or inside text)."""
    kind = draw(st.sampled_from(["key", "jwt", "bearer", "kv", "card"]))
    if kind == "key":
        secret = draw(_token)
        return secret, {draw(_sensitive_key): secret}
    if kind == "jwt":
        secret = f"eyJ{draw(_token)}.eyJ{draw(_token)}.{draw(_token)}"
        return secret, f"{draw(_filler)} {secret} {draw(_filler)}"
    if kind == "bearer":
        secret = draw(_token)
        return secret, f"{draw(_filler)} Bearer {secret} {draw(_filler)}"
    if kind == "kv":
        secret = draw(_token)
        key = draw(st.sampled_from(["password", "token", "api_key", "secret"]))
        sep = draw(st.sampled_from(["=", ": ", " = "]))
        return secret, f"{draw(_filler)} {key}{sep}{secret} {draw(_filler)}"
    secret = draw(_card)
    return secret, f"{draw(_filler)} card {secret} {draw(_filler)}"


def _embed(carrier: object) -> st.SearchStrategy[object]:
    """Nest ``carrier`` somewhere inside dicts, lists, tuples and dataclasses."""
    plain_keys = st.sampled_from(["data", "items", "user", "payload", "x"])

    def wrap(inner: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
        return st.one_of(
            st.builds(lambda k, v, other: {k: v, "other": other}, plain_keys, inner, _filler),
            st.builds(lambda v, other: [other, v], inner, _filler),
            st.builds(lambda v: (v,), inner),
            st.builds(
                lambda v: (
                    Login("bob", "pw-not-the-secret", note=v) if isinstance(v, str) else {"note": v}
                ),
                inner,
            ),
        )

    return st.recursive(st.just(carrier), wrap, max_leaves=6)


class TestNoSecretSurvives:
    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data(), pair=secret_and_carrier())
    def test_secrets_in_nested_structures(
        self, data: st.DataObject, pair: tuple[str, object]
    ) -> None:
        secret, carrier = pair
        value = data.draw(_embed(carrier))
        rendered = json.dumps(mask_value(value))
        assert secret not in rendered

    @settings(max_examples=100, deadline=None)
    @given(pair=secret_and_carrier())
    def test_secrets_in_text(self, pair: tuple[str, object]) -> None:
        secret, carrier = pair
        text = carrier if isinstance(carrier, str) else json.dumps(carrier)
        assert secret not in mask_text(text)

    @settings(max_examples=100, deadline=None)
    @given(
        value=st.recursive(
            st.none()
            | st.booleans()
            | st.integers()
            | st.floats()
            | st.text(max_size=20)
            | st.binary(max_size=5),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(st.text(max_size=8), inner, max_size=4)
            ),
            max_leaves=12,
        )
    )
    def test_any_value_gives_json_without_raising(self, value: object) -> None:
        json.dumps(mask_value(value), allow_nan=False)


class TestPydanticV1Style:
    def test_models_with_dunder_fields_and_dict(self) -> None:
        class LegacyModel:
            __fields__ = {"login": None, "secret": None}

            def __init__(self) -> None:
                self.login = "bob"
                self.secret = "s"

            def dict(self) -> dict[str, str]:
                return {"login": self.login, "secret": self.secret}

        assert mask_value(LegacyModel()) == {"login": "bob", "secret": MASK}
