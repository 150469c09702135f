"""Auto-assignment. Every member sees the queue and the team's loads (the team view);
admins and supervisors change the settings, members' capacities and connected accounts'
own on/off. Another workspace's member or account is a 404 like an absent one."""

from __future__ import annotations

from litestar import Request, Router, get, patch, put
from litestar.di import NamedDependency
from litestar.params import JSONBody

from wazify.actions.assignment_settings import do_set_account, do_set_capacity, do_update_settings
from wazify.assignment.queries import overview
from wazify.assignment.schemas import (
    AccountRequest,
    AccountView,
    CapacityRequest,
    CapacityView,
    UpdateSettingsRequest,
)
from wazify.auth.guards import require_member, require_staff
from wazify.auth.principal import Principal, acting
from wazify.lib.inputs import DbId
from wazify.runtime import Runtime
from wazify.views import AssignmentOverview, AssignmentSettingsView


@get("/assignment", guards=[require_member])
async def assignment_overview(principal: NamedDependency[Principal]) -> AssignmentOverview:
    """Settings, how many conversations wait and the longest wait, each active member's
    load (assigned, not resolved) against capacity and whether they are online."""
    return await overview(principal.workspace_id)


@patch("/assignment/settings", guards=[require_staff])
async def assignment_update_settings(
    request: Request,
    data: JSONBody[UpdateSettingsRequest],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> AssignmentSettingsView:
    async with acting(runtime, principal, request.scope) as uow:
        return await do_update_settings(
            uow,
            principal.workspace_id,
            enabled=data.enabled,
            eligibility=data.eligibility,
            strategy=data.strategy,
            default_capacity=data.default_capacity,
            offline_return_minutes=data.offline_return_minutes,
        )


@put("/assignment/members/{user_id:int}/capacity", guards=[require_staff])
async def assignment_set_capacity(
    request: Request,
    user_id: DbId,
    data: JSONBody[CapacityRequest],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> CapacityView:
    async with acting(runtime, principal, request.scope) as uow:
        capacity = await do_set_capacity(uow, principal.workspace_id, user_id, data.capacity)
    return CapacityView(user_id=user_id, capacity=capacity)


@put("/assignment/accounts/{account_id:int}", guards=[require_staff])
async def assignment_set_account(
    request: Request,
    account_id: DbId,
    data: JSONBody[AccountRequest],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> AccountView:
    """A connected account's own auto-assignment on/off (null: follow the workspace)."""
    async with acting(runtime, principal, request.scope) as uow:
        enabled = await do_set_account(uow, principal.workspace_id, account_id, data.enabled)
    return AccountView(account_id=account_id, enabled=enabled)


assignment_router = Router(
    path="/api/v1",
    route_handlers=[
        assignment_overview,
        assignment_update_settings,
        assignment_set_capacity,
        assignment_set_account,
    ],
    tags=["assignment"],
)
