"""Member routes. Everyone in the workspace may read the team (the same public view that
member.updated already sends to all of them); only admins change it. The workspace comes
from the principal: another workspace's member is a 404 like any absent one."""

from __future__ import annotations

from litestar import Request, Router, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from wazify.actions.auth import do_accept_invitation, do_create_invitation
from wazify.actions.members import (
    do_create_member,
    do_deactivate_member,
    do_rename_member,
    do_set_role,
)
from wazify.actions.uow import Actor, unit_of_work
from wazify.audit.pagination import DEFAULT_LIMIT, check_limit, decode_cursor, page
from wazify.auth.guards import CSRF_EXEMPT, public, require_admin, require_member
from wazify.auth.principal import Principal, client_addr
from wazify.auth.sessions import hash_secret
from wazify.lib.errors import Invalid, NotFound
from wazify.lib.passwords import (
    WeakPassword,
    check_password_strength,
    hash_password_async,
    verify_password_async,
)
from wazify.members.queries import get_member, list_members, pending_invitation
from wazify.members.schemas import (
    AcceptInvitationRequest,
    CreateMemberRequest,
    CreateMemberResponse,
    MemberPage,
    SetRoleRequest,
)
from wazify.runtime import Runtime
from wazify.views import MemberView


async def _new_password_hash(password: str, field: str = "password") -> str:
    try:
        check_password_strength(password)
    except WeakPassword as error:
        raise Invalid(str(error), field=field, code="weak_password") from None
    return await hash_password_async(password)


@get("/members", guards=[require_member])
async def members_list(
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
    cursor: FromQuery[str | None] = None,
    limit: FromQuery[int] = DEFAULT_LIMIT,
) -> MemberPage:
    check_limit(limit)
    rows = await list_members(
        runtime.engine.pool, principal.workspace_id, decode_cursor(cursor), limit + 1
    )
    items, next_cursor = page(rows, limit, lambda item: item[1])
    return MemberPage(items=[member for member, _ in items], next_cursor=next_cursor)


@get("/members/{user_id:int}", guards=[require_member])
async def members_get(
    user_id: FromPath[int], runtime: NamedDependency[Runtime], principal: NamedDependency[Principal]
) -> MemberView:
    member = await get_member(runtime.engine.pool, principal.workspace_id, user_id)
    if member is None:
        raise NotFound(f"no member {user_id} in this workspace")
    return member


@post("/members", guards=[require_admin], status_code=201)
async def members_create(
    request: Request,
    data: JSONBody[CreateMemberRequest],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> CreateMemberResponse:
    actor = principal.actor(client_addr(request.scope))
    if data.password is not None:
        password_hash = await _new_password_hash(data.password)
        async with unit_of_work(runtime, actor) as uow:
            member = await do_create_member(
                uow,
                principal.workspace_id,
                email=data.email,
                role=data.role,
                name=data.name,
                password_hash=password_hash,
            )
        return CreateMemberResponse(member=member)
    async with unit_of_work(runtime, actor) as uow:
        invitation, secret = await do_create_invitation(
            uow,
            principal.workspace_id,
            email=data.email,
            role=data.role,
            created_by=principal.user_id,
        )
    # The secret rides in the fragment: browsers never send it to a server or a Referer.
    url = f"{runtime.settings.public_url}/invite#token={secret}"
    return CreateMemberResponse(invitation=invitation, invite_url=url)


@patch("/members/{user_id:int}", guards=[require_admin])
async def members_set_role(
    request: Request,
    user_id: FromPath[int],
    data: JSONBody[SetRoleRequest],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> MemberView:
    if data.role is None and data.name is None:
        raise Invalid("send a role, a name, or both", field="role")
    async with unit_of_work(runtime, principal.actor(client_addr(request.scope))) as uow:
        member = None
        if data.name is not None:
            member = await do_rename_member(uow, principal.workspace_id, user_id, data.name)
        if data.role is not None:
            member = await do_set_role(uow, principal.workspace_id, user_id, data.role)
        assert member is not None
        return member


@post("/members/{user_id:int}/deactivate", guards=[require_admin], status_code=200)
async def members_deactivate(
    request: Request,
    user_id: FromPath[int],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> MemberView:
    """Their sessions and API tokens in this workspace end in the same transaction."""
    async with unit_of_work(runtime, principal.actor(client_addr(request.scope))) as uow:
        return await do_deactivate_member(uow, principal.workspace_id, user_id)


@post("/invitations/accept", guards=[public], opt={CSRF_EXEMPT: True}, status_code=201)
async def invitations_accept(
    request: Request, data: JSONBody[AcceptInvitationRequest], runtime: NamedDependency[Runtime]
) -> MemberView:
    """The invitation link's secret proves the right to join. An email that already has an
    account must prove it with that account's password, or the link would let whoever
    holds it take the account over."""
    invitation = await pending_invitation(runtime.engine.pool, hash_secret(data.token))
    if invitation is None:
        raise Invalid(
            "this invitation link is invalid, used or expired",
            field="token",
            code="invitation_invalid",
        )
    password_hash: str | None = None
    if invitation["password_hash"] is not None:
        if not await verify_password_async(data.password, invitation["password_hash"]):
            raise Invalid(
                "this email already has an account: enter that account's password",
                field="password",
                code="wrong_password",
            )
    else:
        password_hash = await _new_password_hash(data.password)
    actor = Actor(
        user_id=invitation["user_id"],
        label=invitation["email"],
        client_addr=client_addr(request.scope),
    )
    async with unit_of_work(runtime, actor) as uow:
        return await do_accept_invitation(
            uow, invitation["id"], name=data.name.strip(), password_hash=password_hash
        )


members_router = Router(
    path="/api/v1",
    route_handlers=[
        members_list,
        members_get,
        members_create,
        members_set_role,
        members_deactivate,
        invitations_accept,
    ],
    tags=["members"],
)
