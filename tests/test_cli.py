"""The `wazify` command, run as a user runs it: in a subprocess, configured by the
environment, in a folder without a .env file. Every mistake is one clear line on stderr
with exit status 1, never a stack trace."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import socket
import stat
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from tests.support.schema import LEGACY_FILES, differences, migrate_the_sql_way, schema_of
from tests.support.services import create_database, drop_database, free_port
from wazify.db.migrate import LEGACY_MIGRATIONS, migration_modules
from wazify.lib.crypto import DecryptionError, TokenCipher, generate_key, key_id
from wazify.lib.passwords import verify_password

PASSWORD = "correct horse battery staple"
# Variables the developer's shell may set that would change what the CLI does.
CLEARED = (
    "DATABASE_URL",
    "REDIS_URL",
    "WAZIFY_TOKEN_KEYS",
    "WAZIFY_DATA_DIR",
    "WAZIFY_PORT",
    "WAZIFY_HOST",
    "WAZIFY_PUBLIC_URL",
    "WAZIFY_LOG_LEVEL",
    "META_GRAPH_URL",
    "META_GRAPH_VERSION",
)


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def one_error_line(self, verb: str) -> str:
        """The single line a mistake prints, without its `wazify <verb>: ` prefix."""
        assert self.code == 1, (self.code, self.stdout, self.stderr)
        assert "Traceback" not in self.stderr, self.stderr
        lines = self.stderr.strip().splitlines()
        assert len(lines) == 1, self.stderr
        prefix = f"wazify {verb}: "
        assert lines[0].startswith(prefix), lines[0]
        return lines[0].removeprefix(prefix)


@dataclass
class Cli:
    database_url: str
    token_keys: str
    cwd: Path

    async def __call__(
        self, *args: str, stdin: str | None = None, env: dict[str, str | None] | None = None
    ) -> Result:
        environment = {k: v for k, v in os.environ.items() if k not in CLEARED}
        environment |= {"DATABASE_URL": self.database_url, "WAZIFY_TOKEN_KEYS": self.token_keys}
        for name, value in (env or {}).items():
            if value is None:
                environment.pop(name, None)
            else:
                environment[name] = value
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "wazify.cli",
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=self.cwd,
            env=environment,
        )
        async with asyncio.timeout(60):
            out, err = await process.communicate((stdin or "").encode())
        assert process.returncode is not None
        return Result(process.returncode, out.decode(), err.decode())


@pytest.fixture(scope="module")
async def cli_database(admin_database_url: str) -> AsyncIterator[str]:
    """A database of the CLI tests' own; the CLI migrates it on first use."""
    name = f"wazify_cli_{secrets.token_hex(4)}"
    url = await create_database(admin_database_url, name)
    yield url
    await drop_database(admin_database_url, name)


@pytest.fixture(scope="module")
def cli_key() -> str:
    return generate_key()


@pytest.fixture
async def cli(cli_database: str, cli_key: str, tmp_path: Path) -> AsyncIterator[Cli]:
    connection = await asyncpg.connect(cli_database)
    try:
        if await connection.fetchval("SELECT to_regclass('public.workspaces') IS NOT NULL"):
            await connection.execute(
                "TRUNCATE workspaces, users, ig_accounts, events, audit_entries"
                " RESTART IDENTITY CASCADE"
            )
    finally:
        await connection.close()
    folder = tmp_path / "cwd"
    folder.mkdir()
    yield Cli(cli_database, cli_key, folder)


