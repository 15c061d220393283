"""Where user code called into the plugin: the first frame outside ``pytest_rfs``.

Imports only the standard library (the plugin's hooks use it while loading nothing heavy).
"""

from __future__ import annotations

import sys
import types

__all__ = ["call_site", "caller_frame"]


def _ours(frame: types.FrameType) -> bool:
    name = str(frame.f_globals.get("__name__", ""))
    return name == "pytest_rfs" or name.startswith("pytest_rfs.")


def caller_frame() -> types.FrameType | None:
    """The innermost frame outside pytest_rfs: the user code naming a service."""
    frame: types.FrameType | None = sys._getframe(1)
    while frame is not None and _ours(frame):
        frame = frame.f_back
    return frame


def call_site(frame: types.FrameType | None) -> str:
    """``path:line`` of ``frame`` (``<unknown>`` without one)."""
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"
