"""Echoes that overtook the Send API's answer (ARCHITECTURE.md, "Replies out").

Meta sometimes delivers a reply's echo before it answers the send, and a reply whose
outcome is unknown (a timeout, a 5xx, a crash mid-send) only ever learns its mid from its
echo. Such an echo names a mid we do not know: before it is stored as a message sent from
the Instagram app, it is matched to the sending or unknown reply with the same recipient
and content, sent within a short window, which then becomes delivered.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import msgspec

from wazify.actions.inbound_effects import apply_deferred
from wazify.actions.outbox import emit_updated
from wazify.actions.uow import UnitOfWork

if TYPE_CHECKING:
    from wazify.actions.inbound_rows import RowDraft

# How far apart an echo's time and a reply's send may be for the echo to be that reply's.
ECHO_MATCH_WINDOW = timedelta(minutes=2)

MATCH_ECHO = """
UPDATE messages m SET mid = $3, status = 'delivered', status_reason = '', lease_until = NULL,
    next_attempt_at = NULL, updated_at = now()
WHERE m.id = (
    SELECT o.id FROM messages o
    JOIN conversations c ON c.id = o.conversation_id JOIN contacts ct ON ct.id = c.contact_id
    WHERE o.account_id = $1 AND ct.igsid = $2 AND o.direction = 'out' AND o.source = 'agent'
      AND o.mid IS NULL AND o.status IN ('sending', 'unknown', 'sent')
      AND o.text IS NOT DISTINCT FROM $4
      AND (SELECT coalesce(jsonb_agg(e -> 'type'), '[]'::jsonb)
           FROM jsonb_array_elements(o.attachments) e) = $5::jsonb
      AND o.sending_at BETWEEN $6::timestamptz - $7::interval AND $6::timestamptz + $7::interval
    ORDER BY o.sending_at, o.id LIMIT 1 FOR UPDATE OF o)
RETURNING m.id, m.workspace_id
"""


async def match_overtaking_echoes(uow: UnitOfWork, echoes: Sequence[tuple[RowDraft, Any]]) -> None:
    """Echoes of mids we do not know yet: the reply may still be waiting for the Send API's
    answer (or never got it). Match it by recipient and content within a short window, so
    the echo confirms it instead of being stored a second time as sent from the app."""
    if not echoes:
        return
    known = {
        (row["account_id"], row["mid"])
        for row in await uow.conn.fetch(
            "SELECT account_id, mid FROM messages m JOIN unnest($1::bigint[], $2::text[])"
            " AS e(a, mid_) ON m.account_id = e.a AND m.mid = e.mid_",
            [account.id for _, account in echoes],
            [draft.mid for draft, _ in echoes],
        )
    }
    for draft, account in echoes:
        if (account.id, draft.mid) in known:
            continue
        types = [attachment.type for attachment in draft.attachments]
        rows = await uow.conn.fetch(
            MATCH_ECHO,
            account.id,
            draft.contact_igsid,
            draft.mid,
            draft.text,
            msgspec.json.encode(types).decode(),
            draft.sent_at,
            ECHO_MATCH_WINDOW,
        )
        if rows:
            await apply_deferred(uow, [(account.id, draft.mid)])
            await emit_updated(uow, rows)
