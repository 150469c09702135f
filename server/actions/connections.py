"""Instagram connections: connect (or resume), refresh, reconnect required, disconnect.

The network calls (code exchange, /me, subscribed_apps, refresh) happen in the routes and
the token refresher, outside any transaction; these actions record their results. Tokens
are stored encrypted under the newest key, bound to the account row (secrets.py).
A connect queues the import of the account's recent history; a reconnect, the resync of
what the gap may have cost, and the release of the replies held meanwhile.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from wazify.actions.imports import do_queue_import
from wazify.actions.outbox import do_mark_reconnect_required as _mark_reconnect_required
from wazify.actions.outbox import do_release_held
from wazify.actions.secrets import ACCESS_TOKEN, secret_context
from wazify.actions.uow import UnitOfWork
from wazify.conversations.queries import account_views
from wazify.db.expressions import coalesce_now, db_now, db_now_plus
from wazify.db.tables import IgAccount, OAuthState
from wazify.lib.errors import Conflict, Invalid, NotFound
from wazify.realtime.events import AccountUpdated
from wazify.views import AccountView

OAUTH_STATE_TTL = timedelta(minutes=15)


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Connection:
    """What Meta told us about an account being connected (never logged: holds the token)."""

    ig_id: str
    username: str
    token: str
    expires_at: datetime | None
    name: str = ""
    picture_url: str | None = None
    scopes: tuple[str, ...] = ()
    meta_user_id: str | None = None
    subscribed: bool = False
    via: str = "oauth"  # or "token" (pasted)

    def __repr__(self) -> str:
        return f"Connection(ig_id={self.ig_id!r}, username={self.username!r}, via={self.via!r})"


async def do_create_oauth_state(
    uow: UnitOfWork, *, session_hash: str, workspace_id: int, user_id: int
) -> str:
    """A fresh CSRF state for one authorize redirect, bound to the admin's session."""
    state = secrets.token_urlsafe(32)
    await OAuthState.delete().where(OAuthState.expires_at < db_now())
    await OAuthState.insert(
        OAuthState(
            state_hash=_hash(state),
            session=session_hash,
            workspace=workspace_id,
            user=user_id,
            created_at=db_now(),
            expires_at=db_now_plus(OAUTH_STATE_TTL),
        )
    )
    return state


async def do_consume_oauth_state(
    uow: UnitOfWork, state: str, *, session_hash: str | None
) -> Invalid | None:
    """Use a state once. Returns the error (not raised, so the state is burnt all the same)
    when it is unknown, already used, expired or another session's; None when it is good."""
    burnt = (
        await OAuthState.delete()
        .where(OAuthState.state_hash == _hash(state or ""))
        .returning(OAuthState.session, OAuthState.expires_at)
    )
    row = burnt[0] if burnt else None
    if row is None:
        return Invalid(
            "this Instagram sign-in link was already used or is unknown; start again",
            code="oauth_state_invalid",
        )
    if session_hash is None or row["session_hash"] != session_hash:
        return Invalid(
            "this Instagram sign-in was started from another session; start again",
            code="oauth_state_invalid",
        )
    if row["expires_at"] <= uow.now:  # minutes apart: the two clocks' skew is nothing
        return Invalid("this Instagram sign-in took too long; start again", code="oauth_expired")
    return None


async def do_connect_account(
    uow: UnitOfWork, workspace_id: int, connection: Connection
) -> AccountView:
    """Insert the account, or resume the same account of this workspace (history kept)."""
    ig_id = connection.ig_id.strip()
    if not ig_id.isdigit():
        raise Invalid(f"the Instagram account id must be digits, got {ig_id!r}", field="ig_id")
    existing = (
        await IgAccount.select(
            IgAccount.id, IgAccount.workspace.as_alias("workspace_id"), IgAccount.status
        )
        .where(IgAccount.ig_id == ig_id)
        .lock_rows("UPDATE")
        .first()
    )
    if existing is not None and existing["workspace_id"] != workspace_id:
        raise Conflict(
            f"Instagram account @{connection.username or ig_id} is connected to another"
            " workspace; disconnect it and delete its data there first",
            field="ig_id",
            code="account_in_other_workspace",
        )
    username = connection.username.strip().lstrip("@")
    if existing is None:
        account = IgAccount(
            workspace=workspace_id,
            ig_id=ig_id,
            username=username,
            created_at=db_now(),
            updated_at=db_now(),
        )
        account_id = (await IgAccount.insert(account).returning(IgAccount.id))[0]["id"]
        verb = "account.connected"
    else:
        account_id = existing["id"]
        verb = "account.reconnected"
    encrypted = uow.runtime.cipher.encrypt(
        connection.token, secret_context(ACCESS_TOKEN, account_id)
    )
    connected = {
        IgAccount.username: username,
        IgAccount.name: connection.name,
        IgAccount.picture_url: connection.picture_url,
        IgAccount.access_token_enc: encrypted,
        IgAccount.token_expires_at: connection.expires_at,
        IgAccount.token_refreshed_at: db_now(),
        IgAccount.scopes: ",".join(connection.scopes),
        IgAccount.status: "connected",
        IgAccount.status_reason: "",
        IgAccount.subscribed_at: db_now() if connection.subscribed else None,
        IgAccount.updated_at: db_now(),
    }
    if connection.meta_user_id is not None:  # otherwise the one stored stays
        connected[IgAccount.meta_user_id] = connection.meta_user_id
    await IgAccount.update(connected).where(IgAccount.id == account_id)
    uow.audit(
        verb,
        workspace_id,
        "ig_account",
        account_id,
        before=None if existing is None else {"status": existing["status"]},
        after={
            "ig_id": ig_id,
            "username": username,
            "via": connection.via,
            "scopes": list(connection.scopes),
            "subscribed": connection.subscribed,
        },
    )
    await do_release_held(uow, account_id)
    # A new account imports its window; a known one resyncs from its last sign of health.
    since = uow.now - timedelta(days=uow.runtime.settings.history_window_days)
    if existing is None:
        await do_queue_import(uow, account_id, "connect", since=since)
    else:
        await do_queue_import(uow, account_id, "reconnect")
    return await _emit(uow, workspace_id, account_id)


