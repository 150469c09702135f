"""API tokens for scripts and integrations: `Authorization: Bearer wz_...`.

The secret is shown once, at creation; the database keeps its SHA-256 and a short prefix
(so a person can tell their tokens apart in a list). A token acts as its creator, in the
workspace it was created in, with the creator's *current* role; it stops working when
revoked or when the creator's membership is deactivated.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import asyncpg
import msgspec

from wazify.auth.principal import Principal
from wazify.auth.sessions import TOUCH_INTERVAL, hash_secret

TOKEN_PREFIX = "wz_"  # noqa: S105 (a marker, not a secret)
# "wz_" + 8 characters: enough to tell tokens apart, far too little to guess the rest.
PREFIX_LENGTH = len(TOKEN_PREFIX) + 8


class TokenView(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Token metadata, never the secret."""

    id: int
    name: str
    prefix: str
    user_id: int
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


TOKEN_COLUMNS = "id, name, prefix, user_id, created_at, last_used_at, revoked_at"  # noqa: S105


def token_view(row: asyncpg.Record) -> TokenView:
    return TokenView(**{key: row[key] for key in TokenView.__struct_fields__})


def new_token() -> tuple[str, str, str]:
    """(secret, sha256 of it, display prefix)."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return secret, hash_secret(secret), secret[:PREFIX_LENGTH]


async def insert_token(
    conn: asyncpg.Connection, workspace_id: int, user_id: int, name: str
) -> tuple[TokenView, str]:
    secret, token_hash, prefix = new_token()
    row = await conn.fetchrow(
        "INSERT INTO api_tokens (workspace_id, user_id, name, token_hash, prefix)"
        f" VALUES ($1, $2, $3, $4, $5) RETURNING {TOKEN_COLUMNS}",
        workspace_id,
        user_id,
        name,
        token_hash,
        prefix,
    )
    return token_view(row), secret


async def get_token(
    conn: asyncpg.Connection | asyncpg.Pool, workspace_id: int, token_id: int, *, lock: bool = False
) -> TokenView | None:
    """A token of this workspace only: another workspace's id reads as absent."""
    row = await conn.fetchrow(
        f"SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE workspace_id = $1 AND id = $2"
        + (" FOR UPDATE" if lock else ""),
        workspace_id,
        token_id,
    )
    return token_view(row) if row else None


async def revoke_token(conn: asyncpg.Connection, workspace_id: int, token_id: int) -> TokenView:
    row = await conn.fetchrow(
        "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now())"
        f" WHERE workspace_id = $1 AND id = $2 RETURNING {TOKEN_COLUMNS}",
        workspace_id,
        token_id,
    )
    return token_view(row)


async def list_tokens(
    pool: asyncpg.Pool,
    workspace_id: int,
    user_id: int | None,
    before: tuple[datetime, int] | None,
    limit: int,
) -> list[TokenView]:
    """Newest first; `user_id` None lists the whole workspace's tokens."""
    rows = await pool.fetch(
        f"SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE workspace_id = $1"
        " AND ($2::bigint IS NULL OR user_id = $2)"
        " AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4))"
        " ORDER BY created_at DESC, id DESC LIMIT $5",
        workspace_id,
        user_id,
        before[0] if before else None,
        before[1] if before else 0,
        limit,
    )
    return [token_view(row) for row in rows]


_LOAD_SQL = """
SELECT t.id, t.user_id, t.workspace_id, t.last_used_at, m.role, u.email, u.name, now() AS now
FROM api_tokens t
JOIN memberships m ON m.workspace_id = t.workspace_id AND m.user_id = t.user_id
JOIN users u ON u.id = t.user_id
WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND m.active
"""


async def load_token(pool: asyncpg.Pool | asyncpg.Connection, secret: str) -> Principal | None:
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    row = await pool.fetchrow(_LOAD_SQL, hash_secret(secret))
    if row is None:
        return None
    last_used = row["last_used_at"]
    if last_used is None or row["now"] - last_used >= TOUCH_INTERVAL:
        await pool.execute("UPDATE api_tokens SET last_used_at = now() WHERE id = $1", row["id"])
    return Principal(
        user_id=row["user_id"],
        workspace_id=row["workspace_id"],
        role=row["role"],
        email=row["email"],
        name=row["name"],
        via="token",
        token_id=row["id"],
    )
