"""API tokens for scripts and integrations: `Authorization: Bearer wz_...`.

The secret is shown once, at creation; the database keeps its SHA-256 and a short prefix
(so a person can tell their tokens apart in a list). A token acts as its creator, in the
workspace it was created in, with the creator's *current* role; it stops working when
revoked or when the creator's membership is deactivated.

Creating, listing and revoking use Piccolo's query builder (the `conn` arguments are kept
for the callers: inside a unit of work Piccolo joins its transaction). Resolving a token,
on every request it authenticates, stays one SQL round trip (docs/migrations.md).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import asyncpg
import msgspec
from piccolo.columns.combination import Combinable

from wazify.auth.principal import Principal
from wazify.auth.sessions import TOUCH_INTERVAL, hash_secret
from wazify.db.expressions import coalesce_now, db_now
from wazify.db.tables import ApiToken

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


TOKEN_COLUMNS = (
    ApiToken.id,
    ApiToken.name,
    ApiToken.prefix,
    ApiToken.user.as_alias("user_id"),
    ApiToken.created_at,
    ApiToken.last_used_at,
    ApiToken.revoked_at,
)


def token_view(row: Mapping[str, Any]) -> TokenView:
    return TokenView(**{key: row[key] for key in TokenView.__struct_fields__})


def new_token() -> tuple[str, str, str]:
    """(secret, sha256 of it, display prefix)."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return secret, hash_secret(secret), secret[:PREFIX_LENGTH]


async def insert_token(
    conn: asyncpg.Connection, workspace_id: int, user_id: int, name: str
) -> tuple[TokenView, str]:
    secret, token_hash, prefix = new_token()
    token = ApiToken(
        workspace=workspace_id,
        user=user_id,
        name=name,
        token_hash=token_hash,
        prefix=prefix,
        created_at=db_now(),
    )
    rows = await ApiToken.insert(token).returning(*TOKEN_COLUMNS)
    return token_view(rows[0]), secret


async def get_token(
    conn: asyncpg.Connection | asyncpg.Pool, workspace_id: int, token_id: int, *, lock: bool = False
) -> TokenView | None:
    """A token of this workspace only: another workspace's id reads as absent."""
    query = ApiToken.select(*TOKEN_COLUMNS).where(
        (ApiToken.workspace == workspace_id) & (ApiToken.id == token_id)
    )
    rows = await (query.lock_rows("UPDATE") if lock else query)
    return token_view(rows[0]) if rows else None


async def revoke_token(conn: asyncpg.Connection, workspace_id: int, token_id: int) -> TokenView:
    rows = (
        await ApiToken.update({ApiToken.revoked_at: coalesce_now(ApiToken.revoked_at)})
        .where((ApiToken.workspace == workspace_id) & (ApiToken.id == token_id))
        .returning(*TOKEN_COLUMNS)
    )
    return token_view(rows[0])


async def list_tokens(
    pool: asyncpg.Pool,
    workspace_id: int,
    user_id: int | None,
    before: tuple[datetime, int] | None,
    limit: int,
) -> list[TokenView]:
    """Newest first; `user_id` None lists the whole workspace's tokens."""
    where: Combinable = ApiToken.workspace == workspace_id
    if user_id is not None:
        where &= ApiToken.user == user_id
    if before is not None:
        moment, token_id = before
        where &= (ApiToken.created_at < moment) | (
            (ApiToken.created_at == moment) & (ApiToken.id < token_id)
        )
    rows = (
        await ApiToken.select(*TOKEN_COLUMNS)
        .where(where)
        .order_by(ApiToken.created_at, ApiToken.id, ascending=False)
        .limit(limit)
    )
    return [token_view(row) for row in rows]


# Resolving a bearer token is SQL, on every request it authenticates: one round trip
# joining the token, the membership (a two-column match) and the user.
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
