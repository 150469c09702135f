"""The team's replies and reactions: checked, stored, shown live.

A reply is a messages row (direction out, source agent) that is also the outbox: stored as
`pending` and announced (message.created) in one transaction, before anything is sent. The
sender worker (wazify.workers.sender) claims it, calls Meta, and records the outcome through
wazify.actions.outbox. Windows are enforced here, with a clear error: 24 hours after the
customer's last message; after that, the HUMAN_AGENT tag for up to 7 days, only for
replies typed by a person. A client id makes a retried request idempotent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import msgspec

from wazify.actions.canned import do_count_canned_use
from wazify.actions.collisions import Seen, check_collision
from wazify.actions.uow import UnitOfWork
from wazify.conversations.queries import conversation_views, message_views, reactions_of
from wazify.db.expressions import db_now
from wazify.db.tables import Message, Reaction
from wazify.lib.errors import Conflict, Invalid, NotFound
from wazify.meta.send import (
    ATTACHMENT_TYPES,
    ATTACHMENTS_MAX,
    QUICK_REPLIES_MAX,
    QUICK_REPLY_TITLE_MAX,
    TEXT_LIMIT_BYTES,
    text_bytes,
)
from wazify.realtime.events import MessageCreated, ReactionChanged
from wazify.views import MessageView, ReactionView

OUTBOX_CHANNEL = "wazify_outbox"  # NOTIFY'd on commit: wakes every sender process
# The status reason of a pending reply while its account needs reconnecting.
HELD_REASON = "held: reconnect required (it is sent once an admin reconnects the account)"


def check_content(
    text: str | None,
    attachments: list[dict[str, str]],
    quick_replies: list[dict[str, str]],
    own_media: bool = False,
) -> None:
    """Text (with optional quick replies) or attachments by URL, within Meta's limits.
    `own_media`: the URLs are this server's own (uploads), served at its public URL."""
    if text is not None and not text.strip():
        raise Invalid("the text is empty", field="text")
    if text is None and not attachments:
        raise Invalid("a reply needs text or attachments", field="text")
    if text is not None and attachments:
        raise Invalid("send text and attachments as separate replies", field="attachments")
    size = text_bytes(text)
    if size > TEXT_LIMIT_BYTES:
        raise Invalid(
            f"the text is {size} bytes in UTF-8; Meta's limit is {TEXT_LIMIT_BYTES} bytes",
            field="text",
            code="text_too_long",
        )
    if len(attachments) > ATTACHMENTS_MAX:
        raise Invalid(f"at most {ATTACHMENTS_MAX} attachments", field="attachments")
    for item in attachments:
        if item["type"] not in ATTACHMENT_TYPES:
            kinds = ", ".join(sorted(ATTACHMENT_TYPES))
            raise Invalid(f"attachment type must be one of {kinds}", field="attachments")
        parts = urlsplit(item["url"])
        if not own_media and (parts.scheme != "https" or not parts.netloc):
            raise Invalid("attachment URLs must be public https:// URLs", field="attachments")
    if quick_replies and text is None:
        raise Invalid("quick replies go with a text", field="quick_replies")
    if len(quick_replies) > QUICK_REPLIES_MAX:
        raise Invalid(f"at most {QUICK_REPLIES_MAX} quick replies", field="quick_replies")
    for item in quick_replies:
        if not 0 < len(item["title"]) <= QUICK_REPLY_TITLE_MAX or not item["payload"]:
            raise Invalid(
                f"each quick reply needs a title of 1 to {QUICK_REPLY_TITLE_MAX} characters"
                " and a payload",
                field="quick_replies",
            )


def window_tag(
    window_ends_at: datetime | None,
    human_agent_ends_at: datetime | None,
    now: datetime,
    by_person: bool,
) -> bool:
    """Whether the reply needs the HUMAN_AGENT tag; Conflict when it may not be sent."""
    if window_ends_at is not None and window_ends_at > now:
        return False
    if window_ends_at is None:
        raise Conflict(
            "the customer has not written yet: Instagram lets a business reply only after"
            " the customer's message",
            code="window_closed",
        )
    if human_agent_ends_at is not None and human_agent_ends_at > now and by_person:
        return True
    if human_agent_ends_at is not None and human_agent_ends_at > now:
        raise Conflict(
            "the 24-hour window closed; only a reply typed by a person (signed in) may be"
            " sent now, with the HUMAN_AGENT tag, until "
            f"{human_agent_ends_at.isoformat(timespec='seconds')}",
            code="window_closed",
        )
    raise Conflict(
        "the messaging window closed: the customer's last message is more than 7 days old;"
        " they must write again before anyone can reply",
        code="window_closed",
    )


