"""A database's schema as PostgreSQL's catalog describes it, for comparing two databases:
columns (type, nullability, default, generation), constraints and indexes (as the server
writes them back), sequences, functions and triggers of the public schema. And a database
built the way releases before Piccolo's migrations built it.

The migration ledgers (Piccolo's `migration`, the SQL era's `schema_migrations`) are left out:
they record how a database got its schema, not the schema.
"""

from __future__ import annotations

from pathlib import Path

import asyncpg

# The SQL migrations earlier releases shipped (and applied with the runner below).
LEGACY_FILES = sorted(
    (Path(__file__).parent.parent / "fixtures" / "legacy_migrations").glob("*.sql")
)

LEDGERS = ("migration", "schema_migrations")

QUERIES = {
    "columns": """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid), a.attgenerated::text, a.attidentity::text,
               row_number() OVER (PARTITION BY c.relname ORDER BY a.attnum)
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
          AND a.attnum > 0 AND NOT a.attisdropped AND c.relname <> ALL($1)
    """,
    "constraints": """
        SELECT c.relname, k.conname, k.contype::text, pg_get_constraintdef(k.oid)
        FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
        WHERE c.relnamespace = 'public'::regnamespace AND c.relname <> ALL($1)
    """,
    "indexes": """
        SELECT tablename, indexname, indexdef FROM pg_indexes
        WHERE schemaname = 'public' AND tablename <> ALL($1)
    """,
    "sequences": """
        SELECT s.relname, format_type(q.seqtypid, NULL), t.relname, a.attname
        FROM pg_sequence q
        JOIN pg_class s ON s.oid = q.seqrelid
        LEFT JOIN pg_depend d ON d.objid = s.oid AND d.deptype = 'a'
        LEFT JOIN pg_class t ON t.oid = d.refobjid
        LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
        WHERE s.relnamespace = 'public'::regnamespace AND coalesce(t.relname, '') <> ALL($1)
    """,
    "functions": """
        SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p
        WHERE p.pronamespace = 'public'::regnamespace
    """,
    "triggers": """
        SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid)
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal
          AND c.relname <> ALL($1)
    """,
}

Schema = dict[str, set[tuple]]


async def schema_of(dsn: str) -> Schema:
    """Each kind of object, as a set of rows (order-independent, so diffs are short)."""
    connection = await asyncpg.connect(dsn)
    try:
        return {
            kind: {tuple(row) for row in await connection.fetch(query, *ledgers(query))}
            for kind, query in QUERIES.items()
        }
    finally:
        await connection.close()


def ledgers(query: str) -> list[list[str]]:
    return [list(LEDGERS)] if "$1" in query else []


def without_positions(schema: Schema) -> Schema:
    """The schema with column order left out (for comparing with the table classes, whose
    attribute order need not be the order columns were added in)."""
    return {**schema, "columns": {row[:-1] for row in schema["columns"]}}


def differences(left: Schema, right: Schema) -> dict[str, tuple[set[tuple], set[tuple]]]:
    """kind -> (rows only on the left, rows only on the right), for kinds that differ."""
    return {
        kind: (left[kind] - right[kind], right[kind] - left[kind])
        for kind in QUERIES
        if left[kind] != right[kind]
    }


async def migrate_the_sql_way(dsn: str, files: list[Path] = LEGACY_FILES) -> None:
    """What db/migrate.py did before Piccolo's migrations: each file in a transaction,
    recorded in schema_migrations."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations"
            " (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        for file in files:
            async with connection.transaction():
                await connection.execute(file.read_text())
                await connection.execute("INSERT INTO schema_migrations VALUES ($1)", file.name)
    finally:
        await connection.close()
