"""Migrations on a real PostgreSQL: from an empty database, idempotent, safe when several
processes start at once; and the Piccolo tables kept in step with the SQL schema."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.support.services import create_database, drop_database
from wazify.db.migrate import apply_migrations, migration_files
from wazify.db.tables import ALL_TABLES
from wazify.runtime import Runtime

CREATE_TABLE = re.compile(
    r"^\s*CREATE TABLE (?:IF NOT EXISTS )?(\w+)", re.MULTILINE | re.IGNORECASE
)

# Piccolo's column_type -> PostgreSQL's format_type() of the column the SQL creates.
PICCOLO_TO_SQL = {
    "BIGSERIAL": "bigint",
    "SERIAL": "integer",
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "SMALLINT": "smallint",
    "TEXT": "text",
    "VARCHAR": "character varying",
    "BOOLEAN": "boolean",
    "TIMESTAMPTZ": "timestamp with time zone",
    "TIMESTAMP": "timestamp without time zone",
    "DATE": "date",
    "JSONB": "jsonb",
    "JSON": "json",
    "BYTEA": "bytea",
    "UUID": "uuid",
    "DOUBLE PRECISION": "double precision",
    "REAL": "real",
    "NUMERIC": "numeric",
    "TEXT[]": "text[]",
    "BIGINT[]": "bigint[]",
    "INTEGER[]": "integer[]",
}

COLUMNS_SQL = """
SELECT c.relname AS table_name, a.attname AS column_name,
       format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
       a.attgenerated <> '' AS generated
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
"""


def sql_table_names() -> set[str]:
    names: set[str] = set()
    for _, sql in migration_files():
        names.update(name.lower() for name in CREATE_TABLE.findall(sql))
    return names


async def public_tables(connection: asyncpg.Connection) -> set[str]:
    rows = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {row["tablename"] for row in rows}


@pytest.fixture
async def empty_database(admin_database_url: str) -> AsyncIterator[str]:
    name = f"wazify_mig_{secrets.token_hex(4)}"
    url = await create_database(admin_database_url, name)
    try:
        yield url
    finally:
        await drop_database(admin_database_url, name)


def test_migration_files_ship_with_the_package_in_order() -> None:
    names = [name for name, _ in migration_files()]
    assert names, "no migration found in wazify.db/migrations"
    assert names[0] == "0001_initial.sql"
    assert names == sorted(names)
    assert all(re.fullmatch(r"\d{4}_[a-z0-9_]+\.sql", name) for name in names), names


async def test_apply_to_an_empty_database_creates_every_table(empty_database: str) -> None:
    connection = await asyncpg.connect(empty_database)
    try:
        assert await public_tables(connection) == set()
        applied = await apply_migrations(empty_database)
        assert applied == [name for name, _ in migration_files()]
        expected = {table._meta.tablename for table in ALL_TABLES}
        assert expected <= sql_table_names()
        assert await public_tables(connection) == sql_table_names() | {"schema_migrations"}
        ledger = await connection.fetch("SELECT name FROM schema_migrations ORDER BY name")
        assert [row["name"] for row in ledger] == applied
        # The schema works: a workspace and its counter, with the CHECK on slugs.
        workspace_id = await connection.fetchval(
            "INSERT INTO workspaces (slug, name) VALUES ('acme', 'Acme') RETURNING id"
        )
        await connection.execute(
            "INSERT INTO workspace_counters (workspace_id) VALUES ($1)", workspace_id
        )
        with pytest.raises(asyncpg.CheckViolationError):
            await connection.execute("INSERT INTO workspaces (slug, name) VALUES ('Bad Slug', '')")
    finally:
        await connection.close()


async def test_second_run_applies_nothing(empty_database: str) -> None:
    first = await apply_migrations(empty_database)
    assert first
    assert await apply_migrations(empty_database) == []
    connection = await asyncpg.connect(empty_database)
    try:
        count = await connection.fetchval("SELECT count(*) FROM schema_migrations")
    finally:
        await connection.close()
    assert count == len(first)


async def test_concurrent_starts_apply_each_migration_once(empty_database: str) -> None:
    results = await asyncio.gather(*(apply_migrations(empty_database) for _ in range(3)))
    everything = [name for name, _ in migration_files()]
    assert sorted(results, key=len) == [[], [], everything]
    connection = await asyncpg.connect(empty_database)
    try:
        rows = await connection.fetch(
            "SELECT name, count(*) AS n FROM schema_migrations GROUP BY name ORDER BY name"
        )
        # The advisory lock was released: another session can take it at once.
        assert await connection.fetchval("SELECT pg_try_advisory_lock(7302941118)")
    finally:
        await connection.close()
    assert [(row["name"], row["n"]) for row in rows] == [(name, 1) for name in everything]


async def test_every_piccolo_table_selects_all_its_columns(runtime: Runtime) -> None:
    # The runtime fixture bound every table to the migrated test database.
    for table in ALL_TABLES:
        rows = await table.select(*table._meta.columns)
        # Tests start from empty tables, except the installation's one row (its id).
        assert len(rows) == (1 if table._meta.tablename == "installation" else 0), table.__name__


async def test_piccolo_tables_match_the_sql_schema(runtime: Runtime) -> None:
    rows = await runtime.engine.pool.fetch(COLUMNS_SQL)
    schema: dict[str, dict[str, asyncpg.Record]] = {}
    for row in rows:
        schema.setdefault(row["table_name"], {})[row["column_name"]] = row

    mirrored = {table._meta.tablename for table in ALL_TABLES}
    assert len(mirrored) == len(ALL_TABLES), "two Piccolo tables name the same SQL table"
    assert set(schema) - {"schema_migrations"} == mirrored, "every SQL table has a Piccolo table"

    problems: list[str] = []
    for table in ALL_TABLES:
        name = table._meta.tablename
        sql_columns = schema[name]
        declared = {column._meta.db_column_name: column for column in table._meta.columns}
        for column_name in declared.keys() - sql_columns.keys():
            problems.append(f"{name}.{column_name}: declared in Piccolo, absent from the SQL")
        for column_name in sql_columns.keys() - declared.keys():
            if not sql_columns[column_name]["generated"]:  # generated columns are SQL-only
                problems.append(f"{name}.{column_name}: in the SQL, missing from Piccolo")
        for column_name, column in declared.items():
            row = sql_columns.get(column_name)
            if row is None:
                continue
            piccolo_type = column.column_type.upper()
            expected = PICCOLO_TO_SQL.get(piccolo_type)
            if expected is None:
                problems.append(f"{name}.{column_name}: add {piccolo_type} to PICCOLO_TO_SQL")
            elif expected != row["type"]:
                problems.append(f"{name}.{column_name}: Piccolo {piccolo_type}, SQL {row['type']}")
            # Piccolo's ForeignKey is nullable by default; the SQL is the truth for those.
            if column.__class__.__name__ != "ForeignKey" and column._meta.null != row["nullable"]:
                problems.append(
                    f"{name}.{column_name}: Piccolo null={column._meta.null},"
                    f" SQL nullable={row['nullable']}"
                )
    assert problems == []