async def _existing(uow: UnitOfWork, workspace_id: int, client_id: str, conversation_id: int):
    row = (
        await Message.select(Message.id, Message.conversation.as_alias("conversation_id"))
        .where((Message.workspace_id == workspace_id) & (Message.client_id == client_id))
        .first()
    )
    if row is not None and row["conversation_id"] != conversation_id:
        raise Conflict(
            "this client_id was used for a message of another conversation", code="client_id_used"
        )
    return None if row is None else (await message_views(uow.conn, [row["id"]]))[row["id"]]


async def do_queue_reply(
    uow: UnitOfWork,
    workspace_id: int,
    conversation_id: int,
    *,
    author_id: int | None,
    by_person: bool,
    text: str | None = None,
    attachments: list[dict[str, str]] | None = None,
    quick_replies: list[dict[str, str]] | None = None,
    client_id: str | None = None,
    canned_response_id: int | None = None,
    seen: Seen | None = None,
    force: bool = False,
    own_media: bool = False,
) -> tuple[MessageView, bool]:
    """Store a reply as pending and announce it. Returns (view, created): a client id seen
    before returns its message unchanged (created False) and sends nothing again. A
    canned response it used is counted with it. With `seen` (and not `force`), a teammate's
    reply or a reassignment since then refuses it (wazify.actions.collisions)."""
    if client_id is not None:
        known = await _existing(uow, workspace_id, client_id, conversation_id)
        if known is not None:
            return known, False
    attachments, quick_replies = attachments or [], quick_replies or []
    check_content(text, attachments, quick_replies, own_media)
    guarded = seen is not None and not force
    # SQL from here to the notify: the outbox hot path, one round trip each, every reply.
    row = await uow.conn.fetchrow(
        "SELECT c.id, c.account_id, c.assignee_id, c.window_ends_at, c.human_agent_ends_at,"
        " a.status FROM conversations c JOIN ig_accounts a ON a.id = c.account_id"
        " WHERE c.id = $1 AND c.workspace_id = $2" + (" FOR NO KEY UPDATE OF c" if guarded else ""),
        conversation_id,
        workspace_id,
    )
    if row is None:
        raise NotFound(f"no conversation {conversation_id} in this workspace")
    if guarded:
        assert seen is not None
        await check_collision(
            conversation_id, seen, assignee_id=row["assignee_id"], me=author_id, now=uow.now
        )
    if row["status"] == "disconnected":
        raise Conflict("this Instagram account is disconnected", code="account_disconnected")
    tag = window_tag(row["window_ends_at"], row["human_agent_ends_at"], uow.now, by_person)
    held = HELD_REASON if row["status"] == "reconnect_required" else ""
    message_id = await uow.conn.fetchval(
        "INSERT INTO messages (workspace_id, conversation_id, account_id, direction, source,"
        " client_id, author_id, text, attachments, quick_replies, status, human_agent_tag,"
        " status_reason, next_attempt_at, sent_at)"
        " VALUES ($1, $2, $3, 'out', 'agent', $4, $5, $6, $7::jsonb, $8::jsonb, 'pending', $9,"
        " $10, now(), clock_timestamp())"
        " ON CONFLICT (workspace_id, client_id) WHERE client_id IS NOT NULL DO NOTHING"
        " RETURNING id",
        workspace_id,
        conversation_id,
        row["account_id"],
        client_id,
        author_id,
        text,
        _json([{"type": a["type"], "url": a["url"]} for a in attachments]),
        _json(quick_replies) if quick_replies else None,
        tag,
        held,
    )
    if message_id is None:  # the same client id committed meanwhile
        known = await _existing(uow, workspace_id, client_id or "", conversation_id)
        assert known is not None
        return known, False
    await uow.conn.execute(
        "UPDATE conversations SET last_message_id = $2, last_activity_at = now(),"
        " last_message_at = (SELECT sent_at FROM messages WHERE id = $2),"
        " first_response_at = coalesce(first_response_at, now()), facts_stale = true,"
        " updated_at = now()"
        " WHERE id = $1",
        conversation_id,
        message_id,
    )
    await uow.conn.execute("SELECT pg_notify($1, '')", OUTBOX_CHANNEL)
    # Who replied where, not what: the text stays in the message, which an erasure or the
    # workspace's message retention can then remove entirely.
    uow.audit(
        "message.replied",
        workspace_id,
        "message",
        message_id,
        after={
            "conversation_id": conversation_id,
            "by_person": by_person,
            "attachments": len(attachments),
            "quick_replies": len(quick_replies),
            "human_agent_tag": tag,
            "forced": force and seen is not None,  # sent despite a collision it was shown
        },
    )
    if canned_response_id is not None:
        await do_count_canned_use(uow, workspace_id, canned_response_id, author_id)
    view = (await message_views(uow.conn, [message_id]))[message_id]
    conversation = (await conversation_views(uow.conn, [conversation_id]))[conversation_id]
    uow.emit(
        MessageCreated(
            workspace_id=workspace_id, at=uow.now, conversation=conversation, message=view
        )
    )
    return view, True


