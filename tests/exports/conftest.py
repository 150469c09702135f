"""Fixtures for data exports: a fully populated workspace (every table a business owns has
rows, every kind of secret is planted), a second workspace beside it, and export readers."""

from __future__ import annotations

import json
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import msgspec
import pytest
from litestar import Litestar

from tests.support.http import make_client, running
from tests.support.world import SYSTEM, Member, World
from tests.webhooks.conftest import ingest
from wazify.actions.accounts import do_register_account
from wazify.actions.auth import do_create_invitation, do_create_token
from wazify.actions.canned import do_create_canned
from wazify.actions.connections import do_create_oauth_state
from wazify.actions.contacts import do_correct_contact
from wazify.actions.conversations import do_assign, do_mark_read, do_set_status, do_unassign
from wazify.actions.exports import do_request_export
from wazify.actions.labels import do_add_label, do_create_label
from wazify.actions.notes import do_create_note
from wazify.actions.replies import do_queue_reply, do_react
from wazify.actions.report_settings import do_update_report_settings
from wazify.actions.uow import Actor, unit_of_work
from wazify.app import create_app
from wazify.auth.sessions import hash_secret
from wazify.fakemeta.webhooks import (
    ACCOUNT,
    ACCOUNT_B,
    attachment,
    attachment_message,
    body,
    entry,
    make_mid,
    message_edit,
    now_ms,
    optin,
    postback,
    reaction,
    referral,
    text_message,
)
from wazify.lib.passwords import hash_password
from wazify.reports.schemas import ReportSettingsView
from wazify.runtime import Runtime
from wazify.settings import Settings

ALICE = "7523146982350001"
BRUNO = "7523146982350002"
CLARA = "7523146982350003"  # of the other workspace
OTHER_ACCOUNT = "17841400000000777"
ACCESS_TOKEN = "IGAAT-planted-access-token-0123456789"
OTHER_TOKEN = "IGAAT-other-workspace-token-9876543210"


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password("correct horse battery staple")


@pytest.fixture
def world(runtime: Runtime, password_hash: str) -> World:
    return World(runtime, password_hash)


@pytest.fixture
def export_settings(settings: Settings, tmp_path: Path) -> Settings:
    """Exports in a folder of the test's own; the job loop quick to notice a job."""
    return msgspec.structs.replace(
        settings, export_dir=tmp_path / "exports", export_poll_seconds=0.05
    )


@pytest.fixture
async def app(export_settings: Settings, runtime: Runtime) -> AsyncIterator[Litestar]:
    application = create_app(export_settings, runtime=runtime)
    async with running(application):
        yield application


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(app) as test_client:
        yield test_client


@dataclass
class Shop:
    workspace_id: int
    other_workspace_id: int
    admin: Member
    supervisor: Member
    agent: Member
    other_admin: Member
    alice: int  # contact ids
    bruno: int
    clara: int
    secrets: dict[str, str] = field(default_factory=dict)  # what, value

    @property
    def admin_actor(self) -> Actor:
        return Actor(user_id=self.admin.user_id, label=self.admin.email)


def mid(n: int) -> str:
    return make_mid(ACCOUNT, n)


def customer_items(contact: str, base: int, words: str) -> list[dict]:
    """A customer's conversation an hour ago: text, an edit, an attachment, a referral, an
    opt-in, a postback and a reaction, all distinct per contact through `words`."""
    first = mid(base)
    ts = now_ms() - 3_600_000
    return [
        referral(ACCOUNT, contact, f"ad-{words}", ts_ms=ts + base),
        text_message(ACCOUNT, contact, f"hello {words}", mid=first, ts_ms=ts + base + 1),
        message_edit(ACCOUNT, contact, first, f"hello again {words}", ts_ms=ts + base + 2),
        attachment_message(
            ACCOUNT,
            contact,
            [attachment("image", f"https://cdn.example.test/{words}.jpg")],
            mid=mid(base + 3),
            ts_ms=ts + base + 3,
        ),
        optin(ACCOUNT, contact, f"optin-{words}", f"Deals for {words}", ts_ms=ts + base + 4),
        postback(
            ACCOUNT, contact, "Start", f"start-{words}", mid=mid(base + 5), ts_ms=ts + base + 5
        ),
        reaction(ACCOUNT, contact, first, ts_ms=ts + base + 6),
    ]


