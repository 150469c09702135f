"""Sign-in through HTTP: success, identical failures, workspace choice, throttling with
Retry-After, a new session id at every sign-in, logout, request-body errors."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import math
import threading
import time
from datetime import timedelta

import msgspec
import pytest

from tests.auth.conftest import (
    CLIENT_ADDR,
    PASSWORD,
    SYSTEM,
    audit_rows,
    login,
    make_client,
    running,
)
from tests.lib.test_passwords import OLD_PARAMETERS_BY_CRYPTOGRAPHY
from wazify.actions.members import do_deactivate_member
from wazify.actions.uow import unit_of_work
from wazify.app import create_app
from wazify.auth import login as login_module
from wazify.auth.login import INVALID_CREDENTIALS
from wazify.auth.sessions import SECURE_SESSION_COOKIE, SESSION_COOKIE
from wazify.lib import passwords
from wazify.lib.passwords import needs_rehash, verify_password

BAD_CREDENTIALS = {"error": {"code": "invalid_credentials", "message": INVALID_CREDENTIALS}}


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


async def test_login_starts_a_session_and_returns_me(client, world, db) -> None:
    workspace_id = await world.workspace("acme")
    alice = await world.member(workspace_id, "alice@example.com", "supervisor", session=False)

    response = await login(client, "Alice@Example.com ")

    assert response.status_code == 200
    body = response.json()
    csrf = body.pop("csrf_token")
    assert body == {
        "user": {"id": alice.user_id, "email": "alice@example.com", "name": "alice"},
        "workspace": {"id": workspace_id, "slug": "acme", "name": "Acme"},
        "role": "supervisor",
        "via": "session",
    }
    session_id = response.cookies[SESSION_COOKIE]
    assert response.headers["set-cookie"] == (
        f"{SESSION_COOKIE}={session_id}; HttpOnly; Max-Age=43200; Path=/; SameSite=lax"
    )
    row = await db.fetchrow("SELECT * FROM sessions")
    # Only the hash is stored; the csrf token is the one given to the client.
    assert row["id_hash"] == sha256(session_id) and row["id_hash"] != session_id
    assert row["csrf_token"] == csrf and len(csrf) >= 40
    assert (row["user_id"], row["workspace_id"], row["client_addr"]) == (
        alice.user_id,
        workspace_id,
        CLIENT_ADDR,
    )
    assert row["expires_at"] - row["created_at"] == timedelta(hours=12)
    me = await client.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["csrf_token"] == csrf
    [entry] = await audit_rows(db, "auth.login")
    assert (entry["workspace_id"], entry["actor_id"], entry["client_addr"]) == (
        workspace_id,
        alice.user_id,
        CLIENT_ADDR,
    )


async def test_https_public_url_gives_a_secure_host_prefixed_cookie(settings, runtime, world):
    secure_settings = msgspec.structs.replace(settings, public_url="https://inbox.example.com")
    app = create_app(
        secure_settings, runtime=dataclasses.replace(runtime, settings=secure_settings)
    )
    workspace_id = await world.workspace("acme")
    await world.member(workspace_id, "alice@example.com", session=False)
    async with running(app), make_client(app, base_url="https://testserver.local") as client:
        response = await login(client, "alice@example.com")
        assert response.status_code == 200
        session_id = response.cookies[SECURE_SESSION_COOKIE]
        assert response.headers["set-cookie"] == (
            f"{SECURE_SESSION_COOKIE}={session_id}; HttpOnly; Max-Age=43200; Path=/;"
            " SameSite=lax; Secure"
        )
        assert (await client.get("/api/v1/me")).status_code == 200
        csrf = response.json()["csrf_token"]
        out = await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
        assert out.status_code == 204
        assert out.headers["set-cookie"] == (
            f'{SECURE_SESSION_COOKIE}=""; HttpOnly; Max-Age=0; Path=/; SameSite=lax; Secure'
        )


async def test_wrong_email_and_wrong_password_answer_identically(
    client, world, db, monkeypatch
) -> None:
    workspace_id = await world.workspace("acme")
    alice = await world.member(workspace_id, "alice@example.com", session=False)
    dummy_calls: list[str] = []
    real_dummy = login_module.verify_against_dummy

    async def spy(password: str) -> bool:
        dummy_calls.append("called")
        return await real_dummy(password)

    monkeypatch.setattr(login_module, "verify_against_dummy", spy)

    wrong_email = await login(client, "nobody@example.com")
    assert dummy_calls == ["called"]  # an unknown email costs a full verification too
    wrong_password = await login(client, "alice@example.com", "not the right password")
    assert dummy_calls == ["called"]

    assert wrong_email.status_code == wrong_password.status_code == 401
    assert wrong_email.json() == wrong_password.json() == BAD_CREDENTIALS
    assert wrong_email.headers.get("set-cookie") is None
    assert wrong_password.headers.get("set-cookie") is None
    rows = await audit_rows(db, "auth.login_failed")
    assert [(r["workspace_id"], r["actor_id"], r["target_id"], r["after"]) for r in rows] == [
        (
            None,
            None,
            "nobody@example.com",
            '{"email": "nobody@example.com", "reason": "unknown_email"}',
        ),
        (
            workspace_id,
            alice.user_id,
            str(alice.user_id),
            '{"email": "alice@example.com", "reason": "wrong_password"}',
        ),
    ]
    assert {r["client_addr"] for r in rows} == {CLIENT_ADDR}


async def test_an_inactive_membership_cannot_sign_in(client, world, db, runtime) -> None:
    workspace_id = await world.workspace("acme")
    await world.member(workspace_id, "admin@example.com", "admin", session=False)
    bob = await world.member(workspace_id, "bob@example.com", session=False)
    async with unit_of_work(runtime, SYSTEM) as uow:
        await do_deactivate_member(uow, workspace_id, bob.user_id)

    response = await login(client, "bob@example.com")

    assert response.status_code == 401 and response.json() == BAD_CREDENTIALS
    [entry] = await audit_rows(db, "auth.login_failed")
    assert entry["after"] == '{"email": "bob@example.com", "reason": "inactive"}'


async def test_a_person_in_several_workspaces_names_one(client, world) -> None:
    first = await world.workspace("first")
    second = await world.workspace("second")
    await world.member(first, "alice@example.com", "agent", session=False)
    await world.member(second, "alice@example.com", "admin", session=False)

    ambiguous = await login(client, "alice@example.com")
    assert ambiguous.status_code == 400
    assert ambiguous.json() == {
        "error": {
            "code": "invalid",
            "message": "you belong to several workspaces: give the workspace's slug",
            "field": "workspace",
        }
    }
    assert ambiguous.headers.get("set-cookie") is None

    chosen = await login(client, "alice@example.com", workspace="second")
    assert chosen.status_code == 200
    assert (chosen.json()["workspace"]["slug"], chosen.json()["role"]) == ("second", "admin")

    elsewhere = await login(client, "alice@example.com", workspace="third")
    assert elsewhere.status_code == 401 and elsewhere.json() == BAD_CREDENTIALS
    # A wrong password with no workspace named is a plain failure, not the 400.
    wrong = await login(client, "alice@example.com", "not the right password")
    assert wrong.status_code == 401 and wrong.json() == BAD_CREDENTIALS


@pytest.mark.parametrize("email", ["alice@example.com", "nobody@example.com"])
async def test_five_failures_stop_that_address_on_that_account(client, world, db, email):
    workspace_id = await world.workspace("acme")
    await world.member(workspace_id, "alice@example.com", session=False)
    started = time.monotonic()
    for _ in range(5):
        assert (await login(client, email, "not the right password")).status_code == 401

    # This address is stopped on this account, even with the right password; an unknown
    # email behaves exactly the same.
    locked = await login(client, email, PASSWORD)

    assert locked.status_code == 429
    # When the first failure leaves the fifteen-minute window (the failures take seconds
    # on a loaded machine: each one hashes).
    waited = math.ceil(time.monotonic() - started)
    assert 900 - waited - 1 <= int(locked.headers["retry-after"]) <= 900
    assert locked.json() == {
        "error": {
            "code": "too_many_requests",
            "message": "too many failed sign-in attempts; try again in 15 minute(s)",
        }
    }
    reasons = [row["after"] for row in await audit_rows(db, "auth.login_failed")]
    assert reasons[-1] == f'{{"email": "{email}", "reason": "throttled"}}'
    assert len(reasons) == 6
    # The same address may still sign in to another account.
    await world.member(workspace_id, "carol@example.com", session=False)
    assert (await login(client, "carol@example.com")).status_code == 200


async def test_twenty_failures_from_one_address_lock_it(client, world, db) -> None:
    workspace_id = await world.workspace("acme")
    await world.member(workspace_id, "alice@example.com", session=False)
    # Nineteen earlier failures from this address on other accounts, the oldest ten
    # minutes ago: Retry-After is when it leaves the fifteen-minute window.
    await db.execute(
        "INSERT INTO login_attempts (key, attempted_at) SELECT $1, now() - make_interval("
        "secs => 600 - g) FROM generate_series(0, 18) AS g",
        f"ip:{CLIENT_ADDR}",
    )
    assert (await login(client, "someone@example.com", "x" * 12)).status_code == 401

    locked = await login(client, "alice@example.com")

    assert locked.status_code == 429
    assert 295 <= int(locked.headers["retry-after"]) <= 300
    async with make_client(client._transport.app, addr="203.0.113.9") as other:
        assert (await login(other, "alice@example.com")).status_code == 200


async def test_a_success_clears_its_own_address_budget(client, world) -> None:
    workspace_id = await world.workspace("acme")
    await world.member(workspace_id, "alice@example.com", session=False)
    for _ in range(4):
        await login(client, "alice@example.com", "not the right password")
    assert (await login(client, "alice@example.com")).status_code == 200
    for _ in range(4):
        await login(client, "alice@example.com", "not the right password")
    assert (await login(client, "alice@example.com")).status_code == 200


async def test_sixteen_simultaneous_sign_ins_all_answer(client, world) -> None:
    """Two at once used to hang every sign-in (cryptography's Argon2id, lib/passwords.py)."""
    workspace_id = await world.workspace("acme")
    people = [f"p{n}@example.com" for n in range(6)]
    for email in people:
        await world.member(workspace_id, email, session=False)
    attempts = [(email, PASSWORD, 200) for email in people]
    attempts += [(email, "not the right password", 401) for email in people[:5]]
    attempts += [(f"nobody{n}@example.com", PASSWORD, 401) for n in range(5)]
    app = client._transport.app

    async def attempt(number: int, email: str, password: str) -> int:
        async with make_client(app, addr=f"203.0.113.{number + 1}") as someone:
            return (await login(someone, email, password)).status_code

    bound = passwords.HASH_DEADLINE_SECONDS + 15  # about 3 s on an idle 2-CPU machine
    started = time.perf_counter()
    async with asyncio.timeout(bound):
        statuses = await asyncio.gather(
            *(attempt(n, email, password) for n, (email, password, _) in enumerate(attempts))
        )

    assert statuses == [expected for _, _, expected in attempts]
    assert time.perf_counter() - started < bound
    assert (await login(client, people[0])).status_code == 200


async def test_a_stuck_password_check_answers_503_not_a_hang(client, world, monkeypatch):
    workspace_id = await world.workspace("acme")
    await world.member(workspace_id, "alice@example.com", session=False)
    release = threading.Event()

    def stuck(password: str, encoded: str) -> bool:  # as cryptography's Argon2id hung
        release.wait(30)
        return False

    monkeypatch.setattr(passwords, "verify_password", stuck)
    monkeypatch.setattr(passwords, "HASH_DEADLINE_SECONDS", 0.3)
    try:
        async with asyncio.timeout(10):
            known = await login(client, "alice@example.com")
            unknown = await login(client, "nobody@example.com")
    finally:
        release.set()

    for response in (known, unknown):
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
        assert response.json() == {
            "error": {
                "code": "busy",
                "message": "checking passwords is taking too long; try again in a few seconds",
            }
        }
    monkeypatch.undo()
    assert (await login(client, "alice@example.com")).status_code == 200


async def test_a_hash_with_old_parameters_is_upgraded_at_sign_in(client, world, db) -> None:
    workspace_id = await world.workspace("acme")
    alice = await world.member(workspace_id, "alice@example.com", session=False)
    await db.execute(
        "UPDATE users SET password_hash = $2 WHERE id = $1",
        alice.user_id,
        OLD_PARAMETERS_BY_CRYPTOGRAPHY,
    )

    assert (await login(client, "alice@example.com")).status_code == 200

    stored = await db.fetchval("SELECT password_hash FROM users WHERE id = $1", alice.user_id)
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert not needs_rehash(stored) and verify_password(PASSWORD, stored)
    assert (await login(client, "alice@example.com")).status_code == 200


async def test_every_login_gets_a_new_session_id(client, world, db) -> None:
    workspace_id = await world.workspace("acme")
    await world.member(workspace_id, "alice@example.com", session=False)
    # A planted cookie (session fixation) is never adopted.
    client.cookies.set(SESSION_COOKIE, "chosen-by-an-attacker")
    first = await login(client, "alice@example.com")
    first_id = first.cookies[SESSION_COOKIE]
    assert first_id != "chosen-by-an-attacker"

    second = await login(client, "alice@example.com")
    second_id = second.cookies[SESSION_COOKIE]

    assert second_id != first_id
    assert second.json()["csrf_token"] != first.json()["csrf_token"]
    ended = await db.fetchval("SELECT ended_at FROM sessions WHERE id_hash = $1", sha256(first_id))
    assert ended is not None  # the browser's previous session ended with the new sign-in
    old = await client.get("/api/v1/me", headers={"Cookie": f"{SESSION_COOKIE}={first_id}"})
    assert old.status_code == 401 and old.json()["error"]["code"] == "session_expired"
    assert (await client.get("/api/v1/me")).status_code == 200


async def test_logout_ends_the_session_server_side(client, world, db) -> None:
    workspace_id = await world.workspace("acme")
    alice = await world.member(workspace_id, "alice@example.com")

    refused = await client.post("/api/v1/auth/logout", headers=alice.cookie_only)
    assert refused.status_code == 403  # logout is CSRF-protected like any unsafe request
    response = await client.post("/api/v1/auth/logout", headers=alice.headers)

    assert response.status_code == 204 and response.content == b""
    assert response.headers["set-cookie"] == (
        f'{SESSION_COOKIE}=""; HttpOnly; Max-Age=0; Path=/; SameSite=lax'
    )
    assert await db.fetchval("SELECT ended_at IS NOT NULL FROM sessions") is True
    after = await client.get("/api/v1/me", headers=alice.headers)
    assert after.status_code == 401
    assert after.json() == {
        "error": {
            "code": "session_expired",
            "message": "your session has ended or expired; sign in again",
        }
    }
    [entry] = await audit_rows(db, "auth.logout")
    assert (entry["actor_id"], entry["client_addr"]) == (alice.user_id, CLIENT_ADDR)
    # Without a session, logout still answers 204 and clears the cookie.
    assert (await client.post("/api/v1/auth/logout")).status_code == 204


async def test_request_body_errors(client, world) -> None:
    malformed = await client.post(
        "/api/v1/auth/login", content=b'{"email": ', headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 400
    assert malformed.json()["error"]["code"] == "bad_request"

    unknown = await client.post(
        "/api/v1/auth/login", json={"email": "a@example.com", "password": "x", "remember": True}
    )
    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == "invalid"
    assert unknown.json()["error"]["message"] == "Object contains unknown field `remember`"

    missing = await client.post("/api/v1/auth/login", json={"email": "a@example.com"})
    assert missing.status_code == 400
    assert "password" in missing.json()["error"]["message"]
