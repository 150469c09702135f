"""Connected Instagram accounts: registration (and, later, OAuth connect and disconnect)."""

from __future__ import annotations

import asyncpg

from wazify.actions.secrets import ACCESS_TOKEN, secret_context
from wazify.actions.uow import UnitOfWork
from wazify.conversations.queries import account_views
from wazify.db.expressions import db_now
from wazify.db.tables import IgAccount
from wazify.lib.errors import Conflict, Invalid
from wazify.realtime.events import AccountUpdated
from wazify.views import AccountView


async def do_register_account(
    uow: UnitOfWork,
    workspace_id: int,
    *,
    ig_id: str,
    username: str,
    token: str | None = None,
) -> AccountView:
    """Register a connected account without calling Meta (manual setups, tests, demos).
    The token, when given, is stored encrypted under the newest key."""
    ig_id = ig_id.strip()
    if not ig_id.isdigit():
        raise Invalid(f"the Instagram account id must be digits, got {ig_id!r}", field="ig_id")
    try:
        async with uow.conn.transaction():
            account = IgAccount(
                workspace=workspace_id,
                ig_id=ig_id,
                username=username.strip().lstrip("@"),
                created_at=db_now(),
                updated_at=db_now(),
            )
            account_id = (await IgAccount.insert(account).returning(IgAccount.id))[0]["id"]
    except asyncpg.UniqueViolationError:
        raise Conflict(f"Instagram account {ig_id} is already connected", field="ig_id") from None
    if token:
        encrypted = uow.runtime.cipher.encrypt(token, secret_context(ACCESS_TOKEN, account_id))
        await IgAccount.update(
            {IgAccount.access_token_enc: encrypted, IgAccount.token_refreshed_at: db_now()}
        ).where(IgAccount.id == account_id)
    uow.audit(
        "account.registered",
        workspace_id,
        "ig_account",
        account_id,
        after={"ig_id": ig_id, "username": username, "token": bool(token)},
    )
    view = (await account_views(uow.conn, [account_id]))[account_id]
    uow.emit(AccountUpdated(workspace_id=workspace_id, at=uow.now, account=view))
    return view
