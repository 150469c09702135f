"""Internal notes and mentions. Any member reads and writes notes (a note is never sent to
Instagram); only its author edits or deletes one. Mentions are each member's own: the
list of notes that mention you and their read state. Another workspace's conversation or
note is a 404 like an absent one."""

from __future__ import annotations

from litestar import Request, Router, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody

from wazify.actions.notes import do_create_note, do_delete_note, do_edit_note, do_mark_mentions_read
from wazify.audit.pagination import DEFAULT_LIMIT, check_limit, decode_cursor, page
from wazify.auth.guards import require_member
from wazify.auth.principal import Principal, acting
from wazify.conversations.queries import conversation_views, get_conversation
from wazify.lib.errors import NotFound
from wazify.lib.inputs import DbId
from wazify.notes.queries import list_mentions, list_notes, unread_mentions
from wazify.notes.schemas import (
    Mention,
    MentionPage,
    MentionsReadRequest,
    MentionsReadResponse,
    NotePage,
    NoteRequest,
)
from wazify.runtime import Runtime
from wazify.views import NoteView


@get("/conversations/{conversation_id:int}/notes", guards=[require_member])
async def notes_list(
    conversation_id: DbId,
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
    cursor: FromQuery[str | None] = None,
    limit: FromQuery[int] = DEFAULT_LIMIT,
) -> NotePage:
    """Newest first; next_cursor gives the older page."""
    check_limit(limit)
    if await get_conversation(runtime.engine.pool, principal.workspace_id, conversation_id) is None:
        raise NotFound(f"no conversation {conversation_id} in this workspace")
    rows = await list_notes(conversation_id, decode_cursor(cursor), limit + 1)
    items, next_cursor = page(rows, limit, lambda note: (note.created_at, note.id))
    return NotePage(items=items, next_cursor=next_cursor)


@post("/conversations/{conversation_id:int}/notes", guards=[require_member], status_code=201)
async def notes_create(
    request: Request,
    conversation_id: DbId,
    data: JSONBody[NoteRequest],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> NoteView:
    """Only the team sees it; members mentioned as <@id> are notified."""
    async with acting(runtime, principal, request.scope) as uow:
        return await do_create_note(
            uow, principal.workspace_id, conversation_id, principal.user_id, data.text
        )


@patch("/notes/{note_id:int}", guards=[require_member])
async def notes_edit(
    request: Request,
    note_id: DbId,
    data: JSONBody[NoteRequest],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> NoteView:
    """The author rewrites their note (audited)."""
    async with acting(runtime, principal, request.scope) as uow:
        return await do_edit_note(
            uow, principal.workspace_id, note_id, principal.user_id, data.text
        )


@delete("/notes/{note_id:int}", guards=[require_member], status_code=200)
async def notes_delete(
    request: Request,
    note_id: DbId,
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> NoteView:
    """The author deletes their note: its text goes, a "deleted" mark keeps its place."""
    async with acting(runtime, principal, request.scope) as uow:
        return await do_delete_note(uow, principal.workspace_id, note_id, principal.user_id)


@get("/mentions", guards=[require_member])
async def mentions_list(
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
    unread: FromQuery[bool] = False,
    cursor: FromQuery[str | None] = None,
    limit: FromQuery[int] = DEFAULT_LIMIT,
) -> MentionPage:
    """The notes that mention you, newest first, each with its conversation."""
    check_limit(limit)
    workspace_id, user_id = principal.workspace_id, principal.user_id
    rows = await list_mentions(workspace_id, user_id, decode_cursor(cursor), limit + 1, unread)
    items, next_cursor = page(rows, limit, lambda row: row[2])
    conversations = await conversation_views(
        runtime.engine.pool, list({note.conversation_id for note, _, _ in items})
    )
    mentions = [
        Mention(note=note, conversation=conversations[note.conversation_id], read_at=read_at)
        for note, read_at, _ in items
    ]
    count = await unread_mentions(workspace_id, user_id)
    return MentionPage(items=mentions, unread_count=count, next_cursor=next_cursor)


@post("/mentions/read", guards=[require_member], status_code=200)
async def mentions_read(
    request: Request,
    data: JSONBody[MentionsReadRequest],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> MentionsReadResponse:
    async with acting(runtime, principal, request.scope) as uow:
        count, read = await do_mark_mentions_read(
            uow,
            principal.workspace_id,
            principal.user_id,
            note_ids=data.note_ids,
            conversation_id=data.conversation_id,
        )
    return MentionsReadResponse(unread_count=count, read_note_ids=read)


notes_router = Router(
    path="/api/v1",
    route_handlers=[
        notes_list,
        notes_create,
        notes_edit,
        notes_delete,
        mentions_list,
        mentions_read,
    ],
    tags=["notes"],
)
