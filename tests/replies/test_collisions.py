"""The reply collision guard: a reply that says what its writer saw (`seen`) is refused with
409 (code collision, details naming the change) when a teammate replied or the
conversation changed hands since, unless it insists (`force`); a reply without `seen` is
not checked. Of two replies racing from the same view, exactly one is taken."""

from __future__ import annotations

import asyncio

from tests.replies.conftest import sent_texts


async def _newest_message(shop) -> int:
    return await shop.runtime.engine.pool.fetchval(
        "SELECT max(id) FROM messages WHERE conversation_id = $1", shop.conversation_id
    )


async def _messages(shop) -> int:
    return await shop.runtime.engine.pool.fetchval("SELECT count(*) FROM messages")


async def _reply_as(shop, member, text: str, **fields):
    return await shop.live.http.post(
        f"/api/v1/conversations/{shop.conversation_id}/messages",
        json={"text": text, **fields},
        headers=member.headers,
    )


async def test_a_teammates_reply_since_is_a_409_naming_them_unless_forced(shop, fake) -> None:
    bo = await shop.world.member(shop.workspace_id, "bo@shop.test")
    seen = {"message_id": await _newest_message(shop), "assignee_id": None}
    first = await _reply_as(shop, bo, "Bo here, on it", seen=seen)
    assert first.status_code == 201, first.text
    count, seq = await _messages(shop), await _seq(shop)

    clash = await shop.reply("Ana here, on it", seen=seen)

    assert clash.status_code == 409, clash.text
    error = clash.json()["error"]
    assert error["code"] == "collision"
    assert "bo replied" in error["message"]
    [change] = error["details"]["changes"]
    assert change["kind"] == "replied"
    assert (change["author_id"], change["message_id"]) == (bo.user_id, first.json()["id"])
    assert change["author_name"] == "bo" and change["at"]
    assert await _messages(shop) == count  # nothing stored, nothing announced
    assert await _seq(shop) == seq

    forced = await shop.reply("Ana here, on it", seen=seen, force=True)
    assert forced.status_code == 201, forced.text
    await shop.settled(forced.json()["id"], ("sent", "delivered"))
    assert sent_texts(fake).count("Ana here, on it") == 1
    audit = await shop.runtime.engine.pool.fetchval(
        "SELECT after->>'forced' FROM audit_entries WHERE action = 'message.replied'"
        " AND target_id = $1",
        str(forced.json()["id"]),
    )
    assert audit == "true"


async def test_without_seen_nothing_is_checked_and_ones_own_replies_never_collide(
    shop, fake
) -> None:
    bo = await shop.world.member(shop.workspace_id, "bo@shop.test")
    seen = {"message_id": await _newest_message(shop), "assignee_id": None}
    assert (await _reply_as(shop, bo, "Bo first")).status_code == 201
    assert (await _reply_as(shop, bo, "Bo again", seen=seen)).status_code == 201  # his own
    assert (await shop.reply("no seen: the API as before")).status_code == 201
    current = {"message_id": await _newest_message(shop), "assignee_id": None}
    assert (await shop.reply("seen it all", seen=current)).status_code == 201


async def test_a_reassignment_since_is_a_409_naming_the_new_assignee(shop, fake) -> None:
    bo = await shop.world.member(shop.workspace_id, "bo@shop.test")
    lead = await shop.world.member(shop.workspace_id, "lead@shop.test", "supervisor")
    seen = {"message_id": await _newest_message(shop), "assignee_id": None}
    assign = f"/api/v1/conversations/{shop.conversation_id}/assign"
    moved = await shop.live.http.post(assign, json={"user_id": bo.user_id}, headers=lead.headers)
    assert moved.status_code == 200, moved.text

    clash = await shop.reply("mine?", seen=seen)

    assert clash.status_code == 409, clash.text
    [change] = clash.json()["error"]["details"]["changes"]
    assert change == {
        "kind": "reassigned",
        "assignee_id": bo.user_id,
        "assignee_name": "bo",
    }
    assert "reassigned to bo" in clash.json()["error"]["message"]
    # Given to the writer: nothing to warn about.
    mine = {"user_id": shop.agent.user_id}
    assert (await shop.live.http.post(assign, json=mine, headers=lead.headers)).status_code == 200
    assert (await shop.reply("mine now", seen=seen)).status_code == 201


async def test_two_replies_racing_from_the_same_view_one_is_taken(shop, fake) -> None:
    bo = await shop.world.member(shop.workspace_id, "bo@shop.test")
    seen = {"message_id": await _newest_message(shop), "assignee_id": None}
    for round_ in range(3):
        answers = await asyncio.gather(
            shop.reply(f"Ana {round_}", seen=seen), _reply_as(shop, bo, f"Bo {round_}", seen=seen)
        )
        assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
        seen = {"message_id": await _newest_message(shop), "assignee_id": None}


async def test_another_workspace_and_bad_input(shop, fake) -> None:
    rival_id = await shop.world.workspace("rival")
    rival = await shop.world.member(rival_id, "eve@rival.test")
    seen = {"message_id": 1, "assignee_id": None}
    theirs = await _reply_as(shop, rival, "hello", seen=seen, force=True)
    assert theirs.status_code == 404, theirs.text
    for bad in (
        {"message_id": "x", "assignee_id": None},
        {"message_id": 0, "assignee_id": None},
        {"message_id": 1},
        {"message_id": 1, "assignee_id": None, "extra": 1},
        "yesterday",
    ):
        response = await shop.reply("hello", seen=bad)
        assert response.status_code == 400, (bad, response.text)
        assert "seen" in (response.json()["error"].get("field") or "") + response.text
    response = await shop.reply("hello", force="yes")
    assert response.status_code == 400 and response.json()["error"]["field"] == "force"


async def _seq(shop) -> int:
    """How many replies were announced (the sender's message.updated may come meanwhile)."""
    return await shop.runtime.engine.pool.fetchval(
        "SELECT count(*) FROM events WHERE workspace_id = $1 AND type = 'message.created'",
        shop.workspace_id,
    )
