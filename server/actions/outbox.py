"""The outbox's state machine, through the write path (ARCHITECTURE.md, "Replies out").

    pending -> sending -> sent -> delivered -> read
                  +-> failed | unknown;  unknown -> delivered (echo) | failed (deadline)

Rows are claimed with FOR UPDATE SKIP LOCKED and a lease (the first pending reply of each
conversation that has none in flight, so a conversation's replies leave in order). Every
change emits message.updated. Nothing that may have left goes back to pending: only a
refusal that proves it was not sent (throttling, no connection) does.

While an account needs reconnecting its pending replies are held, and say so: their
status reason is HELD_REASON from the moment the account is marked (message.updated for
each), for replies queued meanwhile, and for refusals recorded after the mark (a throttled
retry must not show an outdated "rate limited"). A reconnect clears it and they drain.

SQL in the unit's transaction: a claim is one UPDATE ... WHERE id IN (SELECT ... FOR UPDATE OF m
SKIP LOCKED), a statement Piccolo's update cannot compose (docs/migrations.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import msgspec

from wazify.actions.inbound_effects import apply_deferred
from wazify.actions.message_locks import lock_message_keys
from wazify.actions.replies import HELD_REASON, OUTBOX_CHANNEL
from wazify.actions.uow import UnitOfWork
from wazify.conversations.queries import account_views, message_views
from wazify.realtime.events import AccountUpdated, MessageUpdated

CLAIM = """
WITH heads AS (
    SELECT DISTINCT ON (q.conversation_id) q.id FROM messages q
    WHERE q.status = 'pending' ORDER BY q.conversation_id, q.id
), due AS (
    SELECT m.id FROM messages m
    JOIN heads h ON h.id = m.id
    JOIN ig_accounts a ON a.id = m.account_id
    WHERE m.status = 'pending' AND m.next_attempt_at <= now() AND a.status = 'connected'
      AND NOT EXISTS (SELECT 1 FROM messages s
                      WHERE s.conversation_id = m.conversation_id AND s.status = 'sending')
    ORDER BY m.next_attempt_at, m.id LIMIT $1
    FOR UPDATE OF m SKIP LOCKED
)
UPDATE messages m SET status = 'sending', status_reason = '', sending_at = now(),
    lease_until = now() + $2::interval, next_attempt_at = now() + $2::interval,
    attempts = m.attempts + 1, updated_at = now()
FROM due WHERE m.id = due.id
RETURNING m.id
"""

CLAIMED = """
SELECT m.id, m.workspace_id, m.conversation_id, m.account_id, m.text, m.human_agent_tag,
       m.attachments::text AS attachments, m.quick_replies::text AS quick_replies, m.attempts,
       a.ig_id, a.access_token_enc, ct.igsid,
       coalesce(c.window_ends_at > now(), false) AS window_open,
       coalesce(c.human_agent_ends_at > now(), false) AS human_agent_open