async def contact_id(runtime: Runtime, igsid: str) -> int:
    return await runtime.engine.pool.fetchval("SELECT id FROM contacts WHERE igsid = $1", igsid)


async def conversation_of(runtime: Runtime, contact: int) -> int:
    sql = "SELECT id FROM conversations WHERE contact_id = $1"
    return await runtime.engine.pool.fetchval(sql, contact)


async def populate(runtime: Runtime, world: World) -> Shop:
    workspace_id = await world.workspace("shop")
    other_id = await world.workspace("other")
    async with unit_of_work(runtime, SYSTEM) as uow:
        await do_register_account(
            uow, workspace_id, ig_id=ACCOUNT, username="shop", token=ACCESS_TOKEN
        )
        await do_register_account(uow, workspace_id, ig_id=ACCOUNT_B, username="shop2")
        await do_register_account(
            uow, other_id, ig_id=OTHER_ACCOUNT, username="other", token=OTHER_TOKEN
        )
    admin = await world.member(workspace_id, "admin@shop.test", "admin")
    supervisor = await world.member(workspace_id, "lead@shop.test", "supervisor")
    agent = await world.member(workspace_id, "agent@shop.test", "agent")
    other_admin = await world.member(other_id, "admin@other.test", "admin")
    # Every tenant's inbox: two customers here, one in the other workspace.
    await ingest(
        runtime,
        body([entry(ACCOUNT, customer_items(ALICE, 100, "alice-words"))]),
        body([entry(ACCOUNT, customer_items(BRUNO, 200, "bruno-words"))]),
        # A reaction to a message that never came: kept aside (deferred_effects).
        body([entry(ACCOUNT, [reaction(ACCOUNT, BRUNO, mid(299))])]),
        body([entry(OTHER_ACCOUNT, [text_message(OTHER_ACCOUNT, CLARA, "clara-words")])]),
    )
    alice, bruno = await contact_id(runtime, ALICE), await contact_id(runtime, BRUNO)
    clara = await contact_id(runtime, CLARA)
    secrets = await _plant_secrets(runtime, workspace_id, admin, agent)
    await _team_work(runtime, workspace_id, admin, agent, alice, bruno)
    shop = Shop(workspace_id, other_id, admin, supervisor, agent, other_admin, alice, bruno, clara)
    shop.secrets = {
        **secrets,
        "access token": ACCESS_TOKEN,
        "other workspace's access token": OTHER_TOKEN,
        "password hash": world.password_hash,
        "admin session id": admin.session_id,
        "admin csrf token": admin.csrf,
        "agent session id": agent.session_id,
        "session id hash": hash_secret(admin.session_id),
        "token key": runtime.settings.token_keys[0],
    }
    cipher = await runtime.engine.pool.fetchval(
        "SELECT access_token_enc FROM ig_accounts WHERE ig_id = $1", ACCOUNT
    )
    shop.secrets["access token ciphertext"] = cipher
    return shop


async def _plant_secrets(
    runtime: Runtime, workspace_id: int, admin: Member, agent: Member
) -> dict[str, str]:
    async with unit_of_work(runtime, SYSTEM) as uow:
        _, api_token = await do_create_token(uow, workspace_id, admin.user_id, "ci")
        _, invitation = await do_create_invitation(
            uow, workspace_id, email="new@shop.test", role="agent", created_by=admin.user_id
        )
        state = await do_create_oauth_state(
            uow,
            session_hash=hash_secret(admin.session_id),
            workspace_id=workspace_id,
            user_id=admin.user_id,
        )
    return {
        "API token": api_token,
        "API token hash": hash_secret(api_token),
        "invitation secret": invitation,
        "invitation hash": hash_secret(invitation),
        "OAuth state": state,
        "OAuth state hash": hash_secret(state),
    }


