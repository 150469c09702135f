"""A database outage, as the app meets it: a Postgres of the module's own stopped and started
again mid-test. While it is down, requests with a valid session or token answer 503 with
Retry-After and websocket connects are closed with 1013 ("try again later"): never 401/403,
which tell a client to sign in again. Once it is back, the same session works at once.
Receipts posted around the outage all end up stored, none quarantined, and no background
task fails unseen ("Task exception was never retrieved")."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import secrets
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import msgspec
import pytest
import websockets

from tests.realtime.conftest import connect
from tests.support.live import live_server
from tests.support.services import RestartablePostgres, create_database, restartable_postgres
from tests.support.world import Member, World
from tests.webhooks.conftest import SYSTEM, post_webhook, settle
from wazify.actions.accounts import do_register_account
from wazify.actions.auth import do_create_token
from wazify.actions.uow import unit_of_work
from wazify.app import create_app
from wazify.db.migrate import apply_migrations
from wazify.db.tables import ALL_TABLES
from wazify.fakemeta.webhooks import ACCOUNT, CONTACT, body, entry, make_mid, text_message
from wazify.lib.passwords import hash_password
from wazify.realtime.broker import InProcessBroker
from wazify.realtime.protocol import CLOSE_TRY_AGAIN
from wazify.runtime import Runtime, open_runtime
from wazify.settings import Settings

# The first request after the restart may meet a pooled connection the restart killed;
# it must not take the app longer than this to be itself again.
RECOVERY_SECONDS = 1.0


@dataclass
class Site:
    postgres: RestartablePostgres
    runtime: Runtime
    app: object
    address: str
    member: Member
    token: str

    async def stop_database(self) -> None:
        await asyncio.to_thread(self.postgres.stop)

    async def start_database(self) -> None:
        await asyncio.to_thread(self.postgres.start)


@pytest.fixture(scope="module")
def postgres() -> Iterator[RestartablePostgres]:
    folder = tempfile.mkdtemp(prefix="wazify-outage-")
    server = restartable_postgres(folder)
    yield server
    with contextlib.suppress(Exception):
        server.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
async def site(
    postgres: RestartablePostgres, settings: Settings, shared_runtime: Runtime
) -> AsyncIterator[Site]:
    url = await create_database(postgres.admin_url, "wazify_outage")
    await apply_migrations(url)
    changed = msgspec.structs.replace(settings, database_url=url)
    runtime = await open_runtime(
        changed, url, settings.token_keys, broker=InProcessBroker(), pool_max=4
    )
    try:
        world = World(runtime, hash_password("correct horse battery staple"))
        workspace_id = await world.workspace("shop")
        member = await world.member(workspace_id, "agent@example.com", "agent")
        async with unit_of_work(runtime, SYSTEM) as uow:
            await do_register_account(uow, workspace_id, ig_id=ACCOUNT, username="shop")
            _, token = await do_create_token(uow, workspace_id, member.user_id, "script")
        app = create_app(changed, runtime=runtime)
        async with live_server(app) as address:
            yield Site(postgres, runtime, app, address, member, token)
    finally:
        await runtime.close()
        # open_runtime pointed Piccolo's tables at the private engine: point them back.
        for table in ALL_TABLES:
            table._meta.db = shared_runtime.engine


@pytest.fixture
async def http(site: Site) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"http://{site.address}", timeout=10) as client:
        yield client


async def socket_outcome(site: Site) -> tuple[str, int | None]:
    """("ready", None) when the stream starts, ("closed", code) when the server closes it,
    ("refused", status) when the handshake is refused (HTTP status)."""
    try:
        agent = await connect(site.address, site.member, since=0)
    except websockets.InvalidStatus as refused:
        return "refused", refused.response.status_code
    try:
        await agent.wait_for(lambda a: a.ready or a.closed is not None)
        return ("ready", None) if agent.ready else ("closed", agent.closed[0])
    finally:
        await agent.close()


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def test_an_outage_is_try_again_never_sign_in_and_recovery_is_immediate(
    site: Site, http: httpx.AsyncClient
) -> None:
    credentials = [site.member.cookie_only, bearer(site.token)]
    for headers in credentials:
        assert (await http.get("/api/v1/me", headers=headers)).status_code == 200
    assert await socket_outcome(site) == ("ready", None)
    watching = await connect(site.address, site.member, since=0)
    await watching.wait_ready()

    await site.stop_database()
    try:
        for headers in credentials:
            answer = await http.get("/api/v1/me", headers=headers)
            assert answer.status_code == 503, answer.text
            assert answer.json()["error"]["code"] == "unavailable"
            assert int(answer.headers["retry-after"]) > 0
        assert await socket_outcome(site) == ("closed", CLOSE_TRY_AGAIN)
    finally:
        await site.start_database()
    returned = time.monotonic()
    for headers in credentials:  # the very first requests after the restart
        answer = await http.get("/api/v1/me", headers=headers)
        assert answer.status_code == 200, answer.text
    assert await socket_outcome(site) == ("ready", None)
    assert time.monotonic() - returned < RECOVERY_SECONDS
    assert watching.closed is None  # the open socket rode the outage out
    await watching.close()


async def test_a_background_task_failing_in_an_outage_is_logged_with_its_name(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    watching = await connect(site.address, site.member, since=0)
    await watching.wait_ready()
    await site.stop_database()
    try:
        # A Redis reconnect while Postgres is down: the hub checks the heads in a task.
        site.app.state.realtime.hub.check_heads_soon()
        async with asyncio.timeout(5):
            while not any("hub-check-heads" in r.getMessage() for r in caplog.records):
                await asyncio.sleep(0.02)
    finally:
        await site.start_database()
        await watching.close()
    gc.collect()  # an unretrieved task exception is reported when the task is collected
    await asyncio.sleep(0)
    messages = [record.getMessage() for record in caplog.records]
    assert not [m for m in messages if "never retrieved" in m], messages


async def test_receipts_posted_around_an_outage_are_all_stored_none_quarantined(
    site: Site, http: httpx.AsyncClient
) -> None:
    run = secrets.token_hex(3)

    def delivery(number: int) -> dict:
        mid = make_mid(ACCOUNT, number) + run
        return body([entry(ACCOUNT, [text_message(ACCOUNT, CONTACT, f"n{number}", mid)])])

    before = [await post_webhook(http, delivery(n)) for n in range(20)]
    assert {answer.status_code for answer in before} == {200}
    # Stopped while the processor works through them.
    await site.stop_database()
    try:
        during = [(n, await post_webhook(http, delivery(n))) for n in range(20, 30)]
    finally:
        await site.start_database()
    refused = [n for n, answer in during if answer.status_code != 200]
    assert {answer.status_code for _, answer in during} <= {200, 503}
    # Meta retries what was refused; more arrives.
    for n in [*refused, *range(30, 40)]:
        assert (await post_webhook(http, delivery(n))).status_code == 200
    await settle(site.runtime)
    pool = site.runtime.engine.pool
    states = await pool.fetch("SELECT state, count(*) FROM webhook_receipts GROUP BY state")
    assert {row["state"]: row["count"] for row in states}.get("quarantined") is None
    stored = await pool.fetchval("SELECT count(*) FROM messages WHERE mid LIKE '%' || $1", run)
    assert stored == 40
