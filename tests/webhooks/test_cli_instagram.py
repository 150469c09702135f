"""`wazify instagram add` and `resync`, run as an operator runs them: a subprocess
configured by the environment, in a folder without a .env file, on a fresh migrated
database (and, for resync, the fake Graph API in a thread)."""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import pytest

from tests.support.services import create_database, drop_database
from wazify.db.migrate import apply_migrations
from wazify.fakemeta.graph import run_fake_graph_in_thread
from wazify.fakemeta.items import now_ms
from wazify.fakemeta.webhooks import ACCOUNT, ACCOUNT_B
from wazify.lib.crypto import DecryptionError, TokenCipher, generate_key

TOKEN = "IGAAJx7-long-lived-instagram-user-token-0123456789abcdef"
# What a developer's shell may set that would change what the CLI does.
CLEARED = ("DATABASE_URL", "REDIS_URL", "WAZIFY_TOKEN_KEYS", "WAZIFY_DATA_DIR", "META_GRAPH_URL")


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


@dataclass
class Cli:
    database_url: str
    key: str
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)  # more settings (META_GRAPH_URL)

    async def __call__(self, *args: str, stdin: str = "") -> Run:
        env = {name: value for name, value in os.environ.items() if name not in CLEARED}
        env |= {"DATABASE_URL": self.database_url, "WAZIFY_TOKEN_KEYS": self.key, **self.env}
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "wazify.cli",
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=self.cwd,
            env=env,
        )
        async with asyncio.timeout(60):
            out, err = await process.communicate(stdin.encode())
        assert process.returncode is not None
        return Run(process.returncode, out.decode(), err.decode())

    async def add(self, *args: str, stdin: str = "") -> Run:
        return await self("instagram", "add", *args, stdin=stdin)


@pytest.fixture
async def fresh_database(admin_database_url: str) -> AsyncIterator[str]:
    name = f"wazify_cli_ig_{secrets.token_hex(4)}"
    url = await create_database(admin_database_url, name)
    await apply_migrations(url)
    yield url
    await drop_database(admin_database_url, name)


@pytest.fixture
async def cli(fresh_database: str, tmp_path: Path) -> Cli:
    tool = Cli(fresh_database, generate_key(), tmp_path)
    created = await tool("workspace", "create", "--slug", "shop", "--name", "Linen Shop")
    assert (created.code, created.stdout) == (0, "created workspace shop\n"), created.stderr
    return tool


