"""Shared fixtures: a real PostgreSQL and, where one can be had, a real Redis.

Postgres: WAZIFY_TEST_DATABASE_URL (an admin URL, e.g. postgresql://postgres@127.0.0.1/postgres)
or, when unset, an embedded server (pgserver) started for the run. Each run works in a
database of its own, created and migrated once, and every test starts from empty tables.

Redis: WAZIFY_TEST_REDIS_URL, or a private redis-server started on a spare port when the
binary exists; otherwise Redis tests skip with a loud reason. With WAZIFY_TEST_STRICT=1
(what .ci/run sets) every skip is a failure: CI must not skip anything.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from tests.support.services import (
    RedisServer,
    create_database,
    drop_database,
    embedded_admin_url,
    start_private_redis,
)
from wazify.db.engine import bind_tables
from wazify.db.migrate import apply_migrations
from wazify.lib.crypto import generate_key
from wazify.realtime.broker import InProcessBroker
from wazify.runtime import Runtime, open_runtime
from wazify.settings import Settings

STRICT = os.environ.get("WAZIFY_TEST_STRICT") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if STRICT and report.skipped:
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped under WAZIFY_TEST_STRICT=1 (CI must run everything): {reason}"


@pytest.fixture(scope="session")
def admin_database_url() -> Iterator[str]:
    url = os.environ.get("WAZIFY_TEST_DATABASE_URL")
    if url:
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="wazify-test-pg-") as folder:
        yield from embedded_admin_url(folder)


@pytest.fixture(scope="session")
async def database_url(admin_database_url: str) -> AsyncIterator[str]:
    name = f"wazify_test_{secrets.token_hex(4)}"
    url = await create_database(admin_database_url, name)
    await apply_migrations(url)
    yield url
    await drop_database(admin_database_url, name)


@pytest.fixture(scope="session")
def token_key() -> str:
    return generate_key()


@pytest.fixture(scope="session")
def settings(
    database_url: str, token_key: str, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("data"),
        token_keys=(token_key,),
        meta_app_id="1234567890",
        meta_app_secrets=("3f1b2c4d5e6f708192a3b4c5d6e7f809", "second-secret-for-rotation"),
        meta_verify_token="verify-me",
        public_url="http://localhost:8000",
    )


@pytest.fixture(scope="session")
async def shared_runtime(settings: Settings, database_url: str) -> AsyncIterator[Runtime]:
    runtime = await open_runtime(
        settings, database_url, settings.token_keys, broker=InProcessBroker()
    )
    yield runtime
    await runtime.close()


TABLES = (
    "workspaces, workspace_counters, users, memberships, sessions, api_tokens, invitations,"
    " login_attempts, ig_accounts, contacts, conversations, messages, reactions,"
    " deferred_effects, read_positions, events, audit_entries, webhook_receipts, oauth_states,"
    " import_jobs, deletion_jobs, data_deletion_requests, content_scrubs, export_jobs,"
    " notes, note_mentions, labels, conversation_labels, canned_responses"
)
# What survives a test: Piccolo's record of applied migrations and the installation's id.
KEPT_TABLES = ("migration", "installation")
_EMPTYING: dict[str, str] = {}


async def _emptying_statement(pool: asyncpg.Pool) -> str:
    """Every table emptied and its ids restarted, in one round trip of plain DELETEs with the
    foreign keys' triggers off (session_replication_role: the tests' user is a superuser).
    Measured: about 2 ms, where TRUNCATE of the same ~40 tables took about 300 ms per test
    (a new file per table and index, fsynced at commit): 7 minutes of a 1,500-test run."""
    tables = [
        row["tablename"]
        for row in await pool.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            " AND tablename <> ALL($1::text[]) ORDER BY tablename",
            list(KEPT_TABLES),
        )
    ]
    sequences = await pool.fetch(
        "SELECT s.relname FROM pg_class s JOIN pg_depend d ON d.objid = s.oid"
        " AND d.deptype IN ('a', 'i') JOIN pg_class t ON t.oid = d.refobjid"
        " WHERE s.relkind = 'S' AND t.relname = ANY($1::text[]) ORDER BY 1",
        tables,
    )
    restarts = ", ".join(f"setval('\"{row['relname']}\"', 1, false)" for row in sequences)
    return (
        "SET LOCAL session_replication_role = replica;"
        + "".join(f'DELETE FROM "{table}";' for table in tables)
        + (f"SELECT {restarts};" if restarts else "")
    )


async def empty_tables(pool: asyncpg.Pool, database_url: str) -> None:
    if database_url not in _EMPTYING:
        _EMPTYING[database_url] = await _emptying_statement(pool)
    try:
        # One implicit transaction: SET LOCAL ends with it.
        await pool.execute(_EMPTYING[database_url])
    except asyncpg.InsufficientPrivilegeError:
        # Not a superuser (a database someone lent the suite): the slow, sure way.
        await pool.execute(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")


@pytest.fixture
async def runtime(shared_runtime: Runtime, database_url: str) -> Runtime:
    """The session's runtime over empty tables (and the tables' queries on its pool: a test
    that opened another runtime bound them to that one's engine, closed since)."""
    bind_tables(shared_runtime.engine)
    for attempt in range(3):
        try:
            await empty_tables(shared_runtime.engine.pool, database_url)
            break
        except asyncpg.DeadlockDetectedError:
            # A transaction still finishing from the previous test's server (a worker's last
            # round) can hold rows of one table and want another's. Postgres picks a victim;
            # once that round is over, emptying works.
            if attempt == 2:
                raise
            await asyncio.sleep(0.2)
    return shared_runtime


@pytest.fixture
async def db(runtime: Runtime) -> AsyncIterator[asyncpg.Connection]:
    """A plain connection for assertions on rows."""
    async with runtime.engine.pool.acquire() as connection:
        yield connection


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    url = os.environ.get("WAZIFY_TEST_REDIS_URL")
    if url:
        yield RedisServer(url=url, process=None)
        return
    server = start_private_redis()
    if server is None:
        pytest.skip(
            "!!! Redis tests SKIPPED: no WAZIFY_TEST_REDIS_URL and no redis-server binary "
            "on PATH (install redis-server to run them)"
        )
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    return redis_server.url
