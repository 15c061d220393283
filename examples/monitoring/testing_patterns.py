"""Test-side building blocks for the service in ``metrics_dashboard.py``.

``test_testing_patterns.py`` beside this file uses them; run both with
``pytest examples/monitoring`` from the repository root. What lives here is what a project
keeps in its test helpers (or a ``conftest.py``):

- ``sample_user``: the record the plan's tests make the mocked service return;
- the service registered under the name ``"user_service"`` with ``register_service``, so the
  plan's ``mock_result_service("user_service", "get_user_async")`` finds it from any module;
- ``user_records()``: a Hypothesis strategy of valid and broken records;
- ``api_client()``: an httpx client that calls the FastAPI app in process (no server).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
from hypothesis import strategies as st
from metrics_dashboard import UserRecord, app, user_service

from pytest_rfs import register_service

sample_user = UserRecord(user_id="123", name="Kim Minji", email="minji@example.com")
"""What the mocked user service returns in the plan's success test."""

register_service("user_service", user_service)


def user_records() -> st.SearchStrategy[UserRecord]:
    """Records the service might hold: valid ones, and ones with an empty name or a bad email.

    Shrinks towards ``UserRecord(user_id="0", name="", email="")``.
    """
    return st.builds(
        UserRecord,
        user_id=st.text("0123456789", min_size=1, max_size=6),
        name=st.text(max_size=20),
        email=st.one_of(
            st.builds("{}@example.com".format, st.text("abcdefxyz.", min_size=1, max_size=8)),
            st.text(max_size=10),
        ),
    )


@contextlib.asynccontextmanager
async def api_client() -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client calling the example app in process, through its ASGI interface."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
