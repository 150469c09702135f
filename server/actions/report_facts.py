"""Keep report facts in step with history, and record status changes.

Every write of a conversation's messages or status sets its `facts_stale` (in the same
statement that updates the conversation, so ingest pays no extra round trip); the reports
worker takes stale conversations FOR UPDATE SKIP LOCKED, derives their facts again from
scratch (wazify.reports.derive), replaces them and clears the flag, in one transaction. A
write committing meanwhile waits for the row lock and sets the flag again, so no change is
missed; and since a conversation's facts are always derived whole, the figures equal the
ones `wazify metrics rebuild` (which marks every conversation stale) derives.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from wazify.actions.uow import UnitOfWork
from wazify.reports.derive import HistoryMessage, StatusChange, derive_facts

CLAIM_STALE = """
SELECT id, workspace_id, account_id FROM conversations
WHERE facts_stale AND ($2::bigint IS NULL OR workspace_id = $2)
ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
"""
HISTORY_MESSAGES = """
SELECT id, conversation_id, direction, kind, source, author_id, sent_at FROM messages
WHERE conversation_id = ANY($1::bigint[])
"""
HISTORY_CHANGES = """
SELECT id, conversation_id, from_status, to_status, assignee_id, changed_at
FROM conversation_status_changes WHERE conversation_id = ANY($1::bigint[])
"""
INSERT_FACTS = """
INSERT INTO report_facts (workspace_id, conversation_id, account_id, kind, started_at, at,
                          member_id, first, count)
SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[],
                     $5::timestamptz[], $6::timestamptz[], $7::bigint[], $8::int[], $9::int[])
"""


async def record_status_change(
    uow: UnitOfWork, row: Mapping[str, Any], to_status: str, cause: str
) -> None:
    """History of a change a member or the snooze sweeper made (`row`: the locked
    conversation, as it was)."""
    await uow.conn.execute(
        "INSERT INTO conversation_status_changes (workspace_id, conversation_id, from_status,"
        " to_status, assignee_id, by_user_id, cause)"
        " SELECT workspace_id, id, $2, $3, assignee_id, $4, $5 FROM conversations WHERE id = $1",
        row["id"],
        row["status"],
        to_status,
        uow.actor.user_id,
        cause,
    )


async def do_refresh_facts(uow: UnitOfWork, limit: int, workspace_id: int | None = None) -> int:
    """Derive the facts of up to `limit` stale conversations again; returns how many."""
    rows = await uow.conn.fetch(CLAIM_STALE, limit, workspace_id)
    if not rows:
        return 0
    ids = [row["id"] for row in rows]
    messages: dict[int, list[HistoryMessage]] = defaultdict(list)
    for m in await uow.conn.fetch(HISTORY_MESSAGES, ids):
        messages[m["conversation_id"]].append(
            HistoryMessage(
                m["id"], m["direction"], m["kind"], m["source"], m["author_id"], m["sent_at"]
            )
        )
    changes: dict[int, list[StatusChange]] = defaultdict(list)
    for c in await uow.conn.fetch(HISTORY_CHANGES, ids):
        changes[c["conversation_id"]].append(
            StatusChange(
                c["id"], c["from_status"], c["to_status"], c["assignee_id"], c["changed_at"]
            )
        )
    columns: list[list] = [[] for _ in range(9)]
    for row in rows:
        for fact in derive_facts(messages[row["id"]], changes[row["id"]]):
            values = (row["workspace_id"], row["id"], row["account_id"], fact.kind)
            values += (fact.started_at, fact.at, fact.member_id, fact.first, fact.count)
            for column, value in zip(columns, values, strict=True):
                column.append(value)
    await uow.conn.execute("DELETE FROM report_facts WHERE conversation_id = ANY($1)", ids)
    if columns[0]:
        await uow.conn.execute(INSERT_FACTS, *columns)
    await uow.conn.execute(
        "UPDATE conversations SET facts_stale = false WHERE id = ANY($1::bigint[])", ids
    )
    return len(ids)


async def do_mark_all_stale(uow: UnitOfWork, workspace_id: int | None = None) -> int:
    """Every conversation (of one workspace) to be derived again: the rebuild's first step."""
    result = await uow.conn.execute(
        "UPDATE conversations SET facts_stale = true"
        " WHERE NOT facts_stale AND ($1::bigint IS NULL OR workspace_id = $1)",
        workspace_id,
    )
    return int(result.split()[-1])
