"""Internal notes and @mentions through the API: who may write, read, edit and delete them;
what is refused; rows, audit and events with their audience; mentions' read state; search;
convergence. (That a note never reaches Meta is tests/replies/test_team_tools.py.)"""

from __future__ import annotations

import asyncio

import pytest

from tests.conversations.conftest import (
    Shop,
    assert_converges,
    audits,
    head,
    logged,
    snapshot,
)

EVERYONE = (None, None)
BIG = 2**63  # one past the largest bigint


def notes_url(cid: int) -> str:
    return f"/api/v1/conversations/{cid}/notes"


async def write(shop: Shop, member, cid: int, text: str):
    return await shop.client.post(notes_url(cid), json={"text": text}, headers=member.headers)


async def token_headers(shop: Shop, member) -> dict[str, str]:
    made = await shop.client.post("/api/v1/tokens", json={"name": "s"}, headers=member.headers)
    return {"Authorization": f"Bearer {made.json()['secret']}"}


async def unread(shop: Shop, member) -> int:
    response = await shop.client.get("/api/v1/mentions", headers=member.headers)
    return response.json()["unread_count"]


async def test_every_member_writes_and_reads_notes(shop, client, db) -> None:
    cid = await shop.conversation()
    token = await token_headers(shop, shop.agent)
    for headers in (shop.admin.headers, shop.supervisor.headers, shop.agent.headers, token):
        response = await client.post(notes_url(cid), json={"text": "checked"}, headers=headers)
        assert response.status_code == 201, response.text
    anonymous = await client.post(notes_url(cid), json={"text": "x"})
    assert anonymous.status_code == 401
    listed = await client.get(notes_url(cid), headers=shop.agent2.headers)
    assert listed.status_code == 200
    assert [n["author_id"] for n in listed.json()["items"]] == [
        shop.agent.user_id,  # by token: the token's member
        shop.agent.user_id,
        shop.supervisor.user_id,
        shop.admin.user_id,
    ]  # newest first
    assert (await client.get(notes_url(cid))).status_code == 401


async def test_a_note_is_stored_audited_and_announced_never_as_a_message(shop, client, db) -> None:
    cid = await shop.conversation("where is my order?")
    conversation_before = (
        await client.get(f"/api/v1/conversations/{cid}", headers=shop.agent.headers)
    ).json()
    messages = await db.fetchval("SELECT count(*) FROM messages")
    seq = await head(db, shop.workspace_id)
    bea = shop.agent2.user_id

    response = await write(shop, shop.agent, cid, f"  Refund approved, <@{bea}> please ship  ")

    assert response.status_code == 201, response.text
    note = response.json()
    assert note["text"] == f"Refund approved, <@{bea}> please ship"  # trimmed
    assert (note["mentions"], note["author_id"], note["deleted"]) == (
        [bea],
        shop.agent.user_id,
        False,
    )
    assert await db.fetchval("SELECT count(*) FROM messages") == messages  # not in the outbox
    after = (await client.get(f"/api/v1/conversations/{cid}", headers=shop.agent.headers)).json()
    assert after == conversation_before  # no last message, unread count or activity change
    created, mention = await logged(db, shop.workspace_id, seq)
    assert (created["type"], created["_audience"], created["note"]) == (
        "note.created",
        EVERYONE,
        note,
    )
    assert mention["type"] == "mentions.updated" and mention["_audience"] == (bea, None)
    assert (mention["user_id"], mention["unread_count"], mention["read_note_ids"]) == (bea, 1, [])
    [entry] = await audits(db, shop.workspace_id, "note.created")
    assert (entry["actor_id"], entry["target_id"]) == (shop.agent.user_id, str(note["id"]))
    assert entry["after"] == {"conversation_id": cid, "mentions": [bea]}


async def test_mentioning_oneself_notifies_nobody(shop, client, db) -> None:
    cid = await shop.conversation()
    seq = await head(db, shop.workspace_id)
    response = await write(shop, shop.agent, cid, f"reminder for <@{shop.agent.user_id}>")
    assert response.json()["mentions"] == [shop.agent.user_id]
    assert [e["type"] for e in await logged(db, shop.workspace_id, seq)] == ["note.created"]
    assert await db.fetchval("SELECT count(*) FROM note_mentions") == 0


