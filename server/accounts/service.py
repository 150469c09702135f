"""Connecting and checking accounts: the Meta calls (outside any transaction), then the
actions that record their results. Shared by the routes and the token refresher."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from wazify.accounts.queries import StoredAccount
from wazify.actions.connections import (
    Connection,
    do_connect_account,
    do_mark_reconnect_required,
    do_record_subscription,
)
from wazify.actions.secrets import ACCESS_TOKEN, secret_context
from wazify.actions.uow import Actor, unit_of_work
from wazify.lib.errors import Conflict, Unavailable
from wazify.meta.graph_errors import GraphError, is_permission, is_token_dead
from wazify.meta.oauth import WEBHOOK_FIELDS, OAuthClient
from wazify.runtime import Runtime
from wazify.settings import Settings
from wazify.views import AccountView


def oauth_client(settings: Settings) -> OAuthClient:
    return OAuthClient(
        graph_url=settings.meta_graph_url,
        version=settings.meta_graph_version,
        authorize_url=settings.meta_oauth_authorize_url,
        token_url=settings.meta_oauth_token_url,
        app_id=settings.meta_app_id,
        app_secret=settings.meta_app_secrets[0] if settings.meta_app_secrets else "",
    )


def callback_url(settings: Settings) -> str:
    return f"{settings.public_url}/api/v1/accounts/oauth/callback"


def dead_token_reason(error: GraphError) -> str | None:
    """Why the account must be reconnected, or None when the error is a passing one."""
    if is_token_dead(error):
        return "Instagram no longer accepts the access token (error 190): reconnect the account"
    if is_permission(error) and error.code != 230:
        return f"a permission was revoked on Instagram (error {error.code}): reconnect the account"
    return None


def describe(error: GraphError) -> str:
    """A person-readable line for a Meta error (never a URL, never a token)."""
    code = "" if error.code is None else f" (error {error.code})"
    return f"Instagram refused the request{code}: {error.message}"[:300]


def decrypt(runtime: Runtime, account: StoredAccount) -> str:
    if account.token_enc is None:
        raise Conflict("this account has no access token: reconnect it", code="no_token")
    return runtime.cipher.decrypt(account.token_enc, secret_context(ACCESS_TOKEN, account.id))


async def connect_with_token(
    runtime: Runtime,
    actor: Actor,
    workspace_id: int,
    client: OAuthClient,
    token: str,
    *,
    expires_in: int | None,
    scopes: tuple[str, ...] = (),
    meta_user_id: str | None = None,
    via: str = "oauth",
) -> AccountView:
    """Identify the token's account, subscribe it to our webhook fields, store it."""
    try:
        me = await client.me(token)
    except GraphError as error:
        raise Conflict(describe(error), code="instagram_refused") from None
    subscribed = True
    try:
        await client.subscribe(me.user_id, token, WEBHOOK_FIELDS)
    except GraphError:
        subscribed = False  # kept; check-subscription (or the refresher) retries it
    expires_at = datetime.now(UTC) + timedelta(seconds=expires_in) if expires_in else None
    connection = Connection(
        ig_id=me.user_id,
        username=me.username,
        token=token,
        expires_at=expires_at,
        name=me.name,
        picture_url=me.profile_picture_url,
        scopes=scopes,
        # Who connected it, for Meta's deauthorize and data-deletion callbacks: the code
        # exchange's user id, or (a pasted token) the app-scoped id /me answers with.
        meta_user_id=meta_user_id or me.id,
        subscribed=subscribed,
        via=via,
    )
    async with unit_of_work(runtime, actor) as uow:
        return await do_connect_account(uow, workspace_id, connection)


@dataclass(frozen=True)
class CheckResult:
    subscribed: bool
    resubscribed: bool
    fields: list[str]
    account: AccountView | None


async def check_subscription(
    runtime: Runtime, actor: Actor, client: OAuthClient, account: StoredAccount
) -> CheckResult:
    """Is the app still subscribed to the account? Re-subscribe when Meta dropped it."""
    token = decrypt(runtime, account)
    try:
        fields = await client.subscribed_fields(account.ig_id, token)
        missing = [name for name in WEBHOOK_FIELDS if name not in fields]
        if missing:
            await client.subscribe(account.ig_id, token, WEBHOOK_FIELDS)
            fields = list(WEBHOOK_FIELDS)
    except GraphError as error:
        reason = dead_token_reason(error)
        if reason is None:
            raise Unavailable(describe(error), code="instagram_unavailable") from None
        async with unit_of_work(runtime, actor) as uow:
            await do_mark_reconnect_required(uow, account.id, reason)
        raise Conflict(reason, code="reconnect_required") from None
    async with unit_of_work(runtime, actor) as uow:
        view = await do_record_subscription(uow, account.id, resubscribed=bool(missing))
    return CheckResult(subscribed=True, resubscribed=bool(missing), fields=fields, account=view)
