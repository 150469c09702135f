"""The reply collision guard: two agents must not answer the same customer unknowingly.

A reply may say what its writer last saw of the conversation (`seen`: its last message and
its assignee, as the composer had them when the writer started typing). If since then a
teammate replied (or someone answered from the Instagram app), or the conversation changed
hands to someone else, the reply is refused with a 409 (code `collision`) whose details
name what changed: who replied and when, who it was reassigned to. The writer may then
send anyway (`force`). A reply that says nothing of what it saw is not checked (the API's
older callers and scripts keep working).

The check runs after the conversation's row is locked (FOR NO KEY UPDATE, the lock the
reply's own UPDATE of the conversation takes anyway, by do_queue_reply), so of two replies
racing from the same view the second waits for the first to commit, then sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from wazify.db.tables import Message, User
from wazify.lib.errors import Conflict

# Replies of the team: typed in Wazify, or in Instagram's own app (an echo, no author).
TEAM_SOURCES = ("agent", "instagram_app")


@dataclass(frozen=True)
class Seen:
    """What the composer showed: the newest message's id (None: no message yet) and the
    assignee (None: unassigned)."""

    message_id: int | None
    assignee_id: int | None


class Collision(Conflict):
    code = "collision"

    def __init__(self, message: str, details: dict) -> None:
        super().__init__(message)
        self.details = details


async def _name_of(user_id: int | None) -> str:
    if user_id is None:
        return ""
    row = await User.select(User.name, User.email).where(User.id == user_id).first()
    return (row["name"] or row["email"]) if row else ""


async def _teammate_reply(conversation_id: int, after: int, me: int | None) -> dict | None:
    """The newest reply by someone other than `me` after message `after`, or None."""
    where = (
        (Message.conversation == conversation_id)
        & (Message.id > after)
        & (Message.direction == "out")
        & Message.source.is_in(list(TEAM_SOURCES))
    )
    if me is not None:
        where &= Message.author.is_null() | (Message.author != me)
    return (
        await Message.select(
            Message.id, Message.author.as_alias("author_id"), Message.source, Message.sent_at
        )
        .where(where)
        .order_by(Message.id, ascending=False)
        .first()
    )


def _ago(moment: datetime, now: datetime) -> str:
    seconds = max(0, int((now - moment).total_seconds()))
    return f"{seconds} s ago" if seconds < 120 else f"{seconds // 60} min ago"


async def check_collision(
    conversation_id: int,
    seen: Seen,
    *,
    assignee_id: int | None,
    me: int | None,
    now: datetime,
) -> None:
    """Raise Collision when a teammate replied or the conversation was reassigned (to
    someone other than `me`) since `seen`. Call with the conversation's row locked."""
    changes: list[dict] = []
    parts: list[str] = []
    reply = await _teammate_reply(conversation_id, seen.message_id or 0, me)
    if reply is not None:
        by_app = reply["source"] == "instagram_app"
        name = "Someone on Instagram" if by_app else await _name_of(reply["author_id"]) or "Someone"
        changes.append(
            {
                "kind": "replied",
                "message_id": reply["id"],
                "author_id": reply["author_id"],
                "author_name": name,
                "source": reply["source"],
                "at": reply["sent_at"].isoformat(),
            }
        )
        parts.append(f"{name} replied {_ago(reply['sent_at'], now)}")
    if assignee_id != seen.assignee_id and assignee_id != me:
        name = await _name_of(assignee_id)
        changes.append({"kind": "reassigned", "assignee_id": assignee_id, "assignee_name": name})
        parts.append(
            f"the conversation was reassigned to {name}"
            if name
            else "the conversation was unassigned"
        )
    if changes:
        raise Collision(
            f"Since you started writing: {'; '.join(parts)}."
            " Send again with force: true to reply anyway",
            {"changes": changes},
        )
