"""Convergence, in Zulip's style, for every action there is: take a bootstrap, run the
action, apply the events it emitted (those the member may see) to the old bootstrap with the
reference reducer, and compare with a fresh bootstrap. A disagreement means an event lacks
what a client needs, or the reducer (the semantics clients implement) is wrong."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import msgspec
import pytest

from tests.support.http import make_client, running
from tests.support.reducer import comparable, reduce
from tests.support.world import Member
from tests.webhooks.conftest import SYSTEM, deliver
from tests.webhooks.test_cases import CASES
from wazify.actions.accounts import do_register_account
from wazify.actions.imports import do_queue_import
from wazify.actions.uow import unit_of_work
from wazify.actions.workspaces import do_create_workspace
from wazify.app import create_app
from wazify.fakemeta.graph import run_fake_graph_in_thread
from wazify.fakemeta.items import now_ms
from wazify.fakemeta.webhooks import (
    ACCOUNT,
    ACCOUNT_B,
    ALL_CASES,
    CONTACT,
    CONTACT_B,
    TS_MS,
    entry,
    text_message,
)
from wazify.fakemeta.webhooks import body as webhook_body
from wazify.meta.graph_client import GraphClient
from wazify.runtime import Runtime
from wazify.workers.history import HistoryImporter

VISIBLE_SQL = """
SELECT payload::text FROM events
WHERE workspace_id = $1 AND seq > $2 AND seq <= $3
  AND (audience_user_id IS NULL OR audience_user_id = $4)
  AND (audience_roles IS NULL OR $5 = ANY (audience_roles))
ORDER BY seq
"""


@pytest.fixture(scope="module")
async def app_client(settings, shared_runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """One app for the module (building one costs a few tenths of a second). Its history
    importer stays off: the import test below walks its job itself, against a fake."""
    app = create_app(
        msgspec.structs.replace(settings, history_worker=False), runtime=shared_runtime
    )
    async with running(app), make_client(app) as http:
        yield http


@pytest.fixture
def client(app_client: httpx.AsyncClient, runtime: Runtime) -> httpx.AsyncClient:
    return app_client  # after `runtime` emptied the tables


@pytest.fixture
async def admin(runtime: Runtime, world) -> Member:
    """An admin of a workspace with the fake Meta's two accounts registered."""
    async with unit_of_work(runtime, SYSTEM) as uow:
        workspace_id = await do_create_workspace(uow, "shop")
        await do_register_account(uow, workspace_id, ig_id=ACCOUNT, username="shop")
        await do_register_account(uow, workspace_id, ig_id=ACCOUNT_B, username="shop2")
    return await world.member(workspace_id, "admin@example.com", "admin")


