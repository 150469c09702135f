"""Replies and reactions. Any member may reply: a reply is stored as pending and shown live
(message.created) before the sender worker calls Meta; its outcome arrives as
message.updated. Reactions go to Meta at once and are recorded when Meta takes them.
Another workspace's conversation is a 404 like an absent one."""

from __future__ import annotations

from litestar import Request, Response, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from wazify.actions.collisions import Seen
from wazify.actions.replies import do_queue_reply, do_retry_reply
from wazify.actions.uow import unit_of_work
from wazify.auth.guards import require_member
from wazify.auth.principal import Principal, client_addr
from wazify.conversations.queries import message_views
from wazify.lib.errors import Unavailable
from wazify.lib.inputs import DbId
from wazify.replies.schemas import ReactionRequest, RetryRequest, SendReplyRequest
from wazify.runtime import Runtime
from wazify.views import MessageView
from wazify.workers.outbound import Outbound

API = "/api/v1"
ROUTE: dict = {"guards": [require_member], "tags": ["replies"]}


def _typed_by_person(principal: Principal) -> bool:
    # A signed-in person types; API tokens are scripts and bots (no HUMAN_AGENT tag for them).
    return principal.via == "session"


@post(f"{API}/conversations/{{conversation_id:int}}/messages", **ROUTE, status_code=201)
async def replies_send(
    request: Request,
    conversation_id: FromPath[DbId],
    data: JSONBody[SendReplyRequest],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> Response[MessageView]:
    """201 with the new pending message; 200 with the same message for a known client_id;
    409 (code collision) when `seen` is given, a teammate replied or the conversation was
    reassigned since, and `force` is not true."""
    async with unit_of_work(runtime, principal.actor(client_addr(request.scope))) as uow:
        view, created = await do_queue_reply(
            uow,
            principal.workspace_id,
            conversation_id,
            author_id=principal.user_id,
            by_person=_typed_by_person(principal),
            text=data.text,
            attachments=[{"type": item.type, "url": item.url} for item in data.attachments],
            quick_replies=[
                {"title": item.title, "payload": item.payload} for item in data.quick_replies
            ],
            client_id=data.client_id,
            canned_response_id=data.canned_response_id,
            seen=Seen(data.seen.message_id, data.seen.assignee_id) if data.seen else None,
            force=data.force,
        )
    return Response(view, status_code=201 if created else 200)


@post(f"{API}/conversations/{{conversation_id:int}}/messages/{{message_id:int}}/retry", **ROUTE)
async def replies_retry(
    request: Request,
    conversation_id: FromPath[DbId],
    message_id: FromPath[DbId],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
    data: JSONBody[RetryRequest | None] = None,
) -> Response[MessageView]:
    """Resend a failed reply as a new message (the failed one stays as it is)."""
    async with unit_of_work(runtime, principal.actor(client_addr(request.scope))) as uow:
        view, created = await do_retry_reply(
            uow,
            principal.workspace_id,
            conversation_id,
            message_id,
            author_id=principal.user_id,
            by_person=_typed_by_person(principal),
            client_id=data.client_id if data else None,
        )
    return Response(view, status_code=201 if created else 200)


@post(
    f"{API}/conversations/{{conversation_id:int}}/messages/{{message_id:int}}/reactions",
    **ROUTE,
    status_code=200,
)
async def replies_react(
    request: Request,
    conversation_id: FromPath[DbId],
    message_id: FromPath[DbId],
    data: JSONBody[ReactionRequest],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
    outbound: NamedDependency[Outbound | None],
) -> MessageView:
    """React to a customer's message (an emoji, or null to remove the reaction)."""
    if outbound is None:
        raise Unavailable("sending is not available in this process")
    await outbound.actions.react(
        principal.actor(client_addr(request.scope)),
        principal.workspace_id,
        conversation_id,
        message_id,
        data.emoji,
    )
    return (await message_views(runtime.engine.pool, [message_id]))[message_id]


# Plain handlers, not a Router: `/conversations/{id}/messages` also has the conversations
# router's GET, and two Routers on one path each bring an OPTIONS handler, which Litestar
# refuses. Registered after that router (app.py), these join its route instead.
replies_handlers = [replies_send, replies_retry, replies_react]
