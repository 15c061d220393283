"""Masking of secrets in log data: sensitive keys, secrets in free text, odd objects."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import logging
import re
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.masking import (
    ACCESS_LOGGERS,
    MASK,
    MAX_DEPTH,
    MAX_ITEMS,
    MAX_TEXT_CHARS,
    REDACTED_ON_ERROR,
    MaskingFilter,
    add_masking_pattern,
    add_sensitive_keys,
    is_sensitive_key,
    mask_access_log,
    mask_label,
    mask_record,
    mask_text,
    mask_value,
    masked_logger,
    masking_stats,
    patterns,
)
from rfs_monitoring.masking import text as masking_text
from rfs_monitoring.masking.patterns import digits_gate
from rfs_monitoring.masking.text import mask_user_id

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


# --------------------------------------------------------------------------- issue 14

GHP = "ghp_" + "A1b2C3d4E5" * 4


class TestShapes:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("postgres://admin:s3cr3t@db/prod", f"postgres://admin:{MASK}@db/prod"),
            ("redis://:pw@cache:6379/0", f"redis://:{MASK}@cache:6379/0"),
            ("jdbc:mysql://root:p@ss@h/db", f"jdbc:mysql://root:{MASK}@h/db"),
            ("ssh://tokenonly@host/x", f"ssh://{MASK}@host/x"),
            ("https://example.com/a?b=c@d", "https://example.com/a?b=c@d"),
            ("x -----BEGIN RSA PRIVATE KEY-----\nMIIab\ncd==\n-----END RSA PRIVATE KEY----- y",
             f"x {MASK} y"),
            ("cut -----BEGIN PRIVATE KEY-----\nMIIabcdef", f"cut {MASK}"),
            ("AKIAIOSFODNN7EXAMPLE", f"AKIA{MASK}"),
            ("ASIAY34FZKBOKMUTVV7A", f"ASIA{MASK}"),
            (GHP, f"ghp_{MASK}"),
            (GHP.replace("ghp", "gho"), f"gho_{MASK}"),
            (GHP.replace("ghp", "ghu"), f"ghu_{MASK}"),
            (GHP.replace("ghp", "ghs"), f"ghs_{MASK}"),
            (GHP.replace("ghp", "ghr"), f"ghr_{MASK}"),
            ("github_pat_11ABCDEFG0abcdefghijkl_mnop", f"github_{MASK}"),
            ("xoxb-2048151025-abcdefABCDEF", f"xoxb-{MASK}"),
            ("xoxp-2048151025-abcdefABCDEF", f"xoxp-{MASK}"),
            ("sk_live_51HxYzAbCdEfGh", f"sk_{MASK}"),
            ("rk_live_51HxYzAbCdEfGh", f"rk_{MASK}"),
            ("sk_test_4eC39HqLyjWD", f"sk_{MASK}"),
            ("AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY", f"AIza{MASK}"),
            ("pypi-AgEIcHlwaS5vcmcCJGE4ZDk4YzM2LTQ3", f"pypi-{MASK}"),
            ("npm_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8", f"npm_{MASK}"),
            ("task-550e8400-e29b-41d4-a716-44665544", "task-550e8400-e29b-41d4-a716-44665544"),
            (f"a {JWT} b", f"a {MASK} b"),
            (f"next%3DaccessToken%3D{JWT}", f"next%3DaccessToken%3D{MASK}"),
            ("dop_v1_" + "a1" * 32, f"dop_{MASK}"),
            ("hvs." + "A" * 90, f"hvs.{MASK}"),
            ("xhvs." + "A" * 90, "xhvs." + "A" * 90),  # not at a token's start
            ("dapi" + "0f" * 16, f"dapi{MASK}"),
            ("sk.eyJ" + "a" * 30 + "." + "b" * 22, f"sk.{MASK}"),
            ("pk.eyJ" + "a" * 30 + "." + "b" * 22, "pk.eyJ" + "a" * 30 + "." + "b" * 22),
            ("bot123456:AA" + "x" * 33 + "/send", f"bot123456:{MASK}/send"),
            ("ratio 3:AA" + "x" * 40, "ratio 3:AA" + "x" * 40),  # 35 characters exactly
            ("abc8Q~" + "q" * 34, f"abc8Q~qq{MASK}"),
            ("https://hooks.slack.com/services/T0ABCDEFG/B0ABCDEFG/abcdefghijklmnopqrstuvwx",
             f"https://hooks.slack.com/services/{MASK}"),
            ("HTTPS://HOOKS.SLACK.COM/services/T0ABCDEFG/B0ABCDEFG/abcdefghijklmnopqrstuvwx",
             f"HTTPS://HOOKS.SLACK.COM/services/{MASK}"),
            ("https://discordapp.com/api/webhooks/1234567890/" + "t" * 68 + " 404",
             f"https://discordapp.com/api/webhooks/1234567890/{MASK} 404"),
            ("https://hooks.slack.com/services (status 200)",
             "https://hooks.slack.com/services (status 200)"),
        ],
    )  # fmt: skip
    def test_documented_shapes(self, text: str, expected: str) -> None:
        assert mask_text(text) == expected


A36 = "Ab1_" * 9  # 36 token characters
HEX = "0123456789abcdef" * 4
PROVIDER_SAMPLES = (  # one per alternative of ``patterns._PROVIDERS``, in its order
    "AKIAIOSFODNN7EXAMPLE",
    GHP,
    "github_pat_" + A36,
    "glsoat-" + A36,
    "glsa_" + "Ab1c" * 8 + "_" + HEX[:8],
    "xoxe-" + A36.replace("_", "-"),
    "xapp-1-" + A36.replace("_", "-"),
    "sk_live_" + "Ab1" * 5,
    "rk_test_" + "Ab1" * 5,
    "whsec_" + "Ab1+/" * 5,
    "AIza" + A36[:35],
    "GOCSPX-" + A36,
    "1//0" + A36 * 2,
    "pypi-AgE" + A36,
    "npm_" + "Ab1" * 12,
    "rubygems_" + HEX[:48],
    "CLOJARS_" + "ab1" * 20,
    "shpss_" + HEX[:32],
    "doo_v1_" + HEX,
    "dckr_oat_" + A36,
    "NRJS-" + HEX[:19],
    "PMAK-" + HEX[:24] + "-" + HEX[:34],
    "lin_api_" + "Ab1c" * 10,
    "dt0c01." + "AB12" * 6 + "." + "AB12" * 16,
    "dp.scim." + A36 * 2,
    "pscale_oauth_" + A36,
    "sntrys_" + A36,
    "sq0csp-" + A36,
    "sb_secret_" + A36,
    "figd_" + A36 * 2,
    "ATATT3" + A36 * 3,
    "HRKU-" + A36,
    "AGE-SECRET-KEY-1" + "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L" * 2,
    "ops_eyJ" + A36 * 2,
    "sk.eyJ" + A36 + "." + A36,
    "tk.eyJ" + A36 + "." + A36,
    "ya29." + A36,
    "sk-ant-" + A36,
    "hf_" + "Ab1c" * 9,
    "SG." + A36[:20] + "." + A36[:20],
    "hvr." + A36,
    "glc_" + "Ab1/" * 10 + "==",
    "dapi" + HEX[:32],
    "pul-" + HEX[:40],
    "ntn_" + "Ab1c" * 11,
    "sbp_" + HEX[:40],
    "fo1_" + A36 + "Ab1_Ab1",
    "LTAI" + "Ab1c" * 5,
    "42:AA" + A36[:33],
    "abc4Q~" + A36[:34],
)


class TestProviderShapes:
    def test_every_shape_has_a_sample_masked_through_its_literal(self) -> None:
        assert len(PROVIDER_SAMPLES) == len(patterns._PROVIDERS)
        for alternative, sample in zip(patterns._PROVIDERS, PROVIDER_SAMPLES, strict=True):
            assert re.search(alternative, sample), (alternative, sample)
            # a literal of the pass's gate is in every match: the search finds the pass
            assert any(lit in sample.lower() for lit in patterns._PROVIDER_LITERALS), sample
            masked = mask_text(f"failed with {sample} now")
            assert sample not in masked, masked
            assert MASK in masked, masked

    def test_the_grouped_alternation_is_the_flat_one(self) -> None:
        flat = re.compile("|".join(patterns._PROVIDERS))
        text = " ".join(PROVIDER_SAMPLES) + " task-" + HEX + " 7:AA" + A36
        assert [m.span() for m in patterns._PROVIDER.finditer(text)] == [
            m.span() for m in flat.finditer(text)
        ]

    @pytest.mark.parametrize("alternative", ["[st]k\\.x", "(?<=a)b", "\\d{3}", ".x"])
    def test_an_alternative_must_begin_with_a_literal(self, alternative: str) -> None:
        with pytest.raises(ValueError, match="does not begin with a literal character"):
            patterns.first_char_groups(("abc", alternative))


class TestKeyValue:
    @pytest.mark.parametrize(
        "key",
        ["SECRET_KEY", "PGPASSWORD", "secretKey", "sessionToken", "password1", "x-api-key",
         "X-API-KEY", "aws_secret_access_key", "client_secret", "db_password2", "userPin",
         "DSN", "database_url", "connection_string", "access_key", "AccountKey", "sig"],
    )  # fmt: skip
    @pytest.mark.parametrize("sep", ["=", ": ", " = ", '": "', "%3D"])
    def test_a_sensitive_word_anywhere_in_the_key(self, key: str, sep: str) -> None:
        masked = mask_text(f"{key}{sep}v4lue-x1")
        assert "v4lue-x1" not in masked
        assert masked.startswith(key)

    @pytest.mark.parametrize(
        "text",
        ["spinner=3", "author=alice", "design=v2", "token_type=Bearer expires_in=3600",
         "max_tokens=512", "password_length=12", "myapp.auth.TokenError: token expired",
         "password is required", "the token is expired", "cache_key=users:1"],
    )  # fmt: skip
    def test_plain_keys_and_prose_stay(self, text: str) -> None:
        assert mask_text(text) == text

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("password is hunter2", f"password is {MASK}"),
            ("my secret was 'open sesame'", f"my secret was {MASK}"),
            ("password=abc&user=bob", f"password={MASK}&user=bob"),
            ("password=Tr0ub4dor&3 end", f"password={MASK} end"),
            ("Error: token: abc123", f"Error: token: {MASK}"),
            ('{\\"db_password\\": \\"x y\\"}', f'{{\\"db_password\\": {MASK}}}'),
            ("PINOT=password=x", f"PINOT=password={MASK}"),
            ("PINOT=PINOT=ab", "PINOT=PINOT=ab"),
            ("PINOT=PINOT=a=b", f"PINOT=PINOT={MASK}"),
        ],
    )
    def test_forms(self, text: str, expected: str) -> None:
        assert mask_text(text) == expected

    @pytest.mark.parametrize(
        "key",
        ["dsn", "database_url", "connection_string", "access_key", "aws_access_key_id",
         "client_secret", "private_key", "비밀번호", "userPassword", "AccountKey"],
    )  # fmt: skip
    def test_sensitive_dict_keys(self, key: str) -> None:
        assert is_sensitive_key(key)
        assert mask_value({key: "postgres://u:p@h/db"}) == {key: MASK}


class TestKorean:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("비밀번호=qwer1234", f"비밀번호={MASK}"),
            ("비밀번호: qwer1234", f"비밀번호: {MASK}"),
            ("비밀번호는 qwer1234입니다", f"비밀번호는 {MASK}입니다"),
            ("사용자비밀번호:glued", f"사용자비밀번호:{MASK}"),
            ("비밀 번호 = spaced", f"비밀 번호 = {MASK}"),
            ("암호는 abcd-99", f"암호는 {MASK}"),
            ("토큰값=tok_1", f"토큰값={MASK}"),
            ("인증키: k-55", f"인증키: {MASK}"),
            ("시크릿 : s66", f"시크릿 : {MASK}"),
            ("패스워드가 pass-4455 로", f"패스워드가 {MASK} 로"),
            ("주민등록번호 900101-1234567 확인", "주민등록번호 900101-1****** 확인"),
            ("연락처 010-1234-5678", "연락처 010-****-5678"),
            ("+82-10-7364-9911", "+82-10-****-9911"),
            ("메일 kim@naver.com으로", f"메일 k{MASK}@naver.com으로"),
        ],
    )
    def test_forms(self, text: str, expected: str) -> None:
        assert mask_text(text) == expected

    @pytest.mark.parametrize(
        "text",
        ["비밀번호를 변경했습니다", "비밀번호는 8자 이상이어야 합니다", "토큰이 만료되었습니다",
         "암호화된 데이터", "API 키가 없습니다", "2026-11-30 주문 12345건"],
    )  # fmt: skip
    def test_prose_stays(self, text: str) -> None:
        assert mask_text(text) == text


class TestAdversarialInput:
    """Inputs built against backtracking patterns are handled (their cost is measured in
    benchmarks/bench_masking.py, not asserted here)."""

    @pytest.mark.parametrize(
        "unit", ["eyJ", "eyJab.", "a=b ", "PINOT=a:b ", "password", "비밀번호", "://a:b",
                 "-----BEGIN X-----", "0101234567 ", "a@b.cd ", "it is ok "],
    )  # fmt: skip
    def test_storms_are_handled(self, unit: str) -> None:
        text = unit * (MAX_TEXT_CHARS // len(unit))
        masked = mask_text(text)
        assert 0 < len(masked) <= 2 * len(text)

    def test_a_long_run_then_a_secret(self) -> None:
        assert mask_text("x" * 16_000 + " password=1") == "x" * 16_000 + f" password={MASK}"


class TestDigitsGate:
    """``digits_gate`` answers ASCII text without its regex: the answer is the regex's."""

    REGEX = re.compile(r"\d(?:[ .-]?\d){9}")

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("0101234567", True),
            ("1-2-3-4-5-6-7-8-9-0", True),  # a single separator joins
            ("12345 67890", True),
            ("12345.6789.0x", True),
            ("12345  67890", False),  # two separators break the run
            ("12345 .67890", False),
            ("123-456-789", False),  # nine digits
            ("1--2345678901", True),  # the run after the break
            ("a3f9c2d1-7e4b-4c1a-9f0e-1234567890ab", True),
            ("a3f9c2d1-7e4b-4c1a-9f0e-12345a67890b", False),  # many digits, no run of ten
            ("user-00042", False),
            ("١٢٣٤٥٦٧٨٩٠", True),  # Arabic-Indic digits: \d beyond ASCII, by the regex
            ("café 0101234567", True),
        ],
    )
    def test_examples(self, text: str, expected: bool) -> None:
        assert digits_gate(text, text.lower()) is expected
        assert (self.REGEX.search(text) is not None) is expected

    @settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.text(alphabet="0123456789 .-\t_ax", max_size=40)
        | st.text(alphabet=st.characters(codec="ascii"), max_size=40)
        | st.text(max_size=40)
    )
    def test_agrees_with_its_regex(self, text: str) -> None:
        assert digits_gate(text, text.lower()) is (self.REGEX.search(text) is not None)