FROM messages m JOIN conversations c ON c.id = m.conversation_id
JOIN contacts ct ON ct.id = c.contact_id JOIN ig_accounts a ON a.id = m.account_id
WHERE m.id = ANY($1::bigint[]) ORDER BY m.id
"""


@dataclass(frozen=True)
class Claimed:
    """A reply claimed for sending, with what the sender needs to send it."""

    id: int
    workspace_id: int
    conversation_id: int
    account_id: int
    ig_id: str
    token_enc: str | None
    recipient: str
    text: str | None
    attachments: list[dict[str, Any]]
    quick_replies: list[dict[str, Any]] | None
    human_agent_tag: bool
    window_open: bool
    human_agent_open: bool
    attempts: int

    @property
    def sendable(self) -> bool:
        """Windows are checked again at send time: a held reply may have outlived its own."""
        return self.window_open or (self.human_agent_tag and self.human_agent_open)


async def emit_updated(uow: UnitOfWork, rows: Sequence[Any]) -> None:
    views = await message_views(uow.conn, [row["id"] for row in rows])
    for row in rows:
        uow.emit(
            MessageUpdated(workspace_id=row["workspace_id"], at=uow.now, message=views[row["id"]])
        )


async def do_claim_replies(uow: UnitOfWork, limit: int, lease: timedelta) -> list[Claimed]:
    ids = [row["id"] for row in await uow.conn.fetch(CLAIM, limit, lease)]
    if not ids:
        return []
    rows = await uow.conn.fetch(CLAIMED, ids)
    await emit_updated(uow, rows)
    return [
        Claimed(
            id=row["id"],
            workspace_id=row["workspace_id"],
            conversation_id=row["conversation_id"],
            account_id=row["account_id"],
            ig_id=row["ig_id"],
            token_enc=row["access_token_enc"],
            recipient=row["igsid"],
            text=row["text"],
            attachments=msgspec.json.decode(row["attachments"]),
            quick_replies=msgspec.json.decode(row["quick_replies"])
            if row["quick_replies"]
            else None,
            human_agent_tag=row["human_agent_tag"],
            window_open=row["window_open"],
            human_agent_open=row["human_agent_open"],
            attempts=row["attempts"],
        )
        for row in rows
    ]


async def do_record_sent(uow: UnitOfWork, results: Sequence[tuple[Claimed, str | None]]) -> None:
    """Meta accepted these replies (a batch: one transaction, one counter lock for all).
    A reply whose echo came first is delivered already and stays so."""
    for reply, mid in results:
        if mid is None:
            reason = "Meta accepted it but named no message id"
            await do_record_outcome(uow, reply.id, "unknown", reason)
    named = [(reply, mid) for reply, mid in results if mid is not None]
    if not named:
        return
    # The keys a webhook batch carrying these mids (an echo, a read receipt) takes: the
    # reply learning its mid and that batch take turns.
    await lock_message_keys(uow, set(), {(reply.account_id, mid) for reply, mid in named})
    taken = {
        (row["account_id"], row["mid"])
        for row in await uow.conn.fetch(
            "SELECT m.account_id, m.mid FROM messages m"
            " JOIN unnest($1::bigint[], $2::text[]) AS k(a, mid_)"
            " ON m.account_id = k.a AND m.mid = k.mid_",
            [reply.account_id for reply, _ in named],
            [mid for _, mid in named],
        )
    }
    # Another reply of the same content may hold a mid (its echo matched first): this one
    # stays without a mid, and its own echo will match it by content.
    rows = await uow.conn.fetch(
        "UPDATE messages m SET mid = coalesce(u.mid, m.mid), status = 'sent', status_reason = '',"
        " lease_until = NULL, next_attempt_at = NULL, updated_at = now()"
        " FROM unnest($1::bigint[], $2::text[]) AS u(id, mid)"
        " WHERE m.id = u.id AND m.status IN ('sending', 'unknown') AND m.mid IS NULL"
        " RETURNING m.id, m.workspace_id, m.account_id, m.mid",
        [reply.id for reply, _ in named],
        [None if (reply.account_id, mid) in taken else mid for reply, mid in named],
    )
    arrived = [(row["account_id"], row["mid"]) for row in rows if row["mid"] is not None]
    await apply_deferred(uow, arrived)
    await emit_updated(uow, rows)


async def do_renew_lease(uow: UnitOfWork, message_id: int, lease: timedelta) -> bool:
    """Extend a claim before its send; False when it moved on (then never sent: pending)."""
    renewed = await uow.conn.fetchval(
        "UPDATE messages SET lease_until = now() + $2::interval,"
        " next_attempt_at = now() + $2::interval WHERE id = $1 AND status = 'sending'"
        " RETURNING id",
        message_id,
        lease,
    )
    if renewed is not None:
        return True
    rows = await uow.conn.fetch(
        "UPDATE messages SET status = 'pending', status_reason = '', next_attempt_at = now(),"
        " updated_at = now() WHERE id = $1 AND status = 'unknown' AND mid IS NULL"
        " RETURNING id, workspace_id",
        message_id,
    )
    await emit_updated(uow, rows)
    return False


async def do_record_outcome(
    uow: UnitOfWork,
    message_id: int,
    kind: str,
    reason: str,
    *,
    retry_in: timedelta | None = None,
    unknown_deadline: timedelta = timedelta(minutes=10),
) -> None:
    """failed, unknown, or back to pending (retry: provably not sent; held: account)."""
    if kind == "failed":
        sql = (
            "UPDATE messages SET status = 'failed', status_reason = $2, lease_until = NULL,"
            " next_attempt_at = NULL, updated_at = now()"
            " WHERE id = $1 AND status IN ('sending', 'unknown') RETURNING id, workspace_id"
        )
        rows = await uow.conn.fetch(sql, message_id, reason)
    else:
        status = "unknown" if kind == "unknown" else "pending"
        delay = unknown_deadline if kind == "unknown" else (retry_in or timedelta(0))
        # Back to pending for an account that needs reconnecting: held, whatever the answer.
        rows = await uow.conn.fetch(
            "UPDATE messages m SET status = $3, status_reason = CASE WHEN $3 = 'pending' AND"
            " (SELECT a.status FROM ig_accounts a WHERE a.id = m.account_id) <> 'connected'"
            " THEN $5 ELSE $2 END, lease_until = NULL,"
            " next_attempt_at = now() + $4::interval, updated_at = now()"
            " WHERE id = $1 AND status = 'sending' RETURNING id, workspace_id",
            message_id,
            reason,
            status,
            delay,
            HELD_REASON,
        )
    await emit_updated(uow, rows)


async def do_mark_reconnect_required(uow: UnitOfWork, account_id: int, reason: str) -> bool:
    """Meta refused the account's token: everyone sees it; its replies wait for a reconnect."""
    workspace_id = await uow.conn.fetchval(
        "UPDATE ig_accounts SET status = 'reconnect_required', status_reason = $2,"
        " updated_at = now() WHERE id = $1 AND status = 'connected' RETURNING workspace_id",
        account_id,
        reason,
    )
    if workspace_id is None:
        return False
    view = (await account_views(uow.conn, [account_id]))[account_id]
    uow.emit(AccountUpdated(workspace_id=workspace_id, at=uow.now, account=view))
    uow.audit(
        "account.reconnect_required",
        workspace_id,
        "ig_account",
        account_id,
        after={"reason": reason},
    )
    held = await uow.conn.fetch(
        "UPDATE messages SET status_reason = $2, updated_at = now()"
        " WHERE account_id = $1 AND status = 'pending' AND status_reason <> $2"
        " RETURNING id, workspace_id",
        account_id,
        HELD_REASON,
    )
    await emit_updated(uow, sorted(held, key=lambda row: row["id"]))
    return True


