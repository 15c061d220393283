"""The FastAPI app the web tests serve: result-aware endpoints of every kind."""

from __future__ import annotations

import asyncio
from typing import Any

import result as rustedpy
import returns.result as dry
from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import PlainTextResponse

from rfs_monitoring import (
    APIError,
    Failure,
    MonoResult,
    Result,
    Success,
)
from rfs_monitoring.context import get_correlation_id, get_request_id
from rfs_monitoring.web import (
    CorrelationIdMiddleware,
    FastAPIResult,
    handle_result,
    install_result_routes,
)


class UserResponse(BaseModel):
    user_id: str
    name: str


class NewUser(BaseModel):
    name: str


class PublicUser(BaseModel):
    name: str


class StoredUser(BaseModel):
    name: str
    password_hash: str


class PerformanceMetrics(BaseModel):
    operation: str
    total: int


USERS = {"123": UserResponse(user_id="123", name="Ada")}
CALLS: dict[str, int] = {}
SECRET = "db-password=hunter2 at /srv/internal/db.py:42"


async def fetch_user(user_id: str) -> Result[UserResponse, APIError]:
    await asyncio.sleep(0)
    user = USERS.get(user_id)
    return Success(user) if user is not None else Failure(APIError.not_found("User", user_id))


def current_token(x_token: str | None = Header(default=None)) -> str | None:
    return x_token


app = FastAPI()
install_result_routes(app)
app.add_middleware(CorrelationIdMiddleware)


@app.get("/users/{user_id}")
@handle_result
async def get_user(user_id: str) -> Result[UserResponse, APIError]:
    """Read one user."""
    CALLS["get_user"] = CALLS.get("get_user", 0) + 1
    return await fetch_user(user_id)


@app.post("/users", status_code=201)
@handle_result
async def create_user(
    body: NewUser, token: str | None = Depends(current_token)
) -> FastAPIResult[UserResponse]:
    if token is None:
        return Failure(APIError.unauthorized())
    if any(u.name == body.name for u in USERS.values()):
        return Failure(APIError.conflict(f"user {body.name} exists", {"name": body.name}))
    return Success(UserResponse(user_id="new", name=body.name))


@app.get("/ages")
@handle_result
async def check_age(age: int, unit: str = "years") -> FastAPIResult[dict[str, Any]]:
    if age < 0:
        return Failure(APIError.validation_error("age must be >= 0", field="age"))
    return Success({"age": age, "unit": unit})


@app.get("/slow")
@handle_result
async def slow() -> FastAPIResult[str]:
    async def forever() -> Result[str, Any]:
        await asyncio.sleep(3600)
        return Success("never")

    return await MonoResult.from_async_result(forever).timeout(0.01)


@app.get("/timeout-error")
@handle_result
async def timeout_error() -> FastAPIResult[str]:
    return Failure(TimeoutError("upstream socket timed out at 10.0.0.7"))


class UpstreamTimeout(Exception):
    """A foreign error that says it is a timeout through its ``code``."""

    code = "TIMEOUT"


@app.get("/coded-timeout")
@handle_result
async def coded_timeout() -> FastAPIResult[str]:
    return Failure(UpstreamTimeout("gateway 10.0.0.7 gave up"))  # type: ignore[arg-type]


@app.get("/boom")
@handle_result
async def boom() -> FastAPIResult[str]:
    raise RuntimeError(SECRET)


@app.get("/internal-failure")
@handle_result
async def internal_failure() -> FastAPIResult[str]:
    return Failure(KeyError(SECRET))


@app.get("/string-failure")
@handle_result
async def string_failure() -> FastAPIResult[str]:
    return Failure(SECRET)


@app.get("/mono")
@handle_result
async def mono_endpoint() -> MonoResult[UserResponse, APIError]:
    return MonoResult.from_async_result(lambda: fetch_user("123")).map(
        lambda u: UserResponse(user_id=u.user_id, name=u.name.upper())
    )


