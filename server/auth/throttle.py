"""Sign-in throttling, kept in Postgres (login_attempts) so it holds across processes.

Two budgets of failures in a sliding window: per account (the email as typed, whether or
not an account has it, so throttling reveals nothing about which emails exist) and per
client address (one address trying many accounts). Only failures count; a success clears
the account's budget. Retry-After is the moment enough counted failures have aged out of
the window for one more attempt to be allowed.

Check-then-record is not atomic: a burst of parallel attempts can overshoot a budget by
the number of attempts in flight, which Argon2's cost (and its bounded pool) keeps small.
"""

from __future__ import annotations

import math
from datetime import timedelta

import asyncpg

from wazify.lib.errors import TooManyRequests

WINDOW = timedelta(minutes=15)
ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20


def account_key(email: str) -> str:
    return "email:" + email.strip().lower()[:320]


def address_key(client_addr: str | None) -> str | None:
    return f"ip:{client_addr}" if client_addr else None


def _budgets(email: str, client_addr: str | None) -> list[tuple[str, int]]:
    budgets = [(account_key(email), ACCOUNT_LIMIT)]
    if (key := address_key(client_addr)) is not None:
        budgets.append((key, ADDRESS_LIMIT))
    return budgets


async def retry_after(conn: asyncpg.Connection | asyncpg.Pool, key: str, limit: int) -> int | None:
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


async def check(
    conn: asyncpg.Connection | asyncpg.Pool, email: str, client_addr: str | None
) -> None:
    """Raise TooManyRequests (429, Retry-After) when either budget is spent. The message is
    the same for both, so it does not tell which one tripped."""
    waits = [
        wait
        for key, limit in _budgets(email, client_addr)
        if (wait := await retry_after(conn, key, limit)) is not None
    ]
    if waits:
        seconds = max(waits)
        raise TooManyRequests(
            f"too many failed sign-in attempts; try again in {math.ceil(seconds / 60)} minute(s)",
            retry_after=seconds,
        )


async def record_failure(conn: asyncpg.Connection, email: str, client_addr: str | None) -> None:
    for key, _ in _budgets(email, client_addr):
        # Rows older than the window count for nothing; dropping them here bounds the table
        # without a sweeper.
        await conn.execute(
            "DELETE FROM login_attempts WHERE key = $1 AND attempted_at <= now() - $2::interval",
            key,
            WINDOW,
        )
        await conn.execute("INSERT INTO login_attempts (key) VALUES ($1)", key)


async def clear_account(conn: asyncpg.Connection, email: str) -> None:
    await conn.execute("DELETE FROM login_attempts WHERE key = $1", account_key(email))
