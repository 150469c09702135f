"""The fake Graph API's Send API: what it keeps, answers and posts back (signed webhooks)."""

from __future__ import annotations

import httpx
import pytest

from tests.replies.conftest import CUSTOMER, MESSAGES_PATH, TOKEN, fail_next, wait_for
from wazify.fakemeta.state import Messaging
from wazify.fakemeta.webhooks import ACCOUNT

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def graph(fake_graph):
    async with httpx.AsyncClient(base_url=fake_graph[0], timeout=10) as client:
        yield client


async def _stored(shop, mid: str) -> dict | None:
    row = await shop.runtime.engine.pool.fetchrow(
        "SELECT source, direction, status, text FROM messages WHERE mid = $1", mid
    )
    return dict(row) if row else None


async def test_a_send_is_kept_answered_and_echoed_signed(shop, fake, graph) -> None:
    # As if typed in the Instagram app: no reply of ours, so the echo is a message of its own.
    sent = await graph.post(
        MESSAGES_PATH, json={"recipient": {"id": CUSTOMER}, "message": {"text": "hi"}}, headers=AUTH
    )
    assert sent.status_code == 200
    answer = sent.json()
    assert answer["recipient_id"] == CUSTOMER and answer["message_id"].startswith("aWdf")
    [kept] = fake.sent_messages()
    assert (kept.mid, kept.ig_id, kept.message) == (answer["message_id"], ACCOUNT, {"text": "hi"})
    row = await wait_for(lambda: _stored(shop, answer["message_id"]))
    assert row == {
        "source": "instagram_app",
        "direction": "out",
        "status": "delivered",
        "text": "hi",
    }
    me = await graph.post(
        "/v25.0/me/messages",
        json={"recipient": {"id": CUSTOMER}, "message": {"text": "via me"}},
        headers=AUTH,
    )
    assert me.status_code == 200


async def test_an_echo_can_come_before_the_answer(shop, fake, graph) -> None:
    fake.configure_messaging(
        Messaging(**_hooks(fake), echo_before=1.0, echo_lead=0.0, read_receipts=True)
    )
    sent = await graph.post(
        MESSAGES_PATH,
        json={"recipient": {"id": CUSTOMER}, "message": {"text": "fast"}},
        headers=AUTH,
    )
    mid = sent.json()["message_id"]
    # The echo's delivery was acknowledged (committed) before the Send API answered.
    echo = await shop.runtime.engine.pool.fetchval(
        "SELECT count(*) FROM webhook_receipts WHERE position($1::bytea in body) > 0",
        mid.encode(),
    )
    assert echo == 1

    # Then the customer reads it.
    async def read() -> bool:
        return (await _stored(shop, mid) or {}).get("status") == "read"

    await wait_for(read)


def _hooks(fake) -> dict:
    return {"webhook_url": fake.messaging.webhook_url, "app_secret": fake.messaging.app_secret}


@pytest.mark.parametrize(
    ("payload", "code", "fragment"),
    [
        ({"message": {"text": "x"}}, 100, "recipient is required"),
        ({"recipient": {"id": CUSTOMER}, "message": {}}, 100, "text or attachment"),
        ({"recipient": {"id": CUSTOMER}, "message": {"text": "\u00e9" * 501}}, 100, "1000"),
        ({"recipient": {"id": CUSTOMER}, "sender_action": "wave"}, 100, "sender_action"),
        (
            {"recipient": {"id": CUSTOMER}, "sender_action": "react", "payload": {}},
            100,
            "message_id",
        ),
    ],
)
async def test_bad_requests_get_metas_errors(fake, graph, payload, code, fragment) -> None:
    response = await graph.post(MESSAGES_PATH, json=payload, headers=AUTH)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code and fragment in error["message"]
    assert fake.sent_messages() == [] and fake.sender_actions() == []


async def test_tokens_and_accounts_are_checked(fake, graph) -> None:
    body = {"recipient": {"id": CUSTOMER}, "message": {"text": "x"}}
    missing = await graph.post(MESSAGES_PATH, json=body)
    assert missing.json()["error"]["code"] == 104
    wrong = await graph.post(MESSAGES_PATH, json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.json()["error"]["code"] == 190
    other = await graph.post("/v25.0/17840000000000000/messages", json=body, headers=AUTH)
    assert (other.json()["error"]["code"], other.json()["error"]["error_subcode"]) == (100, 33)


async def test_sender_actions_are_kept(fake, graph) -> None:
    for action in ("typing_on", "mark_seen"):
        response = await graph.post(
            MESSAGES_PATH,
            json={"recipient": {"id": CUSTOMER}, "sender_action": action},
            headers=AUTH,
        )
        assert response.json() == {"recipient_id": CUSTOMER}
    assert [a.action for a in fake.sender_actions()] == ["typing_on", "mark_seen"]


async def test_a_failure_can_still_deliver_the_message(shop, fake, graph) -> None:
    fail_next(fake, status=500, deliver=True)
    response = await graph.post(
        MESSAGES_PATH,
        json={"recipient": {"id": CUSTOMER}, "message": {"text": "sent"}},
        headers=AUTH,
    )
    assert response.status_code == 500 and response.json()["error"]["code"] == 1
    [kept] = fake.sent_messages()
    assert await wait_for(lambda: _stored(shop, kept.mid))


async def test_the_control_api_configures_and_lists(fake, graph) -> None:
    configured = await graph.post("/_fake/messaging", json={"echo_before": 0.5})
    assert configured.status_code == 200 and fake.messaging.echo_before == 0.5
    await graph.post(
        MESSAGES_PATH, json={"recipient": {"id": CUSTOMER}, "message": {"text": "x"}}, headers=AUTH
    )
    listed = (await graph.get("/_fake/messaging/sent")).json()
    assert [item["message"] for item in listed] == [{"text": "x"}]
    assert (await graph.get("/_fake/messaging/actions")).json() == []
