"""Session lifetime (idle and absolute expiry, the once-a-minute touch), password change
ending the other sessions, and CSRF: refused without the header, Bearer exempt."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import timedelta

from tests.auth.conftest import PASSWORD, audit_rows, login

EXPIRED = {
    "error": {
        "code": "session_expired",
        "message": "your session has ended or expired; sign in again",
    }
}
CSRF_FAILED = {
    "error": {
        "code": "csrf_failed",
        "message": "missing or wrong X-CSRF-Token header (use the csrf_token from /api/v1/me)",
    }
}
NEW_PASSWORD = "a brand new passphrase"


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


async def set_session(db, session_id: str, **moments: timedelta) -> None:
    """Move a session's timestamps to `now() - delta` (the clock is Postgres's)."""
    for column, ago in moments.items():
        await db.execute(
            f"UPDATE sessions SET {column} = now() - $2::interval WHERE id_hash = $1",
            sha256(session_id),
            ago,
        )


async def test_an_idle_session_expires(client, world, db, settings) -> None:
    workspace_id = await world.workspace("acme")
    alice = await world.member(workspace_id, "alice@example.com")
    idle = timedelta(minutes=settings.session_idle_minutes)
    await set_session(db, alice.session_id, last_seen_at=idle + timedelta(seconds=5))

    response = await client.get("/api/v1/me", headers=alice.headers)

    assert response.status_code == 401 and response.json() == EXPIRED
    assert await db.fetchval("SELECT ended_at IS NOT NULL FROM sessions") is True


async def test_activity_keeps_a_session_alive_and_is_recorded_once_a_minute(
    client, world, db, settings
) -> None:
    workspace_id = await world.workspace("acme")
    alice = await world.member(workspace_id, "alice@example.com")
    idle = timedelta(minutes=settings.session_idle_minutes)
    last_seen = "SELECT now() - last_seen_at FROM sessions"

    await set_session(db, alice.session_id, last_seen_at=timedelta(seconds=30))
    assert (await client.get("/api/v1/me", headers=alice.headers)).status_code == 200
    assert await db.fetchval(last_seen) >= timedelta(seconds=30)  # not rewritten yet

    await set_session(db, alice.session_id, last_seen_at=idle - timedelta(minutes=1))
    assert (await client.get("/api/v1/me", headers=alice.headers)).status_code == 200
    assert await db.fetchval(last_seen) < timedelta(seconds=5)  # touched: idle clock reset


async def test_a_session_ends_at_its_absolute_expiry_however_active(client, world, db) -> None:
    workspace_id = await world.workspace("acme")
    alice = await world.member(workspace_id, "alice@example.com")
    await db.execute("UPDATE sessions SET expires_at = now() - interval '1 second'")

    response = await client.get("/api/v1/me", headers=alice.headers)

    assert response.status_code == 401 and response.json() == EXPIRED


async def test_unknown_cookie_is_expired_and_no_credentials_is_unauthorized(client) -> None:
    unknown = await client.get("/api/v1/me", headers={"Cookie": "wazify_session=made-up"})
    assert unknown.status_code == 401 and unknown.json() == EXPIRED
    anonymous = await client.get("/api/v1/me")
    assert anonymous.status_code == 401
    assert anonymous.json() == {
        "error": {
            "code": "unauthorized",
            "message": "sign in, or send an API token as `Authorization: Bearer ...`",
        }
    }


async def test_password_change_ends_every_other_session(client, world, db) -> None:
    acme = await world.workspace("acme")
    globex = await world.workspace("globex")
    alice = await world.member(acme, "alice@example.com")
    laptop = await world.open_session(dataclasses.replace(alice))
    elsewhere = await world.member(globex, "alice@example.com")
    bob = await world.member(acme, "bob@example.com")

    response = await client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=alice.headers,
    )

    assert response.status_code == 204
    assert (await client.get("/api/v1/me", headers=alice.headers)).status_code == 200
    for ended in (laptop, elsewhere):
        gone = await client.get("/api/v1/me", headers=ended.headers)
        assert gone.status_code == 401 and gone.json() == EXPIRED
    assert (await client.get("/api/v1/me", headers=bob.headers)).status_code == 200
    [entry] = await audit_rows(db, "auth.password_changed")
    assert (entry["workspace_id"], entry["actor_id"], entry["after"]) == (
        acme,
        alice.user_id,
        '{"sessions_ended": 2}',
    )
    assert (await login(client, "alice@example.com", PASSWORD, "acme")).status_code == 401
    assert (await login(client, "alice@example.com", NEW_PASSWORD, "acme")).status_code == 200


async def test_password_change_needs_the_current_password_and_a_strong_new_one(
    client, world, db
) -> None:
    workspace_id = await world.workspace("acme")
    alice = await world.member(workspace_id, "alice@example.com")

    wrong = await client.post(
        "/api/v1/me/password",
        json={"current_password": "not the right one", "new_password": NEW_PASSWORD},
        headers=alice.headers,
    )
    weak = await client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers=alice.headers,
    )

    assert wrong.status_code == 400
    assert wrong.json() == {
        "error": {
            "code": "wrong_password",
            "message": "the current password is wrong",
            "field": "current_password",
        }
    }
    assert weak.status_code == 400
    assert weak.json() == {
        "error": {
            "code": "weak_password",
            "message": "Password is too short: it has 5 characters, the minimum is 12.",
            "field": "new_password",
        }
    }
    [failed] = await audit_rows(db, "auth.password_change_failed")
    assert failed["actor_id"] == alice.user_id
    assert await audit_rows(db, "auth.password_changed") == []


async def test_unsafe_cookie_requests_need_the_csrf_header(client, world) -> None:
    workspace_id = await world.workspace("acme")
    admin = await world.member(workspace_id, "admin@example.com", "admin")
    agent = await world.member(workspace_id, "agent@example.com", "agent")
    path = f"/api/v1/members/{agent.user_id}"

    missing = await client.patch(path, json={"role": "supervisor"}, headers=admin.cookie_only)
    wrong = await client.patch(
        path, json={"role": "supervisor"}, headers={**admin.cookie_only, "X-CSRF-Token": "x"}
    )
    others = await client.patch(
        path, json={"role": "supervisor"}, headers={**admin.cookie_only, "X-CSRF-Token": agent.csrf}
    )
    safe = await client.get(path, headers=admin.cookie_only)
    right = await client.patch(path, json={"role": "supervisor"}, headers=admin.headers)

    for refused in (missing, wrong, others):
        assert refused.status_code == 403 and refused.json() == CSRF_FAILED
    assert safe.status_code == 200 and safe.json()["role"] == "agent"  # nothing changed
    assert right.status_code == 200 and right.json()["role"] == "supervisor"


async def test_bearer_requests_are_exempt_from_csrf(client, world) -> None:
    workspace_id = await world.workspace("acme")
    admin = await world.member(workspace_id, "admin@example.com", "admin")
    agent = await world.member(workspace_id, "agent@example.com", "agent")
    created = await client.post("/api/v1/tokens", json={"name": "ci"}, headers=admin.headers)
    bearer = {"Authorization": f"Bearer {created.json()['secret']}"}

    response = await client.patch(
        f"/api/v1/members/{agent.user_id}", json={"role": "supervisor"}, headers=bearer
    )
    # A cookie riding along does not bring the CSRF rule back: the token authenticates.
    with_cookie = await client.patch(
        f"/api/v1/members/{agent.user_id}",
        json={"role": "agent"},
        headers={**bearer, **admin.cookie_only},
    )

    assert response.status_code == 200 and response.json()["role"] == "supervisor"
    assert with_cookie.status_code == 200 and with_cookie.json()["role"] == "agent"


async def test_unauthenticated_unsafe_requests_reach_the_guard(client) -> None:
    response = await client.post(
        "/api/v1/members", json={"email": "x@example.com", "role": "agent"}
    )
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized"
    expired = await client.post(
        "/api/v1/tokens", json={"name": "x"}, headers={"Cookie": "wazify_session=gone"}
    )
    assert expired.status_code == 401 and expired.json() == EXPIRED
