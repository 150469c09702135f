"""Account routes. Every member sees the accounts and their health (reconnect required
included); admins connect (Instagram Login or a pasted token), disconnect and check the
webhook subscription. The workspace comes from the principal: another workspace's account
is a 404 like any absent one."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_303_SEE_OTHER

from wazify.accounts import service
from wazify.accounts.queries import StoredAccount, list_accounts, stored_account
from wazify.accounts.schemas import (
    AccountHealth,
    ConnectResponse,
    DisconnectRequest,
    PasteTokenRequest,
    SubscriptionCheck,
)
from wazify.actions.connections import (
    do_consume_oauth_state,
    do_create_oauth_state,
    do_disconnect_account,
)
from wazify.actions.deletions import do_schedule_account_erasure
from wazify.actions.uow import unit_of_work
from wazify.auth.guards import (
    optional_principal,
    public,
    require_admin,
    require_member,
    require_session,
)
from wazify.auth.principal import Principal, client_addr
from wazify.lib.crypto import DecryptionError
from wazify.lib.errors import AppError, Conflict, Invalid, NotFound
from wazify.lib.inputs import DbId
from wazify.meta.graph_client import is_token_text
from wazify.meta.graph_errors import GraphError
from wazify.runtime import Runtime
from wazify.views import AccountView

ADMIN_PAGE = "/#/admin/accounts"
DELETE_REASON = "disconnected by an admin, with its conversations deleted"


@get("/accounts", guards=[require_member])
async def accounts_list(
    runtime: NamedDependency[Runtime], principal: NamedDependency[Principal]
) -> list[AccountHealth]:
    return await list_accounts(
        runtime.engine.pool, principal.workspace_id, staff=principal.is_staff
    )


@post("/accounts/connect", guards=[require_admin, require_session], status_code=200)
async def accounts_connect(
    request: Request, runtime: NamedDependency[Runtime], principal: NamedDependency[Principal]
) -> ConnectResponse:
    """Where to send the admin's browser: Instagram's consent page, with a state bound to
    this session (used once, within 15 minutes)."""
    settings = runtime.settings
    if not settings.meta_app_id or not settings.meta_app_secrets:
        raise Conflict(
            "Instagram Login needs META_APP_ID and META_APP_SECRETS", code="not_configured"
        )
    actor = principal.actor(client_addr(request.scope))
    async with unit_of_work(runtime, actor) as uow:
        state = await do_create_oauth_state(
            uow,
            session_hash=principal.session_hash or "",
            workspace_id=principal.workspace_id,
            user_id=principal.user_id,
        )
    async with service.oauth_client(settings) as client:
        url = client.authorize_url(service.callback_url(settings), state)
    return ConnectResponse(authorize_url=url)


@get("/accounts/oauth/callback", guards=[public], include_in_schema=False)
async def accounts_oauth_callback(
    request: Request,
    runtime: NamedDependency[Runtime],
    code: FromQuery[str | None] = None,
    error: FromQuery[str | None] = None,
    error_reason: FromQuery[str | None] = None,
) -> Response[str]:
    """Instagram sends the browser back here. The state is consumed first, whatever
    happens next; every outcome redirects to the admin page with a message."""
    state = request.query_params.get("state", "")
    principal = optional_principal(request.scope)
    session_hash = principal.session_hash if principal and principal.via == "session" else None
    actor = principal.actor(client_addr(request.scope)) if principal else None
    if actor is None or principal is None:
        return _back(error="not_signed_in", message="sign in as an admin, then connect again")
    async with unit_of_work(runtime, actor) as uow:
        problem = await do_consume_oauth_state(uow, state, session_hash=session_hash)
    if problem is not None:
        return _back(error=problem.code, message=problem.message)
    if not principal.is_admin:
        return _back(error="forbidden", message="only admins can connect Instagram accounts")
    if error or not code:
        why = (
            "cancelled" if (error_reason or error) in ("user_denied", "access_denied") else "failed"
        )
        return _back(
            error="oauth_" + why, message=f"Instagram sign-in {why}; nothing was connected"
        )
    settings = runtime.settings
    try:
        async with service.oauth_client(settings) as client:
            short = await client.exchange_code(code, service.callback_url(settings))
            long = await client.exchange_long_lived(short.access_token)
            view = await service.connect_with_token(
                runtime,
                actor,
                principal.workspace_id,
                client,
                long.access_token,
                expires_in=long.expires_in,
                scopes=short.permissions,
                meta_user_id=short.user_id or None,
                via="oauth",
            )
    except GraphError as exc:
        return _back(error="instagram_refused", message=service.describe(exc))
    except AppError as exc:
        return _back(error=exc.code, message=exc.message)
    return _back(connected=view.username or view.ig_id)


@post("/accounts/token", guards=[require_admin], status_code=201)
async def accounts_paste_token(
    request: Request,
    data: JSONBody[PasteTokenRequest],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> AccountView:
    """Connect with a long-lived token pasted from the App Dashboard."""
    token = data.token.strip()
    if not is_token_text(token):
        raise Invalid(
            "the token must be one word of ASCII letters, digits and symbols, without spaces",
            field="token",
        )
    actor = principal.actor(client_addr(request.scope))
    async with service.oauth_client(runtime.settings) as client:
        return await service.connect_with_token(
            runtime, actor, principal.workspace_id, client, token, expires_in=None, via="token"
        )


@post("/accounts/{account_id:int}/disconnect", guards=[require_admin], status_code=200)
async def accounts_disconnect(
    request: Request,
    account_id: FromPath[DbId],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
    wake_deletions: NamedDependency[Callable[[], None]],
    data: JSONBody[DisconnectRequest | None] = None,
) -> AccountView:
    """Unsubscribe the webhooks (best effort), forget the token; history stays, unless
    `delete_conversations` is true: then the account's conversations, contacts and
    messages, and the account itself, are deleted by the deletion worker right after."""
    account = await _account(runtime, principal, account_id)
    unsubscribed = False
    if account.token_enc is not None:
        try:
            token = service.decrypt(runtime, account)
            async with service.oauth_client(runtime.settings) as client:
                await client.unsubscribe(account.ig_id, token)
            unsubscribed = True
        except (GraphError, AppError, DecryptionError):
            unsubscribed = False  # a dead token cannot unsubscribe; disconnect all the same
    actor = principal.actor(client_addr(request.scope))
    if data is not None and data.delete_conversations:
        async with unit_of_work(runtime, actor) as uow:
            view = await do_schedule_account_erasure(
                uow,
                principal.workspace_id,
                account_id,
                reason=DELETE_REASON,
                requested_by=principal.user_id,
            )
        wake_deletions()
        return view
    async with unit_of_work(runtime, actor) as uow:
        return await do_disconnect_account(
            uow, principal.workspace_id, account_id, unsubscribed=unsubscribed
        )


@post("/accounts/{account_id:int}/check-subscription", guards=[require_admin], status_code=200)
async def accounts_check_subscription(
    request: Request,
    account_id: FromPath[DbId],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> SubscriptionCheck:
    """After an outage: is the app still subscribed? Re-subscribes when Meta dropped it."""
    account = await _account(runtime, principal, account_id)
    if account.status != "connected":
        raise Conflict(f"this account is {account.status.replace('_', ' ')}", code=account.status)
    actor = principal.actor(client_addr(request.scope))
    async with service.oauth_client(runtime.settings) as client:
        result = await service.check_subscription(runtime, actor, client, account)
    assert result.account is not None
    return SubscriptionCheck(
        subscribed=result.subscribed,
        resubscribed=result.resubscribed,
        fields=result.fields,
        account=result.account,
    )


async def _account(runtime: Runtime, principal: Principal, account_id: int) -> StoredAccount:
    account = await stored_account(runtime.engine.pool, principal.workspace_id, account_id)
    if account is None:
        raise NotFound(f"no Instagram account {account_id} in this workspace")
    return account


def _back(**query: str) -> Response[str]:
    location = f"{ADMIN_PAGE}?{urlencode(query)}"
    return Response("", status_code=HTTP_303_SEE_OTHER, headers={"Location": location})


accounts_router = Router(
    path="/api/v1",
    route_handlers=[
        accounts_list,
        accounts_connect,
        accounts_oauth_callback,
        accounts_paste_token,
        accounts_disconnect,
        accounts_check_subscription,
    ],
    tags=["accounts"],
)
