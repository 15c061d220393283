"""Secret detection and masking for every output: keys, values inside free text, objects.

``mask_value(obj)`` returns a JSON-safe copy of ``obj`` in which the value of every
*sensitive key* (``is_sensitive_key``: password, secret, token, api_key, dsn,
database_url, connection_string, access_key, client_secret, private_key, 비밀번호, ...; a
sensitive word anywhere in the key, any case or style) is replaced by ``"***"``, however
deeply nested, and every string goes through ``mask_text``.

``mask_text(text)`` masks secrets found inside free text, in linear time:

- shapes: PEM blocks (whole), URL userinfo in any scheme (``postgres://admin:***@db``),
  JSON Web Tokens, provider keys by their documented prefixes (AWS ``AKIA``/``ASIA``,
  GitHub ``ghp_``/``gho_``/``ghu_``/``ghs_``/``ghr_``/``github_pat_``, Slack ``xox?-``,
  Stripe ``sk_live_``/``rk_live_``/``sk_test_``, Google ``AIza``, PyPI ``pypi-AgE``, npm
  ``npm_``, ...), ``Bearer``/``Basic`` credentials;
- ``key=value`` / ``key: value`` with a sensitive key, and prose (``password is X``);
- Korean keys (``비밀번호=X``, ``비밀번호: X``, ``비밀번호는 X``);
- partially: Luhn-valid card numbers (``***1111``), e-mail addresses (``j***@example.com``),
  Korean resident registration numbers (``900101-1******``) and mobile numbers
  (``010-****-5678``);
- the patterns added with ``add_masking_pattern``.

``MaskingFilter`` / ``masked_logger`` / ``mask_access_log`` mask stdlib log records before
any handler sees them; ``mask_label`` is ``mask_text`` cached per distinct value (error
codes, metric labels). Nothing here ever raises into the caller: on an internal error the
value becomes ``REDACTED_ON_ERROR`` and the fault is counted (``masking_stats()``).
"""

from __future__ import annotations

from rfs_monitoring.masking.keys import SENSITIVE_WORDS, add_sensitive_keys, is_sensitive_key
from rfs_monitoring.masking.logs import (
    ACCESS_LOGGERS,
    MaskingFilter,
    mask_access_log,
    mask_record,
    masked_logger,
)
from rfs_monitoring.masking.patterns import MASK
from rfs_monitoring.masking.text import (
    MAX_TEXT_CHARS,
    REDACTED_ON_ERROR,
    Replacement,
    add_masking_pattern,
    mask_label,
    mask_text,
    masking_stats,
)
from rfs_monitoring.masking.values import MAX_DEPTH, MAX_ITEMS, mask_value

__all__ = [
    "ACCESS_LOGGERS",
    "MASK",
    "MAX_DEPTH",
    "MAX_ITEMS",
    "MAX_TEXT_CHARS",
    "REDACTED_ON_ERROR",
    "SENSITIVE_WORDS",
    "MaskingFilter",
    "Replacement",
    "add_masking_pattern",
    "add_sensitive_keys",
    "is_sensitive_key",
    "mask_access_log",
    "mask_label",
    "mask_record",
    "mask_text",
    "mask_value",
    "masked_logger",
    "masking_stats",
]
