"""Identity actions: sign-in outcomes, logout, password change, API tokens, invitations.

Each runs inside a unit of work and writes its audit entry in the same transaction as the
change. None of them checks permissions (guards do) or hashes passwords (callers hash off
the event loop first and pass the hash in). Secrets never go into audit rows: a token is
recorded by id and prefix, a password change by the fact alone.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Literal

from wazify.actions.members import AccountExists, do_create_member, normalize_email
from wazify.actions.uow import UnitOfWork
from wazify.auth import throttle
from wazify.auth.sessions import (
    NewSession,
    create_session,
    end_other_sessions,
    end_session,
    hash_secret,
)
from wazify.auth.tokens import TokenView, get_token, insert_token, revoke_token
from wazify.db.expressions import db_now, db_now_plus
from wazify.db.tables import Invitation, Membership, User
from wazify.lib.errors import Conflict, Invalid
from wazify.realtime.events import ADMINS, InvitationCreated, InvitationRemoved
from wazify.views import InvitationView, MemberView, Role

INVITATION_LIFETIME = timedelta(days=7)


async def do_login_succeeded(
    uow: UnitOfWork,
    *,
    user_id: int,
    workspace_id: int,
    email: str,
    user_agent: str | None,
    previous_session_hashes: tuple[str, ...] | list[str] = (),
    new_password_hash: str | None = None,
) -> NewSession:
    """Start a fresh session (never reusing an id the client presented) and end the one
    the browser held, if any; clear this address's failures on the account."""
    for previous in previous_session_hashes:
        await end_session(uow.conn, previous)
    if new_password_hash is not None:  # parameters upgraded since the hash was made
        await User.update({User.password_hash: new_password_hash}).where(User.id == user_id)
    session = await create_session(
        uow.conn,
        user_id=user_id,
        workspace_id=workspace_id,
        lifetime=timedelta(hours=uow.runtime.settings.session_absolute_hours),
        client_addr=uow.actor.client_addr,
        user_agent=user_agent,
    )
    await throttle.record_success(uow.conn, email, uow.actor.client_addr)
    uow.audit("auth.login", workspace_id, "user", user_id, after={"via": "password"})
    return session


async def do_login_failed(
    uow: UnitOfWork,
    *,
    email: str,
    reason: str,
    user_id: int | None,
    workspace_ids: list[int | None],
    count: bool = True,
    action: str = "auth.login_failed",
) -> None:
    """Audit a failed sign-in (one entry per workspace the account belongs to, so each
    workspace's admins see attempts on their members) and spend the throttle budgets.
    A throttled attempt is audited but not counted, or a locked-out user would stay locked."""
    if count:
        await throttle.record_failure(uow.conn, email, uow.actor.client_addr)
    try:
        shown = normalize_email(email)
    except Invalid:
        # Not an email: possibly a password typed in the wrong field. Keep it out of audit.
        shown = ""
    for workspace_id in workspace_ids:
        uow.audit(
            action,
            workspace_id,
            "user" if user_id else "email",
            user_id or shown,
            after={"email": shown, "reason": reason},
        )


async def do_logout(uow: UnitOfWork, workspace_id: int, user_id: int, session_hash: str) -> None:
    if await end_session(uow.conn, session_hash):
        uow.audit("auth.logout", workspace_id, "user", user_id)


async def do_change_password(
    uow: UnitOfWork, workspace_id: int, user_id: int, password_hash: str, keep_session: str | None
) -> int:
    """Store the new hash and end every other session of the person, in every workspace
    (whoever else held one may be why the password is changing). Returns how many ended."""
    ended = await _set_password(uow, user_id, password_hash, keep_session)
    uow.audit(
        "auth.password_changed", workspace_id, "user", user_id, after={"sessions_ended": ended}
    )
    return ended


async def do_reset_password(
    uow: UnitOfWork, workspace_id: int, user_id: int, password_hash: str
) -> int:
    """An operator sets a new password (the person forgot theirs, or it leaked): every
    session of the person ends, in every workspace. Returns how many ended."""
    ended = await _set_password(uow, user_id, password_hash, keep_session=None)
    uow.audit("auth.password_reset", workspace_id, "user", user_id, after={"sessions_ended": ended})
    return ended


async def _set_password(
    uow: UnitOfWork, user_id: int, password_hash: str, keep_session: str | None
) -> int:
    await User.update(
        {User.password_hash: password_hash, User.password_changed_at: db_now()}
    ).where(User.id == user_id)
    return await end_other_sessions(uow.conn, user_id, keep_session)


async def do_create_token(
    uow: UnitOfWork, workspace_id: int, user_id: int, name: str
) -> tuple[TokenView, str]:
    token, secret = await insert_token(uow.conn, workspace_id, user_id, name.strip() or "token")
    uow.audit(
        "token.created",
        workspace_id,
        "api_token",
        token.id,
        after={"name": token.name, "prefix": token.prefix, "user_id": user_id},
    )
    return token, secret


