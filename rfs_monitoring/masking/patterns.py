"""The builtin secret shapes, as regular expressions that run in linear time.

Each pass is one compiled pattern with a cheap *gate* (literals that every match contains,
checked with ``in`` on the lower-cased text) and a replacement function. Every pattern is
written so that no input makes it backtrack super-linearly:

- a run of token characters is tried from its start only (a negative lookbehind on the same
  class), and a prefix that must be found inside a run is found once, atomically (a lazy scan
  inside a lookahead, which the engine never re-enters);
- every other repetition is either bounded or stops at a character the next part needs,
  so a failed attempt never rescans text that another attempt scans again.

Shapes: PEM blocks (whole), URL userinfo in any scheme, JSON Web Tokens, provider keys by
their documented prefixes (AWS, GitHub, GitLab, Grafana, Slack, Stripe, Google, PyPI, npm,
RubyGems, Clojars, Hugging Face, OpenAI/Anthropic, SendGrid, Shopify, DigitalOcean, Docker
Hub, New Relic, Postman, Linear, Dynatrace, Doppler, PlanetScale, Sentry, Square, Supabase,
Figma, Atlassian, Heroku, age, 1Password, Mapbox, HashiCorp Vault, Databricks, Pulumi,
Notion, Fly.io, Alibaba Cloud, Telegram bots, Azure AD client secrets), incoming-webhook
URLs (Slack, Discord, Teams: the path's secret), ``Bearer``/``Basic``/``token`` credentials,
Luhn-valid card numbers (last four kept) and e-mail addresses (first character and domain
kept). ``key=value`` / ``key: value`` and prose forms (``password is X``) are in
``rfs_monitoring.masking.keyvalue``; Korean forms in ``rfs_monitoring.masking.korean``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = [
    "BEARER_PASS",
    "DIGITS_PASS",
    "EMAIL_PASS",
    "JWT_PASS",
    "MASK",
    "PEM_PASS",
    "PROVIDER_PASS",
    "SHAPE_PASSES",
    "URL_PASS",
    "WEBHOOK_PASS",
    "Pass",
    "any_of",
    "digits_gate",
    "first_char_groups",
    "keep_prefix",
    "trie_pattern",
]

MASK = "***"
"""What a masked value is replaced with."""

Replace = Callable[["re.Match[str]"], str]


class Pass:
    """One masking pass: ``gate(text, lower)`` decides whether ``regex`` can match at all;
    ``triggers`` are lower-case literals one of which every match holds (none: ``gate``
    alone decides)."""

    __slots__ = ("gate", "name", "regex", "replace", "triggers")

    def __init__(
        self,
        name: str,
        gate: Callable[[str, str], bool],
        regex: re.Pattern[str],
        replace: Replace,
        triggers: tuple[str, ...] = (),
    ) -> None:
        self.name = name
        self.gate = gate
        self.regex = regex
        self.replace = replace
        self.triggers = triggers

    def run(self, text: str, lower: str) -> str:
        """``text`` with this pass's matches replaced (unchanged when the gate says no)."""
        if not self.gate(text, lower):
            return text
        return self.regex.sub(self.replace, text)


def any_of(*literals: str) -> Callable[[str, str], bool]:
    """A gate: one of ``literals`` (lower case) occurs in the lower-cased text."""

    def gate(text: str, lower: str) -> bool:
        return any(literal in lower for literal in literals)

    return gate


def trie_pattern(literals: tuple[str, ...]) -> str:
    """A regex finding any of ``literals``, factored by prefix so that the engine rejects
    a position on its first character (a match of the shortest literal is enough)."""
    tree: dict[str, dict] = {}  # type: ignore[type-arg]
    for literal in literals:
        node = tree
        for char in literal:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict) -> str:  # type: ignore[type-arg]
        if "" in node:
            return ""
        alts = [re.escape(char) + emit(child) for char, child in sorted(node.items())]
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return emit(tree)


_CUT = ("_", "-", ".", ":")


def keep_prefix(token: str) -> str:
    """A provider token masked, keeping its kind: ``ghp_***``, ``AKIA***``, ``xoxb-***``."""
    cuts = [i for i in (token.find(c) for c in _CUT) if 0 <= i < 7]
    return (token[: min(cuts) + 1] if cuts else token[:4]) + MASK


