"""Internal notes and their @mentions: written by any member, never sent to Instagram.

A note is a row of `notes`, never of `messages` (db/tables/team.py says why), so the
outbox, ingest and the metrics cannot mistake it for a reply. It is announced to the whole
workspace (note.created). Each member it mentions, other than its author, gets a mention
row, unread, and a mentions.updated event that only they receive, carrying their unread
count. The count is absolute (a client sets it, it never adds), so every change to one
member's mentions first takes a per-member advisory lock, held until commit: each count is
computed after the previous change committed, and the events carry them in commit order.
Editing and deleting are the author's alone, audited with the text before and after.
"""

from __future__ import annotations

from collections.abc import Iterable

from wazify.actions.uow import UnitOfWork
from wazify.db.tables import Conversation, Membership, Note, NoteMention
from wazify.db.transactions import advisory_xact_lock
from wazify.lib.errors import Forbidden, Invalid, NotFound
from wazify.lib.inputs import MAX_DB_ID, check_text
from wazify.notes.queries import NOTE_COLUMNS, note_view, note_views, unread_mentions
from wazify.notes.text import MENTIONS_MAX, NOTE_MAX_LENGTH, mentioned_ids
from wazify.realtime.events import MentionsUpdated, NoteCreated, NoteUpdated, only
from wazify.views import NoteView

MENTIONS_LOCK = 0x4D454E  # the advisory lock's first key: "mentions of member <second key>"


async def _lock_mentions_of(uow: UnitOfWork, user_ids: Iterable[int]) -> None:
    # In id order, so two units locking several members never wait on each other in a
    # cycle.
    for user_id in sorted(set(user_ids)):
        await advisory_xact_lock(uow.conn, MENTIONS_LOCK, user_id % 2**31)


async def _announce(
    uow: UnitOfWork, workspace_id: int, user_ids: Iterable[int], read: list[int] | None = None
) -> None:
    """Each member's unread count as it now stands, to that member only."""
    for user_id in sorted(set(user_ids)):
        count = await unread_mentions(workspace_id, user_id)
        event = MentionsUpdated(
            workspace_id=workspace_id,
            at=uow.now,
            user_id=user_id,
            unread_count=count,
            read_note_ids=read or [],
        )
        uow.emit(event, only(user_id))


async def _check_conversation(workspace_id: int, conversation_id: int) -> None:
    found = await Conversation.exists().where(
        (Conversation.id == conversation_id) & (Conversation.workspace == workspace_id)
    )
    if not found:
        raise NotFound(f"no conversation {conversation_id} in this workspace")


async def _check_mentions(workspace_id: int, user_ids: list[int]) -> None:
    """Every mentioned id is an active member of the workspace."""
    if len(user_ids) > MENTIONS_MAX:
        raise Invalid(f"a note mentions at most {MENTIONS_MAX} members", field="text")
    storable = [user_id for user_id in user_ids if user_id <= MAX_DB_ID]
    rows = await Membership.select(Membership.user.as_alias("user_id"), Membership.active).where(
        (Membership.workspace == workspace_id) & Membership.user.is_in(storable or [0])
    )
    active = {row["user_id"]: row["active"] for row in rows}
    for user_id in user_ids:
        if user_id not in active:
            raise Invalid(
                f"<@{user_id}> names no member of this workspace",
                field="text",
                code="unknown_member",
            )
        if not active[user_id]:
            raise Invalid(
                f"member {user_id} is deactivated and cannot be mentioned",
                field="text",
                code="inactive_member",
            )


async def _checked_text(workspace_id: int, text: str) -> tuple[str, list[int]]:
    text = check_text(text, field="text", max_length=NOTE_MAX_LENGTH)
    mentions = mentioned_ids(text)
    await _check_mentions(workspace_id, mentions)
    return text, mentions


async def do_create_note(
    uow: UnitOfWork, workspace_id: int, conversation_id: int, author_id: int, text: str
) -> NoteView:
    text, mentions = await _checked_text(workspace_id, text)
    await _check_conversation(workspace_id, conversation_id)
    notified = sorted(set(mentions) - {author_id})  # mentioning oneself notifies nobody
    await _lock_mentions_of(uow, notified)
    note = Note(workspace=workspace_id, conversation=conversation_id, author=author_id, text=text)
    note_id = (await Note.insert(note).returning(Note.id))[0]["id"]
    if notified:
        await NoteMention.insert(
            *(NoteMention(workspace=workspace_id, note=note_id, user=uid) for uid in notified)
        )
    view = (await note_views([note_id]))[note_id]
    uow.audit(
        "note.created",
        workspace_id,
        "note",
        note_id,
        after={"conversation_id": conversation_id, "mentions": mentions},
    )
    uow.emit(NoteCreated(workspace_id=workspace_id, at=uow.now, note=view))
    await _announce(uow, workspace_id, notified)
    return view


