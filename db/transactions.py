"""What Piccolo's query builder cannot ask of Postgres, written once for every domain.

- `snapshot`: a REPEATABLE READ, READ ONLY transaction (Piccolo's transactions take no
  isolation level), on a connection of the engine's pool; Piccolo queries inside the block
  read in it too (`piccolo_joins`), so SQL and table-class reads see one state.
- `advisory_xact_lock`: a transaction-scoped advisory lock (Piccolo has none), held until
  the caller's transaction ends.
- `retry_transient`: a whole transaction again when Postgres chose it as a deadlock's
  victim or failed it on serialization; both are Postgres's way of asking the client to
  retry, and lock orders cannot rule them out between writers that meet rows differently.

Row locks, SKIP LOCKED included, are Piccolo's own (`select(...).lock_rows(...)`). The
set-based statements of the hot paths (docs/migrations.md, "Where SQL stays") keep their
SQL where they are, on the same pool and transactions.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import asyncpg
from piccolo.engine.postgres import PostgresEngine

from wazify.db.engine import piccolo_joins

TRANSIENT = (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)
T = TypeVar("T")


@asynccontextmanager
async def snapshot(
    pool: asyncpg.Pool, engine: PostgresEngine | None = None
) -> AsyncIterator[asyncpg.Connection]:
    """A consistent read-only view of the database for the block. With `engine` (whose
    pool `pool` is), Piccolo's queries in the block read in the same snapshot."""
    async with (
        pool.acquire() as connection,
        connection.transaction(isolation="repeatable_read", readonly=True),
    ):
        if engine is None:
            yield connection
        else:
            with piccolo_joins(engine, connection):
                yield connection


async def advisory_xact_lock(connection: Any, *key: int) -> None:
    """Wait for the advisory lock `key` (one bigint, or two ints) until the transaction
    ends. `connection`: the unit of work's (uow.conn)."""
    placeholders = ", ".join(f"${n}" for n in range(1, len(key) + 1))
    await connection.execute(f"SELECT pg_advisory_xact_lock({placeholders})", *key)


async def retry_transient(transaction: Callable[[], Awaitable[T]], tries: int = 4) -> T:
    """`transaction()` (a whole unit: begun and committed inside) until it is not aborted as
    transient, at most `tries` times; waits a little longer, jittered, between tries so the
    writers it met do not meet again in step. The last failure is raised."""
    for attempt in range(tries - 1):
        try:
            return await transaction()
        except TRANSIENT:
            await asyncio.sleep(0.05 * 2**attempt * (1 + random.random()))
    return await transaction()
