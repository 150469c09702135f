"""Auth routes: sign in, sign out, who am I, change password, API tokens. Thin: the work is
in auth/login.py, the actions and the queries. The workspace always comes from the
principal, never from the URL."""

from __future__ import annotations

from litestar import Request, Response, Router, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from wazify.actions.auth import (
    do_change_password,
    do_create_token,
    do_logout,
    do_revoke_token,
)
from wazify.actions.uow import unit_of_work
from wazify.audit.pagination import DEFAULT_LIMIT, check_limit, decode_cursor, page
from wazify.auth.guards import (
    CSRF_EXEMPT,
    optional_principal,
    public,
    require_member,
    require_session,
)
from wazify.auth.login import check_password, log_in
from wazify.auth.principal import Principal, client_addr, cookies, header
from wazify.auth.queries import password_hash_of, user_and_workspace
from wazify.auth.schemas import (
    ChangePasswordRequest,
    CreatedToken,
    CreateTokenRequest,
    LoginRequest,
    MeView,
    TokenPage,
)
from wazify.auth.sessions import clear_session_cookie, cookie_name, hash_secret, set_session_cookie
from wazify.auth.tokens import TokenView, get_token, list_tokens
from wazify.lib.errors import Invalid, NotFound
from wazify.lib.inputs import DbId
from wazify.lib.passwords import (
    WeakPassword,
    check_password_strength,
    hash_password_async,
)
from wazify.runtime import Runtime


async def me_view(runtime: Runtime, principal: Principal) -> MeView:
    user, workspace = await user_and_workspace(principal.user_id, principal.workspace_id)
    return MeView(
        user=user,
        workspace=workspace,
        role=principal.role,
        via=principal.via,
        csrf_token=principal.csrf_token,
    )


@post("/auth/login", guards=[public], opt={CSRF_EXEMPT: True}, status_code=200)
async def login(
    request: Request, data: JSONBody[LoginRequest], runtime: NamedDependency[Runtime]
) -> Response[MeView]:
    """Start a session bound to one workspace; the cookie carries a brand-new id."""
    settings = runtime.settings
    # Whatever session this browser held ends: a sign-in never keeps an old id alive.
    old = cookies(request.scope, cookie_name(settings))
    result = await log_in(
        runtime,
        email=data.email,
        password=data.password,
        workspace_slug=data.workspace,
        client_addr=client_addr(request.scope),
        user_agent=header(request.scope, b"user-agent"),
        previous_session_hashes=[hash_secret(value) for value in old],
    )
    body = await me_view(runtime, result.principal)
    response = Response(body, status_code=200)
    set_session_cookie(response, settings, result.session)
    return response


@post("/auth/logout", guards=[public], status_code=204)
async def logout(request: Request, runtime: NamedDependency[Runtime]) -> Response[None]:
    """End the session server-side (when there is one) and clear the cookie. Open to
    anyone so a browser holding an expired cookie can still clear it."""
    principal = optional_principal(request.scope)
    if principal is not None and principal.via == "session" and principal.session_hash:
        async with unit_of_work(runtime, principal.actor(client_addr(request.scope))) as uow:
            await do_logout(uow, principal.workspace_id, principal.user_id, principal.session_hash)
    response: Response[None] = Response(None, status_code=204)
    clear_session_cookie(response, runtime.settings)
    return response


@get("/me", guards=[require_member])
async def me(runtime: NamedDependency[Runtime], principal: NamedDependency[Principal]) -> MeView:
    return await me_view(runtime, principal)


@post("/me/password", guards=[require_session], status_code=204)
async def change_password(
    request: Request,
    data: JSONBody[ChangePasswordRequest],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> None:
    """Needs the current password; every other session of the person ends."""
    addr = client_addr(request.scope)
    try:
        check_password_strength(data.new_password)
    except WeakPassword as error:
        raise Invalid(str(error), field="new_password", code="weak_password") from None
    current = await password_hash_of(principal.user_id)
    # Guessing the current password through this route spends the same budget as sign-in.
    right = await check_password(
        runtime,
        principal.actor(addr),
        email=principal.email,
        password=data.current_password,
        password_hash=current,
        user_id=principal.user_id,
        failure_action="auth.password_change_failed",
        workspace_ids=[principal.workspace_id],
    )
    if not right:
        raise Invalid(
            "the current password is wrong", field="current_password", code="wrong_password"
        )
    new_hash = await hash_password_async(data.new_password)
    async with unit_of_work(runtime, principal.actor(addr)) as uow:
        await do_change_password(
            uow, principal.workspace_id, principal.user_id, new_hash, principal.session_hash
        )


@get("/tokens", guards=[require_member])
async def tokens_list(
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
    cursor: FromQuery[str | None] = None,
    limit: FromQuery[int] = DEFAULT_LIMIT,
) -> TokenPage:
    """Admins and supervisors see the workspace's tokens; agents see their own."""
    check_limit(limit)
    rows = await list_tokens(
        runtime.engine.pool,
        principal.workspace_id,
        None if principal.is_staff else principal.user_id,
        decode_cursor(cursor),
        limit + 1,
    )
    items, next_cursor = page(rows, limit, lambda t: (t.created_at, t.id))
    return TokenPage(items=items, next_cursor=next_cursor)


@post("/tokens", guards=[require_session], status_code=201)
async def tokens_create(
    request: Request,
    data: JSONBody[CreateTokenRequest],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> CreatedToken:
    async with unit_of_work(runtime, principal.actor(client_addr(request.scope))) as uow:
        token, secret = await do_create_token(
            uow, principal.workspace_id, principal.user_id, data.name
        )
    return CreatedToken(token=token, secret=secret)


@delete("/tokens/{token_id:int}", guards=[require_session], status_code=200)
async def tokens_revoke(
    request: Request,
    token_id: FromPath[DbId],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> TokenView:
    """Revoke one's own token; admins may revoke any token of the workspace. Anything
    else, including another workspace's token, is a 404."""
    token = await get_token(runtime.engine.pool, principal.workspace_id, token_id)
    if token is None or not (principal.is_admin or token.user_id == principal.user_id):
        raise NotFound(f"no token {token_id} in this workspace")
    async with unit_of_work(runtime, principal.actor(client_addr(request.scope))) as uow:
        revoked = await do_revoke_token(uow, principal.workspace_id, token_id)
    if revoked is None:
        raise NotFound(f"no token {token_id} in this workspace")
    return revoked


auth_router = Router(
    path="/api/v1",
    route_handlers=[login, logout, me, change_password, tokens_list, tokens_create, tokens_revoke],
    tags=["auth"],
)