async def do_retry_reply(
    uow: UnitOfWork,
    workspace_id: int,
    conversation_id: int,
    message_id: int,
    *,
    author_id: int | None,
    by_person: bool,
    client_id: str | None = None,
) -> tuple[MessageView, bool]:
    """A person resends a failed reply: a new message with the same content."""
    # Piccolo reads JSONB as its text (not decoded): decoded below, as before.
    row = (
        await Message.select(
            Message.text, Message.attachments, Message.quick_replies, Message.status, Message.source
        )
        .where(
            (Message.id == message_id)
            & (Message.conversation == conversation_id)
            & (Message.workspace_id == workspace_id)
            & (Message.direction == "out")
        )
        .first()
    )
    if row is None or row["source"] != "agent":
        raise NotFound(f"no reply {message_id} in this conversation")
    if row["status"] != "failed":
        raise Conflict(
            f"only a failed reply can be retried; this one is {row['status']}", code="not_failed"
        )
    view, created = await do_queue_reply(
        uow,
        workspace_id,
        conversation_id,
        author_id=author_id,
        by_person=by_person,
        text=row["text"],
        attachments=msgspec.json.decode(row["attachments"]),
        quick_replies=msgspec.json.decode(row["quick_replies"]) if row["quick_replies"] else None,
        client_id=client_id,
    )
    if created:
        uow.audit("message.retried", workspace_id, "message", message_id, after={"new": view.id})
    return view, created


async def do_react(
    uow: UnitOfWork, workspace_id: int, message_id: int, user_id: int, emoji: str | None
) -> list[ReactionView]:
    """Record the business's reaction (one per message, as on Instagram) after Meta took it."""
    target = (
        await Message.select(Message.id, Message.conversation.as_alias("conversation_id"))
        .where((Message.id == message_id) & (Message.workspace_id == workspace_id))
        .first()
    )
    if target is None:
        raise NotFound(f"no message {message_id} in this workspace")
    await Reaction.delete().where(
        (Reaction.message == message_id) & (Reaction.reactor_kind == "user")
    )
    if emoji is not None:
        reaction = Reaction(
            workspace=workspace_id,
            message=message_id,
            reactor_kind="user",
            reactor_id=str(user_id),
            reaction=emoji,
            emoji=emoji,
            reacted_at=db_now(),
        )
        await Reaction.insert(reaction)
    reactions = (await reactions_of(uow.conn, [message_id]))[message_id]
    uow.audit(
        "message.reacted",
        workspace_id,
        "message",
        message_id,
        after={"conversation_id": target["conversation_id"], "emoji": emoji},
    )
    uow.emit(
        ReactionChanged(
            workspace_id=workspace_id,
            at=uow.now,
            conversation_id=target["conversation_id"],
            message_id=message_id,
            reactions=reactions,
        )
    )
    return reactions


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode()
