"""`wazify user create` on an existing account and `wazify user reset-password`, run as an
operator runs them (in a subprocess; fixtures from tests/test_cli.py)."""

from __future__ import annotations

import re

import asyncpg

from tests import test_cli
from tests.test_cli import PASSWORD, Cli, make_user, make_workspace
from wazify.lib.passwords import verify_password

NEW_PASSWORD = "a freshly reset passphrase"
# The CLI tests' fixtures: a database of their own, the command in a subprocess.
cli_database, cli_key, cli, db = (
    test_cli.cli_database,
    test_cli.cli_key,
    test_cli.cli,
    test_cli.db,
)


async def open_sessions(db: asyncpg.Connection, email: str) -> dict[str, bool]:
    """Open a session of `email` in every workspace it belongs to; returns every session
    as {id_hash: ended}."""
    await db.execute(
        "INSERT INTO sessions (id_hash, user_id, workspace_id, csrf_token, expires_at)"
        " SELECT u.email || '-' || w.slug, u.id, w.id, 'csrf', now() + interval '1 hour'"
        " FROM users u JOIN memberships m ON m.user_id = u.id"
        " JOIN workspaces w ON w.id = m.workspace_id WHERE u.email = $1",
        email,
    )
    return await sessions(db)


async def sessions(db: asyncpg.Connection) -> dict[str, bool]:
    rows = await db.fetch("SELECT id_hash, ended_at IS NOT NULL AS ended FROM sessions")
    return {row["id_hash"]: row["ended"] for row in rows}


async def test_user_create_says_when_it_adds_an_existing_account(
    cli: Cli, db: asyncpg.Connection
) -> None:
    await make_workspace(cli, "acme")
    await make_workspace(cli, "beta")
    await make_user(cli, "b@example.com", "agent")
    stored = await db.fetchval("SELECT password_hash FROM users")

    result = await cli(
        "user",
        "create",
        "--workspace",
        "beta",
        "--email",
        "b@example.com",
        "--role",
        "admin",
        "--name",
        "Someone Else",
        "--generate-password",
    )

    assert result.code == 0, result.stderr
    # No "password (shown once)": the generated one was not set, and must not be believed.
    assert result.stdout == (
        "b@example.com already had an account: added it to beta as admin; its name and"
        " password are unchanged (the password given was not used)\n"
    )
    row = await db.fetchrow("SELECT name, password_hash FROM users")
    assert (row["name"], row["password_hash"]) == ("", stored)
    roles = await db.fetch(
        "SELECT w.slug, m.role FROM memberships m JOIN workspaces w ON w.id = m.workspace_id"
        " ORDER BY w.slug"
    )
    assert [(r["slug"], r["role"]) for r in roles] == [("acme", "agent"), ("beta", "admin")]


async def test_reset_password_sets_it_and_ends_every_session(
    cli: Cli, db: asyncpg.Connection
) -> None:
    await make_workspace(cli, "acme")
    await make_workspace(cli, "beta")
    await make_user(cli, "b@example.com", "agent")
    await make_user(cli, "b@example.com", "agent", workspace="beta")
    await make_user(cli, "c@example.com", "agent")
    await open_sessions(db, "c@example.com")
    assert await open_sessions(db, "b@example.com") == {
        "c@example.com-acme": False,
        "b@example.com-acme": False,
        "b@example.com-beta": False,
    }

    result = await cli(
        "user",
        "reset-password",
        "--workspace",
        "acme",
        "--email",
        "B@example.com",
        stdin=f"{NEW_PASSWORD}\n",
    )

    assert result.code == 0, result.stderr
    assert result.stdout == "new password set for b@example.com; 2 session(s) ended\n"
    assert NEW_PASSWORD not in result.stdout + result.stderr
    stored = await db.fetchval("SELECT password_hash FROM users WHERE email = 'b@example.com'")
    assert verify_password(NEW_PASSWORD, stored) and not verify_password(PASSWORD, stored)
    ended = await db.fetch(
        "SELECT s.id_hash, s.ended_at IS NOT NULL AS ended, u.email FROM sessions s"
        " JOIN users u ON u.id = s.user_id"
    )
    # All of b's sessions, in both workspaces; c's are untouched.
    assert {(r["email"], r["ended"]) for r in ended} == {
        ("b@example.com", True),
        ("c@example.com", False),
    }
    audit = await db.fetch(
        "SELECT w.slug, a.actor_label, a.after::text FROM audit_entries a"
        " JOIN workspaces w ON w.id = a.workspace_id WHERE a.action = 'auth.password_reset'"
    )
    assert [(r["slug"], r["after"]) for r in audit] == [("acme", '{"sessions_ended": 2}')]
    assert "argon2" not in str(audit[0]) and NEW_PASSWORD not in str(audit[0])


async def test_reset_password_with_a_generated_password(cli: Cli, db: asyncpg.Connection) -> None:
    await make_workspace(cli)
    await make_user(cli, "b@example.com", "agent")

    result = await cli(
        "user",
        "reset-password",
        "--workspace",
        "acme",
        "--email",
        "b@example.com",
        "--generate-password",
    )

    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "new password set for b@example.com; 0 session(s) ended"
    match = re.fullmatch(r"password \(shown once\): (\S+)", lines[1])
    assert match and len(lines) == 2
    stored = await db.fetchval("SELECT password_hash FROM users")
    assert verify_password(match.group(1), stored)


async def test_reset_password_mistakes(cli: Cli, db: asyncpg.Connection) -> None:
    await make_workspace(cli, "acme")
    await make_workspace(cli, "beta")
    await make_user(cli, "b@example.com", "agent")
    stored = await db.fetchval("SELECT password_hash FROM users")

    async def reset(email: str, workspace: str = "acme", stdin: str = NEW_PASSWORD):
        return await cli(
            "user",
            "reset-password",
            "--workspace",
            workspace,
            "--email",
            email,
            stdin=f"{stdin}\n",
        )

    weak = await reset("b@example.com", stdin="short")
    assert weak.one_error_line("user") == (
        "Password is too short: it has 5 characters, the minimum is 12."
    )
    elsewhere = await reset("b@example.com", workspace="beta")
    assert elsewhere.one_error_line("user") == "b@example.com is not a member of this workspace"
    nobody = await reset("z@example.com")
    assert nobody.one_error_line("user") == "z@example.com is not a member of this workspace"
    nowhere = await reset("b@example.com", workspace="nope")
    assert nowhere.one_error_line("user").startswith("no workspace with slug 'nope'")
    assert await db.fetchval("SELECT password_hash FROM users") == stored
    assert (
        await db.fetchval("SELECT count(*) FROM audit_entries WHERE action = 'auth.password_reset'")
        == 0
    )