async def _team_work(
    runtime: Runtime, workspace_id: int, admin: Member, agent: Member, alice: int, bruno: int
) -> None:
    """Assignments, corrections, reading, replies and reactions by the team."""
    actor = Actor(user_id=admin.user_id, label=admin.email)
    alice_chat = await conversation_of(runtime, alice)
    bruno_chat = await conversation_of(runtime, bruno)
    async with unit_of_work(runtime, actor) as uow:
        await do_assign(uow, workspace_id, alice_chat, agent.user_id, by=admin.user_id)
        await do_unassign(uow, workspace_id, alice_chat, by=admin.user_id)
        await do_assign(uow, workspace_id, alice_chat, admin.user_id, by=admin.user_id)
        await do_assign(uow, workspace_id, bruno_chat, agent.user_id, by=admin.user_id)
        await do_correct_contact(uow, workspace_id, alice, display_name="Alice VIP", notes="n-a")
        await do_correct_contact(uow, workspace_id, bruno, notes="bruno-notes")
        await do_mark_read(uow, workspace_id, alice_chat, agent.user_id)
        await do_set_status(uow, workspace_id, bruno_chat, "resolved")
        await do_mark_read(uow, workspace_id, bruno_chat, admin.user_id)
        reply, _ = await do_queue_reply(
            uow,
            workspace_id,
            alice_chat,
            author_id=admin.user_id,
            by_person=True,
            text="reply-to-alice",
        )
        await do_react(uow, workspace_id, reply.id, admin.user_id, "\u2764\ufe0f")
        first_of_bruno = await uow.conn.fetchval(
            "SELECT min(id) FROM messages WHERE conversation_id = $1", bruno_chat
        )
        await do_react(uow, workspace_id, first_of_bruno, admin.user_id, "\U0001f44d")
        # The team's tools: a note mentioning the agent, a label, a shared saved reply.
        await do_create_note(
            uow, workspace_id, alice_chat, admin.user_id, f"note-about-alice <@{agent.user_id}>"
        )
        label = await do_create_label(uow, workspace_id, "vip", "blue")
        await do_add_label(uow, workspace_id, alice_chat, label.id, by=admin.user_id)
        await do_create_canned(
            uow,
            workspace_id,
            shortcut="thanks",
            text="canned-thanks",
            owner_id=None,
            created_by=admin.user_id,
        )
        # Status history (both conversations) and the report settings.
        await do_set_status(uow, workspace_id, alice_chat, "resolved")
        await do_set_status(uow, workspace_id, bruno_chat, "resolved")
        hours = ReportSettingsView(
            timezone="Europe/Lisbon", business_hours={"mon": [["09:00", "17:00"]]}
        )
        await do_update_report_settings(uow, workspace_id, hours)


async def request_export(runtime: Runtime, shop: Shop, contact: int | None = None) -> int:
    """An export requested by the shop's admin, as the route does it; returns its id."""
    async with unit_of_work(runtime, shop.admin_actor) as uow:
        view = await do_request_export(
            uow,
            shop.workspace_id,
            contact_id=contact,
            requested_by=shop.admin.user_id,
            label=shop.admin.email,
        )
    return view.id


@pytest.fixture
async def shop(runtime: Runtime, world: World) -> Shop:
    return await populate(runtime, world)


@dataclass
class Export:
    """An export read back: the manifest and every file's rows."""

    manifest: dict
    files: dict[str, list[dict]]
    raw: dict[str, bytes]

    def ids(self, name: str, key: str = "id") -> set:
        return {row[key] for row in self.files[name]}


def read_export(path: Path) -> Export:
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        raw = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(raw.pop("manifest.json"))
    files = {
        name: [json.loads(line) for line in data.decode().splitlines()]
        for name, data in raw.items()
    }
    return Export(manifest, files, raw)