async def do_release_held(uow: UnitOfWork, account_id: int) -> int:
    """The account is connected again: its held replies wait for nothing but their turn."""
    released = await uow.conn.fetch(
        "UPDATE messages SET status_reason = '', updated_at = now()"
        " WHERE account_id = $1 AND status = 'pending' AND status_reason = $2"
        " RETURNING id, workspace_id",
        account_id,
        HELD_REASON,
    )
    if released:
        await uow.conn.execute("SELECT pg_notify($1, '')", OUTBOX_CHANNEL)
        await emit_updated(uow, sorted(released, key=lambda row: row["id"]))
    return len(released)


async def do_resolve_stale(uow: UnitOfWork, unknown_deadline: timedelta, limit: int = 500) -> int:
    """Leases that ran out (the sender died mid-send) become unknown; unknowns whose echo
    never came within the deadline fail with "outcome unknown"."""
    lost = await uow.conn.fetch(
        "UPDATE messages SET status = 'unknown', lease_until = NULL,"
        " status_reason = 'the sender stopped while sending: it may have been sent;"
        " waiting for its echo', next_attempt_at = now() + $1::interval, updated_at = now()"
        " WHERE id IN (SELECT id FROM messages WHERE status = 'sending' AND next_attempt_at < now()"
        " ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING id, workspace_id",
        unknown_deadline,
        limit,
    )
    expired = await uow.conn.fetch(
        "UPDATE messages SET status = 'failed', next_attempt_at = NULL, updated_at = now(),"
        " status_reason = 'outcome unknown: no echo from Meta within ' || $1 || ' seconds;"
        " it may or may not have reached the customer'"
        " WHERE id IN (SELECT id FROM messages"
        " WHERE status = 'unknown' AND next_attempt_at <= now() ORDER BY id LIMIT $2"
        " FOR UPDATE SKIP LOCKED) RETURNING id, workspace_id",
        str(int(unknown_deadline.total_seconds())),
        limit,
    )
    await emit_updated(uow, [*lost, *expired])
    return len(lost) + len(expired)
