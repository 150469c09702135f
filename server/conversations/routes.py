"""Conversation routes: the paginated inbox, a conversation and its history, and the team's
actions on them. Every member reads everything of the workspace; roles limit changes:
agents claim, unassign themselves, change the status and mark read (contacts: contacts/);
assigning someone (and unassigning someone else) needs an admin or a supervisor.
Another workspace's conversation or contact is a 404 like an absent one."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from wazify.actions.conversations import (
    do_assign,
    do_claim,
    do_mark_read,
    do_set_status,
    do_unassign,
)
from wazify.actions.status_changes import list_status_changes
from wazify.actions.uow import unit_of_work
from wazify.audit.pagination import DEFAULT_LIMIT, check_limit, decode_cursor, page
from wazify.auth.guards import require_member, require_staff
from wazify.auth.principal import Principal, client_addr
from wazify.conversations.queries import (
    ConversationFilter,
    get_conversation,
    list_conversations,
    list_messages,
    search_query,
)
from wazify.conversations.schemas import (
    AssignRequest,
    ConversationPage,
    MessagePage,
    ReadRequest,
    ReadResponse,
    StatusRequest,
)
from wazify.labels.search import label_filter
from wazify.lib.errors import Invalid, NotFound
from wazify.lib.inputs import DbId, id_query, parse_bounded_int
from wazify.runtime import Runtime
from wazify.views import ConversationView, StatusChangeView
from wazify.workers.sender_actions import after_conversation_read

STATUSES = ("open", "pending", "resolved")


def _uow(request: Request, runtime: Runtime, principal: Principal):
    return unit_of_work(runtime, principal.actor(client_addr(request.scope)))


def _filter(
    principal: Principal,
    assignee: str,
    status: str | None,
    account: int | None,
    q: str | None,
    label_ids: tuple[int, ...] = (),
) -> ConversationFilter:
    if assignee == "mine":
        assignee_id: int | None = principal.user_id
    elif (member_id := parse_bounded_int(assignee)) is not None:
        assignee_id = member_id
    elif assignee in ("all", "unassigned"):
        assignee_id = None
    else:
        raise Invalid(
            f"assignee {assignee!r}: use mine, unassigned, all or a member's id", field="assignee"
        )
    statuses = tuple(part.strip() for part in (status or "").split(",") if part.strip())
    for item in statuses:
        if item not in STATUSES:
            raise Invalid(f"unknown status {item!r}: use open, pending or resolved", field="status")
    return ConversationFilter(
        assignee_id=assignee_id,
        unassigned=assignee == "unassigned",
        statuses=statuses,
        account_id=account,
        search=search_query(q) if q else None,
        label_ids=label_ids,
    )


@get("/conversations", guards=[require_member])
async def conversations_list(
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
    assignee: Annotated[
        str, QueryParameter(description="mine, unassigned, all or a member's id")
    ] = "all",
    status: Annotated[
        str | None, QueryParameter(description="open, pending, resolved; comma-separated")
    ] = None,
    account: Annotated[DbId | None, id_query("an account's id")] = None,
    q: Annotated[
        str | None,
        QueryParameter(
            description="words (each a prefix) in the contact's name, username, display"
            " name, a message's or a note's text; label:vip or label:\"big order\" keeps"
            " the conversations with that label",
            max_length=200,
        ),
    ] = None,
    label: Annotated[
        str | None,
        QueryParameter(
            description="label ids, comma-separated: the conversations with all of them",
            max_length=500,
        ),
    ] = None,
    cursor: FromQuery[str | None] = None,
    limit: FromQuery[int] = DEFAULT_LIMIT,
) -> ConversationPage:
    """Most recent activity first. A conversation whose activity moves it above the cursor
    while a client pages is not repeated; the live stream brings its change."""
    check_limit(limit)
    labelled = await label_filter(principal.workspace_id, label, q)
    if labelled is None:  # the search names a label nobody made: nothing matches
        return ConversationPage(items=[])
    where = _filter(principal, assignee, status, account, labelled[1], labelled[0])
    rows = await list_conversations(
        runtime.engine.pool, principal.workspace_id, where, decode_cursor(cursor), limit + 1
    )
    items, next_cursor = page(rows, limit, lambda view: (view.last_activity_at, view.id))
    return ConversationPage(items=items, next_cursor=next_cursor)


async def _conversation(
    runtime: Runtime, principal: Principal, conversation_id: int
) -> ConversationView:
    view = await get_conversation(runtime.engine.pool, principal.workspace_id, conversation_id)
    if view is None:
        raise NotFound(f"no conversation {conversation_id} in this workspace")
    return view


@get("/conversations/{conversation_id:int}", guards=[require_member])
async def conversations_get(
    conversation_id: FromPath[DbId],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> ConversationView:
    return await _conversation(runtime, principal, conversation_id)


@get("/conversations/{conversation_id:int}/messages", guards=[require_member])
async def conversations_messages(
    conversation_id: FromPath[DbId],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
    cursor: FromQuery[str | None] = None,
    limit: FromQuery[int] = DEFAULT_LIMIT,
) -> MessagePage:
    """Newest first; next_cursor gives the older page."""
    check_limit(limit)
    await _conversation(runtime, principal, conversation_id)
    rows = await list_messages(
        runtime.engine.pool, conversation_id, decode_cursor(cursor), limit + 1
    )
    items, next_cursor = page(rows, limit, lambda view: (view.sent_at, view.id))
    return MessagePage(items=items, next_cursor=next_cursor)


@get("/conversations/{conversation_id:int}/status-changes", guards=[require_member])
async def conversations_status_changes(
    conversation_id: FromPath[DbId],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> list[StatusChangeView]:
    """Its latest 500 changes of status, oldest first (the thread's reopened lines)."""
    await _conversation(runtime, principal, conversation_id)
    return await list_status_changes(conversation_id)


@post("/conversations/{conversation_id:int}/assign", guards=[require_staff], status_code=200)
async def conversations_assign(
    request: Request,
    conversation_id: FromPath[DbId],
    data: JSONBody[AssignRequest],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> ConversationView:
    """(Re)assign to any active member of the workspace."""
    async with _uow(request, runtime, principal) as uow:
        return await do_assign(
            uow, principal.workspace_id, conversation_id, data.user_id, by=principal.user_id
        )


@post("/conversations/{conversation_id:int}/claim", guards=[require_member], status_code=200)
async def conversations_claim(
    request: Request,
    conversation_id: FromPath[DbId],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> ConversationView:
    """Take an unassigned conversation; one assigned to someone else is a 409."""
    async with _uow(request, runtime, principal) as uow:
        return await do_claim(uow, principal.workspace_id, conversation_id, principal.user_id)


@post("/conversations/{conversation_id:int}/unassign", guards=[require_member], status_code=200)
async def conversations_unassign(
    request: Request,
    conversation_id: FromPath[DbId],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> ConversationView:
    """Agents unassign themselves only; admins and supervisors anyone."""
    async with _uow(request, runtime, principal) as uow:
        return await do_unassign(
            uow,
            principal.workspace_id,
            conversation_id,
            by=principal.user_id,
            only_if_assignee=None if principal.is_staff else principal.user_id,
        )


@post("/conversations/{conversation_id:int}/status", guards=[require_member], status_code=200)
async def conversations_status(
    request: Request,
    conversation_id: FromPath[DbId],
    data: JSONBody[StatusRequest],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> ConversationView:
    async with _uow(request, runtime, principal) as uow:
        return await do_set_status(
            uow, principal.workspace_id, conversation_id, data.status, data.snoozed_until
        )


@post("/conversations/{conversation_id:int}/read", guards=[require_member], status_code=200)
async def conversations_read(
    request: Request,
    conversation_id: FromPath[DbId],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
    data: JSONBody[ReadRequest | None] = None,
) -> ReadResponse:
    """The team's unread count to zero; the caller's own read position forward; then,
    in the background, Instagram's mark_seen for the customer."""
    async with _uow(request, runtime, principal) as uow:
        view, position = await do_mark_read(
            uow,
            principal.workspace_id,
            conversation_id,
            principal.user_id,
            data.message_id if data else None,
        )
    await after_conversation_read(runtime, conversation_id)  # mark_seen on Instagram, best effort
    return ReadResponse(conversation=view, read_message_id=position)


conversations_router = Router(
    path="/api/v1",
    route_handlers=[
        conversations_list,
        conversations_get,
        conversations_messages,
        conversations_status_changes,
        conversations_assign,
        conversations_claim,
        conversations_unassign,
        conversations_status,
        conversations_read,
    ],
    tags=["conversations"],
)
