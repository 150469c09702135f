"""The Conversations API's answers (PLATFORM.md section 8.1), decoded leniently.

    GET /me/conversations?platform=instagram&fields=participants,updated_time  -> threads,
        newest first, paged by `paging.cursors.after` (no `paging.next` on the last page)
    GET /{conversation_id}?fields=messages.limit(20){...}  -> a thread's recent messages
    GET /{message_id}?fields=...                             -> one message in detail

Only the 20 most recent messages of a thread can be read in detail; older ids answer an
error as if deleted. The sub-shapes of attachments, shares, story and reactions are not
confirmed by Meta's documentation ([U]): every field is optional here and anything
unrecognised is kept raw, so a surprise degrades into an "unsupported" message, never a
failed import.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

# What a thread's messages are asked for (one nested call per thread; asking for the
# threads and their messages in one call can fail with "reduce the amount of data").
MESSAGE_FIELDS = (
    "id,created_time,from,to,message,attachments,shares,story,reactions,is_unsupported,reply_to"
)
READABLE_MESSAGES = 20  # Meta's limit on a thread's messages readable in detail
THREADS_PER_PAGE = 25


class Party(msgspec.Struct, frozen=True):
    id: str = ""
    username: str | None = None


class Parties(msgspec.Struct, frozen=True):
    data: list[Party] = []


class Cursors(msgspec.Struct, frozen=True):
    before: str | None = None
    after: str | None = None


class Paging(msgspec.Struct, frozen=True):
    cursors: Cursors | None = None
    next: str | None = None


class Thread(msgspec.Struct, frozen=True):
    """One conversation of the list: its id, last activity and (when asked) participants."""

    id: str
    updated_time: str = ""
    participants: Parties | None = None

    @property
    def updated(self) -> datetime:
        return graph_time(self.updated_time)


class ThreadsPage(msgspec.Struct, frozen=True):
    data: list[Thread] = []
    paging: Paging | None = None

    @property
    def after(self) -> str | None:
        """The cursor of the next page, or None on the last one."""
        if self.paging is None or not self.paging.next or self.paging.cursors is None:
            return None
        return self.paging.cursors.after


class Edge(msgspec.Struct, frozen=True):
    """A `{"data": [...]}` edge whose items are kept as Meta sent them."""

    data: list[dict[str, Any]] = []


class ApiMessage(msgspec.Struct, frozen=True, rename={"sender": "from"}):
    id: str
    created_time: str = ""
    sender: Party | None = None
    to: Parties | None = None
    message: str | None = None
    attachments: Edge | None = None
    shares: Edge | None = None
    story: dict[str, Any] | None = None
    reactions: Edge | None = None
    is_unsupported: bool = False
    reply_to: dict[str, Any] | None = None

    @property
    def created(self) -> datetime:
        return graph_time(self.created_time)

    @property
    def detailed(self) -> bool:
        """False when only the id and time came back (the thread listed ids, not details)."""
        return self.sender is not None


class Messages(msgspec.Struct, frozen=True):
    data: list[ApiMessage] = []
    paging: Paging | None = None


class ThreadDetail(msgspec.Struct, frozen=True):
    id: str = ""
    messages: Messages | None = None


def graph_time(value: str) -> datetime:
    """Graph's times ("2026-05-01T12:00:00+0000") as aware UTC datetimes; a missing or
    unreadable time is the epoch, which sorts first and falls outside every window."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return datetime(1970, 1, 1, tzinfo=UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def thread_fields(limit: int = READABLE_MESSAGES) -> str:
    return f"messages.limit({limit}){{{MESSAGE_FIELDS}}}"