@pytest.mark.parametrize(
    ("text", "status", "code", "message"),
    [
        ("", 400, "invalid", "the text is empty"),
        (" \n\t ", 400, "invalid", "the text is empty"),
        ("a\x00b", 400, "invalid", "`text` contains a NUL character"),
        ("x" * 5001, 400, "too_long", "the text is 5001 characters long; at most 5000"),
        ("x" * 20_001, 400, "invalid", "Expected `str` of length <= 20000"),
        ("hi <@999999>", 400, "unknown_member", "<@999999> names no member of this workspace"),
        (f"hi <@{BIG}>", 400, "unknown_member", f"<@{BIG}> names no member of this workspace"),
        ("{rival}", 400, "unknown_member", "names no member of this workspace"),
        ("{gone}", 400, "inactive_member", "is deactivated and cannot be mentioned"),
        (" ".join(f"<@{i}>" for i in range(1, 22)), 400, "invalid", "at most 20 members"),
    ],
)
async def test_bad_notes_are_refused_and_nothing_is_written(
    shop, client, db, text, status, code, message
) -> None:
    cid = await shop.conversation()
    text = text.format(rival=f"<@{shop.rival.user_id}>", gone=f"<@{shop.inactive.user_id}>")
    seq = await head(db, shop.workspace_id)
    response = await write(shop, shop.agent, cid, text)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["code"], error.get("field")) == (code, "text")
    assert message in error["message"]
    assert await db.fetchval("SELECT count(*) FROM notes") == 0
    assert await head(db, shop.workspace_id) == seq


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/conversations/{c}/notes", None),
        ("POST", "/api/v1/conversations/{c}/notes", {"text": "x"}),
        ("PATCH", "/api/v1/notes/{n}", {"text": "x"}),
        ("DELETE", "/api/v1/notes/{n}", None),
        ("POST", "/api/v1/mentions/read", {"conversation_id": "{c}"}),
    ],
)
async def test_another_workspaces_conversation_or_note_is_not_found(
    shop, client, db, method, path, body
) -> None:
    from wazify.fakemeta.webhooks import ACCOUNT_B

    foreign = await shop.conversation(account=ACCOUNT_B)
    note = (await write(shop, shop.rival, foreign, "theirs")).json()
    values = {"c": foreign, "n": note["id"]}
    payload = (
        None if body is None else {k: values["c"] if v == "{c}" else v for k, v in body.items()}
    )
    seq = await db.fetchval("SELECT max(seq) FROM events")
    for member in (shop.admin, shop.agent):
        response = await client.request(
            method, path.format(**values), json=payload, headers=member.headers
        )
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "not_found"
    assert await db.fetchval("SELECT max(seq) FROM events") == seq
    assert await db.fetchval("SELECT text FROM notes WHERE id = $1", note["id"]) == "theirs"


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("GET", f"/api/v1/conversations/{BIG}/notes", None, "conversation_id"),
        ("POST", f"/api/v1/conversations/{BIG}/notes", {"text": "x"}, "conversation_id"),
        ("POST", "/api/v1/conversations/0/notes", {"text": "x"}, "conversation_id"),
        ("PATCH", f"/api/v1/notes/{BIG}", {"text": "x"}, "note_id"),
        ("DELETE", f"/api/v1/notes/{BIG}", None, "note_id"),
        ("POST", "/api/v1/mentions/read", {"note_ids": [BIG]}, "note_ids[0]"),
        ("POST", "/api/v1/mentions/read", {"conversation_id": BIG}, "conversation_id"),
        ("POST", "/api/v1/mentions/read", {"conversation_id": 1, "x": 1}, "x"),
        ("GET", "/api/v1/mentions?limit=500", None, "limit"),
        ("GET", "/api/v1/mentions?cursor=nonsense", None, "cursor"),
    ],
)
async def test_ids_past_a_bigint_and_bad_bodies_are_400(shop, client, method, path, body, field):
    response = await client.request(method, path, json=body, headers=shop.agent.headers)
    assert response.status_code == 400, response.text
    assert response.json()["error"].get("field") == field, response.json()