async def bootstrap(client: httpx.AsyncClient, member: Member) -> dict:
    response = await client.get("/api/v1/bootstrap", headers=member.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def converges(
    client: httpx.AsyncClient,
    runtime: Runtime,
    member: Member,
    action: Callable[[], Awaitable[object]],
) -> list[dict]:
    """Run `action` between two bootstraps; the member's events must bridge them."""
    before = await bootstrap(client, member)
    await action()
    after = await bootstrap(client, member)
    rows = await runtime.engine.pool.fetch(
        VISIBLE_SQL, member.workspace_id, before["seq"], after["seq"], member.user_id, member.role
    )
    events = [json.loads(row["payload"]) for row in rows]
    assert comparable(reduce(before, events)) == comparable(after), [e["type"] for e in events]
    return events


@pytest.mark.parametrize("name", sorted(ALL_CASES))
async def test_webhook_ingest_converges(name: str, client, runtime, admin) -> None:
    case = CASES[name]
    steps = [ALL_CASES[b]() if isinstance(b, str) else b() for b in case.before]
    steps.append(ALL_CASES[name]())
    emitted: list[str] = []
    for body in steps:
        events = await converges(client, runtime, admin, lambda b=body: deliver(client, runtime, b))
        emitted = [event["type"] for event in events]
    assert emitted == case.events  # the case's own events were part of the check


async def test_the_same_delivery_twice_converges_and_emits_nothing(client, runtime, admin) -> None:
    body = ALL_CASES["batch_multi_entry"]()
    await converges(client, runtime, admin, lambda: deliver(client, runtime, body))
    events = await converges(client, runtime, admin, lambda: deliver(client, runtime, body))
    assert events == []


async def test_member_actions_converge(client, runtime, admin, world) -> None:
    created: dict = {}

    async def create() -> None:
        response = await client.post(
            "/api/v1/members",
            json={
                "email": "Alice@Example.com",
                "role": "agent",
                "name": "Alice",
                "password": "a long enough password",
            },
            headers=admin.headers,
        )
        assert response.status_code == 201, response.text
        created.update(response.json()["member"])

    async def promote() -> None:
        response = await client.patch(
            f"/api/v1/members/{created['user_id']}",
            json={"role": "supervisor"},
            headers=admin.headers,
        )
        assert response.status_code == 200, response.text

    async def deactivate() -> None:
        response = await client.post(
            f"/api/v1/members/{created['user_id']}/deactivate", headers=admin.headers
        )
        assert response.status_code == 200, response.text

    assert [e["type"] for e in await converges(client, runtime, admin, create)] == [
        "member.updated"
    ]
    for action in (promote, deactivate):
        events = await converges(client, runtime, admin, action)
        assert [e["type"] for e in events] == ["member.updated"]
    # A member seen from another member's bootstrap converges as well.
    lead = await world.member(admin.workspace_id, "lead@example.com", "supervisor")
    bob = await world.member(admin.workspace_id, "bob@example.com", "agent")

    async def demote() -> None:
        response = await client.patch(
            f"/api/v1/members/{lead.user_id}", json={"role": "agent"}, headers=admin.headers
        )
        assert response.status_code == 200, response.text

    await converges(client, runtime, bob, demote)


async def test_account_registration_converges(client, runtime, admin, world) -> None:
    agent = await world.member(admin.workspace_id, "alice@example.com", "agent")

    async def register() -> None:
        async with unit_of_work(runtime, SYSTEM) as uow:
            await do_register_account(
                uow, admin.workspace_id, ig_id="17841400000000001", username="@third"
            )

    events = await converges(client, runtime, agent, register)
    assert [e["type"] for e in events] == ["account.updated"]


async def test_conversations_within_one_second_keep_their_order(client, runtime, admin) -> None:
    """Timestamps with and without a fraction of a second sort as times, not as text."""
    first = ALL_CASES["message_text"]()  # at a whole second
    second = ALL_CASES["message_text"](account=ACCOUNT_B, contact=CONTACT_B, ts_ms=TS_MS + 500)
    await converges(client, runtime, admin, lambda: deliver(client, runtime, first))
    await converges(client, runtime, admin, lambda: deliver(client, runtime, second))
    conversations = (await bootstrap(client, admin))["conversations"]
    assert [c["contact"]["igsid"] for c in conversations] == [CONTACT_B, CONTACT]


async def test_a_change_to_the_viewer_converges(client, runtime, admin, world) -> None:
    lead = await world.member(admin.workspace_id, "lead@example.com", "supervisor")

    async def demote() -> None:
        response = await client.patch(
            f"/api/v1/members/{lead.user_id}", json={"role": "agent"}, headers=admin.headers
        )
        assert response.status_code == 200, response.text

    await converges(client, runtime, lead, demote)
    assert (await bootstrap(client, lead))["me"]["role"] == "agent"


async def test_a_history_import_converges_for_staff_and_agents(
    client, runtime, admin, world
) -> None:
    """The import's conversations and messages reach everyone; its progress, staff."""
    agent = await world.member(admin.workspace_id, "alice@example.com", "agent")
    third, token = "17841400000000003", "convergence-token"
    url, fake, stop = run_fake_graph_in_thread()
    try:
        fake.add_token(token, third)
        async with unit_of_work(runtime, SYSTEM) as uow:
            account = await do_register_account(
                uow, admin.workspace_id, ig_id=third, username="third", token=token
            )
        now = now_ms()
        for n in range(3):
            customer = f"95000000000000{n}"
            fake.history.add_message(third, customer, f"question {n}", ts_ms=now - 600_000 + n)
            fake.history.add_message(
                third, customer, "answer", ts_ms=now - 500_000 + n, from_business=True
            )
        fake.history.add_message(third, "950000000000009", "unanswered", ts_ms=now - 1000)
        before = {m.user_id: await bootstrap(client, m) for m in (admin, agent)}
        async with unit_of_work(runtime, SYSTEM) as uow:
            await do_queue_import(uow, account.id, "manual")
        async with GraphClient(url, "v25.0") as graph:
            importer = HistoryImporter(runtime, graph, rate=100)
            await importer.run_until_idle()
        for member in (admin, agent):
            after = await bootstrap(client, member)
            rows = await runtime.engine.pool.fetch(
                VISIBLE_SQL,
                member.workspace_id,
                before[member.user_id]["seq"],
                after["seq"],
                member.user_id,
                member.role,
            )
            events = [json.loads(row["payload"]) for row in rows]
            reduced = reduce(before[member.user_id], events)
            # The agent does not see the job's last events: its cursor gets past them
            # through the heartbeat's watermark (docs/realtime.md, section 6).
            reduced["seq"] = max(reduced["seq"], after["seq"])
            assert comparable(reduced) == comparable(after)
            kinds = {event["type"] for event in events}
            assert {"conversation.created", "message.created"} <= kinds
            assert ("import_job.updated" in kinds) == (member is admin)
        jobs = (await bootstrap(client, admin))["import_jobs"]
        assert [(j["account_id"], j["state"], j["messages_imported"]) for j in jobs] == [
            (account.id, "done", 7)
        ]
        assert (await bootstrap(client, agent))["import_jobs"] == []
    finally:
        stop()


async def test_privacy_actions_converge(client, runtime, admin, world) -> None:
    """Correction, deletion requests and erasures: workspace.updated, member.updated,
    contact.erased and account.erased bridge the bootstraps like every other event."""
    agent = await world.member(admin.workspace_id, "agent@example.com", "agent")
    for body in (
        ALL_CASES["message_text"](),
        ALL_CASES["message_text"](contact=CONTACT_B, ts_ms=TS_MS + 10),
        ALL_CASES["message_text"](account=ACCOUNT_B, contact=CONTACT_B, ts_ms=TS_MS + 20),
    ):
        await deliver(client, runtime, body)

    async def call(method: str, url: str, body: dict | None = None) -> dict:
        response = await client.request(method, url, json=body, headers=admin.headers)
        assert response.status_code < 300, response.text
        return response.json()

    steps = [
        (lambda: call("PATCH", "/api/v1/workspace", {"name": "Renamed"}), "workspace.updated"),
        (
            lambda: call("PATCH", f"/api/v1/members/{agent.user_id}", {"name": "Agnes"}),
            "member.updated",
        ),
        (
            lambda: call("POST", "/api/v1/workspace/deletion", {"confirm": "shop"}),
            "workspace.updated",
        ),
        (lambda: call("DELETE", "/api/v1/workspace/deletion"), "workspace.updated"),
    ]
    for step, kind in steps:
        events = await converges(client, runtime, agent, step)
        assert [e["type"] for e in events] == [kind]
    contact_id = await runtime.engine.pool.fetchval(
        "SELECT ct.id FROM contacts ct JOIN ig_accounts a ON a.id = ct.account_id"
        " WHERE ct.igsid = $1 AND a.ig_id = $2",
        CONTACT,
        ACCOUNT,
    )
    events = await converges(
        client, runtime, agent, lambda: call("POST", f"/api/v1/contacts/{contact_id}/erase")
    )
    assert [e["type"] for e in events] == ["contact.erased"]
    account_id = await runtime.engine.pool.fetchval(
        "SELECT id FROM ig_accounts WHERE ig_id = $1", ACCOUNT
    )

    async def erase_account() -> None:
        await call(
            "POST", f"/api/v1/accounts/{account_id}/disconnect", {"delete_conversations": True}
        )
        async with asyncio.timeout(15):
            while await runtime.engine.pool.fetchval(
                "SELECT count(*) FROM ig_accounts WHERE id = $1", account_id
            ):
                await asyncio.sleep(0.05)

    events = await converges(client, runtime, agent, erase_account)
    assert [e["type"] for e in events][-1] == "account.erased"


async def test_export_jobs_converge_and_reach_the_admins_only(
    client, runtime, admin, world
) -> None:
    agent = await world.member(admin.workspace_id, "alice@example.com", "agent")
    lead = await world.member(admin.workspace_id, "lead@example.com", "supervisor")

    async def export_to_the_end() -> None:
        response = await client.post("/api/v1/exports", json={}, headers=admin.headers)
        assert response.status_code == 202, response.text
        async with asyncio.timeout(10):
            while (
                await runtime.engine.pool.fetchval(
                    "SELECT status FROM export_jobs WHERE id = $1", response.json()["id"]
                )
                != "done"
            ):
                await asyncio.sleep(0.02)

    events = await converges(client, runtime, admin, export_to_the_end)
    assert {e["type"] for e in events} == {"export.updated"}
    assert [e["export"]["status"] for e in events][:2] == ["queued", "running"]
    assert events[-1]["export"]["status"] == "done"
    for member in (agent, lead):  # the same kind of span, seen by others: nothing
        before = await bootstrap(client, member)
        await export_to_the_end()
        after = await bootstrap(client, member)
        rows = await runtime.engine.pool.fetch(
            VISIBLE_SQL,
            member.workspace_id,
            before["seq"],
            after["seq"],
            member.user_id,
            member.role,
        )
        assert rows == [] and after["seq"] > before["seq"]
        # Their snapshot did not change (their cursor moves on with the heartbeat's watermark).
        assert comparable({**before, "seq": 0}) == comparable({**after, "seq": 0})


async def test_the_team_tools_converge_for_every_viewer(client, runtime, admin, world) -> None:
    """Notes and mentions, labels, canned responses, contact corrections: for each step,
    each viewer's events (their own mentions and personal responses only) bridge their
    bootstraps around it."""
    ana = await world.member(admin.workspace_id, "ana@example.com", "agent")
    bo = await world.member(admin.workspace_id, "bo@example.com", "agent")
    await deliver(client, runtime, ALL_CASES["message_text"]())
    [conversation] = (await bootstrap(client, admin))["conversations"]
    cid, made = conversation["id"], {}
    label, note = lambda: made["label"]["id"], lambda: made["note"]["id"]
    steps = [
        (ana, "POST", f"/conversations/{cid}/notes", {"text": f"<@{bo.user_id}> hi"}, "note"),
        (bo, "POST", "/mentions/read", {"conversation_id": cid}, ""),
        (admin, "POST", "/labels", {"name": "VIP", "color": "red"}, "label"),
        (ana, "POST", f"/conversations/{cid}/labels", lambda: {"label_id": label()}, ""),
        (admin, "PATCH", lambda: f"/labels/{label()}", {"color": "teal"}, ""),
        (admin, "POST", "/canned-responses", {"shortcut": "hi", "text": "Hi", "shared": True}, "c"),
        (ana, "POST", "/canned-responses", {"shortcut": "me", "text": "Ana here"}, "mine"),
        (ana, "PATCH", lambda: f"/canned-responses/{made['mine']['id']}", {"text": "Ana"}, ""),
        (ana, "PATCH", lambda: f"/notes/{note()}", {"text": f"<@{admin.user_id}> hi"}, ""),
        (ana, "DELETE", lambda: f"/notes/{note()}", None, ""),
        (admin, "DELETE", lambda: f"/canned-responses/{made['c']['id']}", None, ""),
        (admin, "DELETE", lambda: f"/labels/{label()}", None, ""),
        (bo, "PATCH", f"/contacts/{conversation['contact']['id']}", {"display_name": "Al"}, ""),
        (ana, "PATCH", f"/contacts/{conversation['contact']['id']}", {"notes": "VIP"}, ""),
    ]
    seen: set[str] = set()
    for member, method, path, body, key in steps:
        viewers = (admin, ana, bo)
        before = [await bootstrap(client, viewer) for viewer in viewers]
        response = await client.request(
            method,
            "/api/v1" + (path() if callable(path) else path),
            json=body() if callable(body) else body,
            headers=member.headers,
        )
        assert response.status_code in (200, 201, 204), response.text
        if key:
            made[key] = response.json()
        for viewer, old in zip(viewers, before, strict=True):
            after = await bootstrap(client, viewer)
            rows = await runtime.engine.pool.fetch(
                VISIBLE_SQL, viewer.workspace_id, old["seq"], after["seq"], viewer.user_id,
                viewer.role,
            )  # fmt: skip
            events = [json.loads(row["payload"]) for row in rows]
            reduced = reduce(old, events)
            reduced["seq"] = after["seq"]  # others' events advance it too (the watermark)
            assert comparable(reduced) == comparable(after), (method, path, viewer.email)
            seen |= {event["type"] for event in events}
    assert seen == {
        "note.created",
        "note.updated",
        "mentions.updated",
        "label.created",
        "label.updated",
        "label.deleted",
        "conversation.updated",
        "canned_response.created",
        "canned_response.updated",
        "canned_response.deleted",
        "contact.updated",
    }


async def test_invitations_and_a_deactivation_converge(client, runtime, admin, world) -> None:
    """An invitation made and cancelled (admins only), and a deactivation that hands the
    member's conversation back to the queue: each viewer's events bridge its bootstraps."""
    ana = await world.member(admin.workspace_id, "ana@example.com", "agent")
    await deliver(client, runtime, ALL_CASES["message_text"]())
    [conversation] = (await bootstrap(client, admin))["conversations"]
    claimed = await client.post(
        f"/api/v1/conversations/{conversation['id']}/claim", headers=ana.headers
    )
    assert claimed.status_code == 200, claimed.text
    made: dict = {}

    async def invite() -> None:
        response = await client.post(
            "/api/v1/members", json={"email": "new@example.com", "role": "agent"},
            headers=admin.headers,
        )  # fmt: skip
        assert response.status_code == 201, response.text
        made.update(response.json()["invitation"])

    async def cancel() -> None:
        response = await client.delete(f"/api/v1/invitations/{made['id']}", headers=admin.headers)
        assert response.status_code == 204, response.text

    async def deactivate() -> None:
        response = await client.post(
            f"/api/v1/members/{ana.user_id}/deactivate", headers=admin.headers
        )
        assert response.status_code == 200, response.text

    assert [e["type"] for e in await converges(client, runtime, admin, invite)] == [
        "invitation.created"
    ]
    assert [e["type"] for e in await converges(client, runtime, admin, cancel)] == [
        "invitation.removed"
    ]
    events = await converges(client, runtime, admin, deactivate)
    assert [e["type"] for e in events] == ["member.updated", "conversation.assigned"]
    assert events[1]["conversation"]["assignee_id"] is None


async def test_a_reopening_converges(client, runtime, admin) -> None:
    """A customer's message reopening a resolved conversation: message.created, then
    conversation.reopened, bridge the bootstraps."""
    await deliver(client, runtime, ALL_CASES["message_text"]())
    [conversation] = (await bootstrap(client, admin))["conversations"]
    resolved = await client.post(
        f"/api/v1/conversations/{conversation['id']}/status",
        json={"status": "resolved"},
        headers=admin.headers,
    )
    assert resolved.status_code == 200, resolved.text
    again = webhook_body([entry(ACCOUNT, [text_message(ACCOUNT, CONTACT, "one more thing")])])
    events = await converges(client, runtime, admin, lambda: deliver(client, runtime, again))
    assert [e["type"] for e in events] == ["message.created", "conversation.reopened"]
