"""``SafeJSONResponse``: a JSON response that renders any content instead of failing.

Starlette's ``JSONResponse`` raises on text that is not valid Unicode (a lone surrogate such
as ``"eve\\ud800"`` arrives in perfectly valid JSON) and on non-finite floats, which turns a
4xx echoing the input, or a listing holding such a name, into a ``500 text/plain``. This
class renders such content through ``render.json_safe``: the surrogate becomes the six
characters ``\\ud800``, NaN becomes ``"nan"``; content that renders normally is unchanged.
"""

from __future__ import annotations

import json
from typing import Any

from rfs_monitoring.errors import MissingExtraError
from rfs_monitoring.result_logging.render import json_safe

try:
    from starlette.responses import JSONResponse
except ImportError as exc:  # pragma: no cover - only without the extra
    raise MissingExtraError("rfs_monitoring.web", "fastapi", exc.name or "fastapi") from exc

__all__ = ["SafeJSONResponse", "render_json_body"]


def render_json_body(content: Any) -> bytes:
    """``content`` as a JSON body (bytes) that is always valid UTF-8; never raises."""
    return json.dumps(
        json_safe(content), ensure_ascii=False, allow_nan=False, separators=(",", ":")
    ).encode("utf-8")


class SafeJSONResponse(JSONResponse):
    """A ``JSONResponse`` whose body is always valid UTF-8 JSON (see the module docstring)."""

    def render(self, content: Any) -> bytes:
        """The body: Starlette's rendering, or the escaped one when that fails."""
        try:
            return super().render(content)
        except (UnicodeEncodeError, ValueError, TypeError, RecursionError):
            return render_json_body(content)