# --------------------------------------------------------------------------- PEM

_PEM = re.compile(
    r"-----BEGIN [A-Z0-9 ]{1,64}-----"  # the armour line
    r"[^-]*(?:-(?!----)[^-]*)*"  # the body: stops at the next "-----"
    r"(?:-----END [A-Z0-9 ]{1,64}-----)?"  # missing when the text was cut
)

# --------------------------------------------------------------------------- URL userinfo

_URL = re.compile(r"://(?P<user>[^\s/?#@:'\"<>]*)(?::(?P<pw>[^\s/?#'\"<>]*))?@")


def _url(match: re.Match[str]) -> str:
    if match.group("pw") is None:
        return f"://{MASK}@"
    return f"://{match.group('user')}:{MASK}@"


def _url_gate(text: str, lower: str) -> bool:
    return "://" in text and "@" in text


# --------------------------------------------------------------------------- tokens

_B64URL = "A-Za-z0-9_-"
# A JWT starts a run of base64url characters (or follows a URL-encoded "="): one scan per
# run, however many "eyJ" it holds.
_JWT = re.compile(
    rf"eyJ(?:(?<![{_B64URL}]eyJ)|(?<=%3[Dd]eyJ))"
    rf"[{_B64URL}]{{4,}}\.[{_B64URL}]{{4,}}\.[{_B64URL}]*"
)
_PROVIDERS = (
    r"A(?:KIA|SIA|GPA|IDA|ROA|IPA|NPA|NVA|BIA|CCA)[A-Z0-9]{16}",  # AWS access key ids
    r"gh[pousr]_[A-Za-z0-9]{30,255}",  # GitHub classic tokens
    r"github_pat_[A-Za-z0-9_]{22,255}",  # GitHub fine-grained tokens
    # GitLab: personal, deploy, runner, pipeline trigger, feed, SCIM, CI job, mail, agent
    r"gl(?:pat|dt|rt|ptt|ft|soat|cbt|imt|agent)-[A-Za-z0-9_-]{20,255}",
    r"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}",  # Grafana service account
    r"xox[abposre]-[A-Za-z0-9-]{10,255}",  # Slack
    r"xapp-[0-9]-[A-Za-z0-9-]{10,255}",  # Slack app-level
    r"sk_(?:live|test)_[A-Za-z0-9]{10,255}",  # Stripe secret
    r"rk_(?:live|test)_[A-Za-z0-9]{10,255}",  # Stripe restricted
    r"whsec_[A-Za-z0-9+/=]{20,255}",  # Stripe webhook secret
    r"AIza[0-9A-Za-z_-]{35}",  # Google API key
    r"GOCSPX-[0-9A-Za-z_-]{20,255}",  # Google OAuth client secret
    r"1//0[0-9A-Za-z_-]{40,512}",  # Google OAuth refresh token
    r"pypi-AgE[A-Za-z0-9_-]{20,512}",  # PyPI (and TestPyPI) macaroons
    r"npm_[A-Za-z0-9]{36}",  # npm
    r"rubygems_[a-f0-9]{48}",  # RubyGems
    r"CLOJARS_[a-z0-9]{60}",  # Clojars
    r"shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}",  # Shopify
    r"do[opr]_v1_[a-f0-9]{64}",  # DigitalOcean
    r"dckr_(?:pat|oat)_[A-Za-z0-9_-]{20,64}",  # Docker Hub
    r"NR(?:AK|II|JS)-[A-Za-z0-9_-]{19,40}",  # New Relic
    r"PMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34}",  # Postman
    r"lin_api_[A-Za-z0-9]{40}",  # Linear
    r"dt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}",  # Dynatrace
    r"dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9_-]{40,64}",  # Doppler
    r"pscale_(?:tkn|pw|oauth)_[A-Za-z0-9=._-]{32,64}",  # PlanetScale
    r"sntry[su]_[A-Za-z0-9+/=_-]{32,512}",  # Sentry
    r"sq0(?:atp|csp)-[A-Za-z0-9_-]{22,64}",  # Square
    r"sb_secret_[A-Za-z0-9_-]{20,64}",  # Supabase secret key
    r"figd_[A-Za-z0-9_-]{40,64}",  # Figma
    r"ATATT3[A-Za-z0-9_=-]{100,512}",  # Atlassian API token
    r"HRKU-[A-Za-z0-9_-]{20,128}",  # Heroku
    r"AGE-SECRET-KEY-1[0-9A-Z]{58}",  # age
    r"ops_eyJ[A-Za-z0-9+/=_-]{64,2048}",  # 1Password service account
    # Mapbox secret and temporary tokens (each alternative begins with a literal, so that
    # the engine skips to the candidates' first characters: a class there would stop it)
    r"sk\.eyJ[A-Za-z0-9_-]{20,1024}\.[A-Za-z0-9_-]{20,256}",
    r"tk\.eyJ[A-Za-z0-9_-]{20,1024}\.[A-Za-z0-9_-]{20,256}",
    # short prefixes: only at the start of a token (not "task-<uuid>")
    r"ya29\.(?<![A-Za-z0-9]ya29\.)[0-9A-Za-z_-]{20,255}",  # Google OAuth access token
    r"sk-(?<![A-Za-z0-9]sk-)(?:ant-|proj-)?[A-Za-z0-9_-]{32,255}",  # OpenAI / Anthropic
    r"hf_(?<![A-Za-z0-9]hf_)[A-Za-z0-9]{30,64}",  # Hugging Face
    r"SG\.(?<![A-Za-z0-9]SG\.)[A-Za-z0-9_-]{16,64}\.[A-Za-z0-9_-]{16,64}",  # SendGrid
    r"hv[sbr]\.(?<![A-Za-z0-9]hv[sbr]\.)[A-Za-z0-9_-]{24,512}",  # HashiCorp Vault
    r"glc_(?<![A-Za-z0-9]glc_)[A-Za-z0-9+/]{32,400}={0,2}",  # Grafana Cloud
    r"dapi(?<![A-Za-z0-9]dapi)[a-f0-9]{32}",  # Databricks
    r"pul-(?<![A-Za-z0-9]pul-)[a-f0-9]{40}",  # Pulumi
    r"ntn_(?<![A-Za-z0-9]ntn_)[A-Za-z0-9]{40,50}",  # Notion
    r"sbp_(?<![A-Za-z0-9]sbp_)[a-f0-9]{40}",  # Supabase access token
    r"fo1_(?<![A-Za-z0-9]fo1_)[A-Za-z0-9_-]{43}",  # Fly.io
    r"LTAI(?<![A-Za-z0-9]LTAI)[A-Za-z0-9]{20}",  # Alibaba Cloud
    # Telegram bot token: the bot's numeric id stays, the rest after ":" is masked
    r":AA(?<=[0-9]:AA)[A-Za-z0-9_-]{33}(?![A-Za-z0-9_-])",
    # Azure AD client secret: three characters, a digit, "Q~", then the rest
    r"Q~(?<=[A-Za-z0-9_~.]{3}[0-9]Q~)[A-Za-z0-9_~.-]{31,34}",
)


