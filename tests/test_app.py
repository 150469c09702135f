"""The HTTP app's skeleton: health and readiness, the schema, JSON errors with precise
statuses and never a stack trace; and the Redis broker's publish-after-commit guarantee.

Requests go through httpx's ASGITransport in the test's own event loop. Litestar's
AsyncTestClient is not used: it runs the app on a portal thread with an event loop of its
own, where the shared runtime's asyncpg pool (bound to the test loop) fails ("connection
was closed in the middle of operation") and /readyz would report the database down. The
app's lifespan runs in a task of its own, so a shutdown that hangs fails one test instead
of freezing the run.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import SimpleNamespace

import asyncpg
import httpx
import msgspec
import pytest
import redis.asyncio as aioredis
from litestar import Litestar, get
from litestar.params import FromQuery

from tests.support.services import free_port
from wazify.actions.members import do_create_member
from wazify.actions.uow import Actor, unit_of_work
from wazify.actions.workspaces import do_create_workspace
from wazify.app import create_app
from wazify.lib.errors import Conflict, NotFound, TooManyRequests
from wazify.lib.http_errors import EXCEPTION_HANDLERS
from wazify.realtime.broker import CHANNEL, LoggedEvent, RedisBroker, decode_wire
from wazify.runtime import Runtime
from wazify.settings import Settings

ACTOR = Actor.system("test")
TRACEBACK_MARKERS = ("Traceback", 'File "', "line ", ".py")


SHUTDOWN_SECONDS = 10
# Background tasks the app's lifespan starts, named when a shutdown hangs.
APP_TASKS = ("profile-fetcher", "webhook-processor")


@asynccontextmanager
async def serve(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan entered (in a task of its own) and a client for it."""
    started, stopping = asyncio.Event(), asyncio.Event()

    async def run_lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stopping.wait()

    lifespan = asyncio.create_task(run_lifespan(), name="app-lifespan")
    waiting = asyncio.create_task(started.wait())
    await asyncio.wait({lifespan, waiting}, return_when=asyncio.FIRST_COMPLETED)
    if not started.is_set():
        waiting.cancel()
        await lifespan  # raises the start-up error
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client:
            yield client
    finally:
        stopping.set()
        await stop_lifespan(lifespan)


async def stop_lifespan(lifespan: asyncio.Task[None]) -> None:
    done, _ = await asyncio.wait({lifespan}, timeout=SHUTDOWN_SECONDS)
    if done:
        lifespan.result()
        return
    # Left as they are: cancelling a worker mid-transaction would leak its pooled
    # connection and hang the session's pool at teardown.
    stuck = sorted(task.get_name() for task in asyncio.all_tasks() if task.get_name() in APP_TASKS)
    pytest.fail(
        f"the app's lifespan did not shut down within {SHUTDOWN_SECONDS} s; still running:"
        f" {stuck} (a swallowed cancellation?)"
    )


def assert_json_error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    for marker in TRACEBACK_MARKERS[:2]:
        assert marker not in response.text
    return body


