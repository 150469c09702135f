"""Erasing a contact on request, through the real app on a port: nothing of them is left in
any table, in the log's payloads, in search, in a replay from seq 0 or in a fresh bootstrap;
live clients drop them at once; the erasure is audited without the content."""

from __future__ import annotations

import json

from tests.privacy.conftest import Shop, find_everywhere, run_cli
from tests.realtime.conftest import connect
from tests.support.reducer import comparable, reduce
from wazify.fakemeta.webhooks import (
    ACCOUNT,
    CONTACT,
    CONTACT_B,
    message_edit,
    new_mid,
    reaction,
    text_message,
)

SECRET_TEXT = "zanzibarcode4242"
EDITED_TEXT = "quokkasecret77"
SECRET_NAME = "Wilhelmina Xerxes"
KEPT_TEXT = "keptmessage31"


async def populate(shop: Shop) -> tuple[int, int]:
    """The contact to erase (messages, an edit, a reaction, a correction by an agent) and
    another contact who stays. Returns (contact id, conversation id) of the first."""
    mid = new_mid(ACCOUNT)
    await shop.deliver(text_message(ACCOUNT, CONTACT, f"hello {SECRET_TEXT}", mid=mid))
    await shop.deliver(message_edit(ACCOUNT, CONTACT, mid, f"hello {EDITED_TEXT}"))
    await shop.deliver(reaction(ACCOUNT, CONTACT, mid))
    await shop.deliver(text_message(ACCOUNT, CONTACT_B, f"hi {KEPT_TEXT}"))
    row = await shop.runtime.engine.pool.fetchrow(
        "SELECT ct.id AS contact_id, c.id AS conversation_id FROM contacts ct"
        " JOIN conversations c ON c.contact_id = ct.id WHERE ct.igsid = $1",
        CONTACT,
    )
    response = await shop.http.patch(
        f"/api/v1/contacts/{row['contact_id']}",
        json={"display_name": SECRET_NAME, "notes": f"likes {SECRET_TEXT}"},
        headers=shop.agent.headers,
    )
    assert response.status_code == 200, response.text
    read = await shop.http.post(
        f"/api/v1/conversations/{row['conversation_id']}/read", headers=shop.agent.headers
    )
    assert read.status_code == 200, read.text
    return row["contact_id"], row["conversation_id"]


async def test_an_erased_contact_is_gone_from_every_store(shop: Shop, db) -> None:
    contact_id, conversation_id = await populate(shop)
    for needle in (SECRET_TEXT, EDITED_TEXT, SECRET_NAME, CONTACT):
        assert await find_everywhere(db, needle), f"{needle} should be stored before"
    before = await shop.bootstrap(shop.agent)
    watcher = await connect(shop.address, shop.agent, since=before["seq"])
    await watcher.wait_ready()

    response = await shop.http.post(
        f"/api/v1/contacts/{contact_id}/erase", headers=shop.admin.headers
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["conversation_ids"] == [conversation_id] and result["messages"] == 1
    assert result["receipts_redacted"] == 3 and result["events_redacted"] >= 4

    # Every table, every column that can hold words: nothing of them.
    for needle in (SECRET_TEXT, EDITED_TEXT, SECRET_NAME, CONTACT):
        assert await find_everywhere(db, needle) == [], needle
    assert await find_everywhere(db, KEPT_TEXT) != []  # the other contact stays
    assert (
        await db.fetchval(
            "SELECT count(*) FROM messages WHERE search @@ to_tsquery('simple', $1)", SECRET_TEXT
        )
        == 0
    )
    found = await shop.http.get(
        "/api/v1/conversations", params={"q": EDITED_TEXT}, headers=shop.agent.headers
    )
    assert found.json()["items"] == []
    # The log keeps every seq (resume relies on it), the content is gone.
    seqs = [row["seq"] for row in await db.fetch("SELECT seq FROM events ORDER BY seq")]
    assert seqs == list(range(1, len(seqs) + 1))

    # Live: the agent's socket got contact.erased naming the contact and its conversation.
    await watcher.wait_for(lambda a: a.of_type("contact.erased"))
    erased = watcher.of_type("contact.erased")[0]
    assert (erased["contact_id"], erased["conversation_ids"]) == (contact_id, [conversation_id])
    await watcher.close()

    # A fresh bootstrap has no trace, and the old one plus the events converges to it.
    after = await shop.bootstrap(shop.agent)
    assert contact_id not in {c["contact"]["id"] for c in after["conversations"]}
    events = [erased]
    assert comparable(reduce(before, events)) == comparable(after)

    # Replay from the very beginning shows nothing of them: redacted events only.
    replay = await connect(shop.address, shop.agent, since=0)
    await replay.wait_ready()
    frames = json.dumps(replay.frames)
    for needle in (SECRET_TEXT, EDITED_TEXT, SECRET_NAME, CONTACT):
        assert needle not in frames
    assert replay.of_type("event.redacted")
    conversations = {
        event["conversation"]["id"] for event in replay.events() if "conversation" in event
    }
    assert conversation_id not in conversations
    await replay.close()

    # Audited, without the content: the erasure itself and the earlier correction's shell.
    audit = {
        row["action"]: row
        for row in await db.fetch(
            "SELECT action, before::text AS before, after::text AS after FROM audit_entries"
            " WHERE target_type = 'contact' AND target_id = $1",
            str(contact_id),
        )
    }
    assert audit["contact.corrected"]["before"] is None
    assert audit["contact.corrected"]["after"] is None
    assert json.loads(audit["contact.erased"]["after"])["messages"] == 1


async def test_erasing_needs_an_admin_and_a_contact_of_this_workspace(shop: Shop, world) -> None:
    contact_id, _ = await populate(shop)
    refused = await shop.http.post(
        f"/api/v1/contacts/{contact_id}/erase", headers=shop.agent.headers
    )
    assert refused.status_code == 403
    other = await world.workspace("other")
    stranger = await world.member(other, "stranger@example.com", "admin")
    missing = await shop.http.post(f"/api/v1/contacts/{contact_id}/erase", headers=stranger.headers)
    assert missing.status_code == 404
    assert "no contact" in missing.json()["error"]["message"]


async def test_the_cli_erases_a_contact(shop: Shop, db, tmp_path) -> None:
    contact_id, _ = await populate(shop)
    result = await run_cli(
        shop.runtime, tmp_path, "contact", "erase", "--workspace", "shop", "--contact",
        str(contact_id),
    )  # fmt: skip
    assert result.code == 0, result.stderr
    assert "erased contact" in result.stdout and "1 message(s)" in result.stdout
    assert await find_everywhere(db, SECRET_TEXT) == []
    missing = await run_cli(
        shop.runtime, tmp_path, "contact", "erase", "--workspace", "shop", "--contact", "999"
    )
    assert missing.code == 1
    assert missing.stderr.strip() == "wazify contact: no contact 999 in this workspace"