@pytest.fixture
async def db(cli_database: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(cli_database)
    yield connection
    await connection.close()


async def make_workspace(cli: Cli, slug: str = "acme") -> None:
    result = await cli("workspace", "create", "--slug", slug, "--name", slug.title())
    assert result.code == 0, result.stderr
    assert result.stdout == f"created workspace {slug}\n"


async def make_user(cli: Cli, email: str, role: str, workspace: str = "acme") -> None:
    result = await cli(
        "user",
        "create",
        "--workspace",
        workspace,
        "--email",
        email,
        "--role",
        role,
        stdin=f"{PASSWORD}\n",
    )
    assert result.code == 0, result.stderr


async def test_help_lists_every_verb(cli: Cli) -> None:
    result = await cli("--help")
    assert result.code == 0
    for verb in ("serve", "migrate", "workspace", "user", "keys"):
        assert re.search(rf"^\s+{verb}\b", result.stdout, re.MULTILINE), verb
    for verb, actions in {
        "workspace": ("create", "list"),
        "user": ("create", "list", "set-role", "deactivate"),
        "keys": ("generate", "add", "rotate"),
    }.items():
        result = await cli(verb, "--help")
        assert result.code == 0
        for action in actions:
            assert re.search(rf"^\s+{action}\b", result.stdout, re.MULTILINE), (verb, action)
    result = await cli("serve", "--help")
    assert "--workers" in result.stdout and "REDIS_URL" in result.stdout


async def test_usage_mistakes_are_argparse_errors_without_traceback(cli: Cli) -> None:
    for args in ((), ("frobnicate",), ("user", "create", "--workspace", "acme")):
        result = await cli(*args)
        assert result.code == 2
        assert "usage: wazify" in result.stderr
        assert "Traceback" not in result.stderr
    result = await cli("user", "create", "--workspace", "acme", "--email", "a@example.com")
    assert "the following arguments are required: --role" in result.stderr


async def test_workspace_create_and_list(cli: Cli, db: asyncpg.Connection) -> None:
    await make_workspace(cli, "acme")
    await make_workspace(cli, "beta-2")
    await make_user(cli, "a@example.com", "admin", "acme")
    result = await cli("workspace", "list")
    assert result.code == 0
    assert result.stdout == "acme\tAcme\t1 active members\nbeta-2\tBeta-2\t0 active members\n"
    rows = await db.fetch(
        "SELECT w.slug, c.last_seq FROM workspaces w"
        " JOIN workspace_counters c ON c.workspace_id = w.id ORDER BY w.slug"
    )
    assert [(row["slug"], row["last_seq"]) for row in rows] == [("acme", 1), ("beta-2", 0)]
    audit = await db.fetch(
        "SELECT actor_label, action FROM audit_entries WHERE action = 'workspace.created'"
    )
    assert [(row["actor_label"], row["action"]) for row in audit] == [
        ("cli", "workspace.created")
    ] * 2


async def test_duplicate_slug_is_one_clear_line(cli: Cli, db: asyncpg.Connection) -> None:
    await make_workspace(cli)
    result = await cli("workspace", "create", "--slug", "acme")
    assert result.one_error_line("workspace") == "a workspace with slug 'acme' already exists"
    assert await db.fetchval("SELECT count(*) FROM workspaces") == 1


async def test_bad_slug(cli: Cli, db: asyncpg.Connection) -> None:
    for slug in ("Acme", "-acme", "acme corp", "a" * 64):
        result = await cli("workspace", "create", f"--slug={slug}")
        message = result.one_error_line("workspace")
        assert message.startswith(f"workspace slug {slug!r} must be 1 to 63 lowercase"), message
    assert await db.fetchval("SELECT count(*) FROM workspaces") == 0


async def test_user_create_reads_the_password_from_stdin(cli: Cli, db: asyncpg.Connection) -> None:
    await make_workspace(cli)
    result = await cli(
        "user",
        "create",
        "--workspace",
        "acme",
        "--email",
        " Ada@Example.COM ",
        "--role",
        "admin",
        "--name",
        "Ada",
        stdin=f"{PASSWORD}\n",
    )
    assert result.code == 0, result.stderr
    assert result.stdout == "created ada@example.com as admin in acme\n"
    assert PASSWORD not in result.stdout + result.stderr
    row = await db.fetchrow(
        "SELECT u.email, u.name, u.password_hash, u.password_changed_at, m.role, m.active"
        " FROM users u JOIN memberships m ON m.user_id = u.id"
    )
    assert (row["email"], row["name"], row["role"], row["active"]) == (
        "ada@example.com",
        "Ada",
        "admin",
        True,
    )
    assert row["password_hash"].startswith("$argon2id$")
    assert verify_password(PASSWORD, row["password_hash"])
    assert not verify_password(PASSWORD + "x", row["password_hash"])
    assert row["password_changed_at"] is not None
    event = await db.fetchrow("SELECT seq, type, payload::text AS payload FROM events")
    assert (event["seq"], event["type"]) == (1, "member.updated")
    assert "argon2" not in event["payload"] and PASSWORD not in event["payload"]


async def test_user_create_with_a_generated_password(cli: Cli, db: asyncpg.Connection) -> None:
    await make_workspace(cli)
    result = await cli(
        "user",
        "create",
        "--workspace",
        "acme",
        "--email",
        "bo@example.com",
        "--role",
        "agent",
        "--generate-password",
    )
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "created bo@example.com as agent in acme"
    match = re.fullmatch(r"password \(shown once\): (\S+)", lines[1])
    assert match and len(lines) == 2
    password = match.group(1)
    assert len(password) >= 12
    assert result.stdout.count(password) == 1
    stored = await db.fetchval("SELECT password_hash FROM users WHERE email = 'bo@example.com'")
    assert stored.startswith("$argon2id$")
    assert verify_password(password, stored)


async def test_user_create_mistakes(cli: Cli, db: asyncpg.Connection) -> None:
    await make_workspace(cli)
    await make_user(cli, "a@example.com", "admin")

    async def create(email: str, role: str, workspace: str = "acme", stdin: str = PASSWORD):
        return await cli(
            "user",
            "create",
            "--workspace",
            workspace,
            "--email",
            email,
            "--role",
            role,
            stdin=f"{stdin}\n",
        )

    short = await create("b@example.com", "agent", stdin="short")
    assert short.one_error_line("user") == (
        "Password is too short: it has 5 characters, the minimum is 12."
    )
    empty = await create("b@example.com", "agent", stdin="")
    assert empty.one_error_line("user") == (
        "no password given (pipe one on stdin, or use --generate-password)"
    )
    role = await create("b@example.com", "boss")
    assert role.one_error_line("user") == "unknown role 'boss': use admin, supervisor or agent"
    duplicate = await create("A@example.com", "agent")
    assert duplicate.one_error_line("user") == "a@example.com is already a member of this workspace"
    unknown = await create("b@example.com", "agent", workspace="nope")
    assert unknown.one_error_line("user") == (
        "no workspace with slug 'nope' (see `wazify workspace list`)"
    )
    email = await create("not-an-email", "agent")
    assert email.one_error_line("user") == "'not-an-email' is not an email address"

    assert [row["email"] for row in await db.fetch("SELECT email FROM users")] == ["a@example.com"]
    assert await db.fetchval("SELECT count(*) FROM memberships") == 1
    assert await db.fetchval("SELECT role FROM memberships") == "admin"  # not changed


async def test_user_list_and_set_role(cli: Cli, db: asyncpg.Connection) -> None:
    await make_workspace(cli)
    await make_user(cli, "a@example.com", "admin")
    await make_user(cli, "b@example.com", "agent")
    result = await cli(
        "user",
        "set-role",
        "--workspace",
        "acme",
        "--email",
        "B@example.com",
        "--role",
        "supervisor",
    )
    assert result.code == 0, result.stderr
    assert result.stdout == "b@example.com is now supervisor in acme\n"
    listing = await cli("user", "list", "--workspace", "acme")
    assert listing.code == 0
    assert listing.stdout == (
        "a@example.com\tadmin\tactive\t\nb@example.com\tsupervisor\tactive\t\n"
    )
    audit = await db.fetchrow(
        "SELECT before, after FROM audit_entries WHERE action = 'member.role_changed'"
    )
    assert (audit["before"], audit["after"]) == ('{"role": "agent"}', '{"role": "supervisor"}')

    missing = await cli(
        "user", "set-role", "--workspace", "acme", "--email", "z@example.com", "--role", "agent"
    )
    assert missing.one_error_line("user") == "z@example.com is not a member of this workspace"
    role = await cli(
        "user", "set-role", "--workspace", "acme", "--email", "b@example.com", "--role", "owner"
    )
    assert role.one_error_line("user") == "unknown role 'owner': use admin, supervisor or agent"
    nowhere = await cli("user", "list", "--workspace", "nope")
    assert nowhere.one_error_line("user").startswith("no workspace with slug 'nope'")


async def test_deactivate_ends_sessions_and_tokens(cli: Cli, db: asyncpg.Connection) -> None:
    await make_workspace(cli, "acme")
    await make_workspace(cli, "beta")
    await make_user(cli, "a@example.com", "admin")
    await make_user(cli, "b@example.com", "agent")
    await make_user(cli, "b@example.com", "agent", workspace="beta")
    user_id = await db.fetchval("SELECT id FROM users WHERE email = 'b@example.com'")
    workspaces = {
        row["slug"]: row["id"] for row in await db.fetch("SELECT id, slug FROM workspaces")
    }
    for slug, workspace_id in workspaces.items():
        await db.execute(
            "INSERT INTO sessions (id_hash, user_id, workspace_id, csrf_token, expires_at)"
            " VALUES ($1, $2, $3, 'csrf', now() + interval '1 hour')",
            f"session-{slug}",
            user_id,
            workspace_id,
        )
        await db.execute(
            "INSERT INTO api_tokens (workspace_id, user_id, name, token_hash, prefix)"
            " VALUES ($1, $2, 'bot', $3, 'wz_')",
            workspace_id,
            user_id,
            f"token-{slug}",
        )

    result = await cli("user", "deactivate", "--workspace", "acme", "--email", "b@example.com")
    assert result.code == 0, result.stderr
    assert result.stdout == ("deactivated b@example.com in acme; their sessions and tokens ended\n")
    sessions = {
        row["id_hash"]: row["ended_at"] is not None
        for row in await db.fetch("SELECT id_hash, ended_at FROM sessions")
    }
    assert sessions == {"session-acme": True, "session-beta": False}  # only this workspace
    tokens = {
        row["token_hash"]: row["revoked_at"] is not None
        for row in await db.fetch("SELECT token_hash, revoked_at FROM api_tokens")
    }
    assert tokens == {"token-acme": True, "token-beta": False}
    active = {
        row["workspace_id"]: row["active"]
        for row in await db.fetch(
            "SELECT workspace_id, active FROM memberships WHERE user_id = $1", user_id
        )
    }
    assert active == {workspaces["acme"]: False, workspaces["beta"]: True}
    listing = await cli("user", "list", "--workspace", "acme")
    assert "b@example.com\tagent\tdeactivated\t" in listing.stdout.splitlines()
    again = await cli("user", "deactivate", "--workspace", "acme", "--email", "b@example.com")
    assert again.code == 0  # idempotent


async def test_the_last_admin_cannot_be_demoted_or_deactivated(
    cli: Cli, db: asyncpg.Connection
) -> None:
    await make_workspace(cli)
    await make_user(cli, "a@example.com", "admin")
    await make_user(cli, "b@example.com", "agent")
    demote = await cli(
        "user", "set-role", "--workspace", "acme", "--email", "a@example.com", "--role", "agent"
    )
    assert demote.one_error_line("user") == (
        "the workspace's last active admin cannot lose the admin role"
    )
    deactivate = await cli("user", "deactivate", "--workspace", "acme", "--email", "a@example.com")
    assert deactivate.one_error_line("user") == (
        "the workspace's last active admin cannot be deactivated"
    )
    row = await db.fetchrow(
        "SELECT m.role, m.active FROM memberships m JOIN users u ON u.id = m.user_id"
        " WHERE u.email = 'a@example.com'"
    )
    assert (row["role"], row["active"]) == ("admin", True)
    # With a second admin, the first may step down.
    promote = await cli(
        "user", "set-role", "--workspace", "acme", "--email", "b@example.com", "--role", "admin"
    )
    assert promote.code == 0
    demote = await cli(
        "user", "set-role", "--workspace", "acme", "--email", "a@example.com", "--role", "agent"
    )
    assert demote.code == 0, demote.stderr


async def test_unreachable_database_hides_the_password(cli: Cli) -> None:
    port = free_port()
    url = f"postgresql://bob:s3cretpw@127.0.0.1:{port}/x"
    for args in (
        ("workspace", "list"),
        ("migrate",),
        ("user", "list", "--workspace", "a"),
        ("keys", "rotate"),
    ):
        result = await cli(*args, env={"DATABASE_URL": url})
        message = result.one_error_line(args[0])
        assert message.startswith(
            f"cannot reach the database at postgresql://bob:***@127.0.0.1:{port}/x: "
        ), message
        assert "s3cretpw" not in result.stderr + result.stdout


async def test_unusable_database_urls_are_clear_errors(cli: Cli) -> None:
    bad_port = await cli(
        "workspace", "list", env={"DATABASE_URL": "postgresql://bob:s3cretpw@127.0.0.1:99999/x"}
    )
    assert bad_port.one_error_line("workspace") == (
        "DATABASE_URL: the port must be a number from 1 to 65535"
    )
    bad_option = await cli(
        "workspace",
        "list",
        env={"DATABASE_URL": f"postgresql://bob:s3cretpw@127.0.0.1:{free_port()}/x?sslmode=bogus"},
    )
    message = bad_option.one_error_line("workspace")
    assert message.startswith("cannot reach the database at postgresql://bob:***@"), message
    assert "sslmode" in message
    for result in (bad_port, bad_option):
        assert "s3cretpw" not in result.stderr


async def test_settings_errors_are_one_line(cli: Cli) -> None:
    port = await cli("workspace", "list", env={"WAZIFY_PORT": "eighty"})
    assert port.one_error_line("workspace").startswith("WAZIFY_PORT: must be an integer")
    keys = await cli("workspace", "list", env={"WAZIFY_TOKEN_KEYS": None})
    assert keys.one_error_line("workspace").startswith(
        "WAZIFY_TOKEN_KEYS: required when DATABASE_URL is set"
    )
    (cli.cwd / ".env").write_text("WAZIFY_LOG_LEVEL=INFO\nnot a setting\n")
    dotenv = await cli("workspace", "list")
    assert dotenv.one_error_line("workspace") == ".env:2: expected KEY=VALUE"


async def test_serve_with_workers_needs_redis(cli: Cli) -> None:
    result = await cli("serve", "--workers", "2")
    assert result.one_error_line("serve") == (
        "--workers 2 needs REDIS_URL: without Redis, events fan out inside one process and"
        " the other workers' agents would miss them"
    )
    assert result.stdout == ""  # refused before anything started
    zero = await cli("serve", "--workers", "0")
    assert zero.one_error_line("serve") == "--workers must be at least 1"


async def test_serve_on_a_taken_port_says_so_and_starts_nothing(
    cli: Cli, db: asyncpg.Connection
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = await cli("serve", "--port", str(port))
    assert result.one_error_line("serve") == (
        f"port {port} on 127.0.0.1 is already in use: stop what listens there or choose"
        " another port (--port or WAZIFY_PORT)"
    )
    # No false "listening" line, and no first start (its password would be shown for nothing).
    assert result.stdout == ""
    assert await db.fetchval("SELECT to_regclass('public.users')") is None or (
        await db.fetchval("SELECT count(*) FROM users") == 0
    )


async def test_keys_generate_prints_a_valid_key(cli: Cli) -> None:
    first, second = await cli("keys", "generate"), await cli("keys", "generate")
    assert first.code == 0 and second.code == 0
    key = first.stdout.strip()
    assert first.stdout == key + "\n"
    assert len(key) == 44
    TokenCipher([key])  # accepted as WAZIFY_TOKEN_KEYS
    assert second.stdout.strip() != key


async def test_keys_add_refuses_when_keys_come_from_the_environment(cli: Cli) -> None:
    result = await cli("keys", "add")
    assert result.one_error_line("keys").startswith("WAZIFY_TOKEN_KEYS is set")


async def test_keys_add_in_embedded_mode(cli: Cli, tmp_path: Path) -> None:
    data = tmp_path / "data"
    env: dict[str, str | None] = {
        "DATABASE_URL": None,
        "WAZIFY_TOKEN_KEYS": None,
        "WAZIFY_DATA_DIR": str(data),
    }
    first = await cli("keys", "add", env=env)
    assert first.code == 0, first.stderr
    keys_file = data / "token_keys"
    (older,) = keys_file.read_text().strip().split(",")
    second = await cli("keys", "add", env=env)
    assert second.code == 0, second.stderr
    newest, kept = keys_file.read_text().strip().split(",")
    assert kept == older and newest != older
    assert second.stdout.startswith(f"added key {key_id(newest)} to {data}")
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600


async def test_keys_rotate_end_to_end(cli: Cli, db: asyncpg.Connection) -> None:
    old, new = cli.token_keys, generate_key()
    await make_workspace(cli)
    workspace_id = await db.fetchval("SELECT id FROM workspaces")
    account_id = await db.fetchval(
        "INSERT INTO ig_accounts (workspace_id, ig_id, username) VALUES ($1, '17841400000000001',"
        " 'acme.shop') RETURNING id",
        workspace_id,
    )
    context = f"ig_account:{account_id}"
    stored = TokenCipher([old]).encrypt("IGAA-secret-access-token", context)
    await db.execute(
        "UPDATE ig_accounts SET access_token_enc = $2 WHERE id = $1", account_id, stored
    )

    # The old key was dropped too early: nothing changes, and the message says why.
    early = await cli("keys", "rotate", env={"WAZIFY_TOKEN_KEYS": new})
    message = early.one_error_line("keys")
    assert message.startswith(f"ig_accounts {account_id}: encrypted with a key that is not"), (
        message
    )
    assert key_id(old) in message and "nothing was re-encrypted" in message
    unchanged = await db.fetchval("SELECT access_token_enc FROM ig_accounts")
    assert unchanged == stored

    # The right way: the new key first, the old one still listed.
    result = await cli("keys", "rotate", env={"WAZIFY_TOKEN_KEYS": f"{new},{old}"})
    assert result.code == 0, result.stderr
    assert result.stdout == f"re-encrypted 1 of 1 stored secrets under key {key_id(new)}\n"
    rotated = await db.fetchval("SELECT access_token_enc FROM ig_accounts")
    assert rotated != stored
    assert rotated.split(".")[1] == key_id(new)
    assert TokenCipher([new]).decrypt(rotated, context) == "IGAA-secret-access-token"
    with pytest.raises(DecryptionError):
        TokenCipher([old]).decrypt(rotated, context)
    assert "IGAA-secret-access-token" not in result.stdout + result.stderr
    audit = await db.fetch(
        "SELECT target_type, target_id, after FROM audit_entries WHERE action = 'secret.rotated'"
    )
    assert [(row["target_type"], row["target_id"], row["after"]) for row in audit] == [
        ("ig_accounts", str(account_id), f'{{"key_id": "{key_id(new)}"}}')
    ]

    again = await cli("keys", "rotate", env={"WAZIFY_TOKEN_KEYS": new})  # old key now gone
    assert again.code == 0, again.stderr
    assert again.stdout == f"re-encrypted 0 of 1 stored secrets under key {key_id(new)}\n"
    assert await db.fetchval("SELECT access_token_enc FROM ig_accounts") == rotated


async def test_migrate_applies_then_says_up_to_date(cli: Cli, admin_database_url: str) -> None:
    name = f"wazify_cli_migrate_{secrets.token_hex(4)}"
    url = await create_database(admin_database_url, name)
    try:
        first = await cli("migrate", env={"DATABASE_URL": url})
        assert first.code == 0, first.stderr
        lines = first.stdout.splitlines()
        assert lines[0] == (
            "applied 2026-12-03T11:27:13:357951: initial schema: the tables (0001_initial.sql)"
        )
        assert len(lines) == len(migration_modules())
        assert all(line.startswith("applied ") for line in lines)
        second = await cli("migrate", env={"DATABASE_URL": url})
        assert second.code == 0, second.stderr
        assert second.stdout == "the database is up to date\n"
    finally:
        await drop_database(admin_database_url, name)


async def test_migrate_adopts_a_database_the_sql_migrations_built(
    cli: Cli, admin_database_url: str, database_url: str
) -> None:
    name = f"wazify_cli_sql_era_{secrets.token_hex(4)}"
    url = await create_database(admin_database_url, name)
    try:
        await migrate_the_sql_way(url)
        first = await cli("migrate", env={"DATABASE_URL": url})
        assert first.code == 0, first.stderr
        modules = migration_modules()
        legacy = [i for file in LEGACY_FILES for i in LEGACY_MIGRATIONS[file.name]]
        newer = [i for i in modules if i not in legacy]  # those after the SQL era run
        assert first.stdout == (
            f"recorded {len(legacy)} migrations as applied"
            " (an earlier release's SQL migrations had applied them)\n"
            + "".join(f"applied {i}: {modules[i].DESCRIPTION}\n" for i in newer)
            + ("" if newer else "the database is up to date\n")
        )
        # The same schema as a database migrated from empty (the test session's).
        assert differences(await schema_of(url), await schema_of(database_url)) == {}
        second = await cli("migrate", env={"DATABASE_URL": url})
        assert second.stdout == "the database is up to date\n"
    finally:
        await drop_database(admin_database_url, name)


async def test_migrate_refuses_sql_migrations_it_does_not_know(
    cli: Cli, admin_database_url: str
) -> None:
    name = f"wazify_cli_sql_era_{secrets.token_hex(4)}"
    url = await create_database(admin_database_url, name)
    try:
        connection = await asyncpg.connect(url)
        try:
            await connection.execute(
                "CREATE TABLE schema_migrations (name text PRIMARY KEY);"
                " INSERT INTO schema_migrations VALUES ('0001_initial.sql'), ('0005_labels.sql')"
            )
        finally:
            await connection.close()
        result = await cli("migrate", env={"DATABASE_URL": url})
        assert result.code == 1
        assert result.stderr == (
            f"wazify migrate: cannot migrate the database at {url}: schema_migrations lists"
            " SQL migrations this version of Wazify does not know: 0005_labels.sql\n"
        )
    finally:
        await drop_database(admin_database_url, name)
