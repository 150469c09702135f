"""Rewriting the stores that keep copies of erased or unsent content: the event log, the
audit trail and the raw webhook receipts.

The log must stay contiguous: resume compares a cursor with the oldest event kept
(realtime.replay.check_cursor), so a hole in the middle would turn into a silent partial
replay. Events are therefore never deleted here. An event naming erased data becomes
`event.redacted` (same seq, workspace, audience and time; clients skip it); an event
carrying an unsent message keeps its type and loses the message's content, as the row did.

Candidates are found by a regular expression over the stored JSON (ids as the encoder
writes them: `"id":12,`), then decided on the decoded, typed event, so a false match (a
message with the same id as a conversation, say) is never rewritten. Rows are read FOR
UPDATE: two redactions of the same event (an erasure and an unsend scrub) take turns, and
the second sees the first's result instead of writing back content the first removed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from wazify.meta.receipt_redaction import NotJson
from wazify.realtime import events as ev
from wazify.views import ConversationView, MessageView

PAGE = 500
# Beyond this many ids the expression costs more than it saves: every event is decoded.
MAX_PATTERN_IDS = 300

SCAN_SQL = """
SELECT seq, payload::text AS payload FROM events
WHERE workspace_id = $1 AND seq > $2 AND type <> 'event.redacted'
  AND ($3::text IS NULL OR payload ~ $3)