@pytest.fixture
async def client(settings: Settings, runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(create_app(settings, runtime=runtime)) as client:
        yield client


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_each_check(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


async def test_readyz_503_names_the_broker_when_redis_is_down(
    settings: Settings, runtime: Runtime
) -> None:
    broker = RedisBroker(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    try:
        app = create_app(settings, runtime=dataclasses.replace(runtime, broker=broker))
        async with serve(app) as client:
            started = time.monotonic()
            response = await client.get("/readyz")
            assert time.monotonic() - started < 5
            assert (await client.get("/healthz")).status_code == 200  # alive all the same
    finally:
        await broker.stop()
    body = assert_json_error(response, 503, "unavailable")
    assert body == {
        "error": {"code": "unavailable", "message": "not ready: broker unreachable"},
        "checks": {"database": "ok", "broker": "down"},
    }


async def test_readyz_503_names_the_database_when_postgres_is_down(
    settings: Settings, runtime: Runtime
) -> None:
    # A real pool to a port where no PostgreSQL listens (min_size=0: it connects on use).
    pool = await asyncpg.create_pool(
        f"postgresql://wazify:pw@127.0.0.1:{free_port()}/wazify", min_size=0, timeout=2
    )
    try:
        dead = dataclasses.replace(runtime, engine=SimpleNamespace(pool=pool))
        async with serve(create_app(settings, runtime=dead)) as client:
            response = await client.get("/readyz")
    finally:
        await pool.close()
    body = assert_json_error(response, 503, "unavailable")
    assert body["error"]["message"] == "not ready: database unreachable"
    assert body["checks"] == {"database": "down", "broker": "ok"}
    assert "pw@" not in response.text


async def test_openapi_schema_is_3_1(client: httpx.AsyncClient) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.1")
    assert schema["info"]["title"] == "Wazify"
    assert "/healthz" not in schema["paths"] and "/readyz" not in schema["paths"]


async def test_unknown_path_is_a_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/no/such/page.json")
    assert_json_error(response, 404, "not_found")
    response = await client.get("/api/no-such-endpoint")
    assert_json_error(response, 404, "not_found")


async def test_wrong_method_is_a_json_405(client: httpx.AsyncClient) -> None:
    for method in ("DELETE", "PUT"):
        response = await client.request(method, "/healthz")
        assert_json_error(response, 405, "method_not_allowed")
    response = await client.request("DELETE", "/readyz")
    assert_json_error(response, 405, "method_not_allowed")


async def test_the_product_app_does_not_run_in_debug_mode(
    settings: Settings, runtime: Runtime
) -> None:
    assert create_app(settings, runtime=runtime).debug is False


async def test_app_opens_and_closes_its_own_runtime(settings: Settings) -> None:
    # No runtime given: the lifespan opens one from the settings and closes it at shutdown.
    app = create_app(settings)
    async with serve(app) as client:
        response = await client.get("/readyz")
        runtime = app.state.runtime
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}
    assert runtime.engine.pool is None  # closed by the lifespan


async def test_shutdown_right_after_start_is_prompt(settings: Settings, runtime: Runtime) -> None:
    # uvicorn waits for the lifespan's shutdown: a background task that swallows its
    # cancellation would keep a stopping server (and `docker stop`) waiting forever.
    for _ in range(3):
        async with serve(create_app(settings, runtime=runtime)):
            pass


# A throwaway app with the product's exception handlers, for errors the product app has no
# route to provoke.


class SecretError(RuntimeError):
    pass


@get("/boom", sync_to_thread=False)
def boom() -> None:
    raise SecretError("internal detail: password=hunter2 at /srv/wazify/secret.py")


@get("/missing", sync_to_thread=False)
def missing() -> None:
    raise NotFound("no conversation 42 in this workspace", field="conversation_id")


@get("/conflict", sync_to_thread=False)
def conflict() -> None:
    raise Conflict("a workspace with slug 'acme' already exists", field="slug")


@get("/throttled", sync_to_thread=False)
def throttled() -> None:
    raise TooManyRequests("too many login attempts, try again later", retry_after=30)


@get("/db-gone")
async def db_gone() -> None:
    raise asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed")


@get("/typed", sync_to_thread=False)
def typed(limit: FromQuery[int]) -> dict[str, int]:
    return {"limit": limit}


@pytest.fixture
async def errors_client() -> AsyncIterator[httpx.AsyncClient]:
    app = Litestar(
        route_handlers=[boom, missing, conflict, throttled, db_gone, typed],
        exception_handlers=EXCEPTION_HANDLERS,
        debug=False,
    )
    async with serve(app) as client:
        yield client


async def test_unexpected_exception_is_a_json_500_without_traceback(
    errors_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="wazify.http"):
        response = await errors_client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {
        "error": {"code": "internal", "message": "an internal error occurred; it has been logged"}
    }
    for leak in (*TRACEBACK_MARKERS, "SecretError", "hunter2", "internal detail"):
        assert leak not in response.text
    # ... while the log keeps the stack trace for the operator.
    logged = [record for record in caplog.records if record.name == "wazify.http"]
    assert logged and logged[0].exc_info is not None
    assert "GET /boom" in logged[0].getMessage()


async def test_app_errors_keep_their_status_code_and_field(
    errors_client: httpx.AsyncClient,
) -> None:
    body = assert_json_error(await errors_client.get("/missing"), 404, "not_found")
    assert body == {
        "error": {
            "code": "not_found",
            "message": "no conversation 42 in this workspace",
            "field": "conversation_id",
        }
    }
    body = assert_json_error(await errors_client.get("/conflict"), 409, "conflict")
    assert body["error"]["field"] == "slug"
    response = await errors_client.get("/throttled")
    assert_json_error(response, 429, "too_many_requests")
    assert response.headers["retry-after"] == "30"


async def test_database_loss_inside_a_route_is_a_503(errors_client: httpx.AsyncClient) -> None:
    response = await errors_client.get("/db-gone")
    assert_json_error(response, 503, "unavailable")
    assert response.headers["retry-after"] == "5"


async def test_bad_parameter_is_a_json_400(errors_client: httpx.AsyncClient) -> None:
    response = await errors_client.get("/typed", params={"limit": "many"})
    body = assert_json_error(response, 400, "invalid")
    assert body["error"].get("field") == "limit"
    response = await errors_client.get("/typed")
    assert_json_error(response, 400, "invalid")


# The Redis broker: publish after commit only; a Redis that is down never undoes a commit.


async def next_message(pubsub: aioredis.client.PubSub, seconds: float) -> dict | None:
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
        if message is not None:
            return message
    return None


async def test_redis_subscriber_sees_the_event_only_after_commit(
    runtime: Runtime, db: asyncpg.Connection, redis_url: str
) -> None:
    broker = RedisBroker(redis_url)
    received: list[LoggedEvent] = []
    broker.add_handler(received.append)
    listener = aioredis.Redis.from_url(redis_url)
    pubsub = listener.pubsub()
    await pubsub.subscribe(CHANNEL)
    redis_runtime = dataclasses.replace(runtime, broker=broker)
    try:
        await broker.start()
        deadline = time.monotonic() + 5
        while (await listener.pubsub_numsub(CHANNEL))[0][1] < 2:  # ours and the broker's
            assert time.monotonic() < deadline, "the broker never subscribed"
            await asyncio.sleep(0.02)
        await next_message(pubsub, 0.05)  # drain the subscribe confirmation

        async with unit_of_work(redis_runtime, ACTOR) as uow:
            workspace_id = await do_create_workspace(uow, "acme")
            await do_create_member(uow, workspace_id, email="a@example.com", role="agent")
            # Not yet committed: nothing published, nothing delivered.
            assert await next_message(pubsub, 0.3) is None
            assert received == []

        message = await next_message(pubsub, 5)
        assert message is not None, "the committed event was never published"
        [event] = decode_wire(message["data"])
        # Whoever receives it can already read it from Postgres.
        row = await db.fetchrow(
            "SELECT payload::text AS payload FROM events WHERE workspace_id = $1 AND seq = $2",
            event.workspace_id,
            event.seq,
        )
        assert (event.workspace_id, event.seq) == (workspace_id, 1)
        assert row is not None
        assert msgspec.json.decode(row["payload"]) == msgspec.json.decode(bytes(event.payload))
        assert [item.seq for item in uow.committed] == [1]

        deadline = time.monotonic() + 5
        while not received:  # the broker's own subscription delivers it to local handlers
            assert time.monotonic() < deadline, "the broker's handler never got the event"
            await asyncio.sleep(0.02)
        assert received == [event]
        assert await next_message(pubsub, 0.2) is None  # published once
    finally:
        await pubsub.aclose()
        await listener.aclose()
        await broker.stop()


async def test_a_redis_that_is_down_neither_fails_nor_undoes_the_commit(
    runtime: Runtime, db: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    broker = RedisBroker(f"redis://127.0.0.1:{free_port()}/0")  # a closed port
    redis_runtime = dataclasses.replace(runtime, broker=broker)
    try:
        await broker.start()
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="wazify.broker"):
            async with unit_of_work(redis_runtime, ACTOR) as uow:
                workspace_id = await do_create_workspace(uow, "acme")
                await do_create_member(uow, workspace_id, email="a@example.com", role="agent")
        assert time.monotonic() - started < 5
    finally:
        await broker.stop()
    assert [item.seq for item in uow.committed] == [1]
    assert await db.fetchval("SELECT count(*) FROM memberships") == 1
    assert await db.fetchval("SELECT last_seq FROM workspace_counters") == 1
    assert [row["seq"] for row in await db.fetch("SELECT seq FROM events")] == [1]
    assert any("publish to Redis failed" in record.getMessage() for record in caplog.records)
