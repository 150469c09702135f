"""The webhook endpoint: handshake, signatures over the raw bytes, size limit (also for
chunked bodies), methods, no session handling, durability."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

from tests.support.world import World
from tests.webhooks.conftest import post_webhook, settle
from wazify.fakemeta.webhooks import ALL_CASES, encode_body, signed
from wazify.lib.passwords import hash_password

# Meta signature test vectors (copied from the team's platform notes).
VECTORS = Path(__file__).resolve().parents[1] / "fixtures"
SECRET = "3f1b2c4d5e6f708192a3b4c5d6e7f809"


async def receipts(db) -> list[dict]:
    rows = await db.fetch("SELECT id, state, reason, body FROM webhook_receipts ORDER BY id")
    return [dict(row) for row in rows]


async def test_handshake_echoes_the_challenge_exactly(client) -> None:
    challenge = "1158201444123456789012345678901234567890"  # larger than any integer type
    response = await client.get(
        "/webhooks/instagram",
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": "verify-me",
            "hub.challenge": challenge,
        },
    )
    assert response.status_code == 200
    assert response.text == challenge
    assert response.headers["content-type"].startswith("text/plain")


async def test_handshake_with_a_wrong_token_or_mode_is_refused(client) -> None:
    for params in (
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": "verify-me", "hub.challenge": "1"},
        {"hub.challenge": "1"},
    ):
        response = await client.get("/webhooks/instagram", params=params)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"


async def test_forged_and_missing_signatures_are_refused_and_nothing_is_stored(
    client, db, inbox
) -> None:
    raw = encode_body(ALL_CASES["message_text"]())
    forged = signed(raw, "not-the-app-secret")
    assert (
        await client.post("/webhooks/instagram", content=raw, headers=forged)
    ).status_code == 403
    missing = await client.post(
        "/webhooks/instagram", content=raw, headers={"Content-Type": "application/json"}
    )
    assert missing.status_code == 403
    assert missing.json()["error"]["message"] == "missing X-Hub-Signature-256"
    tampered = raw.replace(b"size M", b"size X")
    response = await client.post(
        "/webhooks/instagram", content=tampered, headers=signed(raw, SECRET)
    )
    assert response.status_code == 403
    assert await receipts(db) == []


async def test_every_configured_secret_is_accepted(client, db, inbox) -> None:
    response = await post_webhook(client, ALL_CASES["message_text"](), "second-secret-for-rotation")
    assert response.status_code == 200
    assert len(await receipts(db)) == 1


async def test_meta_test_vectors_verify_over_the_exact_bytes(client, db, runtime, inbox) -> None:
    cases = json.loads((VECTORS / "x_hub_signature_256.json").read_text())["cases"]
    for case in cases:
        raw = case["raw_body"].encode()
        headers = {"Content-Type": "application/json", **case["headers"]}
        response = await client.post("/webhooks/instagram", content=raw, headers=headers)
        assert response.status_code == (403 if case.get("expect_valid") is False else 200)
    await settle(runtime)
    titles = await db.fetch(
        "SELECT attachments->0->>'title' AS title FROM messages WHERE text IS NULL"
    )
    assert titles[0]["title"] == "New drop: summer linen collection \u2600\ufe0f"


async def test_oversize_body_is_413(client, db) -> None:
    raw = b'{"object":"instagram","entry":[],"pad":"' + b"x" * (5 * 1024 * 1024) + b'"}'
    response = await client.post("/webhooks/instagram", content=raw, headers=signed(raw, SECRET))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert await receipts(db) == []


async def chunks(raw: bytes, size: int) -> AsyncIterator[bytes]:
    """`raw` as a streamed request body: httpx sends it chunked, without Content-Length."""
    for start in range(0, len(raw), size):
        yield raw[start : start + size]


async def test_oversize_chunked_body_is_413(client, db, inbox, settings) -> None:
    limit = settings.webhook_max_bytes
    raw = b'{"object":"instagram","entry":[],"pad":"' + b"x" * limit + b'"}'
    response = await client.post(
        "/webhooks/instagram", content=chunks(raw, 256 * 1024), headers=signed(raw, SECRET)
    )
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert await receipts(db) == []


async def test_a_chunked_body_within_the_limit_is_stored_exactly(client, db, inbox) -> None:
    raw = encode_body(ALL_CASES["message_text"]())
    response = await client.post(
        "/webhooks/instagram", content=chunks(raw, 7), headers=signed(raw, SECRET)
    )
    assert "content-length" not in response.request.headers
    assert (response.status_code, response.text) == (200, "EVENT_RECEIVED")
    assert [row["body"] for row in await receipts(db)] == [raw]


async def test_other_methods_are_405_with_the_allowed_ones(client, db, inbox) -> None:
    raw = encode_body(ALL_CASES["message_text"]())
    for method in ("PUT", "DELETE", "PATCH"):
        response = await client.request(
            method, "/webhooks/instagram", content=raw, headers=signed(raw, SECRET)
        )
        assert response.status_code == 405, method
        assert response.headers["allow"] == "GET, POST"
        assert response.headers["content-type"] == "application/json"
        error = response.json()["error"]
        assert error["code"] == "method_not_allowed"
        assert method in error["message"]
    assert await receipts(db) == []


async def test_a_session_cookie_is_ignored_no_csrf_needed(client, db, runtime, inbox) -> None:
    """A browser signed in to Wazify carries its session cookie everywhere; on this route
    it means nothing (the signature authenticates Meta), so no CSRF header is asked for."""
    world = World(runtime, hash_password("correct horse battery staple"))
    alice = await world.member(inbox.workspace_id, "alice@example.com", "admin")
    # Elsewhere that cookie without the header is refused: the session is live.
    refused = await client.post("/api/v1/auth/logout", headers=alice.cookie_only)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    raw = encode_body(ALL_CASES["message_text"]())
    headers = {**signed(raw, SECRET), **alice.cookie_only}
    response = await client.post("/webhooks/instagram", content=raw, headers=headers)
    assert (response.status_code, response.text) == (200, "EVENT_RECEIVED")
    assert [row["body"] for row in await receipts(db)] == [raw]


async def test_the_receipt_is_committed_before_the_answer(client, db, inbox) -> None:
    raw = encode_body(ALL_CASES["message_text"]())
    response = await post_webhook(client, raw)
    assert (response.status_code, response.text) == (200, "EVENT_RECEIVED")
    stored = await receipts(db)  # read right after the answer, without waiting
    assert len(stored) == 1 and stored[0]["body"] == raw


async def test_an_identical_redelivery_keeps_one_receipt(client, db, runtime, inbox) -> None:
    raw = encode_body(ALL_CASES["message_text"]())
    for _ in range(3):
        assert (await post_webhook(client, raw)).status_code == 200
    await settle(runtime)
    assert [row["state"] for row in await receipts(db)] == ["processed"]
    assert await db.fetchval("SELECT count(*) FROM messages") == 1


async def test_content_problems_answer_200_and_are_recorded(client, db, runtime, inbox) -> None:
    bodies = {
        "not json": b"{this is not json",
        "unknown object": encode_body(ALL_CASES["unknown_object"]()),
        "dashboard": encode_body(ALL_CASES["dashboard_test_changes"]()),
        "comments": encode_body(ALL_CASES["comments_changes"]()),
        "unknown account": encode_body(ALL_CASES["message_text"](account="17849999999999999")),
    }
    for raw in bodies.values():
        assert (await post_webhook(client, raw)).status_code == 200
    await settle(runtime)
    states = [(row["state"], row["reason"]) for row in await receipts(db)]
    assert states[0][0] == "quarantined" and states[0][1].startswith(
        "malformed: body is not valid JSON"
    )
    assert states[1] == ("ignored", "not an Instagram notification (object 'page')")
    assert states[2] == ("ignored", "App Dashboard test notification (fake ids)")
    assert states[3][0] == "ignored" and "comments" in states[3][1]
    assert states[4] == ("quarantined", "unknown Instagram account(s): 17849999999999999")
    assert await db.fetchval("SELECT count(*) FROM messages") == 0
    assert await db.fetchval("SELECT count(*) FROM contacts") == 0
