"""Migrations on a real PostgreSQL: Piccolo's migrations build exactly the schema the tables
define (plus the raw SQL steps), the same one the SQL migrations of earlier releases built;
they apply once, safely when several processes start together, through `wazify migrate` and
`piccolo migrations forwards` alike; and a database of the SQL era is adopted, not rebuilt."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from operator import itemgetter
from pathlib import Path

import asyncpg
import pytest
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.apps.migrations.commands.new import AutoMigrationManager
from piccolo.table import sort_table_classes

from tests.support.schema import (
    LEGACY_FILES,
    Schema,
    differences,
    migrate_the_sql_way,
    schema_of,
    without_positions,
)
from tests.support.services import create_database, drop_database
from wazify.db.migrate import (
    LEGACY_MIGRATIONS,
    MIGRATION_LOCK_ID,
    MigrationError,
    apply_migrations,
    migration_modules,
)
from wazify.db.piccolo_app import APP_CONFIG
from wazify.db.tables import ALL_TABLES
from wazify.runtime import Runtime

ALL_IDS = list(migration_modules())
# The migrations that do what the SQL era's files did (adopted, never run, on such databases).
LEGACY_IDS = list(dict.fromkeys(i for ids in LEGACY_MIGRATIONS.values() for i in ids))

# What the raw SQL steps add to the schema Piccolo derives from the tables.
RAW_INDEXES = {
    "memberships_user", "sessions_user", "api_tokens_workspace", "login_attempts_key",
    "ig_accounts_workspace", "contacts_workspace", "contacts_profile_due", "conversations_recent",
    "conversations_assignee", "conversations_snoozed", "messages_mid", "messages_client_id",
    "assignment_queue_order",
    "messages_history", "messages_outbox", "messages_search", "deferred_effects_mid",
    "events_created", "audit_entries_recent", "audit_entries_actor", "webhook_receipts_pending",
    "webhook_receipts_state", "webhook_receipts_accounts", "oauth_states_expiry",
    "import_jobs_one_active", "import_jobs_due", "import_jobs_account",
    "deletion_jobs_one_active", "deletion_jobs_due", "deletion_jobs_code", "ig_accounts_meta_user",
    "webhook_receipts_received",
    "export_jobs_active", "export_jobs_workspace", "export_jobs_contact", "export_jobs_expiry",
    "notes_conversation", "notes_search", "note_mentions_user", "labels_name",
    "conversation_labels_label", "canned_responses_shortcut",
    "conversations_facts_stale", "report_facts_range", "report_facts_conversation",
    "conversation_status_changes_conversation",
    "uploads_conversation",
}  # fmt: skip
WIDENED_KEYS = {
    ("events", "events_pkey", "PRIMARY KEY (workspace_id, seq)"),
    ("read_positions", "read_positions_pkey", "PRIMARY KEY (user_id, conversation_id)"),
}
PICCOLO_ONLY_KEYS = {
    ("events", "events_pkey", "PRIMARY KEY (seq)"),
    ("read_positions", "read_positions_pkey", "PRIMARY KEY (user_id)"),
    ("login_attempts", "login_attempts_pkey", "PRIMARY KEY (key)"),
}
SEARCH_EXPRESSION = "to_tsvector('simple'::regconfig, COALESCE(text, ''::text))"
SEARCH = ("messages", "search", "tsvector", False, SEARCH_EXPRESSION, "s", "")

Databases = Callable[[], Awaitable[str]]

# The Piccolo migrations that do what the SQL files of earlier releases did; later ones run.
LEGACY_IDS = [i for file in LEGACY_FILES for i in LEGACY_MIGRATIONS[file.name]]


def of_tables(schema: Schema, tables: set[str]) -> Schema:
    """The part of a schema about `tables` (a sequence by its owning table; functions kept)."""
    table_of = {"sequences": lambda row: row[2]}
    return {
        kind: {
            row
            for row in rows
            if kind == "functions" or table_of.get(kind, itemgetter(0))(row) in tables
        }
        for kind, rows in schema.items()
    }


@pytest.fixture
async def databases(admin_database_url: str) -> AsyncIterator[Databases]:
    """Creates empty databases on demand; drops them all afterwards."""
    names: list[str] = []

    async def create() -> str:
        names.append(f"wazify_mig_{secrets.token_hex(4)}")
        return await create_database(admin_database_url, names[-1])

    yield create
    for name in names:
        await drop_database(admin_database_url, name)


async def ledger(dsn: str) -> list[str]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch("SELECT name FROM migration WHERE app_name = 'wazify'")
    finally:
        await connection.close()
    return sorted(row["name"] for row in rows)


async def piccolo_cli(dsn: str, *args: str) -> str:
    """Piccolo's own CLI, configured as docs/migrations.md says."""
    env = {**os.environ, "PICCOLO_CONF": "wazify.db.piccolo_conf", "DATABASE_URL": dsn}
    piccolo = str(Path(sys.executable).with_name("piccolo"))
    process = await asyncio.create_subprocess_exec(
        piccolo, "migrations", *args, env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT, stdin=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()
    return output.decode()


async def test_every_migration_is_a_piccolo_module_in_id_order() -> None:
    modules = migration_modules()
    assert ALL_IDS, "no migration found in wazify.db.migrations"
    assert sorted(ALL_IDS) == ALL_IDS
    for migration_id, module in modules.items():
        name = module.__name__.rsplit(".", 1)[-1]
        # Piccolo's file naming: its CLI lists and runs files by ID, ours by module.
        assert name == "wazify_" + re.sub("[-:]", "_", migration_id).lower()
        assert module.VERSION and module.DESCRIPTION
        manager = await module.forwards()
        assert isinstance(manager, MigrationManager)
        assert (manager.migration_id, manager.app_name) == (migration_id, "wazify")


def test_every_sql_file_of_earlier_releases_maps_to_the_first_migrations() -> None:
    assert {file.name for file in LEGACY_FILES} <= LEGACY_MIGRATIONS.keys()
    mapped = [i for file in LEGACY_FILES for i in LEGACY_MIGRATIONS[file.name]]
    assert mapped == ALL_IDS[: len(mapped)]


async def test_the_tables_need_no_new_migration() -> None:
    # What `piccolo migrations new wazify --auto` compares: the tables against the schema
    # the migrations build up. Nothing to generate means the two agree.
    statements = await AutoMigrationManager().get_alter_statements(app_config=APP_CONFIG)
    assert [s.statements for s in statements if s.statements] == []


async def test_a_fresh_database_matches_the_tables_plus_the_raw_steps(
    runtime: Runtime, database_url: str, databases: Databases
) -> None:
    # The session's database was migrated from empty when the run started; this one gets
    # the tables exactly as Piccolo creates them from the classes, with no migration.
    from_tables = await databases()
    connection = await asyncpg.connect(from_tables)
    try:
        for table in sort_table_classes(list(ALL_TABLES)):
            for statement in table.create_table().ddl:
                await connection.execute(statement)
    finally:
        await connection.close()
    found = differences(
        without_positions(await schema_of(database_url)),
        without_positions(await schema_of(from_tables)),
    )
    assert found.keys() == {"columns", "constraints", "indexes"}, found
    assert found["columns"] == ({SEARCH}, set())
    only_migrated, only_tables = found["constraints"]
    assert {(t, n, d) for t, n, _, d in only_migrated} == WIDENED_KEYS
    assert {(t, n, d) for t, n, _, d in only_tables} == PICCOLO_ONLY_KEYS
    only_migrated, only_tables = found["indexes"]
    assert {name for _, name, _ in only_migrated} == RAW_INDEXES | {
        "events_pkey",
        "read_positions_pkey",
    }
    assert {name for _, name, _ in only_tables} == {name for _, name, _ in PICCOLO_ONLY_KEYS}


async def test_apply_to_an_empty_database_creates_every_table(databases: Databases) -> None:
    url = await databases()
    run = await apply_migrations(url)
    assert (run.applied, run.adopted) == (ALL_IDS, [])
    assert await ledger(url) == ALL_IDS
    connection = await asyncpg.connect(url)
    try:
        tables = {r["tablename"] for r in await connection.fetch("SELECT tablename FROM pg_tables")}
        assert {table._meta.tablename for table in ALL_TABLES} | {"migration"} <= tables
        assert "schema_migrations" not in tables
        installation = await connection.fetchval("SELECT id FROM installation")
        assert re.fullmatch("[0-9a-f]{16}", installation)
        workspace_id = await connection.fetchval(
            "INSERT INTO workspaces (slug, name) VALUES ('acme', 'Acme') RETURNING id"
        )
        await connection.execute("INSERT INTO workspace_counters VALUES ($1)", workspace_id)
        with pytest.raises(asyncpg.CheckViolationError):
            await connection.execute("INSERT INTO workspaces (slug, name) VALUES ('Bad Slug', '')")
    finally:
        await connection.close()


async def test_second_run_applies_nothing(database_url: str) -> None:
    # The session's database was migrated when the run started.
    run = await apply_migrations(database_url)
    assert (run.applied, run.adopted) == ([], [])
    assert await ledger(database_url) == ALL_IDS


async def test_concurrent_starts_apply_each_migration_once(databases: Databases) -> None:
    url = await databases()
    runs = await asyncio.gather(*(apply_migrations(url) for _ in range(3)))
    assert sorted(len(run.applied) for run in runs) == [0, 0, len(ALL_IDS)]
    assert await ledger(url) == ALL_IDS  # one row each
    connection = await asyncpg.connect(url)
    try:
        # The advisory lock was released: another session can take it at once.
        assert await connection.fetchval("SELECT pg_try_advisory_lock($1)", MIGRATION_LOCK_ID)
    finally:
        await connection.close()


async def test_two_databases_migrate_at_once_in_one_process(
    databases: Databases, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = await databases(), await databases()
    stdout = sys.stdout
    runs = await asyncio.gather(apply_migrations(first), apply_migrations(second))
    assert [run.applied for run in runs] == [ALL_IDS, ALL_IDS]
    assert (await ledger(first), await ledger(second)) == (ALL_IDS, ALL_IDS)
    # Piccolo's progress prints were silenced, and stdout is back as it was.
    assert sys.stdout is stdout
    assert capsys.readouterr().out == ""


async def test_a_database_of_the_sql_era_is_adopted_not_rebuilt(
    database_url: str, databases: Databases
) -> None:
    url, piccolo_era = await databases(), await databases()
    await migrate_the_sql_way(url)
    # The schema is the one the SQL files built, column order included: a dump of either
    # database reads the same but for the ledger (migrations newer than the SQL era apart).
    await piccolo_cli(piccolo_era, "forwards", "wazify", LEGACY_IDS[-1])
    assert differences(await schema_of(url), await schema_of(piccolo_era)) == {}
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("INSERT INTO workspaces (slug, name) VALUES ('kept', 'Kept')")
        installation = await connection.fetchval("SELECT id FROM installation")
        run = await apply_migrations(url)
        assert (run.applied, run.adopted) == (ALL_IDS[len(LEGACY_IDS) :], LEGACY_IDS)
        assert await connection.fetchval("SELECT slug FROM workspaces") == "kept"
        assert await connection.fetchval("SELECT id FROM installation") == installation
    finally:
        await connection.close()
    # The schema is the fresh one, column order included: a dump of either database reads
    # the same but for the ledger.
    assert differences(await schema_of(url), await schema_of(database_url)) == {}
    assert await apply_migrations(url) == type(run)(applied=[], adopted=[])
    status = await piccolo_cli(url, "check")
    assert status.count("| True") == len(ALL_IDS) and "| False" not in status, status


async def test_a_database_partly_migrated_by_sql_gets_the_rest(
    database_url: str, databases: Databases
) -> None:
    url = await databases()
    await migrate_the_sql_way(url, LEGACY_FILES[:3])
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(
            """
            INSERT INTO workspaces (id, slug, name) VALUES (1, 'shop', 'Shop');
            INSERT INTO ig_accounts (id, workspace_id, ig_id) VALUES (1, 1, '17841400000000001');
            INSERT INTO contacts (id, workspace_id, account_id, igsid) VALUES (1, 1, 1, 'c1');
            INSERT INTO conversations (id, workspace_id, account_id, contact_id)
                VALUES (1, 1, 1, 1);
            INSERT INTO messages (id, workspace_id, conversation_id, account_id, direction,
                                  sent_at)
                VALUES (7, 1, 1, 1, 'in', '2026-01-02T03:04:05Z');
            UPDATE conversations SET last_message_id = 7;
            """
        )
        run = await apply_migrations(url)
        first_six = [i for file in LEGACY_FILES[:3] for i in LEGACY_MIGRATIONS[file.name]]
        assert (run.adopted, run.applied) == (first_six, ALL_IDS[len(first_six) :])
        filled = await connection.fetchval("SELECT last_message_at::text FROM conversations")
        assert filled == "2026-01-02 03:04:05+00"
    finally:
        await connection.close()
    assert differences(await schema_of(url), await schema_of(database_url)) == {}


async def test_an_unknown_sql_migration_stops_the_upgrade(databases: Databases) -> None:
    url = await databases()
    await migrate_the_sql_way(url)
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("INSERT INTO schema_migrations VALUES ('0005_labels.sql')")
        with pytest.raises(MigrationError, match=r"does not know: 0005_labels\.sql$"):
            await apply_migrations(url)
        # Nothing was recorded: the ledger's creation rolled back with the refusal.
        assert await connection.fetchval("SELECT to_regclass('migration')") is None
    finally:
        await connection.close()


async def test_piccolo_cli_applies_the_same_migrations(
    database_url: str, databases: Databases
) -> None:
    url = await databases()
    await piccolo_cli(url, "forwards", "wazify")
    assert await ledger(url) == ALL_IDS
    assert differences(await schema_of(url), await schema_of(database_url)) == {}
    # And the runner agrees there is nothing left to do.
    assert (await apply_migrations(url)).applied == []


async def test_every_piccolo_table_selects_all_its_columns(runtime: Runtime) -> None:
    # The runtime fixture bound every table to the migrated test database.
    for table in ALL_TABLES:
        rows = await table.select(*table._meta.columns)
        # Tests start from empty tables, except the installation's one row (its id).
        assert len(rows) == (1 if table._meta.tablename == "installation" else 0), table.__name__
