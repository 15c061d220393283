"""Fixtures of the web tests: an httpx client on the test app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from .app import app


@pytest_asyncio.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c