def every_pass_by_its_gate(text: str) -> str:
    """The builtin passes as they ran before short text selected them: all of them, each
    by its gate, once the text holds any pass's literal."""
    lower = text.lower()
    no_literal = masking_text._TRIGGER.search(lower) is None
    passes = masking_text._UNTRIGGERED if no_literal else masking_text._ALL_PASSES
    return masking_text._apply(passes, text, lower)


FRAGMENTS = st.sampled_from(
    [
        *masking_text._LITERALS,
        "=", ": ", " ", "-", "_", "hunter2secret", "@example.com", "://u:p@h", VISA,
        "010-1234-5678", JWT, "Bearer abc12345", "ghp_" + "a" * 36, "AKIA" + "B" * 16,
        "-----BEGIN X-----", "비밀번호는 abcd1234", "900101-1234567",
    ]
)  # fmt: skip


class TestPassSelection:
    """Short text holding a pass's literal runs only the passes whose literals it holds; the
    answer is that of every pass by its gate."""

    def test_an_e_mail_needs_only_the_ungated_and_e_mail_passes(self) -> None:
        selected = masking_text._selected(masking_text._TRIGGERS_AT.findall("jane@example.com"))
        assert [each.name for each in selected] == ["digits", "email"]

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            # "akia" (a provider prefix) overlaps "api_key": both are found
            ("akiapi_key:abc@h.io", f"akiapi_key:{MASK}"),
            ("auth failed: token=abc12345", f"auth failed: token={MASK}"),
            ("user jane@example.com", f"user j{MASK}@example.com"),
            ("x" * 600 + " password=hunter2", "x" * 600 + f" password={MASK}"),  # long text
        ],
    )
    def test_examples(self, text: str, expected: str) -> None:
        assert mask_text(text) == expected == every_pass_by_its_gate(text)

    def test_a_pass_that_changed_the_text_runs_every_later_pass(self) -> None:
        # the URL pass selected by "://" changes the text; the e-mail pass runs after it
        text = "see https://bob:pw@host.io and mail jane@example.com"
        assert mask_text(text) == every_pass_by_its_gate(text)
        assert f"j{MASK}@example.com" in mask_text(text)

    @settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(FRAGMENTS | st.text(max_size=4), max_size=12).map("".join))
    def test_agrees_with_every_pass_by_its_gate(self, text: str) -> None:
        assert masking_text._run(text) == every_pass_by_its_gate(text)


