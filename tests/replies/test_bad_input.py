"""Bad input on the routes that call Meta is refused before Meta is called: a reaction
with a NUL used to reach the Send API and then fail to be recorded (a 500)."""

from __future__ import annotations

from tests.replies.conftest import sent_texts


async def test_a_nul_in_a_reaction_or_a_reply_never_reaches_meta(shop, fake) -> None:
    target = await shop.runtime.engine.pool.fetchval(
        "SELECT id FROM messages WHERE conversation_id = $1 AND direction = 'in'",
        shop.conversation_id,
    )
    url = f"/api/v1/conversations/{shop.conversation_id}/messages/{target}/reactions"
    response = await shop.live.http.post(
        url, json={"emoji": "\u2764\u0000"}, headers=shop.agent.headers
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == "emoji"
    reply = await shop.reply("see you\u0000")
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"]["field"] == "text"
    assert fake.sender_actions() == []
    assert sent_texts(fake) == []
