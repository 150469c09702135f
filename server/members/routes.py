"""Member routes. Everyone in the workspace may read the team (the same public view that
member.updated already sends to all of them); only admins change it. The workspace comes
from the principal: another workspace's member is a 404 like any absent one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import msgspec
from litestar import Request, Router, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from wazify.actions.auth import do_accept_invitation, do_create_invitation
from wazify.actions.invitations import do_cancel_invitation, pending_invitations
from wazify.actions.members import (
    AccountExists,
    do_create_member,
    do_deactivate_member,
    do_rename_member,
    do_set_role,
)
from wazify.actions.uow import Actor, unit_of_work
from wazify.audit.pagination import DEFAULT_LIMIT, check_limit, decode_cursor, page
from wazify.auth.guards import (
    CSRF_EXEMPT,
    check_csrf,
    optional_principal,
    public,
    require_admin,
    require_member,
)
from wazify.auth.login import check_password
from wazify.auth.principal import Principal, client_addr
from wazify.auth.sessions import hash_secret
from wazify.lib.errors import Invalid, NotFound
from wazify.lib.inputs import DbId
from wazify.lib.passwords import (
    WeakPassword,
    check_password_strength,
    hash_password_async,
)
from wazify.members.queries import (
    get_member,
    list_members,
    pending_invitation,
    workspace_view,
)
from wazify.members.schemas import (
    AcceptedInvitation,
    AcceptInvitationRequest,
    CreateMemberRequest,
    CreateMemberResponse,
    MemberPage,
    SetRoleRequest,
)
from wazify.runtime import Runtime
from wazify.views import InvitationView, MemberView


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
    user_id: FromPath[DbId],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
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
    """With a password, a new account is ready at once. An email that already has an
    account (in another workspace, say) gets an invitation instead, as without a password:
    its holder accepts with their own password or session, the password typed here is
    dropped, and the answer tells nothing of that account (no name, no workspace)."""
    password_hash = None
    if data.password is not None:
        password_hash = await _new_password_hash(data.password)
    async with unit_of_work(runtime, principal.actor(client_addr(request.scope))) as uow:
        if password_hash is not None:
            try:
                member = await do_create_member(
                    uow,
                    principal.workspace_id,
                    email=data.email,
                    role=data.role,
                    name=data.name,
                    password_hash=password_hash,
                )
                return CreateMemberResponse(member=member)
            except AccountExists:
                pass  # nothing was written: invite instead, in the same unit
        invitation, secret = await do_create_invitation(
            uow,
            principal.workspace_id,
            email=data.email,
            role=data.role,
            created_by=principal.user_id,
        )
    # The secret rides in the fragment: browsers never send it to a server or a Referer.
    # A route of the web app (client/js/views/invite.js), which accepts it.
    url = f"{runtime.settings.public_url}/#/invite/{secret}"
    return CreateMemberResponse(invitation=invitation, invite_url=url)


@patch("/members/{user_id:int}", guards=[require_admin])
async def members_set_role(
    request: Request,
    user_id: FromPath[DbId],
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
    user_id: FromPath[DbId],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> MemberView:
    """Their sessions and API tokens in this workspace end in the same transaction; their
    open and snoozed conversations return to the unassigned queue."""
    async with unit_of_work(runtime, principal.actor(client_addr(request.scope))) as uow:
        return await do_deactivate_member(
            uow, principal.workspace_id, user_id, by=principal.user_id
        )


@get("/invitations", guards=[require_admin])
async def invitations_list(principal: NamedDependency[Principal]) -> list[InvitationView]:
    """The workspace's pending invitations (not accepted, not expired), newest first."""
    return await pending_invitations(principal.workspace_id)


@delete("/invitations/{invitation_id:int}", guards=[require_admin], status_code=204)
async def invitations_cancel(
    request: Request,
    invitation_id: FromPath[DbId],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> None:
    """Its link stops working at once; other admins see it leave their list."""
    async with unit_of_work(runtime, principal.actor(client_addr(request.scope))) as uow:
        await do_cancel_invitation(uow, principal.workspace_id, invitation_id)


Proof = Literal["new_account", "password", "session"]


async def _consent(
    request: Request,
    runtime: Runtime,
    invitation: Mapping[str, Any],
    data: AcceptInvitationRequest,
) -> tuple[Proof, Actor, str | None]:
    """How the person accepting proves the account is theirs, who acts, and the new
    password's hash (for a new account only). Raises the 400 (or 403, 429) that explains
    what is missing."""
    addr = client_addr(request.scope)
    actor = Actor(user_id=invitation["user_id"], label=invitation["email"], client_addr=addr)
    if not invitation["claimed"]:
        return "new_account", actor, await _new_password_hash(data.password or "")
    principal = optional_principal(request.scope)
    if principal and principal.via == "session" and principal.user_id == invitation["user_id"]:
        check_csrf(request.scope, principal)
        return "session", principal.actor(addr), None
    if data.password is None:
        raise Invalid(
            "this email already has an account: sign in to it, or enter its password",
            field="password",
            code="password_required",
        )
    if not await check_password(
        runtime,
        actor,
        email=invitation["email"],
        password=data.password,
        password_hash=invitation["password_hash"],
        user_id=invitation["user_id"],
        failure_action="invitation.accept_failed",
    ):
        raise Invalid(
            "this email already has an account: enter that account's password",
            field="password",
            code="wrong_password",
        )
    return "password", actor, None


@post("/invitations/accept", guards=[public], opt={CSRF_EXEMPT: True}, status_code=201)
async def invitations_accept(
    request: Request, data: JSONBody[AcceptInvitationRequest], runtime: NamedDependency[Runtime]
) -> AcceptedInvitation:
    """The link's secret proves the right to join, and for an email nobody holds yet that is
    enough: a new password makes the account. An account someone holds joins only with
    its holder's consent: its own password (throttled like sign-in) or a signed-in session
    of that same person. Otherwise the inviter, who knows the link, could take it over or
    pull it into their workspace. A session counts only with its CSRF header: otherwise a
    page of the inviter's could make the person's browser accept behind their back."""
    invitation = await pending_invitation(runtime.engine.pool, hash_secret(data.token))
    if invitation is None:
        raise Invalid(
            "this invitation link is invalid, used or expired",
            field="token",
            code="invitation_invalid",
        )
    proof, actor, password_hash = await _consent(request, runtime, invitation, data)
    async with unit_of_work(runtime, actor) as uow:
        member = await do_accept_invitation(
            uow,
            invitation["id"],
            name=data.name.strip(),
            password_hash=password_hash,
            proof=proof,
        )
    workspace = await workspace_view(runtime.engine.pool, invitation["workspace_id"])
    return AcceptedInvitation(**msgspec.structs.asdict(member), workspace=workspace)


members_router = Router(
    path="/api/v1",
    route_handlers=[
        members_list,
        members_get,
        members_create,
        members_set_role,
        members_deactivate,
        invitations_list,
        invitations_cancel,
        invitations_accept,
    ],
    tags=["members"],
)