class TestCaches:
    def test_the_key_and_label_caches_stay_bounded(self) -> None:
        for i in range(5000):
            assert not is_sensitive_key(f"field_{i}")
            assert mask_label(f"CODE_{i}") == f"CODE_{i}"
        assert is_sensitive_key("password")

    def test_mask_label_is_mask_text_cached(self) -> None:
        code = "password=hunter2hunter2"
        assert mask_label(code) == f"password={MASK}"
        assert mask_label(code) is mask_label(code)
        assert mask_label("NOT_FOUND") == "NOT_FOUND"

    @pytest.mark.parametrize("user_id", ["user-00042", "jane@example.com", 42, VISA])
    def test_mask_user_id_is_mask_text_of_its_str_cached(self, user_id: object) -> None:
        masked = mask_user_id(user_id)
        assert masked == mask_text(str(user_id))
        assert mask_user_id(user_id) is masked

    def test_user_ids_seen_before_follow_a_pattern_added_or_removed(self) -> None:
        assert mask_user_id("emp-7781") == "emp-7781"
        remove = add_masking_pattern(r"emp-\d+", "emp-#")
        try:
            assert mask_user_id("emp-7781") == "emp-#"
        finally:
            remove()
        assert mask_user_id("emp-7781") == "emp-7781"

    def test_many_user_ids_never_push_the_labels_out(self) -> None:
        label = mask_label("password=hunter2hunter2")
        for i in range(5000):
            assert mask_user_id(f"user-{i}") == f"user-{i}"
        assert mask_label("password=hunter2hunter2") is label

    def test_a_user_id_whose_masking_failed_is_not_kept(self) -> None:
        def broken(match: object) -> str:
            raise RuntimeError("replacement bug")

        remove = add_masking_pattern(r"vip-\d+", broken)
        try:
            faults = masking_stats()["faults"]
            assert mask_user_id("vip-1") == REDACTED_ON_ERROR
            assert mask_user_id("vip-1") == REDACTED_ON_ERROR
            assert masking_stats()["faults"] == faults + 2  # each failure counted
        finally:
            remove()
        assert mask_user_id("vip-1") == "vip-1"


