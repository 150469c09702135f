"""Bodies of the notes and mentions routes. Requests reject unknown fields."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from wazify.lib.inputs import DbId
from wazify.views import ConversationView, NoteView


class Body(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class NoteRequest(Body, kw_only=True):
    """Mention a member by writing <@their user id> in the text."""

    text: Annotated[str, msgspec.Meta(max_length=20_000)]


class MentionsReadRequest(Body, kw_only=True):
    """Which of your unread mentions to mark read: these notes, the notes of one
    conversation, or (both left out) all of them."""

    note_ids: Annotated[list[DbId], msgspec.Meta(max_length=500)] | None = None
    conversation_id: DbId | None = None


class NotePage(msgspec.Struct, kw_only=True):
    items: list[NoteView]
    next_cursor: str | None = None


class Mention(msgspec.Struct, kw_only=True):
    note: NoteView
    conversation: ConversationView
    read_at: datetime | None = None


class MentionPage(msgspec.Struct, kw_only=True):
    items: list[Mention]
    unread_count: int
    next_cursor: str | None = None


class MentionsReadResponse(msgspec.Struct, kw_only=True):
    unread_count: int
    read_note_ids: list[int]
