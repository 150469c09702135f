"""Fixtures for the conversations API: the real app over HTTP, a workspace with one member
of each role, conversations made by signed webhooks through the real pipeline, and a
second workspace to prove isolation."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from litestar import Litestar

from tests.support.http import make_client, running
from tests.support.reducer import comparable, reduce
from tests.support.world import Member, World
from tests.webhooks.conftest import post_webhook, settle
from wazify.actions.accounts import do_register_account
from wazify.actions.contacts import do_record_profile
from wazify.actions.members import do_deactivate_member
from wazify.actions.uow import Actor, unit_of_work
from wazify.app import create_app
from wazify.fakemeta.webhooks import ACCOUNT, ACCOUNT_B, body, entry, text_message
from wazify.lib.passwords import hash_password
from wazify.runtime import Runtime
from wazify.settings import Settings

SYSTEM = Actor.system("test")
ROLES = ("admin", "supervisor", "agent")
_contacts = itertools.count(1)


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password("correct horse battery staple")


@pytest.fixture
def world(runtime: Runtime, password_hash: str) -> World:
    return World(runtime, password_hash)


@pytest.fixture
async def app(settings: Settings, runtime: Runtime) -> AsyncIterator[Litestar]:
    application = create_app(settings, runtime=runtime)
    async with running(application):
        yield application


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(app) as test_client:
        yield test_client


def new_igsid() -> str:
    return str(7_600_000_000_000_000 + next(_contacts))


@dataclass
class Shop:
    """Workspace "shop" (account ACCOUNT) with an admin, a supervisor, two agents and a
    deactivated agent; workspace "rival" (account ACCOUNT_B) with its own admin."""

    runtime: Runtime
    client: httpx.AsyncClient
    workspace_id: int
    account_id: int
    members: dict[str, Member]
    inactive: Member
    rival_id: int
    rival_account_id: int
    rival: Member

    @property
    def admin(self) -> Member:
        return self.members["admin"]

    @property
    def supervisor(self) -> Member:
        return self.members["supervisor"]

    @property
    def agent(self) -> Member:
        return self.members["agent"]

    @property
    def agent2(self) -> Member:
        return self.members["agent2"]

    async def conversation(
        self,
        text: str = "hello",
        *,
        igsid: str | None = None,
        account: str = ACCOUNT,
        ts_ms: int | None = None,
        settle_now: bool = True,
    ) -> int:
        """A customer's message through a signed webhook; returns its conversation's id."""
        igsid = igsid or new_igsid()
        raw = body([entry(account, [text_message(account, igsid, text, ts_ms=ts_ms)])])
        response = await post_webhook(self.client, raw)
        assert response.status_code == 200, response.text
        if settle_now:
            await settle(self.runtime)
        return await self.runtime.engine.pool.fetchval(
            "SELECT c.id FROM conversations c JOIN contacts ct ON ct.id = c.contact_id"
            " WHERE ct.igsid = $1",
            igsid,
        )

    async def contact_of(self, conversation_id: int) -> int:
        return await self.runtime.engine.pool.fetchval(
            "SELECT contact_id FROM conversations WHERE id = $1", conversation_id
        )

    async def name_contact(self, conversation_id: int, name: str, username: str) -> None:
        """What the profile fetcher would store, through the same action."""
        contact_id = await self.contact_of(conversation_id)
        async with unit_of_work(self.runtime, SYSTEM) as uow:
            await do_record_profile(
                uow, contact_id, name=name, username=username, picture_url=None, state="fetched"
            )


@pytest.fixture
async def shop(runtime: Runtime, world: World, client: httpx.AsyncClient) -> Shop:
    workspace_id = await world.workspace("shop")
    rival_id = await world.workspace("rival")
    async with unit_of_work(runtime, SYSTEM) as uow:
        account = await do_register_account(uow, workspace_id, ig_id=ACCOUNT, username="shop")
        rival_account = await do_register_account(uow, rival_id, ig_id=ACCOUNT_B, username="rival")
    members = {role: await world.member(workspace_id, f"{role}@shop.test", role) for role in ROLES}
    members["agent2"] = await world.member(workspace_id, "agent2@shop.test", "agent")
    inactive = await world.member(workspace_id, "gone@shop.test", "agent", session=False)
    async with unit_of_work(runtime, SYSTEM) as uow:
        await do_deactivate_member(uow, workspace_id, inactive.user_id)
    rival = await world.member(rival_id, "admin@rival.test", "admin")
    return Shop(
        runtime,
        client,
        workspace_id,
        account.id,
        members,
        inactive,
        rival_id,
        rival_account.id,
        rival,
    )


async def head(db, workspace_id: int) -> int:
    return await db.fetchval(
        "SELECT last_seq FROM workspace_counters WHERE workspace_id = $1", workspace_id
    )


async def logged(db, workspace_id: int, after: int) -> list[dict]:
    """Events after seq `after`, each with its stored audience beside the payload."""
    rows = await db.fetch(
        "SELECT payload::text, audience_user_id, audience_roles FROM events"
        " WHERE workspace_id = $1 AND seq > $2 ORDER BY seq",
        workspace_id,
        after,
    )
    return [
        json.loads(row["payload"]) | {"_audience": (row["audience_user_id"], row["audience_roles"])}
        for row in rows
    ]


async def audits(db, workspace_id: int, action: str | None = None) -> list[dict]:
    rows = await db.fetch(
        "SELECT actor_id, actor_label, action, target_type, target_id, before::text,"
        " after::text, client_addr FROM audit_entries WHERE workspace_id = $1"
        " AND ($2::text IS NULL OR action = $2) ORDER BY id",
        workspace_id,
        action,
    )
    return [
        dict(row)
        | {"before": json.loads(row["before"] or "null")}
        | {"after": json.loads(row["after"] or "null")}
        for row in rows
    ]


async def snapshot(client: httpx.AsyncClient, member: Member) -> dict:
    response = await client.get("/api/v1/bootstrap", headers=member.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def assert_converges(client, db, member: Member, before: dict) -> list[dict]:
    """Take a fresh bootstrap, apply the events `member` may see between `before` and it
    with the reference reducer, and compare; returns the events applied. Events outside
    the member's audience still advance its watermark (as the heartbeat tells a client)."""
    after = await snapshot(client, member)
    rows = await db.fetch(
        "SELECT payload::text FROM events WHERE workspace_id = $1 AND seq > $2 AND seq <= $3"
        " AND (audience_user_id IS NULL OR audience_user_id = $4)"
        " AND (audience_roles IS NULL OR $5 = ANY(audience_roles)) ORDER BY seq",
        member.workspace_id,
        before["seq"],
        after["seq"],
        member.user_id,
        member.role,
    )
    events = [json.loads(row["payload"]) for row in rows]
    reduced = reduce(before, events)
    assert reduced["seq"] <= after["seq"]
    reduced["seq"] = after["seq"]
    assert comparable(reduced) == comparable(after)
    return events
