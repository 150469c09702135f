"""Labels. Every member sees them and applies or removes them on conversations; admins
create, rename, recolour and delete them. Another workspace's label or conversation is a
404 like an absent one (an unknown label named in a body is a 400)."""

from __future__ import annotations

from litestar import Request, Router, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from wazify.actions.labels import (
    do_add_label,
    do_create_label,
    do_delete_label,
    do_remove_label,
    do_update_label,
)
from wazify.auth.guards import require_admin, require_member
from wazify.auth.principal import Principal, acting
from wazify.labels.queries import list_labels
from wazify.labels.schemas import ApplyLabelRequest, CreateLabelRequest, UpdateLabelRequest
from wazify.lib.inputs import DbId
from wazify.runtime import Runtime
from wazify.views import ConversationView, LabelView


@get("/labels", guards=[require_member])
async def labels_list(principal: NamedDependency[Principal]) -> list[LabelView]:
    """By name."""
    return await list_labels(principal.workspace_id)


@post("/labels", guards=[require_admin], status_code=201)
async def labels_create(
    request: Request,
    data: JSONBody[CreateLabelRequest],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> LabelView:
    """A name unique in the workspace without regard to case (else 409)."""
    async with acting(runtime, principal, request.scope) as uow:
        return await do_create_label(uow, principal.workspace_id, data.name, data.color)


@patch("/labels/{label_id:int}", guards=[require_admin])
async def labels_update(
    request: Request,
    label_id: DbId,
    data: JSONBody[UpdateLabelRequest],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> LabelView:
    async with acting(runtime, principal, request.scope) as uow:
        return await do_update_label(
            uow, principal.workspace_id, label_id, name=data.name, color=data.color
        )


@delete("/labels/{label_id:int}", guards=[require_admin])
async def labels_delete(
    request: Request,
    label_id: DbId,
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> None:
    """The label leaves every conversation that had it."""
    async with acting(runtime, principal, request.scope) as uow:
        await do_delete_label(uow, principal.workspace_id, label_id)


@post("/conversations/{conversation_id:int}/labels", guards=[require_member], status_code=200)
async def conversations_add_label(
    request: Request,
    conversation_id: DbId,
    data: JSONBody[ApplyLabelRequest],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> ConversationView:
    async with acting(runtime, principal, request.scope) as uow:
        return await do_add_label(
            uow, principal.workspace_id, conversation_id, data.label_id, principal.user_id
        )


@delete(
    "/conversations/{conversation_id:int}/labels/{label_id:int}",
    guards=[require_member],
    status_code=200,
)
async def conversations_remove_label(
    request: Request,
    conversation_id: DbId,
    label_id: DbId,
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> ConversationView:
    async with acting(runtime, principal, request.scope) as uow:
        return await do_remove_label(uow, principal.workspace_id, conversation_id, label_id)


labels_router = Router(
    path="/api/v1",
    route_handlers=[
        labels_list,
        labels_create,
        labels_update,
        labels_delete,
        conversations_add_label,
        conversations_remove_label,
    ],
    tags=["labels"],
)
