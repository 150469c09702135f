"""Read-only audit queries, always scoped to one workspace (Piccolo's query builder)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from piccolo.columns.combination import Combinable

from wazify.db.tables import AuditEntry


class AuditEntryView(msgspec.Struct, kw_only=True):
    id: int
    actor_id: int | None
    actor_label: str
    action: str
    target_type: str
    target_id: str
    before: Any = None
    after: Any = None
    client_addr: str | None = None
    created_at: datetime


class AuditPage(msgspec.Struct, kw_only=True):
    items: list[AuditEntryView]
    next_cursor: str | None = None


_COLUMNS = (
    AuditEntry.id,
    AuditEntry.actor.as_alias("actor_id"),
    AuditEntry.actor_label,
    AuditEntry.action,
    AuditEntry.target_type,
    AuditEntry.target_id,
    AuditEntry.before,  # jsonb arrives as its text: decoded below, as msgspec reads it
    AuditEntry.after,
    AuditEntry.client_addr,
    AuditEntry.created_at,
)


def _view(row: dict[str, Any]) -> AuditEntryView:
    values = dict(row)
    for key in ("before", "after"):
        if values[key] is not None:
            values[key] = msgspec.json.decode(values[key])
    return AuditEntryView(**values)


async def list_entries(
    pool: Any,
    workspace_id: int,
    *,
    actor_id: int | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before: tuple[datetime, int] | None = None,
    limit: int,
) -> list[AuditEntryView]:
    """Newest first. `since` is inclusive, `until` exclusive (both in UTC: the route takes
    them through check_moment); `before` is the cursor. (`pool` is kept for the callers:
    Piccolo reads through its engine's pool.)"""
    where: Combinable = AuditEntry.workspace == workspace_id
    if actor_id is not None:
        where &= AuditEntry.actor == actor_id
    if action is not None:
        where &= AuditEntry.action == action
    if since is not None:
        where &= AuditEntry.created_at >= since
    if until is not None:
        where &= AuditEntry.created_at < until
    if before is not None:
        moment, entry_id = before
        where &= (AuditEntry.created_at < moment) | (
            (AuditEntry.created_at == moment) & (AuditEntry.id < entry_id)
        )
    rows = (
        await AuditEntry.select(*_COLUMNS)
        .where(where)
        .order_by(AuditEntry.created_at, AuditEntry.id, ascending=False)
        .limit(limit)
    )
    return [_view(row) for row in rows]


async def get_entry(pool: Any, workspace_id: int, entry_id: int) -> AuditEntryView | None:
    rows = await AuditEntry.select(*_COLUMNS).where(
        (AuditEntry.workspace == workspace_id) & (AuditEntry.id == entry_id)
    )
    return _view(rows[0]) if rows else None