def first_char_groups(alternatives: tuple[str, ...]) -> str:
    """``alternatives`` as one alternation, those beginning with the same literal character
    grouped under it (``s(?:k_...|k-...|q0...)``): the engine tries each first character
    once per position, not each alternative (every alternative must begin with a literal:
    a class or lookaround there would make the engine try every position)."""
    groups: dict[str, list[str]] = {}
    for alternative in alternatives:
        first = alternative[0]
        if not first.isalnum() and first not in ":~/_-":
            msg = f"{alternative!r} does not begin with a literal character"
            raise ValueError(msg)
        groups.setdefault(first, []).append(alternative[1:])
    return "|".join(
        re.escape(first) + (rests[0] if len(rests) == 1 else f"(?:{'|'.join(rests)})")
        for first, rests in groups.items()
    )


_PROVIDER = re.compile(first_char_groups(_PROVIDERS))
# (Google's refresh token by "//0", not "1//0": a literal beginning with a digit would make
# every digit of an id a candidate of the one search for literals, ``text._TRIGGER``.)
_PROVIDER_LITERALS = (
    "akia", "asia", "agpa", "aida", "aroa", "aipa", "anpa", "anva", "abia", "acca",
    "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "gldt-", "glrt-",
    "glptt-", "glft-", "glsoat-", "glcbt-", "glimt-", "glagent-", "glsa_", "xox", "xapp-",
    "sk_", "rk_", "whsec_", "aiza", "gocspx-", "//0", "pypi-", "npm_", "rubygems_",
    "clojars_", "shp", "dop_v1_", "doo_v1_", "dor_v1_", "dckr_", "nrak-", "nrii-", "nrjs-",
    "pmak-", "lin_api_", "dt0c01.", "dp.", "pscale_", "sntrys_", "sntryu_", "sq0", "sb_secret_",
    "figd_", "atatt3", "hrku-", "age-secret-key-1", "ops_eyj", "sk.eyj", "tk.eyj", "ya29.",
    "sk-", "hf_", "sg.", "hvs.", "hvb.", "hvr.", "glc_", "dapi", "pul-", "ntn_", "sbp_",
    "fo1_", "ltai", ":aa", "q~",
)  # fmt: skip
_PROVIDER_GATE = any_of(*_PROVIDER_LITERALS)


