"""Input Postgres cannot take is a 400 naming the field, never a 500: ids beyond bigint in
the path, the query, the body or a cursor; NUL characters in bodies, query strings and
paths; times outside years 1 to 9999 once in UTC; bodies nested thousands deep."""

from __future__ import annotations

import base64
import json

from tests.conversations.conftest import Shop

HUGE = 2**70
INT64_PLUS_ONE = 2**63
YEAR_ONE_PLUS_14 = "0001-01-01T00:00:00+14:00"
YEAR_9999_MINUS_14 = "9999-12-31T23:59:59-14:00"


def cursor(stamp: str, row_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([stamp, row_id]).encode()).decode().rstrip("=")


# (method, path with {conversation}/{contact} placeholders, JSON body or None, field)
CASES = [
    ("GET", f"/api/v1/conversations/{HUGE}", None, "conversation_id"),
    ("GET", f"/api/v1/conversations/{INT64_PLUS_ONE}/messages", None, "conversation_id"),
    ("GET", "/api/v1/conversations/0", None, "conversation_id"),
    ("POST", f"/api/v1/conversations/{HUGE}/claim", None, "conversation_id"),
    ("POST", f"/api/v1/conversations/{{conversation}}/messages/{HUGE}/retry", None, "message_id"),
    ("GET", f"/api/v1/members/{HUGE}", None, "user_id"),
    ("PATCH", f"/api/v1/contacts/{HUGE}", {"notes": "x"}, "contact_id"),
    ("DELETE", f"/api/v1/tokens/{HUGE}", None, "token_id"),
    ("GET", f"/api/v1/audit/{HUGE}", None, "entry_id"),
    ("POST", f"/api/v1/accounts/{HUGE}/disconnect", None, "account_id"),
    ("POST", f"/api/v1/webhooks/receipts/{HUGE}/replay", None, "receipt_id"),
    ("GET", f"/api/v1/conversations?account={HUGE}", None, "account"),
    ("GET", f"/api/v1/conversations?assignee={HUGE}", None, "assignee"),
    ("GET", "/api/v1/conversations?assignee=%C2%B2", None, "assignee"),  # "²".isdigit()
    ("GET", f"/api/v1/audit?actor={HUGE}", None, "actor"),
    ("POST", "/api/v1/conversations/{conversation}/assign", {"user_id": HUGE}, "user_id"),
    ("POST", "/api/v1/conversations/{conversation}/read", {"message_id": HUGE}, "message_id"),
    (
        "GET",
        f"/api/v1/conversations?cursor={cursor('2026-01-01T00:00:00+00:00', HUGE)}",
        None,
        "cursor",
    ),
    ("GET", f"/api/v1/audit?cursor={cursor('2026-01-01T00:00:00+00:00', HUGE)}", None, "cursor"),
    ("GET", f"/api/v1/members?cursor={cursor('2026-01-01T00:00:00+00:00', HUGE)}", None, "cursor"),
    ("GET", f"/api/v1/tokens?cursor={cursor('2026-01-01T00:00:00+00:00', HUGE)}", None, "cursor"),
    ("GET", f"/api/v1/conversations?cursor={cursor(YEAR_ONE_PLUS_14, 1)}", None, "cursor"),
    ("GET", "/api/v1/audit?since=0001-01-01T00:00:00%2B14:00", None, "since"),
    ("GET", "/api/v1/audit?until=9999-12-31T23:59:59-14:00", None, "until"),
    (
        "POST",
        "/api/v1/conversations/{conversation}/status",
        {"status": "pending", "snoozed_until": YEAR_9999_MINUS_14},
        "snoozed_until",
    ),
    (
        "POST",
        "/api/v1/conversations/{conversation}/status",
        {"status": "pending", "snoozed_until": YEAR_ONE_PLUS_14},
        "snoozed_until",
    ),
    ("PATCH", "/api/v1/contacts/{contact}", {"notes": "a\x00b"}, "notes"),
    ("PATCH", "/api/v1/contacts/{contact}", {"display_name": "\x00"}, "display_name"),
    ("POST", "/api/v1/conversations/{conversation}/messages", {"text": "hi\x00"}, "text"),
    (
        "POST",
        "/api/v1/conversations/{conversation}/messages",
        {"quick_replies": [{"title": "ok", "payload": "\x00"}], "text": "pick"},
        "quick_replies[0].payload",
    ),
    ("POST", "/api/v1/members", {"email": "x\x00@shop.test", "role": "agent"}, "email"),
    ("POST", "/api/v1/tokens", {"name": "ci\x00"}, "name"),
    ("GET", "/api/v1/conversations?q=a%00b", None, "q"),
    ("GET", "/api/v1/audit?action=auth.login%00", None, "action"),
    ("GET", "/api/v1/conversations?status=open&cursor=%00", None, "cursor"),
    ("GET", "/app%00.js", None, "path"),
]


async def test_bad_input_is_a_400_naming_the_field(shop: Shop) -> None:
    # One shop for every case (building one costs about a second).
    conversation = await shop.conversation("hello")
    contact = await shop.contact_of(conversation)
    wrong = []
    for method, path, body, field in CASES:
        url = path.format(conversation=conversation, contact=contact)
        response = await shop.client.request(method, url, json=body, headers=shop.admin.headers)
        error = response.json().get("error", {})
        if (response.status_code, error.get("code"), error.get("field")) != (400, "invalid", field):
            wrong.append((method, url, response.status_code, response.text[:200]))
    assert wrong == []
    assert (
        await shop.runtime.engine.pool.fetchval(
            "SELECT count(*) FROM messages WHERE direction = 'out'"
        )
        == 0
    )


async def test_a_body_nested_thousands_deep_is_a_400(shop: Shop) -> None:
    conversation = await shop.conversation("hello")
    for depth in (40, 3_000, 100_000):
        raw = b'{"text": ' + b"[" * depth + b"]" * depth + b"}"
        response = await shop.client.post(
            f"/api/v1/conversations/{conversation}/messages",
            content=raw,
            headers={**shop.admin.headers, "Content-Type": "application/json"},
        )
        assert response.status_code == 400, (depth, response.text)
        assert "levels deep" in response.json()["error"]["message"]
    assert (
        await shop.runtime.engine.pool.fetchval(
            "SELECT count(*) FROM messages WHERE direction = 'out'"
        )
        == 0
    )


async def test_the_largest_id_is_an_ordinary_404(shop: Shop) -> None:
    response = await shop.client.get(
        f"/api/v1/conversations/{2**63 - 1}", headers=shop.admin.headers
    )
    assert response.status_code == 404, response.text
