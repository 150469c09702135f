"""Wazify's Piccolo migrations, one module each, applied in ID order (docs/migrations.md).

Auto-generated modules carry what Piccolo can express from db/tables; the raw ones carry the
rest as SQL. A MigrationManager runs its raw steps *before* its tables and columns, so SQL
that needs a new table or column goes in a migration of its own, right after.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from piccolo.engine import engine_finder


def sql(*statements: str) -> Callable[[], Awaitable[None]]:
    """A raw step running `statements` in order, in the migration's transaction (one per
    call: asyncpg prepares each, and a prepared statement holds a single command)."""

    async def run() -> None:
        engine = engine_finder()
        for statement in statements:
            await engine.run_ddl(statement)

    return run