class TestLogRecords:
    def _record(self, msg: str, *args: object, **extra: object) -> logging.LogRecord:
        record = logging.LogRecord("app", logging.ERROR, __file__, 1, msg, args, None)
        vars(record).update(extra)
        return record

    def test_mask_record_masks_message_extras_traceback_and_stack(self) -> None:
        try:
            raise ValueError("token=t0ps3cr3t")
        except ValueError:
            exc_info = sys.exc_info()
        record = self._record("login %s", "password=hunter2", detail="api_key=k-1")
        record.exc_info = exc_info
        record.stack_info = "Stack: secret=s-2"
        assert mask_record(record) == f"login password={MASK}"
        assert record.msg == f"login password={MASK}"
        assert vars(record)["args"] is None
        assert vars(record)["exc_info"] is None
        assert vars(record)["detail"] == f"api_key={MASK}"
        assert record.exc_text is not None
        assert "t0ps3cr3t" not in record.exc_text
        assert record.stack_info == f"Stack: secret={MASK}"

    def test_a_traceback_already_rendered_by_another_handler(self) -> None:
        record = self._record("failed")
        record.exc_text = "Traceback ...\nValueError: password=hunter2"
        mask_record(record)
        assert record.exc_text == f"Traceback ...\nValueError: password={MASK}"

    def test_the_filter_never_drops_nor_raises(self) -> None:
        before = masking_stats()["faults"]
        record = self._record("%d needs a number", "not a number")
        assert MaskingFilter().filter(record) is True
        assert record.getMessage() == REDACTED_ON_ERROR
        assert masking_stats()["faults"] == before + 1

    def test_masked_logger_attaches_one_filter(self) -> None:
        logger = masked_logger("rfs.test.masked")
        assert masked_logger("rfs.test.masked") is logger
        assert sum(isinstance(f, MaskingFilter) for f in logger.filters) == 1

    def test_access_log_masking_survives_uvicorns_logging_setup(self) -> None:
        uvicorn = pytest.importorskip("uvicorn")
        loggers = mask_access_log()
        assert [lg.name for lg in loggers] == list(ACCESS_LOGGERS)
        uvicorn.Config(app=lambda *a: None)  # applies uvicorn's default dictConfig
        access = logging.getLogger("uvicorn.access")
        record = logging.LogRecord(
            "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
            ("127.0.0.1:1", "GET", "/x?api_key=k-123&page=2", "1.1", 200), None,
        )  # fmt: skip
        assert access.filter(record)
        assert record.getMessage() == f'127.0.0.1:1 - "GET /x?api_key={MASK}&page=2 HTTP/1.1" 200'
