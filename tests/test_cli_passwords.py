"""`wazify user create` on an existing account, run as an operator runs it (in a
subprocess; fixtures from tests/test_cli.py)."""

from __future__ import annotations

import asyncpg

from tests import test_cli
from tests.test_cli import Cli, make_user, make_workspace

# The CLI tests' fixtures: a database of their own, the command in a subprocess.
cli_database, cli_key, cli, db = (
    test_cli.cli_database,
    test_cli.cli_key,
    test_cli.cli,
    test_cli.db,
)


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
