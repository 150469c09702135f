"""The password-check throttle (auth/throttle.py) through HTTP: a guesser's address is
stopped, the owner is never locked out, an account under attack is slowed (boundedly), and
every door that checks a password spends the same budget."""

from __future__ import annotations

import time

from tests.auth.conftest import PASSWORD, audit_rows, invite_secret, login, make_client
from wazify.auth import throttle

WRONG = "not the right password"
ELSEWHERE = "203.0.113.9"


async def accept(client, secret: str, password: str):
    return await client.post(
        "/api/v1/invitations/accept", json={"token": secret, "password": password}
    )


async def counts(db, email: str) -> dict[str, int]:
    rows = await db.fetch(
        "SELECT key, count(*) AS n FROM login_attempts WHERE key LIKE '%' || $1 GROUP BY key",
        email,
    )
    return {row["key"]: row["n"] for row in rows}


async def test_a_guesser_at_one_address_cannot_keep_the_owner_out(client, world) -> None:
    workspace_id = await world.workspace("acme")
    await world.member(workspace_id, "alice@example.com", session=False)

    statuses = []
    for _ in range(30):
        response = await login(client, "alice@example.com", WRONG)
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert 895 <= int(response.headers["retry-after"]) <= 900
    # Stopped after five: the rest never reached a password check.
    assert statuses == [401] * 5 + [429] * 25
    assert (await login(client, "alice@example.com")).status_code == 429  # this address

    async with make_client(client._transport.app, addr=ELSEWHERE) as owner:
        started = time.perf_counter()
        response = await login(owner, "alice@example.com")
        elapsed = time.perf_counter() - started

    assert response.status_code == 200
    # Slowed by the five failures (one second), within the bound.
    assert throttle.delay_for(5) == 1.0
    assert 1.0 <= elapsed < throttle.MAX_DELAY_SECONDS + 3


async def test_failures_from_many_addresses_slow_the_account_boundedly(
    client, world, db, monkeypatch
) -> None:
    workspace_id = await world.workspace("acme")
    await world.member(workspace_id, "alice@example.com", session=False)
    app = client._transport.app
    durations = []
    for n in range(6):  # one guess per address: no address is ever stopped
        async with make_client(app, addr=f"192.0.2.{n + 1}") as guesser:
            started = time.perf_counter()
            assert (await login(guesser, "alice@example.com", WRONG)).status_code == 401
            durations.append(time.perf_counter() - started)
    # Free for the first three (typos happen), then a growing wait before each check.
    for failures, duration in enumerate(durations):
        assert duration >= throttle.delay_for(failures)
    assert [throttle.delay_for(n) for n in range(3, 7)] == [0.25, 0.5, 1.0, 2.0]
    assert durations[5] >= 1.0  # the sixth guess waited a second before its check

    async with make_client(app, addr=ELSEWHERE) as owner:
        started = time.perf_counter()
        assert (await login(owner, "alice@example.com")).status_code == 200
        assert time.perf_counter() - started >= throttle.delay_for(6) == 2.0

        # However many failures, the wait is capped and the owner gets in.
        await db.execute(
            "INSERT INTO login_attempts (key) SELECT $1 FROM generate_series(1, 200)",
            throttle.account_key("alice@example.com"),
        )
        monkeypatch.setattr(throttle, "MAX_DELAY_SECONDS", 1.0)
        started = time.perf_counter()
        assert (await login(owner, "alice@example.com")).status_code == 200
        assert 1.0 <= time.perf_counter() - started < 4


async def test_a_success_forgives_its_own_address_only(client, world, db) -> None:
    workspace_id = await world.workspace("acme")
    await world.member(workspace_id, "alice@example.com", session=False)
    async with make_client(client._transport.app, addr=ELSEWHERE) as guesser:
        for _ in range(2):
            assert (await login(guesser, "alice@example.com", WRONG)).status_code == 401
    for _ in range(3):  # the owner's own typos
        assert (await login(client, "alice@example.com", WRONG)).status_code == 401
    assert (await counts(db, "alice@example.com"))["account:alice@example.com"] == 5

    assert (await login(client, "alice@example.com")).status_code == 200

    assert await counts(db, "alice@example.com") == {
        "account:alice@example.com": 2,
        f"pair:{ELSEWHERE} alice@example.com": 2,
    }


async def test_invitation_acceptance_is_throttled(client, world, db) -> None:
    acme = await world.workspace("acme")
    globex = await world.workspace("globex")
    admin = await world.member(acme, "admin@example.com", "admin")
    gus = await world.member(globex, "gus@example.com", "agent", session=False)
    invited = await client.post(
        "/api/v1/members", json={"email": "gus@example.com", "role": "agent"}, headers=admin.headers
    )
    secret = invite_secret(invited)

    answers = [await accept(client, secret, f"guess number {n}") for n in range(25)]

    assert [a.status_code for a in answers] == [400] * 5 + [429] * 20
    assert answers[0].json()["error"]["code"] == "wrong_password"
    for refused in answers[5:]:
        assert 895 <= int(refused.headers["retry-after"]) <= 900
        assert refused.json()["error"]["code"] == "too_many_requests"
    assert (await accept(client, secret, PASSWORD)).status_code == 429  # this address
    assert await db.fetchval("SELECT count(*) FROM memberships WHERE workspace_id = $1", acme) == 1
    # Gus's own workspace sees the attempts on its member.
    failed = await audit_rows(db, "invitation.accept_failed")
    reasons = [row["after"].split('"reason": ')[1] for row in failed]
    assert reasons == ['"wrong_password"}'] * 5 + ['"throttled"}'] * 21
    assert {(row["workspace_id"], row["target_id"]) for row in failed} == {
        (globex, str(gus.user_id))
    }
    # Gus himself, from his own address, still can.
    async with make_client(client._transport.app, addr=ELSEWHERE) as own:
        assert (await accept(own, secret, PASSWORD)).status_code == 201


async def test_every_door_spends_the_same_budget(client, world) -> None:
    acme = await world.workspace("acme")
    globex = await world.workspace("globex")
    admin = await world.member(globex, "admin@example.com", "admin")
    alice = await world.member(acme, "alice@example.com", "agent")
    invited = await client.post(
        "/api/v1/members",
        json={"email": "alice@example.com", "role": "agent"},
        headers=admin.headers,
    )
    secret = invite_secret(invited)

    async def change(current: str) -> int:
        response = await client.post(
            "/api/v1/me/password",
            json={"current_password": current, "new_password": "a brand new passphrase"},
            headers=alice.headers,
        )
        return response.status_code

    assert (await login(client, "alice@example.com", WRONG)).status_code == 401
    assert (await login(client, "alice@example.com", WRONG)).status_code == 401
    assert [await change(WRONG), await change(WRONG)] == [400, 400]
    assert (await accept(client, secret, WRONG)).status_code == 400

    # Five failures through three doors: each door is now shut for this address.
    assert (await login(client, "alice@example.com")).status_code == 429
    assert await change(PASSWORD) == 429
    assert (await accept(client, secret, PASSWORD)).status_code == 429
