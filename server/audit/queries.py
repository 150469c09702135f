"""Read-only audit queries, always scoped to one workspace."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import msgspec


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
    "id, actor_id, actor_label, action, target_type, target_id, before::text AS before,"
    " after::text AS after, client_addr, created_at"
)


def _view(row: asyncpg.Record) -> AuditEntryView:
    values = dict(row)
    for key in ("before", "after"):
        if values[key] is not None:
            values[key] = msgspec.json.decode(values[key])
    return AuditEntryView(**values)


async def list_entries(
    pool: asyncpg.Pool,
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
    them through check_moment); `before` is the cursor."""
    rows = await pool.fetch(
        f"SELECT {_COLUMNS} FROM audit_entries WHERE workspace_id = $1"
        " AND ($2::bigint IS NULL OR actor_id = $2)"
        " AND ($3::text IS NULL OR action = $3)"
        " AND ($4::timestamptz IS NULL OR created_at >= $4)"
        " AND ($5::timestamptz IS NULL OR created_at < $5)"
        " AND ($6::timestamptz IS NULL OR (created_at, id) < ($6, $7))"
        " ORDER BY created_at DESC, id DESC LIMIT $8",
        workspace_id,
        actor_id,
        action,
        since,
        until,
        before[0] if before else None,
        before[1] if before else 0,
        limit,
    )
    return [_view(row) for row in rows]


async def get_entry(pool: asyncpg.Pool, workspace_id: int, entry_id: int) -> AuditEntryView | None:
    row = await pool.fetchrow(
        f"SELECT {_COLUMNS} FROM audit_entries WHERE workspace_id = $1 AND id = $2",
        workspace_id,
        entry_id,
    )
    return _view(row) if row else None