async def do_mark_mentions_read(
    uow: UnitOfWork,
    workspace_id: int,
    user_id: int,
    *,
    note_ids: list[int] | None = None,
    conversation_id: int | None = None,
) -> tuple[int, list[int]]:
    """Mark a member's unread mentions read: those of `note_ids`, or of one conversation,
    or all. Returns (unread count now, the note ids that became read)."""
    await _lock_mentions_of(uow, [user_id])
    where = (
        (NoteMention.workspace == workspace_id)
        & (NoteMention.user == user_id)
        & NoteMention.read_at.is_null()
    )
    if conversation_id is not None:
        await _check_conversation(workspace_id, conversation_id)
        rows = await Note.select(Note.id).where(Note.conversation == conversation_id)
        in_conversation = {row["id"] for row in rows}
        note_ids = sorted(in_conversation & set(note_ids or in_conversation))
    if note_ids is not None:
        if not note_ids:
            return await unread_mentions(workspace_id, user_id), []
        where &= NoteMention.note.is_in(note_ids)
    rows = (
        await NoteMention.update({NoteMention.read_at: uow.now})
        .where(where)
        .returning(NoteMention.note)
    )
    read = sorted(row["note_id"] for row in rows)
    if read:
        uow.audit("mentions.read", workspace_id, "user", user_id, after={"note_ids": read})
        await _announce(uow, workspace_id, [user_id], read)
    return await unread_mentions(workspace_id, user_id), read


async def _own_note(uow: UnitOfWork, workspace_id: int, note_id: int, user_id: int) -> dict:
    rows = (
        await Note.select(*NOTE_COLUMNS)
        .where((Note.id == note_id) & (Note.workspace == workspace_id))
        .lock_rows("NO KEY UPDATE")
    )
    if not rows or rows[0]["deleted_at"] is not None:
        raise NotFound(f"no note {note_id} in this workspace")
    if rows[0]["author_id"] != user_id:
        raise Forbidden("only the author of a note may edit or delete it")
    return rows[0]


async def _mentioned_rows(note_id: int) -> dict[int, bool]:
    """Who the note mentions now: user id -> still unread."""
    rows = await NoteMention.select(NoteMention.user, NoteMention.read_at).where(
        NoteMention.note == note_id
    )
    return {row["user_id"]: row["read_at"] is None for row in rows}


async def _remove_mentions(note_id: int, user_ids: Iterable[int]) -> None:
    removed = list(user_ids)
    if removed:
        await NoteMention.delete().where(
            (NoteMention.note == note_id) & NoteMention.user.is_in(removed)
        )


async def do_edit_note(
    uow: UnitOfWork, workspace_id: int, note_id: int, user_id: int, text: str
) -> NoteView:
    """The author rewrites their note: newly mentioned members are notified, those no
    longer mentioned lose the mention (and its unread count)."""
    text, mentions = await _checked_text(workspace_id, text)
    before = await _own_note(uow, workspace_id, note_id, user_id)
    if text == before["text"]:
        return note_view(before)
    current = await _mentioned_rows(note_id)
    wanted = set(mentions) - {user_id}
    added, removed = wanted - current.keys(), current.keys() - wanted
    await _lock_mentions_of(uow, added | removed)
    await _remove_mentions(note_id, removed)
    if added:
        await NoteMention.insert(
            *(NoteMention(workspace=workspace_id, note=note_id, user=uid) for uid in added)
        )
    await Note.update({Note.text: text, Note.edited_at: uow.now, Note.updated_at: uow.now}).where(
        Note.id == note_id
    )
    view = (await note_views([note_id]))[note_id]
    uow.audit(
        "note.edited",
        workspace_id,
        "note",
        note_id,
        before={"text": before["text"]},
        after={"text": text},
    )
    uow.emit(NoteUpdated(workspace_id=workspace_id, at=uow.now, note=view))
    await _announce(uow, workspace_id, added | {uid for uid in removed if current[uid]})
    return view


async def do_delete_note(
    uow: UnitOfWork, workspace_id: int, note_id: int, user_id: int
) -> NoteView:
    """The author removes their note: its text goes, its place in the thread stays."""
    before = await _own_note(uow, workspace_id, note_id, user_id)
    current = await _mentioned_rows(note_id)
    await _lock_mentions_of(uow, current)
    await _remove_mentions(note_id, current)
    await Note.update({Note.text: "", Note.deleted_at: uow.now, Note.updated_at: uow.now}).where(
        Note.id == note_id
    )
    view = (await note_views([note_id]))[note_id]
    uow.audit("note.deleted", workspace_id, "note", note_id, before={"text": before["text"]})
    uow.emit(NoteUpdated(workspace_id=workspace_id, at=uow.now, note=view))
    await _announce(uow, workspace_id, [uid for uid, unread in current.items() if unread])
    return view
