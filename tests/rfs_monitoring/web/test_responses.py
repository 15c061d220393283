"""``SafeJSONResponse``: a JSON body that is always valid UTF-8."""

from __future__ import annotations

import json

from rfs_monitoring.web.responses import SafeJSONResponse, render_json_body


class TestSafeJSONResponse:
    def test_ordinary_content_renders_as_starlette_does(self) -> None:
        assert SafeJSONResponse({"a": "é", "n": 1}).body == '{"a":"é","n":1}'.encode()

    def test_a_lone_surrogate_and_nan_render_escaped(self) -> None:
        body = SafeJSONResponse({"name": "eve\ud800", "x": float("nan")}).body
        assert json.loads(body.decode("utf-8")) == {"name": "eve\\ud800", "x": "nan"}

    def test_render_json_body_never_raises(self) -> None:
        loop: list[object] = []
        loop.append(loop)
        assert json.loads(render_json_body({"loop": loop}))["loop"]
