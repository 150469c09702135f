"""What every CLI verb shares: settings, the resolved database, a runtime, clear errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar
from urllib.parse import urlsplit

import asyncpg

from wazify.actions.uow import Actor
from wazify.db.migrate import MigrationError, MigrationRun, apply_migrations
from wazify.embedded import EmbeddedError, resolve_settings
from wazify.lib.redact import redact_url
from wazify.runtime import Runtime, open_runtime
from wazify.settings import Settings, load_settings

T = TypeVar("T")

CLI_ACTOR = Actor.system("cli")


class CliError(Exception):
    """A mistake or an unreachable dependency, reported as one line."""


def resolved_settings() -> Settings:
    try:
        return resolve_settings(load_settings())
    except EmbeddedError as error:
        raise CliError(str(error)) from None


async def check_database(dsn: str) -> None:
    """Fail early, naming the database with its password hidden."""
    try:
        connection = await asyncio.wait_for(asyncpg.connect(dsn), timeout=10)
    except (
        TimeoutError,
        OSError,
        ValueError,  # a DSN asyncpg cannot use (a bad sslmode, ...)
        asyncpg.PostgresError,
        asyncpg.InterfaceError,
    ) as error:
        reason = str(error) or type(error).__name__
        password = urlsplit(dsn).password
        if password:
            reason = reason.replace(password, "***")
        raise CliError(f"cannot reach the database at {redact_url(dsn)}: {reason}") from None
    await connection.close()


async def migrate(dsn: str) -> MigrationRun:
    try:
        return await apply_migrations(dsn)
    except MigrationError as error:
        raise CliError(f"cannot migrate the database at {redact_url(dsn)}: {error}") from None


@asynccontextmanager
async def cli_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    dsn = settings.database_url or ""
    await check_database(dsn)
    await migrate(dsn)
    runtime = await open_runtime(settings, dsn, settings.token_keys, pool_max=4)
    try:
        yield runtime
    finally:
        await runtime.close()


def run_with_runtime(work: Callable[[Runtime], Awaitable[T]]) -> T:
    settings = resolved_settings()

    async def main() -> T:
        async with cli_runtime(settings) as runtime:
            return await work(runtime)

    return asyncio.run(main())
