"""The password-check throttle (auth/throttle.py) through HTTP: a guesser's address is
stopped, the owner is never locked out, an account under attack is slowed (boundedly)."""

from __future__ import annotations

import time

from tests.auth.conftest import login, make_client
from wazify.auth import throttle

WRONG = "not the right password"
ELSEWHERE = "203.0.113.9"


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
    assert durations[5] - durations[0] >= 0.9

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
