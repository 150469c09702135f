"""Fixtures for the privacy features: the real app on a real port (websockets, workers), a
shop with an Instagram account, an admin and an agent, signed webhook deliveries, and a
scan of every text-like column of every table."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.live import Address, live_server
from tests.support.services import free_port
from tests.support.world import Member, World
from tests.webhooks.conftest import SECRET
from wazify.actions.accounts import do_register_account
from wazify.actions.uow import Actor, unit_of_work
from wazify.app import create_app
from wazify.fakemeta.webhooks import ACCOUNT, body, encode_body, entry, signed
from wazify.lib.passwords import hash_password
from wazify.runtime import Runtime
from wazify.settings import Settings

SYSTEM = Actor.system("test")
TEXT_TYPES = ("text", "jsonb", "json", "bytea", "ARRAY", "character varying")


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password("correct horse battery staple")


@pytest.fixture
def world(runtime: Runtime, password_hash: str) -> World:
    return World(runtime, password_hash)


@dataclass
class Shop:
    address: Address
    app: object
    http: httpx.AsyncClient
    runtime: Runtime
    workspace_id: int
    account_id: int
    admin: Member
    agent: Member

    async def deliver(self, *items: dict, account: str = ACCOUNT) -> None:
        """One signed delivery of these messaging items; returns once processed."""
        raw = encode_body(body([entry(account, list(items))]))
        response = await self.http.post(
            "/webhooks/instagram", content=raw, headers=signed(raw, SECRET)
        )
        assert response.status_code == 200, response.text
        await settle(self.runtime)

    async def stop(self) -> None:
        """Stop the server (a restart's first half): its workers stop with it."""
        await self.address.stop()

    async def bootstrap(self, member: Member) -> dict:
        response = await self.http.get("/api/v1/bootstrap", headers=member.headers)
        assert response.status_code == 200, response.text
        return response.json()


async def settle(runtime: Runtime, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while await runtime.engine.pool.fetchval(
            "SELECT count(*) FROM webhook_receipts WHERE state = 'pending'"
        ):
            await asyncio.sleep(0.01)


@pytest.fixture
async def shop(settings: Settings, runtime: Runtime, world: World) -> AsyncIterator[Shop]:
    workspace_id = await world.workspace("shop")
    async with unit_of_work(runtime, SYSTEM) as uow:
        account = await do_register_account(uow, workspace_id, ig_id=ACCOUNT, username="shop")
    admin = await world.member(workspace_id, "admin@example.com", "admin")
    agent = await world.member(workspace_id, "agent@example.com", "agent")
    app = create_app(settings, runtime=runtime)
    async with (
        live_server(app) as address,
        httpx.AsyncClient(base_url=f"http://{address}") as http,
    ):
        yield Shop(address, app, http, runtime, workspace_id, account.id, admin, agent)


async def text_columns(db) -> list[tuple[str, str, str]]:
    """(table, column, type) of every column that can hold words, in every table."""
    rows = await db.fetch(
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = 'public' AND data_type = ANY($1::text[])"
        " ORDER BY table_name, column_name",
        list(TEXT_TYPES),
    )
    return [(row["table_name"], row["column_name"], row["data_type"]) for row in rows]


async def find_everywhere(db, needle: str) -> list[str]:
    """Every table.column whose value contains `needle` (bytes decoded as UTF-8)."""
    found = []
    for table, column, kind in await text_columns(db):
        test = f'strpos("{column}"::text, $1) > 0'
        if kind == "bytea":
            test = f"position(convert_to($1, 'UTF8') IN \"{column}\") > 0"
        count = await db.fetchval(f'SELECT count(*) FROM "{table}" WHERE {test}', needle)
        if count:
            found.append(f"{table}.{column} ({count})")
    return found


def cli_environment(runtime: Runtime, **env: str) -> dict[str, str]:
    """The environment of a `wazify` process on the test database: the shell's own
    Wazify and Meta settings left out, the test run's database, key, data folder and
    app secrets in."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("WAZIFY_", "META_")) and key not in ("DATABASE_URL", "REDIS_URL")
    }
    return environment | {
        "DATABASE_URL": runtime.dsn,
        "WAZIFY_TOKEN_KEYS": ",".join(runtime.settings.token_keys),
        "WAZIFY_DATA_DIR": str(runtime.settings.data_dir),
        "META_APP_SECRETS": ",".join(runtime.settings.meta_app_secrets),
        **env,
    }


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


async def run_cli(runtime: Runtime, cwd: Path, *args: str, **env: str) -> CliResult:
    """`wazify ...` in a process of its own, on the test database (as an operator runs it)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wazify.cli", *args, cwd=cwd, env=cli_environment(runtime, **env),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    async with asyncio.timeout(60):
        out, err = await process.communicate()
    assert process.returncode is not None
    return CliResult(process.returncode, out.decode(), err.decode())


@asynccontextmanager
async def wazify_serve(runtime: Runtime, cwd: Path, **env: str) -> AsyncIterator[str]:
    """`wazify serve` in a process of its own on the test database: a restarted server.
    Yields its address; stopped (SIGTERM, as a service manager does) on exit."""
    port = free_port()
    environment = cli_environment(runtime, WAZIFY_PORT=str(port), WAZIFY_SEND_WORKER="0", **env)
    # Its log goes to a file: a pipe nobody reads while it runs would block it once full.
    log_path = cwd / f"serve-{port}.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "wazify.cli", "serve", cwd=cwd, env=environment,
            stdout=asyncio.subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
    address = f"127.0.0.1:{port}"
    try:
        async with asyncio.timeout(30), httpx.AsyncClient() as client:
            while True:
                if process.returncode is not None:
                    raise AssertionError(log_path.read_text())
                try:
                    if (await client.get(f"http://{address}/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        yield address
    except BaseException:
        print(f"--- the server's log (tail) ---\n{log_path.read_text()[-6000:]}")
        raise
    finally:
        if process.returncode is None:
            process.terminate()
        async with asyncio.timeout(30):
            await process.wait()
