"""Meta's data-deletion and deauthorize callbacks over HTTP: the signed_request vectors of
shared/meta/test-vectors (accepted while unexpired), tampered and expired ones refused,
every account the person connected acted on in every workspace, the public status page,
and deauthorize repeated without effect."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import msgspec
import pytest

from tests.meta.test_signed_request import DEAUTHORIZE, DELETION, TAMPERED, make
from tests.support.http import make_client, running
from tests.webhooks.conftest import ingest
from wazify.actions.accounts import do_register_account
from wazify.actions.replies import do_queue_reply
from wazify.actions.uow import Actor, unit_of_work
from wazify.app import create_app
from wazify.fakemeta.webhooks import ACCOUNT, ACCOUNT_B, CONTACT, body, entry, text_message
from wazify.runtime import Runtime

PERSON = "27418852903341195"
BEFORE_EXPIRY = 1796030200.0  # the vectors' issued_at + 100 s: they are still valid
SYSTEM = Actor.system("test")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}
FORGED = make({"algorithm": "HMAC-SHA256", "user_id": PERSON}, "a secret we do not have")


@pytest.fixture
async def meta(settings, runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """The app on a runtime whose clock reads just after the vectors were issued."""
    at_issue = dataclasses.replace(runtime, clock=lambda: BEFORE_EXPIRY)
    app = create_app(msgspec.structs.replace(settings, send_worker=False), runtime=at_issue)
    async with running(app), make_client(app) as client:
        yield client


async def connected(runtime: Runtime, world, slug: str, ig_id: str) -> tuple[int, int]:
    """A workspace with an account connected by PERSON; returns (workspace, account)."""
    workspace_id = await world.workspace(slug)
    async with unit_of_work(runtime, SYSTEM) as uow:
        account = await do_register_account(
            uow, workspace_id, ig_id=ig_id, username=f"{slug}.ig", token="a-token"
        )
    await runtime.engine.pool.execute(
        "UPDATE ig_accounts SET meta_user_id = $2 WHERE id = $1", account.id, PERSON
    )
    return workspace_id, account.id


def form(signed_request: str) -> str:
    return f"signed_request={signed_request}"


async def test_data_deletion_erases_every_account_of_that_person(
    meta: httpx.AsyncClient, runtime: Runtime, world, db
) -> None:
    shop, shop_account = await connected(runtime, world, "shop", ACCOUNT)
    _, other_account = await connected(runtime, world, "elsewhere", ACCOUNT_B)
    await ingest(runtime, body([entry(ACCOUNT, [text_message(ACCOUNT, CONTACT, "bye 6060")])]))

    response = await meta.post("/meta/data-deletion", content=form(DELETION), headers=FORM)
    assert response.status_code == 200, response.text
    answer = response.json()
    code = answer["confirmation_code"]
    assert answer["url"] == f"http://localhost:8000/meta/data-deletion/status?code={code}"
    async with asyncio.timeout(15):
        while await db.fetchval("SELECT count(*) FROM deletion_jobs WHERE state <> 'done'"):
            await asyncio.sleep(0.05)
    assert await db.fetchval("SELECT count(*) FROM ig_accounts") == 0
    assert await db.fetchval("SELECT count(*) FROM messages") == 0
    jobs = await db.fetch("SELECT workspace_id, request_code FROM deletion_jobs ORDER BY id")
    assert {row["request_code"] for row in jobs} == {code} and len(jobs) == 2
    # Each workspace's admins see why (account.updated, then account.erased) and the audit.
    types = [row["type"] for row in await db.fetch(
        "SELECT type FROM events WHERE workspace_id = $1 ORDER BY seq", shop
    )]  # fmt: skip
    assert "account.erased" in types
    audit = {
        row["action"]
        for row in await db.fetch(
            "SELECT action FROM audit_entries WHERE target_id = ANY($1::text[])",
            [str(shop_account), str(other_account)],
        )
    }
    assert {"account.deletion_requested", "account.erased"} <= audit

    page = await meta.get(urlsplit(answer["url"]).path, params={"code": code})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert "Completed on" in page.text and code in page.text and "2 Instagram" in page.text
    for private in ("shop", "elsewhere", ACCOUNT, "<script", "style="):
        assert private not in page.text
    unknown = await meta.get("/meta/data-deletion/status", params={"code": "DELNOSUCHCODE"})
    assert unknown.status_code == 404 and "No data deletion request" in unknown.text


async def test_an_unknown_person_is_acknowledged_and_nothing_changes(
    meta: httpx.AsyncClient, runtime: Runtime, world, db
) -> None:
    await connected(runtime, world, "shop", ACCOUNT)
    stranger = make({"algorithm": "HMAC-SHA256", "user_id": "1", "issued_at": 1})
    response = await meta.post("/meta/data-deletion", content=form(stranger), headers=FORM)
    assert response.status_code == 200
    assert await db.fetchval("SELECT status FROM ig_accounts") == "connected"
    url = urlsplit(response.json()["url"])
    page = await meta.get(f"{url.path}?{url.query}")
    assert "Nothing to delete" in page.text


@pytest.mark.parametrize(
    ("content", "headers", "status", "code"),
    [
        (form(TAMPERED), FORM, 403, "bad_signature"),
        (form(FORGED), FORM, 403, "bad_signature"),
        (form("not.base64!"), FORM, 400, "invalid"),
        ("", FORM, 400, "invalid"),
        (json.dumps({"signed_request": DELETION}), JSON, 415, "form_required"),
    ],
    ids=["tampered", "other-secret", "malformed", "missing", "json"],
)  # fmt: skip
async def test_bad_requests_are_refused_and_change_nothing(
    meta: httpx.AsyncClient, runtime: Runtime, world, db, content, headers, status, code
) -> None:
    await connected(runtime, world, "shop", ACCOUNT)
    for path in ("/meta/data-deletion", "/meta/deauthorize"):
        response = await meta.post(path, content=content, headers=headers)
        assert response.status_code == status, response.text
        assert response.json()["error"]["code"] == code
    assert await db.fetchval("SELECT status FROM ig_accounts") == "connected"
    assert await db.fetchval("SELECT count(*) FROM deletion_jobs") == 0


async def test_an_expired_request_is_refused(settings, runtime: Runtime, world, db) -> None:
    """The deletion vector expired on 2026-11-30: by the real clock it is refused."""
    await connected(runtime, world, "shop", ACCOUNT)
    now = dataclasses.replace(runtime, clock=time.time)
    app = create_app(msgspec.structs.replace(settings, send_worker=False), runtime=now)
    async with running(app), make_client(app) as client:
        if time.time() < 1796033700:
            pytest.fail("the vector has not expired yet: this test needs a clock after it")
        response = await client.post("/meta/data-deletion", content=form(DELETION), headers=FORM)
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "expired"
    assert error["message"] == "signed_request expired at 2026-11-30T10:15:00+00:00"
    assert await db.fetchval("SELECT status FROM ig_accounts") == "connected"


async def test_deauthorize_disconnects_stops_sends_keeps_data_and_repeats_do_nothing(
    meta: httpx.AsyncClient, runtime: Runtime, world, db
) -> None:
    workspace_id, account_id = await connected(runtime, world, "shop", ACCOUNT)
    await ingest(runtime, body([entry(ACCOUNT, [text_message(ACCOUNT, CONTACT, "kept 7070")])]))
    conversation_id = await db.fetchval("SELECT id FROM conversations")
    async with unit_of_work(runtime, SYSTEM) as uow:
        reply, _ = await do_queue_reply(
            uow, workspace_id, conversation_id, author_id=None, by_person=False, text="soon"
        )

    for attempt in range(2):
        response = await meta.post("/meta/deauthorize", content=form(DEAUTHORIZE), headers=FORM)
        assert response.status_code == 200, response.text
        assert response.json() == {"disconnected": 1 if attempt == 0 else 0}
    account = await db.fetchrow("SELECT * FROM ig_accounts WHERE id = $1", account_id)
    assert account["status"] == "disconnected" and account["access_token_enc"] is None
    assert "removed the app" in account["status_reason"]
    held = await db.fetchrow("SELECT status, status_reason FROM messages WHERE id = $1", reply.id)
    assert held["status"] == "failed" and "removed the app" in held["status_reason"]
    assert await db.fetchval("SELECT count(*) FROM messages WHERE text = 'kept 7070'") == 1
    audit = await db.fetch("SELECT action FROM audit_entries WHERE action = 'account.deauthorized'")
    assert len(audit) == 1
    updates = await db.fetch(
        "SELECT payload FROM events WHERE type = 'account.updated' AND workspace_id = $1"
        " AND payload LIKE '%removed the app%'",
        workspace_id,
    )
    assert len(updates) == 1
