"""Read-only account queries, scoped to one workspace (the token stays encrypted here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

from wazify.accounts.schemas import AccountHealth
from wazify.conversations.queries import account_views


@dataclass(frozen=True)
class StoredAccount:
    id: int
    workspace_id: int
    ig_id: str
    status: str
    token_enc: str | None = field(repr=False)
    token_expires_at: datetime | None
    token_refreshed_at: datetime | None
    subscribed_at: datetime | None


_STORED = (
    "id, workspace_id, ig_id, status, access_token_enc, token_expires_at,"
    " token_refreshed_at, subscribed_at"
)


def _stored(row: asyncpg.Record) -> StoredAccount:
    return StoredAccount(
        id=row["id"],
        workspace_id=row["workspace_id"],
        ig_id=row["ig_id"],
        status=row["status"],
        token_enc=row["access_token_enc"],
        token_expires_at=row["token_expires_at"],
        token_refreshed_at=row["token_refreshed_at"],
        subscribed_at=row["subscribed_at"],
    )


async def stored_account(
    db: asyncpg.Pool | asyncpg.Connection, workspace_id: int, account_id: int
) -> StoredAccount | None:
    row = await db.fetchrow(
        f"SELECT {_STORED} FROM ig_accounts WHERE id = $1 AND workspace_id = $2",
        account_id,
        workspace_id,
    )
    return _stored(row) if row else None


async def refresh_candidates(
    db: asyncpg.Pool | asyncpg.Connection, window_days: int, limit: int = 200
) -> list[StoredAccount]:
    """Connected accounts whose token is at least 24 h old and expires within the window
    (or whose expiry is unknown), plus those already expired (they need a reconnect)."""
    rows = await db.fetch(
        f"SELECT {_STORED} FROM ig_accounts WHERE status = 'connected'"
        " AND access_token_enc IS NOT NULL AND ("
        "   token_expires_at <= now() OR ("
        "     coalesce(token_refreshed_at, created_at) <= now() - interval '24 hours'"
        "     AND (token_expires_at IS NULL"
        "          OR token_expires_at < now() + make_interval(days => $1))))"
        " ORDER BY token_expires_at NULLS FIRST, id LIMIT $2",
        window_days,
        limit,
    )
    return [_stored(row) for row in rows]


async def subscribed_accounts(
    db: asyncpg.Pool | asyncpg.Connection, limit: int = 1000
) -> list[StoredAccount]:
    """Connected accounts we subscribed to webhooks (their subscription may have been
    dropped by Meta after an outage)."""
    rows = await db.fetch(
        f"SELECT {_STORED} FROM ig_accounts WHERE status = 'connected'"
        " AND access_token_enc IS NOT NULL AND subscribed_at IS NOT NULL ORDER BY id LIMIT $1",
        limit,
    )
    return [_stored(row) for row in rows]


async def list_accounts(
    pool: asyncpg.Pool, workspace_id: int, *, staff: bool
) -> list[AccountHealth]:
    rows = await pool.fetch(
        "SELECT id, last_webhook_at, subscribed_at, token_expires_at, token_refreshed_at,"
        " scopes FROM ig_accounts WHERE workspace_id = $1 ORDER BY id",
        workspace_id,
    )
    views = await account_views(pool, [row["id"] for row in rows])
    items = []
    for row in rows:
        item = AccountHealth(
            account=views[row["id"]],
            last_webhook_at=row["last_webhook_at"],
            subscribed_at=row["subscribed_at"],
        )
        if staff:
            item.token_expires_at = row["token_expires_at"]
            item.token_refreshed_at = row["token_refreshed_at"]
            item.scopes = [scope for scope in row["scopes"].split(",") if scope]
        items.append(item)
    return items


async def workspace_ig_ids(db: asyncpg.Pool | asyncpg.Connection, workspace_id: int) -> set[str]:
    """The Instagram ids of the workspace's accounts (what makes a webhook entry its own)."""
    rows = await db.fetch("SELECT ig_id FROM ig_accounts WHERE workspace_id = $1", workspace_id)
    return {row["ig_id"] for row in rows}


async def accounts_of_meta_user(
    db: asyncpg.Pool | asyncpg.Connection, meta_user_id: str
) -> list[tuple[int, int]]:
    """(account id, workspace id) of every account this person connected, in every
    workspace. Meta's callbacks name the person by the app-scoped id stored at connect
    (`meta_user_id`); which id Instagram Login puts there is not settled (PLATFORM.md
    section 9, question 15), so the account's own Instagram id matches too: either names
    the same person's account, and neither can name anyone else's."""
    rows = await db.fetch(
        "SELECT id, workspace_id FROM ig_accounts WHERE meta_user_id = $1 OR ig_id = $1"
        " ORDER BY id",
        meta_user_id,
    )
    return [(row["id"], row["workspace_id"]) for row in rows]