def _provider(match: re.Match[str]) -> str:
    return keep_prefix(match.group())


# --------------------------------------------------------------------------- webhook URLs

# Incoming-webhook URLs carry their secret in the path (an HTTP client's error names the
# URL): the host and the path up to the secret stay. Every candidate begins at a "/" (a
# literal: the engine skips to those), the host is checked behind it, in any case.
_WEBHOOK = re.compile(
    r"/(?:(?<=(?i:hooks\.slack\.com)/)"
    r"(?P<slack>(?:services|workflows|triggers)/)[A-Za-z0-9+/_-]{20,200}"
    r"|(?<=(?i:discord\.com)/)(?P<discord>api/webhooks/[0-9]{5,25}/)[A-Za-z0-9_-]{20,200}"
    r"|(?<=(?i:discordapp\.com)/)(?P<discordapp>api/webhooks/[0-9]{5,25}/)[A-Za-z0-9_-]{20,200}"
    r"|(?<=(?i:\.webhook\.office\.com)/)(?P<teams>webhookb2/)[A-Za-z0-9@/_.-]{20,600})"
)
_WEBHOOK_LITERALS = (
    "hooks.slack.com/",
    "discord.com/api/webhooks/",
    "discordapp.com/api/webhooks/",
    ".webhook.office.com/webhookb2/",
)


def _webhook(match: re.Match[str]) -> str:
    return f"/{match.group(match.lastgroup or 0)}{MASK}"


# --------------------------------------------------------------------------- bearer

_CREDENTIAL = "A-Za-z0-9._~+/=-"
_BEARER = re.compile(
    # the first character alone, so that the engine skips to the candidates quickly
    r"(?P<scheme>[BbTt](?:(?<=[Bb])[Ee][Aa][Rr][Ee][Rr]|(?<=[Bb])[Aa][Ss][Ii][Cc]"
    r"|(?<=[Tt])[Oo][Kk][Ee][Nn]))[ \t]{1,8}"
    # "basic" and "token" are English words too: a digit or symbol, or 20+ letters
    rf"(?=[A-Za-z]{{0,512}}[0-9._~+/=-]|[A-Za-z]{{20}})"
    r"(?![A-Za-z_]{1,64}=[^=\s])"  # "Bearer expires_in=3600": a key=value, not a credential
    rf"[{_CREDENTIAL}]{{8,}}"
)


def _bearer(match: re.Match[str]) -> str:
    return f"{match.group('scheme')} {MASK}"


# --------------------------------------------------------------------------- digits