@app.get("/sync/{user_id}")
@handle_result
def sync_endpoint(user_id: str) -> Result[PublicUser, APIError]:
    if user_id == "123":
        return Success(PublicUser(name="Ada"))
    return Failure(APIError.not_found("User", user_id))


@app.get("/sync-mono")
@handle_result
def sync_mono_endpoint() -> MonoResult[PublicUser, APIError]:
    return MonoResult.from_value(PublicUser(name="from a thread"))


@app.get("/sync-http-exception")
@handle_result
def sync_http_exception() -> Result[str, APIError]:
    raise HTTPException(status_code=403, detail="nope")


@app.get("/unserialisable-details")
@handle_result
async def unserialisable_details() -> FastAPIResult[int]:
    return Failure(APIError.conflict("taken", {"obj": object()}))


class BadRepr(Exception):
    def __repr__(self) -> str:
        raise RuntimeError("repr broke")


@app.get("/bad-repr")
@handle_result
async def bad_repr() -> FastAPIResult[int]:
    return Failure(BadRepr())


@app.get("/sync-boom")
@handle_result
def sync_boom() -> Result[str, APIError]:
    raise ValueError(SECRET)


@app.get("/filtered", response_model=PublicUser)
@handle_result
async def filtered() -> Result[StoredUser, APIError]:
    return Success(StoredUser(name="Ada", password_hash="$2b$secret"))


@app.get("/foreign/{kind}")
@handle_result
async def foreign(kind: str) -> FastAPIResult[int]:
    values: dict[str, Any] = {
        "returns-ok": dry.Success(1),
        "returns-err": dry.Failure(APIError.forbidden()),
        "result-ok": rustedpy.Ok(2),
        "result-err": rustedpy.Err(APIError.rate_limited()),
    }
    return values[kind]  # type: ignore[no-any-return]


@app.get("/not-a-result")
@handle_result
async def not_a_result() -> FastAPIResult[int]:
    return 42  # type: ignore[return-value]


@app.get("/http-exception")
@handle_result
async def http_exception() -> FastAPIResult[int]:
    raise HTTPException(status_code=418, detail="teapot")


@app.get("/plain-response")
@handle_result
async def plain_response() -> FastAPIResult[int]:
    return PlainTextResponse("raw", status_code=202)  # type: ignore[return-value]


@app.get("/correlation")
@handle_result
async def correlation(request: Request) -> FastAPIResult[dict[str, Any]]:
    return Success(
        {
            "correlation_id": get_correlation_id(),
            "request_id": get_request_id(),
            "state": request.state.correlation_id,
        }
    )


@app.get("/sync-correlation")
@handle_result
def sync_correlation() -> FastAPIResult[str]:
    return Success(get_correlation_id())


@app.get("/analytics/performance")
async def get_performance_metrics() -> FastAPIResult[PerformanceMetrics]:
    """The plan's pattern: no @handle_result, a FastAPIResult return annotation."""
    CALLS["metrics"] = CALLS.get("metrics", 0) + 1
    return await MonoResult.from_value({"op": "user_retrieval", "n": 3}).bind_result(
        lambda raw: Success(PerformanceMetrics(operation=raw["op"], total=raw["n"]))
    )


@app.get("/analytics/missing")
async def missing_metrics() -> FastAPIResult[PerformanceMetrics]:
    return Failure(APIError.not_found("Operation", "nope"))


@app.get("/plain-model")
async def plain_model() -> PublicUser:
    return PublicUser(name="not a result")


router = APIRouter(prefix="/r")
install_result_routes(router)


@router.get("/items/{item_id}")
async def router_item(item_id: int) -> FastAPIResult[PublicUser]:
    if item_id == 1:
        return Success(PublicUser(name="one"))
    return Failure(APIError.not_found("Item", item_id))


app.include_router(router)
