"""Read-only queries for notes and mentions, through Piccolo's query builder (inside a unit
of work they join its transaction; outside, they use the pool)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from wazify.db.tables import Note, NoteMention
from wazify.notes.text import mentioned_ids
from wazify.views import NoteView

Cursor = tuple[datetime, int]

NOTE_COLUMNS = (
    Note.id,
    Note.conversation.as_alias("conversation_id"),
    Note.author.as_alias("author_id"),
    Note.text,
    Note.created_at,
    Note.edited_at,
    Note.deleted_at,
)


def note_view(row: dict[str, Any]) -> NoteView:
    deleted = row["deleted_at"] is not None
    text = "" if deleted else row["text"]
    return NoteView(
        id=row["id"],
        conversation_id=row["conversation_id"],
        author_id=row["author_id"],
        text=text,
        mentions=mentioned_ids(text),
        created_at=row["created_at"],
        edited_at=row["edited_at"],
        deleted=deleted,
    )


async def note_views(ids: Sequence[int]) -> dict[int, NoteView]:
    if not ids:
        return {}
    rows = await Note.select(*NOTE_COLUMNS).where(Note.id.is_in(list(ids)))
    return {row["id"]: note_view(row) for row in rows}


def _before(created_at, row_id, before: Cursor):  # type: ignore[no-untyped-def]
    """Keyset condition: strictly older than `before` in (created_at, id) order."""
    at, last_id = before
    return (created_at < at) | ((created_at == at) & (row_id < last_id))


async def list_notes(conversation_id: int, before: Cursor | None, limit: int) -> list[NoteView]:
    """A conversation's notes, newest first; `before` is the (created_at, id) of the
    oldest note already loaded."""
    query = Note.select(*NOTE_COLUMNS).where(Note.conversation == conversation_id)
    if before is not None:
        query = query.where(_before(Note.created_at, Note.id, before))
    rows = await query.order_by(Note.created_at, Note.id, ascending=False).limit(limit)
    return [note_view(row) for row in rows]


async def unread_mentions(workspace_id: int, user_id: int) -> int:
    return await NoteMention.count().where(
        (NoteMention.workspace == workspace_id)
        & (NoteMention.user == user_id)
        & NoteMention.read_at.is_null()
    )


async def list_mentions(
    workspace_id: int, user_id: int, before: Cursor | None, limit: int, unread_only: bool
) -> list[tuple[NoteView, datetime | None, Cursor]]:
    """The notes mentioning a member, newest first: each with when they read it (None:
    unread) and its cursor key."""
    note = NoteMention.note
    query = NoteMention.select(
        NoteMention.id.as_alias("mention_id"),
        NoteMention.created_at.as_alias("mentioned_at"),
        NoteMention.read_at,
        note.id.as_alias("id"),
        note.conversation.as_alias("conversation_id"),
        note.author.as_alias("author_id"),
        note.text.as_alias("text"),
        note.created_at.as_alias("created_at"),
        note.edited_at.as_alias("edited_at"),
        note.deleted_at.as_alias("deleted_at"),
    ).where((NoteMention.workspace == workspace_id) & (NoteMention.user == user_id))
    if unread_only:
        query = query.where(NoteMention.read_at.is_null())
    if before is not None:
        query = query.where(_before(NoteMention.created_at, NoteMention.id, before))
    query = query.order_by(NoteMention.created_at, NoteMention.id, ascending=False)
    rows = await query.limit(limit)
    return [
        (note_view(row), row["read_at"], (row["mentioned_at"], row["mention_id"])) for row in rows
    ]
