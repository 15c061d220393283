"""CorrelationIdMiddleware: ids read, generated, bound and echoed; the README example."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from rfs_monitoring import (
    ConfigurationError,
    Success,
)
from rfs_monitoring.context import get_correlation_id, peek_correlation_id
from rfs_monitoring.web import (
    CorrelationIdMiddleware,
)

HEX32 = re.compile(r"[0-9a-f]{32}")


class TestCorrelationIdMiddleware:
    @pytest.mark.asyncio
    async def test_a_given_id_is_bound_and_echoed(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/correlation", headers={"X-Correlation-ID": "abc-123.x_y"})
        assert response.headers["x-correlation-id"] == "abc-123.x_y"
        assert response.json() == {
            "correlation_id": "abc-123.x_y",
            "request_id": "abc-123.x_y",
            "state": "abc-123.x_y",
        }

    def test_it_is_pure_asgi(self) -> None:
        from starlette.middleware.base import BaseHTTPMiddleware

        assert not issubclass(CorrelationIdMiddleware, BaseHTTPMiddleware)

    @pytest.mark.asyncio
    async def test_sync_endpoints_see_the_id(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/sync-correlation", headers={"X-Correlation-ID": "sync-1"})
        assert response.json() == "sync-1"

    @pytest.mark.asyncio
    async def test_request_id_is_the_fallback(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/correlation", headers={"X-Request-ID": "req-1"})
        assert response.headers["x-correlation-id"] == "req-1"
        assert response.json()["request_id"] == "req-1"

    @pytest.mark.asyncio
    async def test_both_headers(self, client: httpx.AsyncClient) -> None:
        response = await client.get(
            "/correlation", headers={"X-Correlation-ID": "corr", "X-Request-ID": "req"}
        )
        assert response.headers["x-correlation-id"] == "corr"
        assert response.json()["correlation_id"] == "corr"
        assert response.json()["request_id"] == "req"

    @pytest.mark.asyncio
    async def test_an_id_is_generated_when_none_is_given(self, client: httpx.AsyncClient) -> None:
        first = await client.get("/correlation")
        second = await client.get("/correlation")
        assert HEX32.fullmatch(first.headers["x-correlation-id"])
        assert first.json()["correlation_id"] == first.headers["x-correlation-id"]
        assert first.headers["x-correlation-id"] != second.headers["x-correlation-id"]

    @pytest.mark.parametrize(
        "bad",
        ["x" * 129, "has space", "semi;colon", "ünïcode", "", "abc\r\nSet-Cookie: stolen=1"],
    )
    @pytest.mark.asyncio
    async def test_invalid_ids_are_replaced(self, client: httpx.AsyncClient, bad: str) -> None:
        response = await client.get(
            "/correlation", headers={"X-Correlation-ID": bad.encode("utf-8")}
        )
        assert HEX32.fullmatch(response.headers["x-correlation-id"])
        assert response.json()["correlation_id"] == response.headers["x-correlation-id"]
        assert "set-cookie" not in response.headers

    @pytest.mark.asyncio
    async def test_error_responses_carry_the_header(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/users/999", headers={"X-Correlation-ID": "trace-404"})
        assert response.status_code == 404
        assert response.headers["x-correlation-id"] == "trace-404"

    @pytest.mark.asyncio
    async def test_crlf_injection_is_replaced_by_a_generated_id(self) -> None:
        seen: dict[str, Any] = {}

        async def inner(scope: Any, receive: Any, send: Any) -> None:
            seen["cid"] = get_correlation_id()
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"x-correlation-id", b"app-set"),
                        (b"content-type", b"text/plain"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b"ok"})

        sent: list[dict[str, Any]] = []

        async def send(message: Any) -> None:
            sent.append(message)

        async def receive() -> Any:
            return {"type": "http.request", "body": b""}

        malicious = b"abc\r\nSet-Cookie: session=stolen"
        scope = {"type": "http", "headers": [(b"x-correlation-id", malicious)]}
        await CorrelationIdMiddleware(inner)(scope, receive, send)
        headers = sent[0]["headers"]
        echoed = [v for k, v in headers if k == b"x-correlation-id"]
        assert len(echoed) == 1
        assert HEX32.fullmatch(echoed[0].decode())
        assert seen["cid"] == echoed[0].decode()
        assert b"stolen" not in b"".join(v for _, v in headers)
        assert (b"content-type", b"text/plain") in headers
        assert sent[1] == {"type": "http.response.body", "body": b"ok"}
        assert peek_correlation_id() is None  # reset after the request

    @pytest.mark.asyncio
    async def test_lifespan_scopes_pass_through(self) -> None:
        calls: list[str] = []

        async def inner(scope: Any, receive: Any, send: Any) -> None:
            calls.append(scope["type"])
            assert peek_correlation_id() is None

        async def noop(*_: Any) -> Any:
            return None

        await CorrelationIdMiddleware(inner)({"type": "lifespan"}, noop, noop)
        assert calls == ["lifespan"]

    @pytest.mark.asyncio
    async def test_websocket_scopes_get_an_id(self) -> None:
        seen: list[str] = []

        async def inner(scope: Any, receive: Any, send: Any) -> None:
            seen.append(get_correlation_id())
            await send({"type": "websocket.accept"})

        sent: list[Any] = []

        async def send(message: Any) -> None:
            sent.append(message)

        async def receive() -> Any:
            return {}

        scope = {"type": "websocket", "headers": [(b"x-request-id", b"ws-1")]}
        await CorrelationIdMiddleware(inner)(scope, receive, send)
        assert seen == ["ws-1"]
        assert sent == [{"type": "websocket.accept"}]

    @pytest.mark.asyncio
    async def test_custom_header_names(self) -> None:
        sent: list[Any] = []

        async def inner(scope: Any, receive: Any, send: Any) -> None:
            await send({"type": "http.response.start", "status": 204})

        async def send(message: Any) -> None:
            sent.append(message)

        async def receive() -> Any:
            return {}

        middleware = CorrelationIdMiddleware(
            inner, header_name="X-Trace", fallback_header="X-Amzn-Trace-Id"
        )
        scope = {"type": "http", "headers": [(b"x-amzn-trace-id", b"t-9")], "state": None}
        await middleware(scope, receive, send)
        assert sent[0]["headers"] == [(b"x-trace", b"t-9")]

    @pytest.mark.parametrize("bad", ["", "bad header", "x\r\ny", 3])
    def test_header_names_are_validated(self, bad: object) -> None:
        async def inner(scope: Any, receive: Any, send: Any) -> None:
            return None

        with pytest.raises(ConfigurationError) as info:
            CorrelationIdMiddleware(inner, header_name=bad)  # type: ignore[arg-type]
        assert str(info.value) == (
            f"CorrelationIdMiddleware header_name must be an HTTP header name, got {bad!r}"
        )


class TestReadme:
    @pytest.mark.asyncio
    async def test_the_readme_example_runs(self) -> None:
        from pathlib import Path

        readme = (Path(__file__).parents[3] / "docs" / "fastapi.md").read_text(encoding="utf-8")
        match = re.search(
            r"## Result-returning FastAPI endpoints\n\n```python\n(.*?)```", readme, re.S
        )
        assert match is not None
        namespace: dict[str, Any] = {"__name__": "readme_example"}
        exec(compile(match.group(1), "README.md", "exec"), namespace)
        example_app = namespace["app"]
        assert await namespace["get_user"]("123") == Success(namespace["User"](user_id="123"))
        transport = httpx.ASGITransport(app=example_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            ok = await c.get("/users/123")
            assert (ok.status_code, ok.json()) == (200, {"user_id": "123"})
            assert HEX32.fullmatch(ok.headers["x-correlation-id"])
            missing = await c.get("/users/9")
            assert (missing.status_code, missing.json()["code"]) == (404, "NOT_FOUND")
            assert (await c.get("/health")).json() == "ok"
