"""Apply the SQL migrations in db/migrations/ in name order, each once, each in a transaction.

Why plain SQL files rather than Piccolo's auto-migrations: the schema needs partial and
expression indexes, a generated tsvector column and CHECK constraints that Piccolo's
migration DSL cannot express, and several replicas may start at once (an advisory lock
makes them take turns). The Piccolo tables in db/tables mirror these files; a test keeps
the two in step.
"""

from __future__ import annotations

from importlib import resources

import asyncpg

# An arbitrary constant: every Wazify process migrating the same database takes this lock.
MIGRATION_LOCK_ID = 7_302_941_118

CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    name       text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


def migration_files() -> list[tuple[str, str]]:
    """(name, sql) of every migration shipped with the package, in order."""
    folder = resources.files("wazify.db") / "migrations"
    entries = [entry for entry in folder.iterdir() if entry.name.endswith(".sql")]
    return [(entry.name, entry.read_text()) for entry in sorted(entries, key=lambda e: e.name)]


async def pending_migrations(connection: asyncpg.Connection) -> list[str]:
    await connection.execute(CREATE_LEDGER)
    applied = {row["name"] for row in await connection.fetch("SELECT name FROM schema_migrations")}
    return [name for name, _ in migration_files() if name not in applied]


async def apply_migrations(dsn: str) -> list[str]:
    """Apply what is missing; return the names applied (empty when up to date)."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_ID)
        try:
            todo = set(await pending_migrations(connection))
            applied: list[str] = []
            for name, sql in migration_files():
                if name not in todo:
                    continue
                async with connection.transaction():
                    await connection.execute(sql)
                    await connection.execute(
                        "INSERT INTO schema_migrations (name) VALUES ($1)", name
                    )
                applied.append(name)
            return applied
        finally:
            await connection.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_ID)
    finally:
        await connection.close()
