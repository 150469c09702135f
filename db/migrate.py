"""Apply the Piccolo migrations in db/migrations, each once and in ID order, each committed
together with its row in Piccolo's ledger (the `migration` table).

`piccolo migrations forwards wazify` applies the same modules; this runner is what every
`wazify serve`, `wazify migrate` and test database goes through, and it adds what starting
servers need. Several replicas may start at once: an advisory lock makes them take turns
(Piccolo's runner takes none, and two of them would both create the same tables). A
migration's ledger row commits with it (Piccolo's is written after the commit, so a crash in
between would leave a migration applied but pending). And it adopts the databases that
earlier releases built with plain SQL files: their `schema_migrations` ledger names the
files applied, and the Piccolo migrations that do the same are recorded as applied without
running (Piccolo's "fake"), so an upgrade applies only what is new.
"""

from __future__ import annotations

import asyncio
import importlib
import io
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from types import ModuleType
from typing import TextIO

import asyncpg
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.apps.migrations.tables import Migration
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table, create_table_class

from wazify.db.engine import engine_for_piccolo
from wazify.db.piccolo_app import APP_NAME

log = logging.getLogger(__name__)

# An arbitrary constant: every Wazify process migrating the same database takes this lock.
MIGRATION_LOCK_ID = 7_302_941_118

# Piccolo's migration code looks its engine up in the module PICCOLO_CONF names.
PICCOLO_CONF = "wazify.db.piccolo_conf"

# The SQL files of earlier releases, and the Piccolo migrations that do the same.
LEGACY_MIGRATIONS: dict[str, tuple[str, ...]] = {
    "0001_initial.sql": ("2026-12-03T11:27:13:357951", "2026-12-03T11:27:29:131591"),
    "0002_oauth_states.sql": ("2026-12-03T11:27:57:448420", "2026-12-03T11:27:59:659088"),
    "0003_installation.sql": ("2026-12-03T11:28:06:058812", "2026-12-03T11:28:08:625770"),
    "0004_batched_ingest.sql": ("2026-12-03T11:28:13:442561", "2026-12-03T11:28:50:235588"),
}
# 0004 was first shipped under another name; a database migrated then has that one.
LEGACY_MIGRATIONS["0004_message_copies.sql"] = LEGACY_MIGRATIONS["0004_batched_ingest.sql"]


class MigrationError(Exception):
    """The database holds a schema this version cannot tell how to migrate."""


@dataclass(frozen=True)
class MigrationRun:
    applied: list[str]  # migration ids run now, in order
    adopted: list[str]  # ids recorded without running: the SQL ledger had applied them


def migration_modules() -> dict[str, ModuleType]:
    """Every migration shipped in wazify.db.migrations, by ID, in ID order."""
    folder = resources.files("wazify.db") / "migrations"
    names = [e.name[:-3] for e in folder.iterdir() if e.name.endswith(".py") and e.name[0] != "_"]
    modules = [importlib.import_module(f"wazify.db.migrations.{name}") for name in names]
    return {module.ID: module for module in sorted(modules, key=lambda module: module.ID)}


async def apply_migrations(dsn: str) -> MigrationRun:
    """Adopt an SQL-migrated database's ledger, then apply what is missing."""
    os.environ["PICCOLO_CONF"] = PICCOLO_CONF
    lock = await asyncpg.connect(dsn)
    try:
        await lock.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_ID)
        try:
            # The constructor reads the server's version with a blocking call.
            engine = await asyncio.to_thread(PostgresEngine, config={"dsn": dsn})
            with engine_for_piccolo(engine):
                return await _migrate(engine)
        finally:
            await lock.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_ID)
    finally:
        await lock.close()


async def _migrate(engine: PostgresEngine) -> MigrationRun:
    ledger = ledger_table(engine)
    async with engine.transaction():
        await ledger.create_table(if_not_exists=True)
        adopted = await adopt_sql_ledger(ledger)
    done = set(await already_ran(ledger))
    applied: list[str] = []
    for migration_id, module in migration_modules().items():
        if migration_id in done:
            continue
        manager: MigrationManager = await module.forwards()
        await run_and_record(engine, ledger, manager)
        log.info("applied migration %s (%s)", migration_id, manager.description)
        applied.append(migration_id)
    return MigrationRun(applied=applied, adopted=adopted)


def ledger_table(engine: PostgresEngine) -> type[Table]:
    """Piccolo's ledger table (same columns, same order) on `engine`: Piccolo's own Migration
    class keeps the first engine it meets, and one process may migrate several databases."""
    columns = {column._meta.name: column.copy() for column in Migration._meta.columns}
    kwargs = {"tablename": Migration._meta.tablename, "db": engine}
    return create_table_class("Migration", class_kwargs=kwargs, class_members=columns)


async def already_ran(ledger: type[Table]) -> list[str]:
    query = ledger.select(ledger.name).where(ledger.app_name == APP_NAME)
    return await query.output(as_list=True)


async def adopt_sql_ledger(ledger: type[Table]) -> list[str]:
    """Record as applied the Piccolo migrations matching the SQL files `schema_migrations`
    lists (the ledger stays, untouched: an older release still reads it as up to date)."""
    found = await ledger.raw("SELECT to_regclass('schema_migrations') IS NOT NULL AS found")
    if not found[0]["found"]:
        return []
    rows = await ledger.raw("SELECT name FROM schema_migrations ORDER BY name")
    names = [row["name"] for row in rows]
    unknown = [name for name in names if name not in LEGACY_MIGRATIONS]
    if unknown:
        raise MigrationError(
            "schema_migrations lists SQL migrations this version of Wazify does not know: "
            + ", ".join(unknown)
        )
    done = set(await already_ran(ledger))
    matching = dict.fromkeys(i for name in names for i in LEGACY_MIGRATIONS[name])
    adopted = [migration_id for migration_id in matching if migration_id not in done]
    if adopted:
        await ledger.insert(*(ledger(name=i, app_name=APP_NAME) for i in adopted))
        log.info("recorded %d migrations the SQL migrations had applied", len(adopted))
    return adopted


async def run_and_record(
    engine: PostgresEngine, ledger: type[Table], manager: MigrationManager
) -> None:
    """Run one migration and write its ledger row, in one transaction unless the migration
    asked for none (wrap_in_transaction=False, e.g. for CREATE INDEX CONCURRENTLY)."""
    record = ledger.insert(ledger(name=manager.migration_id, app_name=APP_NAME))
    if not manager.wrap_in_transaction:
        with piccolo_quiet():
            await manager.run()
        await record
        return
    async with engine.transaction():
        with piccolo_quiet():
            await manager.run()
        await record


class _Stdout:
    saved: TextIO = sys.stdout
    quieted = 0


@contextmanager
def piccolo_quiet() -> Iterator[None]:
    """Silence MigrationManager.run's progress prints (a server's output is its log).

    Counted rather than nested like redirect_stdout: the migrations of two databases may
    interleave in one process (tests), and only the last one out may restore stdout."""
    if _Stdout.quieted == 0:
        _Stdout.saved, sys.stdout = sys.stdout, io.StringIO()
    _Stdout.quieted += 1
    try:
        yield
    finally:
        _Stdout.quieted -= 1
        if _Stdout.quieted == 0:
            sys.stdout = _Stdout.saved
