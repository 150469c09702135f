"""Admins list quarantined receipts of their own accounts and replay one after a fix."""

from __future__ import annotations

import subprocess
import sys

from tests.support.http import make_client
from tests.support.world import World
from tests.webhooks.conftest import SYSTEM, post_webhook, settle
from wazify.actions.accounts import do_register_account
from wazify.actions.uow import unit_of_work
from wazify.fakemeta.webhooks import ALL_CASES
from wazify.lib.passwords import hash_password

UNKNOWN = "17841400000000077"
PASSWORD_HASH = hash_password("correct horse battery staple")


async def test_quarantined_receipt_is_listed_for_its_admin_and_replayed(app, runtime, db) -> None:
    world = World(runtime, PASSWORD_HASH)
    shop, other = await world.workspace("shop"), await world.workspace("other")
    admin = await world.member(shop, "admin@example.com", "admin")
    agent = await world.member(shop, "agent@example.com", "agent")
    stranger = await world.member(other, "admin@other.example", "admin")
    async with make_client(app) as client:
        assert (
            await post_webhook(client, ALL_CASES["message_text"](account=UNKNOWN))
        ).status_code == 200
        await settle(runtime)
        # Nobody's account yet: no workspace admin sees it.
        listed = await client.get(
            "/api/v1/webhooks/receipts?state=quarantined", headers=admin.headers
        )
        assert listed.status_code == 200 and listed.json()["items"] == []
        async with unit_of_work(runtime, SYSTEM) as uow:  # the fix: the account is connected
            await do_register_account(uow, shop, ig_id=UNKNOWN, username="late")
        listed = await client.get(
            "/api/v1/webhooks/receipts?state=quarantined", headers=admin.headers
        )
        items = listed.json()["items"]
        assert [item["reason"] for item in items] == [f"unknown Instagram account(s): {UNKNOWN}"]
        receipt_id = items[0]["id"]
        assert '"object":"instagram"' in items[0]["body"]
        refused = await client.get("/api/v1/webhooks/receipts", headers=agent.headers)
        assert refused.status_code == 403
        foreign = await client.post(
            f"/api/v1/webhooks/receipts/{receipt_id}/replay", headers=stranger.headers
        )
        assert foreign.status_code == 404
        replayed = await client.post(
            f"/api/v1/webhooks/receipts/{receipt_id}/replay", headers=admin.headers
        )
        assert replayed.status_code == 202
        await settle(runtime)
    assert (
        await db.fetchval("SELECT state FROM webhook_receipts WHERE id = $1", receipt_id)
        == "processed"
    )
    assert await db.fetchval("SELECT count(*) FROM messages") == 1
    audit = await db.fetchrow(
        "SELECT actor_id, after::text FROM audit_entries WHERE action = 'webhook.replayed'"
    )
    assert audit["actor_id"] == admin.user_id and '"pending"' in audit["after"]


def test_operator_cli_lists_and_replays(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wazify.cli", "webhooks", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "replay" in result.stdout and "list" in result.stdout
