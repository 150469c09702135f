"""Password-check throttling, kept in Postgres (login_attempts) so it holds across processes.

The guarantee: a guesser is slowed, then stopped per address, but nobody can lock a
colleague out. The person who knows the password, from an address that has not been
guessing that account, always gets in: at worst after MAX_DELAY_SECONDS, never a refusal.

One throttle for every place that checks a password (sign-in, changing one's password,
accepting an invitation with an existing account's password): each calls `admit` before
verifying and `record_failure` / `record_success` after, so a guesser gains nothing by
knocking on another door.

Failures are counted in a sliding WINDOW (15 minutes) under three keys:
- `ip:<address>`: ADDRESS_LIMIT (20) failures on any accounts, then 429 for that address
  on every account. One machine trying many accounts.
- `pair:<address> <email>`: PAIR_LIMIT (5) failures, then 429 for that address on that
  account only. One machine guessing one person's password: stopped, without touching
  the person.
- `account:<email>`: never a refusal, a delay. From DELAY_AFTER (3) failures on, whatever
  their addresses, every check on the account first waits 0.25 s, doubling with each
  further failure up to MAX_DELAY_SECONDS (8 s). A guesser spread over many addresses has
  each of its guesses answered slowly; the owner waits those seconds once.

The account is the email as typed, whether or not an account has it, so neither the 429s
nor the delays tell which emails exist. The delay is spent before the verification,
whatever the password, so its length says nothing about the guess. A 429 is not counted (a
stopped address does not extend its own stop). A success forgives the failures made from
its own address (its pair counter and as many of the account's): one's own typos do not
slow one down, failures from elsewhere stay until they age out. Retry-After is the moment
enough counted failures have aged out of the window for one more attempt to be allowed.

Limits, said plainly: a guesser with many addresses gets PAIR_LIMIT slowed guesses per
address per window, and parallel requests each wait the same capped delay; the bounded
password pool (lib/passwords.py) caps the work all of them together can cause. Check then
record is not atomic: a burst of parallel attempts can overshoot a limit by the number in
flight, which Argon2's cost and that pool keep small.

SQL: forgiving failures deletes by ctid under a LIMIT, which Piccolo's delete cannot express
(login_attempts has no key) (docs/migrations.md).
"""

from __future__ import annotations

import asyncio
import math
from datetime import timedelta

import asyncpg

from wazify.lib.errors import TooManyRequests

WINDOW = timedelta(minutes=15)
ADDRESS_LIMIT = 20
PAIR_LIMIT = 5
DELAY_AFTER = 3
FIRST_DELAY_SECONDS = 0.25
MAX_DELAY_SECONDS = 8.0

Pool = asyncpg.Connection | asyncpg.Pool


def _email(email: str) -> str:
    return email.strip().lower()[:320]


def _address(client_addr: str | None) -> str:
    # Requests without a peer address (a Unix socket without proxy headers) share one
    # address, so they are bounded too.
    return client_addr or "unknown"


def account_key(email: str) -> str:
    return "account:" + _email(email)


def address_key(client_addr: str | None) -> str:
    return "ip:" + _address(client_addr)


def pair_key(email: str, client_addr: str | None) -> str:
    # An address has no space in it, so the first space ends it.
    return f"pair:{_address(client_addr)} {_email(email)}"


def delay_for(failures: int) -> float:
    """Seconds a check on an account with `failures` recent failures waits first."""
    if failures < DELAY_AFTER:
        return 0.0
    return min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2 ** (failures - DELAY_AFTER))


async def failures(conn: Pool, key: str) -> int:
    return await conn.fetchval(
        "SELECT count(*) FROM login_attempts"
        " WHERE key = $1 AND attempted_at > now() - $2::interval",
        key,
        WINDOW,
    )


async def retry_after(conn: Pool, key: str, limit: int) -> int | None:
    """Seconds until `key` may try again, or None when it is within its budget."""
    rows = await conn.fetch(
        "SELECT attempted_at, now() AS now FROM login_attempts"
        " WHERE key = $1 AND attempted_at > now() - $2::interval"
        " ORDER BY attempted_at DESC LIMIT $3",
        key,
        WINDOW,
        limit,
    )
    if len(rows) < limit:
        return None
    # The limit-th newest failure: once it leaves the window, limit - 1 remain.
    pivot = rows[-1]
    return max(1, math.ceil((pivot["attempted_at"] + WINDOW - pivot["now"]).total_seconds()))


async def check(conn: Pool, email: str, client_addr: str | None) -> None:
    """Raise TooManyRequests (429, Retry-After) when this address has spent its budget, on
    every account or on this one. The message is the same for both."""
    budgets = (
        (address_key(client_addr), ADDRESS_LIMIT),
        (pair_key(email, client_addr), PAIR_LIMIT),
    )
    waits = [wait for key, limit in budgets if (wait := await retry_after(conn, key, limit))]
    if waits:
        seconds = max(waits)
        raise TooManyRequests(
            f"too many failed sign-in attempts; try again in {math.ceil(seconds / 60)} minute(s)",
            retry_after=seconds,
        )


async def admit(conn: Pool, email: str, client_addr: str | None) -> None:
    """Call before checking a password: refuses a spent address (`check`), then waits the
    account's delay. Holds no database connection while it waits."""
    await check(conn, email, client_addr)
    delay = delay_for(await failures(conn, account_key(email)))
    if delay:
        await asyncio.sleep(delay)


async def record_failure(conn: asyncpg.Connection, email: str, client_addr: str | None) -> None:
    for key in (account_key(email), pair_key(email, client_addr), address_key(client_addr)):
        # Rows older than the window count for nothing; dropping them here bounds the table
        # without a sweeper.
        await conn.execute(
            "DELETE FROM login_attempts WHERE key = $1 AND attempted_at <= now() - $2::interval",
            key,
            WINDOW,
        )
        await conn.execute("INSERT INTO login_attempts (key) VALUES ($1)", key)


async def record_success(conn: Pool, email: str, client_addr: str | None) -> None:
    """Forgive the failures made from this address on this account: its pair counter, and
    as many of the account's failures (one's own typos do not slow one down next time).
    Failures from other addresses stay, and age out."""
    await conn.execute(
        "WITH mine AS ("
        "  DELETE FROM login_attempts WHERE key = $1 RETURNING attempted_at"
        ") DELETE FROM login_attempts WHERE ctid IN ("
        "  SELECT ctid FROM login_attempts WHERE key = $2 ORDER BY attempted_at DESC LIMIT ("
        "    SELECT count(*) FROM mine WHERE attempted_at > now() - $3::interval))",
        pair_key(email, client_addr),
        account_key(email),
        WINDOW,
    )