async def test_mentions_list_newest_first_and_reading_them(shop, client, db) -> None:
    first, second = await shop.conversation(), await shop.conversation()
    bea = shop.agent2
    older = (await write(shop, shop.agent, first, f"<@{bea.user_id}> look")).json()
    newer = (await write(shop, shop.supervisor, second, f"<@{bea.user_id}> and here")).json()
    await write(shop, shop.agent, first, "not for bea")

    page = (await client.get("/api/v1/mentions", headers=bea.headers)).json()
    assert [item["note"]["id"] for item in page["items"]] == [newer["id"], older["id"]]
    assert [item["conversation"]["id"] for item in page["items"]] == [second, first]
    assert page["unread_count"] == 2 and all(i["read_at"] is None for i in page["items"])
    assert (await client.get("/api/v1/mentions", headers=shop.agent.headers)).json()["items"] == []

    before, seq = await snapshot(client, bea), await head(db, shop.workspace_id)
    read = await client.post(
        "/api/v1/mentions/read", json={"conversation_id": first}, headers=bea.headers
    )
    assert read.json() == {"unread_count": 1, "read_note_ids": [older["id"]]}
    [event] = await logged(db, shop.workspace_id, seq)
    assert event["_audience"] == (bea.user_id, None)
    assert (event["unread_count"], event["read_note_ids"]) == (1, [older["id"]])
    await assert_converges(client, db, bea, before)
    assert (await snapshot(client, bea))["mentions_unread"] == 1

    # Reading again changes nothing and says nothing; someone else's reading is theirs.
    seq = await head(db, shop.workspace_id)
    again = await client.post(
        "/api/v1/mentions/read", json={"note_ids": [older["id"]]}, headers=bea.headers
    )
    assert again.json() == {"unread_count": 1, "read_note_ids": []}
    others = await client.post("/api/v1/mentions/read", json={}, headers=shop.agent.headers)
    assert others.json() == {"unread_count": 0, "read_note_ids": []}
    assert await head(db, shop.workspace_id) == seq
    unread_only = (await client.get("/api/v1/mentions?unread=true", headers=bea.headers)).json()
    assert [item["note"]["id"] for item in unread_only["items"]] == [newer["id"]]

    everything = await client.post("/api/v1/mentions/read", json={}, headers=bea.headers)
    assert everything.json() == {"unread_count": 0, "read_note_ids": [newer["id"]]}
    [entry, *_] = await audits(db, shop.workspace_id, "mentions.read")
    assert (entry["actor_id"], entry["after"]) == (bea.user_id, {"note_ids": [older["id"]]})


async def test_the_unread_count_each_event_carries_is_the_count_at_its_commit(shop, client, db):
    """Notes mentioning one member and that member's reading, all at once: the events,
    in seq order, end at the stored count, and a client applying them converges."""
    cid = await shop.conversation()
    bea = shop.agent2
    before = await snapshot(client, bea)
    writes = [write(shop, shop.agent, cid, f"<@{bea.user_id}> n{i}") for i in range(8)]
    reads = [
        client.post("/api/v1/mentions/read", json={"conversation_id": cid}, headers=bea.headers)
        for _ in range(4)
    ]
    results = await asyncio.gather(*writes, *reads)
    assert all(r.status_code in (200, 201) for r in results)
    events = await assert_converges(client, db, bea, before)
    counts = [e["unread_count"] for e in events if e["type"] == "mentions.updated"]
    stored = await db.fetchval("SELECT count(*) FROM note_mentions WHERE read_at IS NULL")
    assert counts[-1] == stored == await unread(shop, bea)


async def test_search_finds_a_notes_words_not_its_mention_tokens(shop, client, db) -> None:
    noted, other = await shop.conversation("hello"), await shop.conversation("hello")
    await write(shop, shop.agent, noted, f"customer wants a refund, <@{shop.agent2.user_id}>")

    def found(q: str):
        return client.get("/api/v1/conversations", params={"q": q}, headers=shop.agent2.headers)

    assert [c["id"] for c in (await found("refu")).json()["items"]] == [noted]
    assert (await found(str(shop.agent2.user_id))).json()["items"] == []
    assert {c["id"] for c in (await found("hello")).json()["items"]} == {noted, other}