@pytest.fixture
async def db(fresh_database: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(fresh_database)
    yield connection
    await connection.close()


def one_error(run: Run) -> str:
    """A mistake is one line on stderr with exit status 1, never a traceback."""
    assert run.code == 1, (run.code, run.stdout, run.stderr)
    assert "Traceback" not in run.stderr, run.stderr
    [line] = run.stderr.strip().splitlines()
    assert line.startswith("wazify instagram: "), line
    return line.removeprefix("wazify instagram: ")


async def test_add_registers_the_account_with_its_token_encrypted(cli: Cli, db) -> None:
    run = await cli.add(
        "--workspace",
        "shop",
        "--ig-id",
        ACCOUNT,
        "--username",
        "@linen.shop",
        "--token-stdin",
        stdin=TOKEN + "\n",
    )
    assert (run.code, run.stderr) == (0, "")
    assert run.stdout == f"registered @linen.shop ({ACCOUNT}) in shop, with its token (encrypted)\n"
    assert TOKEN not in run.stdout
    row = await db.fetchrow(
        "SELECT a.id, a.ig_id, a.username, a.status, a.access_token_enc, a.token_refreshed_at,"
        " w.slug FROM ig_accounts a JOIN workspaces w ON w.id = a.workspace_id"
    )
    assert (row["ig_id"], row["username"], row["status"], row["slug"]) == (
        ACCOUNT,
        "linen.shop",
        "connected",
        "shop",
    )
    assert row["token_refreshed_at"] is not None
    stored = row["access_token_enc"]
    assert stored != TOKEN and TOKEN not in stored
    cipher = TokenCipher((cli.key,))
    assert cipher.decrypt(stored, f"ig_account:{row['id']}") == TOKEN
    with pytest.raises(DecryptionError):  # bound to this account's row
        cipher.decrypt(stored, f"ig_account:{row['id'] + 1}")
    with pytest.raises(DecryptionError):  # and to the key
        TokenCipher((generate_key(),)).decrypt(stored, f"ig_account:{row['id']}")
    # Registered, audited and announced without the token.
    audit = await db.fetchrow(
        "SELECT action, actor_label, after::text AS after FROM audit_entries"
        " WHERE action <> 'workspace.created'"
    )
    assert (audit["action"], audit["actor_label"]) == ("account.registered", "cli")
    assert TOKEN not in audit["after"]
    assert (
        await db.fetchval("SELECT count(*) FROM events WHERE payload::text LIKE $1", "%IGAA%") == 0
    )
    types = await db.fetch("SELECT type FROM events ORDER BY seq")
    assert [row["type"] for row in types] == ["account.updated"]


async def test_add_without_a_token_stores_none(cli: Cli, db) -> None:
    run = await cli.add("--workspace", "shop", "--ig-id", ACCOUNT_B, "--username", "shop2")
    assert run.code == 0, run.stderr
    assert run.stdout == f"registered @shop2 ({ACCOUNT_B}) in shop, without a token\n"
    assert await db.fetchval("SELECT access_token_enc FROM ig_accounts") is None


async def test_a_duplicate_igid_is_refused_clearly(cli: Cli, db) -> None:
    first = await cli.add("--workspace", "shop", "--ig-id", ACCOUNT, "--username", "shop")
    assert first.code == 0, first.stderr
    again = await cli.add(
        "--workspace",
        "shop",
        "--ig-id",
        ACCOUNT,
        "--username",
        "other",
        "--token-stdin",
        stdin="another-token\n",
    )
    assert one_error(again) == f"Instagram account {ACCOUNT} is already connected"
    rows = await db.fetch("SELECT username, access_token_enc FROM ig_accounts")
    assert [tuple(row) for row in rows] == [("shop", None)]


async def test_an_unknown_workspace_is_refused_clearly(cli: Cli, db) -> None:
    run = await cli.add("--workspace", "nope", "--ig-id", ACCOUNT, "--username", "shop")
    assert one_error(run) == "no workspace with slug 'nope' (see `wazify workspace list`)"
    assert await db.fetchval("SELECT count(*) FROM ig_accounts") == 0


async def test_bad_input_is_refused_clearly(cli: Cli, db) -> None:
    not_digits = await cli.add("--workspace", "shop", "--ig-id", "shop123", "--username", "x")
    assert one_error(not_digits) == "the Instagram account id must be digits, got 'shop123'"
    empty = await cli.add(
        "--workspace", "shop", "--ig-id", ACCOUNT, "--username", "x", "--token-stdin", stdin="\n"
    )
    assert one_error(empty) == "--token-stdin given but standard input held no token"
    # A token goes in an HTTP header: stored with an accent, every later send would fail.
    accented = await cli.add(
        "--workspace",
        "shop",
        "--ig-id",
        ACCOUNT,
        "--username",
        "x",
        "--token-stdin",
        stdin="IGAA\u00e9t\u00e9\n",
    )
    assert one_error(accented) == "the token must be one word of ASCII letters, digits and symbols"
    assert await db.fetchval("SELECT count(*) FROM ig_accounts") == 0


async def test_resync_imports_what_meta_has_and_says_how_it_went(cli: Cli, db) -> None:
    url, fake, stop = run_fake_graph_in_thread()
    try:
        fake.add_token(TOKEN, ACCOUNT)
        missed = fake.history.add_message(
            ACCOUNT, "9800000000000001", "written while we were down", ts_ms=now_ms() - 60_000
        )
        added = await cli.add(
            "--workspace", "shop", "--ig-id", ACCOUNT, "--username", "linen.shop",
            "--token-stdin", stdin=TOKEN + "\n",
        )  # fmt: skip
        assert added.code == 0, added.stderr
        cli.env = {"META_GRAPH_URL": url}
        run = await cli("instagram", "resync", "--workspace", "shop", "--days", "2")
    finally:
        stop()
    assert (run.code, run.stderr) == (0, ""), run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("@linen.shop: resync #1 queued, from ")
    assert lines[-1] == "@linen.shop: done, 1 conversations, 1 new messages"
    assert await db.fetchval("SELECT mid FROM messages") == missed.mid
    job = await db.fetchrow("SELECT trigger, state FROM import_jobs")
    assert tuple(job) == ("manual", "done")
    audit = await db.fetchval(
        "SELECT actor_label FROM audit_entries WHERE action = 'import.queued'"
    )
    assert audit == "cli"


async def test_resync_with_nothing_to_resync_says_so(cli: Cli, db) -> None:
    run = await cli("instagram", "resync", "--workspace", "shop")
    assert one_error(run) == "no connected Instagram account matches (see the Accounts screen)"
    days = await cli("instagram", "resync", "--days", "0")
    assert one_error(days) == "--days must be at least 1"