ORDER BY seq LIMIT $4 FOR UPDATE
"""
REWRITE_SQL = """
UPDATE events e SET payload = u.payload, type = u.type
FROM unnest($2::bigint[], $3::text[], $4::text[]) AS u(seq, payload, type)
WHERE e.workspace_id = $1 AND e.seq = u.seq
"""
# The first event that may name a row created at $2 (events are written after their rows;
# a minute of margin covers clocks read in different statements).
FIRST_SEQ_SINCE_SQL = """
SELECT coalesce(min(seq), 0) FROM events
WHERE workspace_id = $1 AND created_at >= $2::timestamptz - interval '1 minute'
"""
Rewrite = Callable[[ev.Event], ev.EventBase | None]


@dataclass(frozen=True)
class Erased:
    """What an erasure removes; `names(event)` says whether an event speaks of it."""

    contact_ids: frozenset[int] = frozenset()
    conversation_ids: frozenset[int] = frozenset()
    account_ids: frozenset[int] = frozenset()
    message_ids: frozenset[int] = field(default=frozenset(), compare=False)

    def names(self, event: ev.Event) -> bool:
        if isinstance(event, ev.ContactErased | ev.AccountErased | ev.EventRedacted):
            return False  # ids only: they are how clients learn of the erasure
        if isinstance(event, ev.AccountUpdated):
            return event.account.id in self.account_ids
        if isinstance(event, ev.ContactUpdated):
            contact = event.contact
            return contact.id in self.contact_ids or contact.account_id in self.account_ids
        conversation: ConversationView | None = getattr(event, "conversation", None)
        if conversation is not None and self._names_conversation(conversation):
            return True
        message: MessageView | None = getattr(event, "message", None)
        if message is not None and message.conversation_id in self.conversation_ids:
            return True
        return getattr(event, "conversation_id", None) in self.conversation_ids

    def _names_conversation(self, conversation: ConversationView) -> bool:
        return (
            conversation.id in self.conversation_ids
            or conversation.contact.id in self.contact_ids
            or conversation.account_id in self.account_ids
        )

    def pattern(self) -> str | None:
        ids = self.contact_ids | self.conversation_ids | self.account_ids
        if not ids or len(ids) > MAX_PATTERN_IDS:
            return None
        alternatives = "|".join(str(i) for i in sorted(ids))
        return f'"(id|conversation_id|account_id)":({alternatives})[,}}]'

    def redacted(self, event: ev.Event) -> ev.EventBase | None:
        if not self.names(event):
            return None
        return ev.EventRedacted(seq=event.seq, workspace_id=event.workspace_id, at=event.at)


async def first_seq_since(conn: Any, workspace_id: int, since: Any) -> int:
    """A seq before every event written after `since` (a row's creation time)."""
    first = await conn.fetchval(FIRST_SEQ_SINCE_SQL, workspace_id, since)
    return max(first - 1, 0)


async def rewrite_page(
    conn: Any, workspace_id: int, after: int, pattern: str | None, rewrite: Rewrite
) -> tuple[int, int | None]:
    """One page of the log after `after`: (events rewritten, the seq to continue after,
    None when the log is done)."""
    rows = await conn.fetch(SCAN_SQL, workspace_id, after, pattern, PAGE)
    changes: list[tuple[int, bytes, str]] = []
    for row in rows:
        replacement = rewrite(ev.decode_event(row["payload"]))
        if replacement is not None:
            tag = type(replacement).__struct_config__.tag
            changes.append((row["seq"], ev.encode_event(replacement), str(tag)))
    if changes:
        await conn.execute(
            REWRITE_SQL,
            workspace_id,
            [seq for seq, _, _ in changes],
            [payload.decode() for _, payload, _ in changes],
            [tag for _, _, tag in changes],
        )
    return len(changes), (rows[-1]["seq"] if len(rows) == PAGE else None)


async def rewrite_log(
    conn: Any, workspace_id: int, pattern: str | None, rewrite: Rewrite, after: int = 0
) -> int:
    """Every page of the log after `after`, in the caller's transaction."""
    total = 0
    cursor: int | None = after
    while cursor is not None:
        count, cursor = await rewrite_page(conn, workspace_id, cursor, pattern, rewrite)
        total += count
    return total


def tombstone(view: MessageView) -> MessageView:
    """A message as an unsend leaves it (actions.inbound_effects._apply_unsend)."""
    return msgspec.structs.replace(
        view, text=None, attachments=[], edits=[], reply_to_story=None, deleted=True
    )


def unsent_content(message_id: int) -> tuple[str, Rewrite]:
    """The pattern and rewrite that take an unsent message's content out of events."""

    def scrub(view: MessageView | None) -> MessageView | None:
        return tombstone(view) if view is not None and view.id == message_id else view

    def rewrite(event: ev.Event) -> ev.EventBase | None:
        changes: dict[str, Any] = {}
        message = getattr(event, "message", None)
        if isinstance(message, MessageView) and message.id == message_id:
            changes["message"] = tombstone(message)
        conversation = getattr(event, "conversation", None)
        if isinstance(conversation, ConversationView):
            last = scrub(conversation.last_message)
            if last is not conversation.last_message:
                changes["conversation"] = msgspec.structs.replace(conversation, last_message=last)
        if not changes:
            return None
        scrubbed = msgspec.structs.replace(event, **changes)
        return None if scrubbed == event else scrubbed

    return f'"id":{message_id},"conversation_id":', rewrite


async def redact_audit(conn: Any, workspace_id: int, erased: Erased) -> int:
    """Audit entries about the erased rows keep what was done, by whom and when, and lose
    what they recorded of the content (a corrected name, notes...)."""
    targets = {
        "contact": erased.contact_ids,
        "conversation": erased.conversation_ids,
        "message": erased.message_ids,
    }
    status = await conn.execute(
        "UPDATE audit_entries SET before = NULL, after = NULL"
        " WHERE workspace_id = $1 AND (before IS NOT NULL OR after IS NOT NULL)"
        " AND (target_type, target_id) IN (SELECT * FROM unnest($2::text[], $3::text[]))",
        workspace_id,
        *_pairs(targets),
    )
    return int(status.rsplit(" ", 1)[1])


def _pairs(targets: dict[str, Iterable[int]]) -> tuple[list[str], list[str]]:
    kinds: list[str] = []
    ids: list[str] = []
    for kind, values in targets.items():
        for value in values:
            kinds.append(kind)
            ids.append(str(value))
    return kinds, ids


async def redact_receipts(
    conn: Any, ig_id: str, needle: str, rewrite: Callable[[bytes], bytes | None]
) -> int:
    """Raw receipts of this account (and those not yet processed, whose accounts are not
    known yet) that contain `needle`: rewritten, or deleted when they are not JSON. Locked
    in id order, the order in which the webhook processor claims them."""
    rows = await conn.fetch(
        "SELECT id, body FROM webhook_receipts"
        " WHERE (state = 'pending' OR ig_ids @> ARRAY[$1]::text[])"
        " AND position(convert_to($2, 'UTF8') IN body) > 0 ORDER BY id FOR UPDATE",
        ig_id,
        needle,
    )
    changed = 0
    for row in rows:
        try:
            body = rewrite(row["body"])
        except NotJson:
            await conn.execute("DELETE FROM webhook_receipts WHERE id = $1", row["id"])
            changed += 1
            continue
        if body is not None:
            await conn.execute(
                "UPDATE webhook_receipts SET body = $2 WHERE id = $1", row["id"], body
            )
            changed += 1
    return changed
