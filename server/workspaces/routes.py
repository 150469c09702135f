"""The workspace itself. Every member reads it (its name, message retention and any pending
deletion: the app shows that as a banner); admins correct its name, set the message
retention, and request or cancel its deletion (typed confirmation: the slug)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

import msgspec
from litestar import Request, Router, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from wazify.actions.deletions import do_cancel_workspace_deletion, do_request_workspace_deletion
from wazify.actions.uow import unit_of_work
from wazify.actions.workspaces import KEEP, do_update_workspace
from wazify.auth.guards import require_admin, require_member
from wazify.auth.principal import Principal, client_addr
from wazify.lib.errors import NotFound
from wazify.runtime import Runtime
from wazify.views import WorkspaceView
from wazify.workspaces.queries import workspace_view


class Body(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class UpdateWorkspaceRequest(Body, kw_only=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    # null: keep messages while the workspace exists; absent: unchanged.
    message_retention_days: int | msgspec.UnsetType | None = msgspec.UNSET


class DeletionRequest(Body, kw_only=True):
    confirm: Annotated[str, msgspec.Meta(max_length=63)]


@get("/workspace", guards=[require_member])
async def workspace_get(
    runtime: NamedDependency[Runtime], principal: NamedDependency[Principal]
) -> WorkspaceView:
    view = await workspace_view(runtime.engine.pool, principal.workspace_id)
    if view is None:
        raise NotFound("this workspace no longer exists")
    return view


@patch("/workspace", guards=[require_admin])
async def workspace_update(
    request: Request,
    data: JSONBody[UpdateWorkspaceRequest],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> WorkspaceView:
    retention = (
        KEEP if data.message_retention_days is msgspec.UNSET else data.message_retention_days
    )
    async with unit_of_work(runtime, principal.actor(client_addr(request.scope))) as uow:
        return await do_update_workspace(
            uow, principal.workspace_id, name=data.name, message_retention_days=retention
        )


@post("/workspace/deletion", guards=[require_admin], status_code=202)
async def workspace_deletion_request(
    request: Request,
    data: JSONBody[DeletionRequest],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
    wake_deletions: NamedDependency[Callable[[], None]],
) -> WorkspaceView:
    """Schedule the permanent deletion after the grace period (WAZIFY_DELETION_GRACE_DAYS,
    7 by default); the answer says when (`deletion_due_at`)."""
    grace = timedelta(days=runtime.settings.deletion_grace_days)
    async with unit_of_work(runtime, principal.actor(client_addr(request.scope))) as uow:
        view = await do_request_workspace_deletion(
            uow,
            principal.workspace_id,
            requested_by=principal.user_id,
            confirm=data.confirm,
            grace=grace,
        )
    wake_deletions()  # a grace of 0 days: due at once
    return view


@delete("/workspace/deletion", guards=[require_admin], status_code=200)
async def workspace_deletion_cancel(
    request: Request, runtime: NamedDependency[Runtime], principal: NamedDependency[Principal]
) -> WorkspaceView:
    async with unit_of_work(runtime, principal.actor(client_addr(request.scope))) as uow:
        return await do_cancel_workspace_deletion(uow, principal.workspace_id)


workspace_router = Router(
    path="/api/v1",
    route_handlers=[
        workspace_get,
        workspace_update,
        workspace_deletion_request,
        workspace_deletion_cancel,
    ],
    tags=["workspace"],
)