async def test_the_notes_search_uses_its_index(shop, db) -> None:
    from wazify.conversations.queries import NOTE_SEARCH

    async with db.transaction():
        await db.execute("SET LOCAL enable_seqscan = off")
        plan = await db.fetch(
            f"EXPLAIN SELECT n.id FROM notes n WHERE {NOTE_SEARCH} @@ to_tsquery('simple', 'x')"
        )
    assert "notes_search" in "\n".join(row[0] for row in plan)


async def test_the_author_edits_a_note_and_mentions_follow(shop, client, db) -> None:
    cid = await shop.conversation()
    bea, sam = shop.agent2, shop.supervisor
    note = (await write(shop, shop.agent, cid, f"<@{bea.user_id}> please check")).json()
    before_bea, before_sam = await snapshot(client, bea), await snapshot(client, sam)
    seq = await head(db, shop.workspace_id)

    edited = await client.patch(
        f"/api/v1/notes/{note['id']}",
        json={"text": f"<@{sam.user_id}> please check"},
        headers=shop.agent.headers,
    )

    assert edited.status_code == 200, edited.text
    assert edited.json()["mentions"] == [sam.user_id] and edited.json()["edited_at"]
    events = await logged(db, shop.workspace_id, seq)
    assert [(e["type"], e["_audience"]) for e in events] == [
        ("note.updated", EVERYONE),
        *(("mentions.updated", (uid, None)) for uid in sorted([bea.user_id, sam.user_id])),
    ]
    assert (await unread(shop, bea), await unread(shop, sam)) == (0, 1)
    [entry] = await audits(db, shop.workspace_id, "note.edited")
    assert entry["before"] == {"text": note["text"]}
    assert entry["after"] == {"text": f"<@{sam.user_id}> please check"}
    await assert_converges(client, db, bea, before_bea)
    await assert_converges(client, db, sam, before_sam)

    for member, status in ((bea, 403), (shop.admin, 403)):
        refused = await client.patch(
            f"/api/v1/notes/{note['id']}", json={"text": "mine now"}, headers=member.headers
        )
        assert refused.status_code == status, refused.text


async def test_the_author_deletes_a_note(shop, client, db) -> None:
    cid = await shop.conversation()
    sam = shop.supervisor
    note = (await write(shop, shop.agent, cid, f"<@{sam.user_id}> secret plan")).json()
    assert (
        await client.delete(f"/api/v1/notes/{note['id']}", headers=sam.headers)
    ).status_code == 403
    before = await snapshot(client, sam)

    deleted = await client.delete(f"/api/v1/notes/{note['id']}", headers=shop.agent.headers)

    assert deleted.status_code == 200, deleted.text
    assert (deleted.json()["deleted"], deleted.json()["text"], deleted.json()["mentions"]) == (
        True,
        "",
        [],
    )
    assert await db.fetchval("SELECT text FROM notes WHERE id = $1", note["id"]) == ""
    assert await unread(shop, sam) == 0
    [entry] = await audits(db, shop.workspace_id, "note.deleted")
    assert entry["before"] == {"text": note["text"]}
    await assert_converges(client, db, sam, before)
    listed = (await client.get(notes_url(cid), headers=sam.headers)).json()["items"]
    assert listed == [deleted.json()]  # its place in the thread stays
    for method, body in (("PATCH", {"text": "back"}), ("DELETE", None)):
        gone = await client.request(
            method, f"/api/v1/notes/{note['id']}", json=body, headers=shop.agent.headers
        )
        assert gone.status_code == 404


async def test_a_conversations_notes_page_older_ones(shop, client) -> None:
    cid = await shop.conversation()
    ids = [(await write(shop, shop.agent, cid, f"note {i}")).json()["id"] for i in range(5)]
    first = (
        await client.get(notes_url(cid), params={"limit": 3}, headers=shop.agent.headers)
    ).json()
    rest = await client.get(
        notes_url(cid),
        params={"limit": 3, "cursor": first["next_cursor"]},
        headers=shop.agent.headers,
    )
    seen = [n["id"] for n in first["items"]] + [n["id"] for n in rest.json()["items"]]
    assert seen == ids[::-1] and rest.json()["next_cursor"] is None
