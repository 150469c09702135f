"""The sign-in procedure: throttle, verify, choose the workspace, start a session.

Kept out of the route so the route stays thin, and out of actions because it verifies
passwords (slow, off the event loop) before any transaction opens: the unit of work only
records the outcome.

Every sign-in goes through the throttle first (auth/throttle.py: 429 for an address that
has spent its budget, a bounded delay for an account under attack), and every password
check has a deadline (lib/passwords.py: 503 with Retry-After rather than a hang).

A wrong email and a wrong password must be indistinguishable: same status, same body, and
the same work (an unknown email is verified against a dummy hash, costing what a real
verification costs). An inactive membership or a workspace the person is not in answers
the same too.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

from wazify.actions.auth import do_login_failed, do_login_succeeded
from wazify.actions.members import normalize_email
from wazify.actions.uow import Actor, unit_of_work
from wazify.auth import throttle
from wazify.auth.principal import Principal
from wazify.auth.sessions import NewSession
from wazify.db.tables import Membership as MembershipRow
from wazify.db.tables import User
from wazify.lib.errors import Invalid, TooManyRequests, Unauthorized
from wazify.lib.passwords import (
    HashingUnavailable,
    hash_password_async,
    needs_rehash,
    verify_against_dummy,
    verify_password_async,
)
from wazify.runtime import Runtime
from wazify.views import Role

log = logging.getLogger("wazify.auth")

INVALID_CREDENTIALS = "the email or password is wrong, or this account cannot sign in here"


@dataclass(frozen=True)
class Membership:
    workspace_id: int
    slug: str
    role: Role
    active: bool


@dataclass(frozen=True)
class LoginResult:
    session: NewSession
    principal: Principal


def _shown(typed: str) -> str:
    try:
        return normalize_email(typed)
    except Invalid:
        return ""


async def _memberships(runtime: Runtime, user_id: int) -> list[Membership]:
    rows = (
        await MembershipRow.select(
            MembershipRow.workspace.as_alias("workspace_id"),
            MembershipRow.workspace.slug.as_alias("slug"),
            MembershipRow.role,
            MembershipRow.active,
        )
        .where(MembershipRow.user == user_id)
        .order_by(MembershipRow.workspace)
    )
    return [Membership(**row) for row in rows]


async def _fail(
    runtime: Runtime,
    actor: Actor,
    *,
    email: str,
    reason: str,
    user_id: int | None = None,
    workspace_ids: list[int | None] | None = None,
    count: bool = True,
    action: str = "auth.login_failed",
) -> None:
    async with unit_of_work(runtime, actor) as uow:
        await do_login_failed(
            uow,
            email=email,
            reason=reason,
            user_id=user_id,
            workspace_ids=workspace_ids or [None],
            count=count,
            action=action,
        )
    # The address and the reason help an operator (fail2ban, a glance at the logs); the
    # typed email does not go to the log: people type passwords into the wrong field.
    what = "sign-in" if action == "auth.login_failed" else action
    log.info("%s refused (%s) from %s", what, reason, actor.client_addr or "unknown address")


async def check_password(
    runtime: Runtime,
    actor: Actor,
    *,
    email: str,
    password: str,
    password_hash: str | None,
    user_id: int,
    failure_action: str,
    workspace_ids: list[int | None] | None = None,
) -> bool:
    """Check a known account's password outside sign-in (changing it, accepting an
    invitation with it) under the same throttle and audit as sign-in: a spent address gets
    the 429, a failure is counted and audited as `failure_action` in the account's
    workspaces (or `workspace_ids`). True when the password is right."""
    if workspace_ids is None:
        workspace_ids = [m.workspace_id for m in await _memberships(runtime, user_id)]
    fail = functools.partial(
        _fail,
        runtime,
        actor,
        email=email,
        user_id=user_id,
        workspace_ids=workspace_ids,
        action=failure_action,
    )
    try:
        await throttle.admit(runtime.engine.pool, email, actor.client_addr)
    except TooManyRequests:
        await fail(reason="throttled", count=False)
        raise
    if password_hash and await verify_password_async(password, password_hash):
        await throttle.record_success(runtime.engine.pool, email, actor.client_addr)
        return True
    await fail(reason="wrong_password")
    return False


async def log_in(
    runtime: Runtime,
    *,
    email: str,
    password: str,
    workspace_slug: str | None,
    client_addr: str | None,
    user_agent: str | None,
    previous_session_hashes: list[str],
) -> LoginResult:
    typed = email.strip().lower()
    # The audit row names what was typed only when it looks like an email: people type
    # passwords into the wrong field, and audit rows must never hold one.
    anonymous = Actor(user_id=None, label=_shown(typed) or "anonymous", client_addr=client_addr)
    try:
        await throttle.admit(runtime.engine.pool, typed, client_addr)
    except TooManyRequests:
        await _fail(runtime, anonymous, email=typed, reason="throttled", count=False)
        raise

    user = (
        await User.select(User.id, User.email, User.name, User.password_hash)
        .where(User.email == typed)
        .first()
    )
    if user is None or user["password_hash"] is None:
        await verify_against_dummy(password)
        await _fail(runtime, anonymous, email=typed, reason="unknown_email")
        raise Unauthorized(INVALID_CREDENTIALS, code="invalid_credentials")

    user_id: int = user["id"]
    actor = Actor(user_id=user_id, label=user["email"], client_addr=client_addr)
    memberships = await _memberships(runtime, user_id)
    named = [m for m in memberships if workspace_slug is None or m.slug == workspace_slug]
    audited: list[int | None] = [m.workspace_id for m in (named or memberships)] or [None]

    async def refuse(reason: str) -> Unauthorized:
        await _fail(
            runtime, actor, email=typed, reason=reason, user_id=user_id, workspace_ids=audited
        )
        return Unauthorized(INVALID_CREDENTIALS, code="invalid_credentials")

    if not await verify_password_async(password, user["password_hash"]):
        raise await refuse("wrong_password")
    active = [m for m in named if m.active]
    if not active:
        raise await refuse("inactive" if named else "not_a_member")
    if len(active) > 1:
        # Only someone who knows the password gets here; the answer names no workspace.
        raise Invalid(
            "you belong to several workspaces: give the workspace's slug", field="workspace"
        )
    chosen = active[0]

    rehash = None
    if needs_rehash(user["password_hash"]):
        try:
            rehash = await hash_password_async(password)
        except HashingUnavailable:  # the old hash still works: upgrade at a later sign-in
            log.warning("password rehash skipped: the password pool is busy")
    async with unit_of_work(runtime, actor) as uow:
        session = await do_login_succeeded(
            uow,
            user_id=user_id,
            workspace_id=chosen.workspace_id,
            email=typed,
            user_agent=user_agent,
            previous_session_hashes=previous_session_hashes,
            new_password_hash=rehash,
        )
    principal = Principal(
        user_id=user_id,
        workspace_id=chosen.workspace_id,
        role=chosen.role,
        email=user["email"],
        name=user["name"],
        via="session",
        session_hash=session.id_hash,
        csrf_token=session.csrf_token,
    )
    return LoginResult(session=session, principal=principal)
