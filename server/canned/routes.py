"""Canned responses. Every member lists the shared ones and their own; anyone manages their
own personal responses; shared ones are managed by admins and supervisors. Another
member's personal response, like another workspace's, is a 404."""

from __future__ import annotations

from litestar import Request, Router, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from wazify.actions.canned import do_create_canned, do_delete_canned, do_update_canned
from wazify.auth.guards import require_member
from wazify.auth.principal import Principal, acting
from wazify.canned.queries import get_canned, list_canned
from wazify.canned.schemas import CreateCannedRequest, UpdateCannedRequest
from wazify.lib.errors import Forbidden, NotFound
from wazify.lib.inputs import DbId
from wazify.runtime import Runtime
from wazify.views import CannedResponseView

SHARED_REFUSAL = "shared canned responses are managed by admins and supervisors"


def check_may_manage(principal: Principal, shared: bool) -> None:
    if shared and not principal.is_staff:
        raise Forbidden(f"{SHARED_REFUSAL}; you are {principal.role}")


async def _managed(principal: Principal, canned_id: int) -> CannedResponseView:
    view = await get_canned(principal.workspace_id, principal.user_id, canned_id)
    if view is None:
        raise NotFound(f"no canned response {canned_id} in this workspace")
    check_may_manage(principal, view.owner_id is None)
    return view


@get("/canned-responses", guards=[require_member])
async def canned_list(principal: NamedDependency[Principal]) -> list[CannedResponseView]:
    """The shared ones and yours, by shortcut."""
    return await list_canned(principal.workspace_id, principal.user_id)


@post("/canned-responses", guards=[require_member], status_code=201)
async def canned_create(
    request: Request,
    data: JSONBody[CreateCannedRequest],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> CannedResponseView:
    """A shortcut unique in its scope without regard to case (else 409)."""
    check_may_manage(principal, data.shared)
    async with acting(runtime, principal, request.scope) as uow:
        return await do_create_canned(
            uow,
            principal.workspace_id,
            shortcut=data.shortcut,
            text=data.text,
            owner_id=None if data.shared else principal.user_id,
            created_by=principal.user_id,
        )


@patch("/canned-responses/{canned_id:int}", guards=[require_member])
async def canned_update(
    request: Request,
    canned_id: DbId,
    data: JSONBody[UpdateCannedRequest],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> CannedResponseView:
    await _managed(principal, canned_id)
    async with acting(runtime, principal, request.scope) as uow:
        return await do_update_canned(
            uow, principal.workspace_id, canned_id, shortcut=data.shortcut, text=data.text
        )


@delete("/canned-responses/{canned_id:int}", guards=[require_member])
async def canned_delete(
    request: Request,
    canned_id: DbId,
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> None:
    await _managed(principal, canned_id)
    async with acting(runtime, principal, request.scope) as uow:
        await do_delete_canned(uow, principal.workspace_id, canned_id)


canned_router = Router(
    path="/api/v1",
    route_handlers=[canned_list, canned_create, canned_update, canned_delete],
    tags=["canned responses"],
)