async def do_revoke_token(uow: UnitOfWork, workspace_id: int, token_id: int) -> TokenView | None:
    """Revoke (idempotent). None when the workspace has no such token."""
    before = await get_token(uow.conn, workspace_id, token_id, lock=True)
    if before is None:
        return None
    if before.revoked_at is not None:
        return before
    after = await revoke_token(uow.conn, workspace_id, token_id)
    uow.audit(
        "token.revoked",
        workspace_id,
        "api_token",
        token_id,
        before={"revoked": False},
        after={"revoked": True, "prefix": after.prefix},
    )
    return after


async def do_create_invitation(
    uow: UnitOfWork, workspace_id: int, *, email: str, role: Role, created_by: int | None
) -> tuple[InvitationView, str]:
    """A one-time link: the secret is returned once and only its hash is kept."""
    email = normalize_email(email)
    already = await Membership.exists().where(
        (Membership.workspace == workspace_id) & (Membership.user.email == email)
    )
    if already:
        raise Conflict(f"{email} is already a member of this workspace", field="email")
    secret = secrets.token_urlsafe(32)
    invitation = Invitation(
        workspace=workspace_id,
        email=email,
        role=role,
        token_hash=hash_secret(secret),
        created_by=created_by,
        created_at=db_now(),
        expires_at=db_now_plus(INVITATION_LIFETIME),
    )
    row = (await Invitation.insert(invitation).returning(Invitation.id, Invitation.expires_at))[0]
    uow.audit(
        "invitation.created",
        workspace_id,
        "invitation",
        row["id"],
        after={"email": email, "role": role},
    )
    view = InvitationView(id=row["id"], email=email, role=role, expires_at=row["expires_at"])
    uow.emit(InvitationCreated(workspace_id=workspace_id, at=uow.now, invitation=view), ADMINS)
    return view, secret


async def _attachable(uow: UnitOfWork, email: str) -> Literal["refuse", "attach"]:
    """For an acceptance that proves nothing but the link: an account may be attached (and
    given the new password) only if nobody holds it yet, checked under lock. One that
    appeared since the route looked is refused (AccountExists), never joined silently."""
    users = (
        await User.select(User.id, User.password_hash)
        .where(User.email == email)
        .lock_rows("UPDATE")
    )
    if not users:
        return "refuse"
    user = users[0]
    if user["password_hash"] is not None or await Membership.exists().where(
        Membership.user == user["id"]
    ):
        raise AccountExists(f"{email} already has an account", field="email")
    return "attach"


async def do_accept_invitation(
    uow: UnitOfWork,
    invitation_id: int,
    *,
    name: str,
    password_hash: str | None,
    proof: Literal["new_account", "password", "session"],
) -> MemberView:
    """Turn a pending invitation into a membership. The caller has checked who accepts
    (`proof`, audited): a new account with `password_hash`, or the existing account's
    holder by its password or its signed-in session (`password_hash` None: the account,
    its name and its password stay as they are)."""
    rows = (
        await Invitation.select(
            Invitation.id,
            Invitation.workspace.as_alias("workspace_id"),
            Invitation.email,
            Invitation.role,
        )
        .where(
            (Invitation.id == invitation_id)
            & Invitation.accepted_at.is_null()
            & (Invitation.expires_at > db_now())
        )
        .lock_rows("UPDATE")
    )
    if not rows:  # accepted concurrently, or expired in between
        raise Invalid(
            "this invitation link is invalid, used or expired",
            field="token",
            code="invitation_invalid",
        )
    row = rows[0]
    workspace_id = row["workspace_id"]
    member = await do_create_member(
        uow,
        workspace_id,
        email=row["email"],
        role=row["role"],
        name=name,
        password_hash=password_hash,
        existing=await _attachable(uow, row["email"]) if proof == "new_account" else "attach",
    )
    if password_hash is not None:
        # An account made earlier without a password and in no workspace gets this one.
        await User.update(
            {User.password_hash: password_hash, User.password_changed_at: db_now()}
        ).where((User.id == member.user_id) & User.password_hash.is_null())
    await Invitation.update({Invitation.accepted_at: db_now()}).where(Invitation.id == row["id"])
    uow.audit(
        "invitation.accepted",
        workspace_id,
        "invitation",
        row["id"],
        after={"user_id": member.user_id, "role": row["role"], "proof": proof},
    )
    uow.emit(
        InvitationRemoved(
            workspace_id=workspace_id, at=uow.now, invitation_id=row["id"], reason="accepted"
        ),
        ADMINS,
    )
    return member
