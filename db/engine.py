"""Bind Piccolo to the database chosen at start-up (embedded or DATABASE_URL).

Piccolo looks for its engine in a piccolo_conf module; Wazify instead picks the database when
the app starts, so the tables are pointed at the engine here. Piccolo's migration code, which
finds its engine through piccolo_conf alone, is pointed at one by `engine_for_piccolo`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import asyncpg
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction

from wazify.db.tables import ALL_TABLES

# Piccolo keeps the current transaction in a ContextVar of each engine, and a table queries
# through the engine it is bound to: the last one opened. A process holding two runtimes
# (the tests, the benches, the CLI beside a server) would have a unit of work of the first
# set its transaction where the tables do not look, and their queries would run outside it,
# on another connection. Every engine opened here shares one ContextVar instead: a
# transaction set through any of them is the one the tables join.
_CURRENT_TRANSACTION: ContextVar = ContextVar("wazify_piccolo_transaction", default=None)


async def open_engine(dsn: str, *, min_size: int = 2, max_size: int = 20) -> PostgresEngine:
    """Create the engine (its constructor checks the server version with a blocking call,
    so it runs in a thread), bind every table to it and open the connection pool."""
    engine = await asyncio.to_thread(PostgresEngine, config={"dsn": dsn})
    engine.current_transaction = _CURRENT_TRANSACTION
    await engine.start_connection_pool(
        min_size=min_size, max_size=max_size, reset=keep_session_state
    )
    _open_engines.append(engine)
    bind_tables(engine)
    return engine


# Engines open in this process, newest last. One in production; tests and the CLI may open
# a second runtime beside the first: when the newest closes, the tables go back to the
# previous one instead of pointing at a closed pool.
_open_engines: list[PostgresEngine] = []


def bind_tables(engine: PostgresEngine) -> None:
    """Point every table's queries at `engine` (outside a transaction: its pool)."""
    for table in ALL_TABLES:
        table._meta.db = engine


async def keep_session_state(connection: asyncpg.Connection) -> None:
    """Released connections skip asyncpg's reset query (RESET ALL, UNLISTEN *, CLOSE ALL,
    pg_advisory_unlock_all): one round trip per release, on every request. Wazify never
    changes session state on a pooled connection (no SET, advisory locks are
    transaction-scoped, nothing LISTENs); asyncpg still rolls back an open transaction."""


_piccolo_engine: ContextVar[PostgresEngine | None] = ContextVar("piccolo_engine", default=None)


@contextmanager
def engine_for_piccolo(engine: PostgresEngine) -> Iterator[None]:
    """Inside the block, piccolo_conf's DB is `engine`: for this task and the tasks it starts
    only, since one process may migrate several databases at once (the tests do)."""
    token = _piccolo_engine.set(engine)
    try:
        yield
    finally:
        _piccolo_engine.reset(token)


def piccolo_engine() -> PostgresEngine | None:
    """The engine bound by `engine_for_piccolo` around the running code, if any."""
    return _piccolo_engine.get()


CLOSE_DEADLINE_SECONDS = 10


async def close_engine(engine: PostgresEngine) -> None:
    """Close the pool; connections still held after the deadline are terminated, so a
    stuck task can never keep a stopping server waiting."""
    if engine in _open_engines:
        _open_engines.remove(engine)
        if _open_engines and ALL_TABLES[0]._meta.db is engine:
            bind_tables(_open_engines[-1])
    pool = engine.pool
    if pool is None:
        return
    try:
        await asyncio.wait_for(pool.close(), CLOSE_DEADLINE_SECONDS)
    except TimeoutError:
        pool.terminate()
    engine.pool = None


class _JoinedTransaction(PostgresTransaction):
    """Piccolo's view of a transaction opened on an asyncpg connection elsewhere (the unit
    of work's, the bootstrap's snapshot). Piccolo runs a query on the connection of the
    engine's current transaction when there is one; this one is begun, committed and
    rolled back by its owner, never by Piccolo. A Piccolo `transaction()` opened inside it
    nests into it, as Piccolo nests its own."""

    def __init__(self, engine: PostgresEngine, connection: asyncpg.Connection) -> None:
        super().__init__(engine)
        self.connection = connection


@contextmanager
def piccolo_joins(engine: PostgresEngine, connection: asyncpg.Connection) -> Iterator[None]:
    """Within the block (and the tasks it awaits), Piccolo's query builder runs on
    `connection`, inside whatever transaction it has open: table-class queries and SQL on
    the connection see the same rows and commit or roll back together. (Every engine shares
    the one current-transaction variable, so this holds whichever engine the tables are
    bound to.)"""
    token = engine.current_transaction.set(_JoinedTransaction(engine, connection))
    try:
        yield
    finally:
        engine.current_transaction.reset(token)
