"""Reading the event log: heads, missing events, and a member's replay from a cursor.

SQL through the engine's pool: the log is read as stored (JSON text) in one statement per page;
the query builder adds ~180 us to each query, x2 on a one-row read (docs/migrations.md).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, Literal

from wazify.realtime.broker import LoggedEvent

Queryable = Any  # an asyncpg pool or connection
REPLAY_PAGE = 1000

FETCH_SQL = """
SELECT seq, payload::text AS payload, audience_user_id, audience_roles FROM events
WHERE workspace_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq
"""

REPLAY_SQL = """
SELECT seq, payload::text AS payload FROM events
WHERE workspace_id = $1 AND seq > $2 AND seq <= $3
  AND (audience_user_id IS NULL OR audience_user_id = $4)
  AND (audience_roles IS NULL OR $5 = ANY (audience_roles))
ORDER BY seq LIMIT $6
"""


async def workspace_heads(db: Queryable, workspace_ids: Sequence[int]) -> dict[int, int]:
    rows = await db.fetch(
        "SELECT workspace_id, last_seq FROM workspace_counters"
        " WHERE workspace_id = ANY($1::bigint[])",
        list(workspace_ids),
    )
    return {row["workspace_id"]: row["last_seq"] for row in rows}


async def fetch_events(
    db: Queryable, workspace_id: int, after: int, through: int
) -> list[LoggedEvent]:
    rows = await db.fetch(FETCH_SQL, workspace_id, after, through)
    return [
        LoggedEvent(
            workspace_id=workspace_id,
            seq=row["seq"],
            audience_user_id=row["audience_user_id"],
            audience_roles=tuple(row["audience_roles"]) if row["audience_roles"] else None,
            payload=row["payload"].encode(),
        )
        for row in rows
    ]


async def check_cursor(
    db: Queryable, workspace_id: int, since: int
) -> tuple[Literal["ok", "expired", "unknown"], int]:
    """Can the log bring a client from `since` to now? Returns (verdict, current head)."""
    row = await db.fetchrow(
        "SELECT c.last_seq, (SELECT min(seq) FROM events e WHERE e.workspace_id = $1) AS oldest"
        " FROM workspace_counters c WHERE c.workspace_id = $1",
        workspace_id,
    )
    head, oldest = row["last_seq"], row["oldest"]
    if since > head or since < 0:
        return "unknown", head
    if since < head and (oldest is None or oldest > since + 1):
        return "expired", head
    return "ok", head


async def replay(
    db: Queryable, workspace_id: int, since: int, through: int, user_id: int, role: str
) -> AsyncIterator[tuple[int, str]]:
    """(seq, payload) of every event after `since` through `through` this member may see."""
    cursor = since
    while cursor < through:
        rows = await db.fetch(REPLAY_SQL, workspace_id, cursor, through, user_id, role, REPLAY_PAGE)
        for row in rows:
            yield row["seq"], row["payload"]
        if len(rows) < REPLAY_PAGE:
            return
        cursor = rows[-1]["seq"]
