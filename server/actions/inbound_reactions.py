"""Contacts' reactions: the latest by Meta's timestamp wins, whatever the delivery order.

Meta retries and does not order deliveries, so a react may arrive after the unreact that
undid it, and any mix of reactions may be delivered again. Each (message, contact) keeps
one row, a last-writer-wins register: the latest event's time and what it left (a reaction,
or a tombstone `removed` for an unreact, never deleted). An event replaces the row only if
it is later, so applying any set of events in any order, any number of times, ends in the
state of the latest, and an event that is not later changes nothing and emits nothing.

Events with the same timestamp (Meta's milliseconds) are ordered by what they leave, so
that every order converges on one winner: an unreact beats a react (a reaction shown that
the contact took back is worse than one missing), and between two reacts the greater
(reaction, emoji) in code point order wins (an arbitrary but fixed choice).

A batch's reactions are applied in one statement (this is the ingest path, see
actions/inbound.py); reaction.changed goes out once per message whose shown reactions
changed, carrying them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from wazify.actions.uow import UnitOfWork
from wazify.conversations.queries import reactions_of
from wazify.meta.events import ReactionChanged
from wazify.realtime import events

# The register's order: (time, removed, reaction, emoji), compared byte-wise (COLLATE "C",
# which is code point order in UTF-8, as Python compares the batch's own events below).
UPSERT_REACTIONS = """
WITH incoming AS (
    SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[],
                         $6::timestamptz[], $7::bool[])
        AS i(workspace_id, message_id, reactor_id, reaction, emoji, reacted_at, removed)
), shown_before AS (
    SELECT r.message_id, r.reactor_id, r.reaction, r.emoji, r.removed
    FROM reactions r JOIN incoming i ON r.message_id = i.message_id
        AND r.reactor_kind = 'contact' AND r.reactor_id = i.reactor_id
), written AS (
    INSERT INTO reactions AS r (workspace_id, message_id, reactor_kind, reactor_id, reaction,
                                emoji, reacted_at, removed)
    SELECT workspace_id, message_id, 'contact', reactor_id, reaction, emoji, reacted_at, removed
    FROM incoming ORDER BY message_id, reactor_id
    ON CONFLICT (message_id, reactor_kind, reactor_id) DO UPDATE
    SET reaction = EXCLUDED.reaction, emoji = EXCLUDED.emoji,
        reacted_at = EXCLUDED.reacted_at, removed = EXCLUDED.removed
    WHERE (r.reacted_at, r.removed, r.reaction COLLATE "C", r.emoji COLLATE "C")
        < (EXCLUDED.reacted_at, EXCLUDED.removed, EXCLUDED.reaction COLLATE "C",
           EXCLUDED.emoji COLLATE "C")
    RETURNING r.message_id, r.reactor_id, r.reaction, r.emoji, r.removed
)
SELECT DISTINCT w.message_id FROM written w
LEFT JOIN shown_before b ON b.message_id = w.message_id AND b.reactor_id = w.reactor_id
WHERE coalesce(b.removed, true) <> w.removed
   OR (NOT w.removed AND (b.reaction, b.emoji) IS DISTINCT FROM (w.reaction, w.emoji))
"""


def _register(item: ReactionChanged) -> tuple[datetime, bool, str, str]:
    """What the event leaves, in the register's order."""
    if item.action == "unreact":
        return (item.timestamp, True, "", "")
    reaction = item.reaction or ""
    return (item.timestamp, False, reaction, item.emoji or reaction)


async def apply_reactions(
    uow: UnitOfWork, reactions: Sequence[tuple[ReactionChanged, asyncpg.Record]]
) -> None:
    """Apply contacts' reactions to their (stored) target messages."""
    latest: dict[tuple[int, str], tuple[tuple[datetime, bool, str, str], asyncpg.Record]] = {}
    for item, target in reactions:
        key = (target["id"], item.contact_igsid)
        register = _register(item)
        if key not in latest or latest[key][0] < register:
            latest[key] = (register, target)
    rows = [(key, register, target) for key, (register, target) in sorted(latest.items())]
    changed = await uow.conn.fetch(
        UPSERT_REACTIONS,
        [target["workspace_id"] for _, _, target in rows],
        [message_id for (message_id, _), _, _ in rows],
        [reactor for (_, reactor), _, _ in rows],
        [register[2] for _, register, _ in rows],
        [register[3] for _, register, _ in rows],
        [register[0] for _, register, _ in rows],
        [register[1] for _, register, _ in rows],
    )
    if not changed:
        return
    message_ids = sorted(row["message_id"] for row in changed)
    shown = await reactions_of(uow.conn, message_ids)
    target_of = {target["id"]: target for _, _, target in rows}
    for message_id in message_ids:
        target = target_of[message_id]
        uow.emit(
            events.ReactionChanged(
                workspace_id=target["workspace_id"],
                at=uow.now,
                conversation_id=target["conversation_id"],
                message_id=message_id,
                reactions=shown[message_id],
            )
        )
