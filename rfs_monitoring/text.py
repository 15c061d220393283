"""Text that is safe to output: valid Unicode, and on one line.

The one rule for both, used by the log lines (``result_logging.render``), the HTTP bodies
(``web.responses``) and the names and messages the collector keeps (``metrics``):

- ``clean_text``: text that cannot be encoded as UTF-8 (a lone surrogate such as
  ``"eve\\ud800"``, which arrives in perfectly valid JSON) has each such character replaced
  by its escape, the six characters ``\\ud800``; valid text is returned as is.
- ``one_line``: every non-printable character (control characters, line breaks, format
  characters, surrogates) replaced by its escape, so the text cannot start a forged line.

``truncate`` bounds text (a log value, a damaged archive column in an error message) with a
marker saying how much was cut.
"""

from __future__ import annotations

__all__ = ["clean_text", "one_line", "truncate"]


def clean_text(text: str) -> str:
    """``text`` as valid Unicode: a lone surrogate becomes its escape, e.g. ``\\ud800``."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


# Control characters (and Unicode line breaks) as escapes, e.g. "\n" -> "\\n".
_CONTROL_ESCAPES = {code: repr(chr(code))[1:-1] for code in (*range(32), 127, 0x85, 0x2028, 0x2029)}


def _escape_char(char: str) -> str:
    if char.isprintable():
        return char
    code = ord(char)
    if code in _CONTROL_ESCAPES:
        return _CONTROL_ESCAPES[code]
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def one_line(text: str) -> str:
    """``text`` with every non-printable character escaped (control characters, line
    breaks, lone surrogates, format characters); printable text as is."""
    if text.isprintable():
        return text
    return "".join(_escape_char(char) for char in text)


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with a marker saying how many were cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…[truncated {len(text) - limit} chars]"