async def do_record_refresh(
    uow: UnitOfWork, account_id: int, *, token: str, expires_at: datetime | None
) -> bool:
    """Store a refreshed token (only for a still-connected account)."""
    encrypted = uow.runtime.cipher.encrypt(token, secret_context(ACCESS_TOKEN, account_id))
    refreshed = (
        await IgAccount.update(
            {
                IgAccount.access_token_enc: encrypted,
                IgAccount.token_expires_at: expires_at,
                IgAccount.token_refreshed_at: db_now(),
                IgAccount.updated_at: db_now(),
            }
        )
        .where((IgAccount.id == account_id) & (IgAccount.status == "connected"))
        .returning(IgAccount.workspace)
    )
    if not refreshed:
        return False
    workspace_id = refreshed[0]["workspace_id"]
    uow.audit(
        "account.token_refreshed",
        workspace_id,
        "ig_account",
        account_id,
        after={"expires_at": expires_at.isoformat() if expires_at else None},
    )
    return True


async def do_record_refresh_failure(uow: UnitOfWork, account_id: int, reason: str) -> None:
    """A refresh that failed for a passing reason (network, 5xx): audited, retried later."""
    row = (
        await IgAccount.select(IgAccount.workspace.as_alias("workspace_id"))
        .where(IgAccount.id == account_id)
        .first()
    )
    if row is not None:
        workspace_id = row["workspace_id"]
        uow.audit(
            "account.token_refresh_failed",
            workspace_id,
            "ig_account",
            account_id,
            after={"reason": reason},
        )


async def do_mark_reconnect_required(
    uow: UnitOfWork, account_id: int, reason: str, *, refresh_failed: bool = False
) -> bool:
    """Meta refused the token (190, revoked permission, expired): everyone sees why."""
    if refresh_failed:
        await do_record_refresh_failure(uow, account_id, reason)
    return await _mark_reconnect_required(uow, account_id, reason)


async def do_record_subscription(
    uow: UnitOfWork, account_id: int, *, resubscribed: bool
) -> AccountView:
    """The subscription was checked (and re-created when Meta had dropped it)."""
    subscribed_at = db_now() if resubscribed else coalesce_now(IgAccount.subscribed_at)
    rows = (
        await IgAccount.update(
            {IgAccount.subscribed_at: subscribed_at, IgAccount.updated_at: db_now()}
        )
        .where(IgAccount.id == account_id)
        .returning(IgAccount.workspace)
    )
    if not rows:
        raise NotFound(f"no Instagram account {account_id}")
    workspace_id = rows[0]["workspace_id"]
    if resubscribed:
        uow.audit("account.resubscribed", workspace_id, "ig_account", account_id)
    return (await account_views(uow.conn, [account_id]))[account_id]


async def do_disconnect_account(
    uow: UnitOfWork, workspace_id: int, account_id: int, *, unsubscribed: bool
) -> AccountView:
    """Stop sending, forget the token; conversations and contacts stay."""
    found = (
        await IgAccount.select(IgAccount.status)
        .where((IgAccount.id == account_id) & (IgAccount.workspace == workspace_id))
        .lock_rows("UPDATE")
        .first()
    )
    if found is None:
        raise NotFound(f"no Instagram account {account_id} in this workspace")
    before = found["status"]
    await IgAccount.update(
        {
            IgAccount.status: "disconnected",
            IgAccount.status_reason: "disconnected by an admin",
            IgAccount.access_token_enc: None,
            IgAccount.token_expires_at: None,
            IgAccount.subscribed_at: None,
            IgAccount.updated_at: db_now(),
        }
    ).where(IgAccount.id == account_id)
    uow.audit(
        "account.disconnected",
        workspace_id,
        "ig_account",
        account_id,
        before={"status": before},
        after={"status": "disconnected", "unsubscribed": unsubscribed},
    )
    return await _emit(uow, workspace_id, account_id)


async def _emit(uow: UnitOfWork, workspace_id: int, account_id: int) -> AccountView:
    view = (await account_views(uow.conn, [account_id]))[account_id]
    uow.emit(AccountUpdated(workspace_id=workspace_id, at=uow.now, account=view))
    return view
