"""Read-only account queries, scoped to one workspace (the token stays encrypted here), through
Piccolo's query builder: the `db` and `pool` arguments are kept for the callers (inside a unit
of work Piccolo joins its transaction, elsewhere it reads through its engine's pool)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from piccolo.columns.combination import Combinable

from wazify.accounts.schemas import AccountHealth
from wazify.conversations.queries import account_views
from wazify.db.expressions import db_now, db_now_plus, nulls_first
from wazify.db.tables import IgAccount


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
    IgAccount.id,
    IgAccount.workspace.as_alias("workspace_id"),
    IgAccount.ig_id,
    IgAccount.status,
    IgAccount.access_token_enc,
    IgAccount.token_expires_at,
    IgAccount.token_refreshed_at,
    IgAccount.subscribed_at,
)


def _stored(row: Mapping[str, Any]) -> StoredAccount:
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


async def stored_account(db: Any, workspace_id: int, account_id: int) -> StoredAccount | None:
    rows = await IgAccount.select(*_STORED).where(
        (IgAccount.id == account_id) & (IgAccount.workspace == workspace_id)
    )
    return _stored(rows[0]) if rows else None


def _with_token() -> Combinable:
    return (IgAccount.status == "connected") & IgAccount.access_token_enc.is_not_null()


async def refresh_candidates(db: Any, window_days: int, limit: int = 200) -> list[StoredAccount]:
    """Connected accounts whose token is at least 24 h old and expires within the window
    (or whose expiry is unknown), plus those already expired (they need a reconnect)."""
    day_ago = db_now_plus(-timedelta(hours=24))
    settled = (
        IgAccount.token_refreshed_at.is_not_null() & (IgAccount.token_refreshed_at <= day_ago)
    ) | (IgAccount.token_refreshed_at.is_null() & (IgAccount.created_at <= day_ago))
    expiring = IgAccount.token_expires_at.is_null() | (
        IgAccount.token_expires_at < db_now_plus(timedelta(days=window_days))
    )
    rows = (
        await IgAccount.select(*_STORED)
        .where(_with_token() & ((IgAccount.token_expires_at <= db_now()) | (settled & expiring)))
        .order_by(nulls_first(IgAccount.token_expires_at))
        .order_by(IgAccount.token_expires_at, IgAccount.id)
        .limit(limit)
    )
    return [_stored(row) for row in rows]


async def subscribed_accounts(db: Any, limit: int = 1000) -> list[StoredAccount]:
    """Connected accounts we subscribed to webhooks (their subscription may have been
    dropped by Meta after an outage)."""
    rows = (
        await IgAccount.select(*_STORED)
        .where(_with_token() & IgAccount.subscribed_at.is_not_null())
        .order_by(IgAccount.id)
        .limit(limit)
    )
    return [_stored(row) for row in rows]


async def list_accounts(pool: Any, workspace_id: int, *, staff: bool) -> list[AccountHealth]:
    rows = (
        await IgAccount.select(
            IgAccount.id,
            IgAccount.last_webhook_at,
            IgAccount.subscribed_at,
            IgAccount.token_expires_at,
            IgAccount.token_refreshed_at,
            IgAccount.scopes,
        )
        .where(IgAccount.workspace == workspace_id)
        .order_by(IgAccount.id)
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


async def workspace_ig_ids(db: Any, workspace_id: int) -> set[str]:
    """The Instagram ids of the workspace's accounts (what makes a webhook entry its own)."""
    rows = await IgAccount.select(IgAccount.ig_id).where(IgAccount.workspace == workspace_id)
    return {row["ig_id"] for row in rows}


async def accounts_of_meta_user(db: Any, meta_user_id: str) -> list[tuple[int, int]]:
    """(account id, workspace id) of every account this person connected, in every
    workspace. Meta's callbacks name the person by the app-scoped id stored at connect
    (`meta_user_id`); which id Instagram Login puts there is not settled (PLATFORM.md
    section 9, question 15), so the account's own Instagram id matches too: either names
    the same person's account, and neither can name anyone else's."""
    rows = (
        await IgAccount.select(IgAccount.id, IgAccount.workspace.as_alias("workspace_id"))
        .where((IgAccount.meta_user_id == meta_user_id) | (IgAccount.ig_id == meta_user_id))
        .order_by(IgAccount.id)
    )
    return [(row["id"], row["workspace_id"]) for row in rows]