_DIGITS = re.compile(
    r"[\d+](?:"  # the first character alone, so that the engine skips to candidates
    # Korean resident registration number: birth date, sex digit kept (900101-1******)
    r"(?<=\d)(?<![\d-]\d)"
    r"(?P<rrn>\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])[ ]?-[ ]?[1-8])\d{6}(?![\d-])"
    # Korean mobile number: prefix and last four kept (010-****-5678)
    r"|(?<![\d+-].)(?<=[0+])(?P<mpre>(?<=\+)82[ -]?1[016789]|(?<=0)1[016789])"
    r"(?P<msep>[ .-]?)(?P<mmid>\d{3,4})(?P=msep)\d{4}(?![\d-])"
    # card numbers (issuer digit 2-6; Luhn-valid ones are masked, the last four kept)
    r"|(?<=[2-6])(?<![\d-]\d)(?P<card>(?:[ -]?\d){12,18})(?![\d-])"
    r")"
)
_DIGITS_GATE = re.compile(r"\d(?:[ .-]?\d){9}")
_GATE_CLASSES = bytes(
    ord("0") if chr(byte) in "0123456789" else ord("s") if chr(byte) in " .-" else ord("x")
    for byte in range(256)
)
"""An ASCII byte's class for ``digits_gate``: a digit, a separator or another character."""


def digits_gate(text: str, lower: str) -> bool:
    """Ten digits in a row (single separators allowed): a phone, card or id number.

    ASCII text (where ``\\d`` is 0-9) is answered without the regex, in C: each byte
    becomes its class, two separators or more break a run (``ss``), a single one joins
    its digits, and the answer is whether ten digits are then adjacent. The regex tries
    every position of an id or a message (0.5-2.5 µs); this costs 0.1-0.3 µs.
    """
    if len(text) < 10:  # shorter than any match
        return False
    if text.isascii():
        encoded = text.encode()
        if len(encoded) - len(encoded.translate(None, b"0123456789")) < 10:
            return False  # fewer than ten digits (ids, most messages): the common answer
        classes = encoded.translate(_GATE_CLASSES).replace(b"ss", b"xx")
        return b"0000000000" in classes.replace(b"s", b"")
    return _DIGITS_GATE.search(text) is not None


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        d = ord(char) - 48
        if index % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _digits(match: re.Match[str]) -> str:
    whole = match.group()
    if match.group("rrn") is not None:
        return f"{whole[:-6]}******"
    if match.group("card") is None:
        start, end = match.span("mmid")
        start -= match.start()
        end -= match.start()
        return f"{whole[:start]}{'*' * (end - start)}{whole[end:]}"
    digits = "".join(c for c in whole if c.isdigit())
    if 13 <= len(digits) <= 19 and _luhn_ok(digits):
        return f"{MASK}{digits[-4:]}"
    return whole


# --------------------------------------------------------------------------- e-mail

_EMAIL = re.compile(
    r"(?P<local>[A-Za-z0-9._%+-](?<![A-Za-z0-9._%+-].)[A-Za-z0-9._%+-]{0,63})@"
    r"(?P<domain>[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24})"
    r"(?![A-Za-z0-9-])"  # not \b: Hangul glued after the address is a word character
)


def _email(match: re.Match[str]) -> str:
    return f"{match.group('local')[:1]}{MASK}@{match.group('domain')}"


PEM_PASS = Pass("pem", any_of("-----begin"), _PEM, lambda match: MASK, ("-----begin",))
URL_PASS = Pass("url", _url_gate, _URL, _url, ("://",))
JWT_PASS = Pass("jwt", any_of("eyj"), _JWT, lambda match: MASK, ("eyj",))
PROVIDER_PASS = Pass("provider", _PROVIDER_GATE, _PROVIDER, _provider, _PROVIDER_LITERALS)
WEBHOOK_PASS = Pass("webhook", any_of(*_WEBHOOK_LITERALS), _WEBHOOK, _webhook, _WEBHOOK_LITERALS)
_BEARER_LITERALS = ("bearer", "basic", "token")
BEARER_PASS = Pass("bearer", any_of(*_BEARER_LITERALS), _BEARER, _bearer, _BEARER_LITERALS)
DIGITS_PASS = Pass("digits", digits_gate, _DIGITS, _digits)
EMAIL_PASS = Pass("email", lambda text, lower: "@" in text, _EMAIL, _email, ("@",))

SHAPE_PASSES = (PEM_PASS, URL_PASS, JWT_PASS, PROVIDER_PASS, WEBHOOK_PASS)
"""The passes that run before ``key=value`` masking (whole shapes first)."""
