"""Auto-assignment's settings (admins and supervisors; the routes check the role), each
member's capacity, and presence as assignment sees it.

Every change takes the workspace's assignment lock FOR UPDATE (the settings row, made
here when missing), so it waits for decisions and queueing in flight, and requests a
decision after commit: turning auto-assignment on, raising a capacity or a member coming
online makes room. Turning it on queues the open, unassigned conversations, longest
waiting first; turning it off empties the queue (nothing is unassigned). A connected
account's own on/off overrides the workspace's for its conversations: the queue only ever
holds conversations of accounts with auto-assignment on.

Everyday reads and writes go through Piccolo; four statements stay SQL (each says why):
the lock (an upsert whose DO UPDATE only takes the row lock, defaults left to the schema),
queueing and unqueueing (set-based INSERT ... SELECT and DELETE ... USING, which Piccolo
cannot compose), and presence (an INSERT ... SELECT ... WHERE EXISTS, ditto).
"""

from __future__ import annotations

from wazify.actions.assignment import request_decision
from wazify.actions.uow import Actor, UnitOfWork, unit_of_work
from wazify.db.expressions import db_now
from wazify.db.tables import (
    AssignmentAccount,
    AssignmentMember,
    AssignmentSettings,
    IgAccount,
    Membership,
)
from wazify.db.tables.assignment import CAPACITY_MAX, ELIGIBILITY, OFFLINE_MAX, STRATEGIES
from wazify.lib.errors import Invalid, NotFound
from wazify.runtime import Runtime
from wazify.views import AssignmentSettingsView

# SQL: the lock. Its no-op DO UPDATE makes the row when missing and locks it in one
# statement; Piccolo's insert would write every column's Python default (updated_at from
# Python's clock) where this leaves the row's defaults to the schema.
LOCK = """
INSERT INTO assignment_settings (workspace_id) VALUES ($1)
ON CONFLICT (workspace_id) DO UPDATE SET workspace_id = excluded.workspace_id
RETURNING enabled, eligibility, strategy, default_capacity, offline_return_minutes
"""

# SQL: set-based INSERT ... SELECT and DELETE ... USING, which Piccolo cannot compose.
# Queue (or, off, take out of the queue) the open, unassigned conversations of one account
# ($2), or of every account that follows the workspace ($2 null).
SCOPE = """c.workspace_id = $1 AND CASE WHEN $2::bigint IS NULL
    THEN NOT EXISTS (SELECT 1 FROM assignment_accounts a
                     WHERE a.workspace_id = $1 AND a.account_id = c.account_id)
    ELSE c.account_id = $2 END"""

QUEUE_ALL = f"""
INSERT INTO assignment_queue (workspace_id, conversation_id, waiting_since, reason)
SELECT c.workspace_id, c.id, coalesce(c.last_customer_message_at, c.created_at), 'enabled'
FROM conversations c WHERE {SCOPE} AND c.status = 'open' AND c.assignee_id IS NULL
ON CONFLICT (conversation_id) DO NOTHING
"""

UNQUEUE_ALL = f"""
DELETE FROM assignment_queue q USING conversations c
WHERE q.workspace_id = $1 AND c.id = q.conversation_id AND {SCOPE}
"""


def check_capacity(capacity: int, field: str) -> int:
    if not 0 <= capacity <= CAPACITY_MAX:
        raise Invalid(f"a capacity is between 0 and {CAPACITY_MAX}", field=field)
    return capacity


def _check_choice(value: str, choices: tuple[str, ...], field: str) -> str:
    if value not in choices:
        raise Invalid(f"{field} {value!r}: use {' or '.join(choices)}", field=field)
    return value


async def do_update_settings(
    uow: UnitOfWork,
    workspace_id: int,
    *,
    enabled: bool | None = None,
    eligibility: str | None = None,
    strategy: str | None = None,
    default_capacity: int | None = None,
    offline_return_minutes: int | None = None,
) -> AssignmentSettingsView:
    """Change what is given (None: kept; offline_return_minutes 0 turns it off). No change,
    no audit."""
    if eligibility is not None:
        _check_choice(eligibility, ELIGIBILITY, "eligibility")
    if strategy is not None:
        _check_choice(strategy, STRATEGIES, "strategy")
    if default_capacity is not None:
        check_capacity(default_capacity, "default_capacity")
    if offline_return_minutes is not None and not 0 <= offline_return_minutes <= OFFLINE_MAX:
        raise Invalid(
            f"minutes between 1 and {OFFLINE_MAX}, or 0 for never", field="offline_return_minutes"
        )
    row = await uow.conn.fetchrow(LOCK, workspace_id)
    before = AssignmentSettingsView(**dict(row))
    after = AssignmentSettingsView(
        enabled=before.enabled if enabled is None else enabled,
        eligibility=eligibility or before.eligibility,
        strategy=strategy or before.strategy,
        default_capacity=before.default_capacity if default_capacity is None else default_capacity,
        offline_return_minutes=before.offline_return_minutes
        if offline_return_minutes is None
        else offline_return_minutes or None,
    )
    if after == before:
        return before
    await AssignmentSettings.update(
        {
            AssignmentSettings.enabled: after.enabled,
            AssignmentSettings.eligibility: after.eligibility,
            AssignmentSettings.strategy: after.strategy,
            AssignmentSettings.default_capacity: after.default_capacity,
            AssignmentSettings.offline_return_minutes: after.offline_return_minutes,
            AssignmentSettings.updated_at: db_now(),
        }
    ).where(AssignmentSettings.workspace == workspace_id)
    if after.enabled != before.enabled:
        await _requeue(uow, workspace_id, None, after.enabled)
    uow.audit(
        "assignment.settings_changed",
        workspace_id,
        "workspace",
        workspace_id,
        before=_changed(before, after, before),
        after=_changed(before, after, after),
    )
    request_decision(uow, workspace_id)
    return after


async def _requeue(uow: UnitOfWork, workspace_id: int, account_id: int | None, on: bool) -> None:
    """Auto-assignment turned on (or off) for one account, or for the accounts following
    the workspace: their open, unassigned conversations are queued (or leave the queue)."""
    await uow.conn.execute(QUEUE_ALL if on else UNQUEUE_ALL, workspace_id, account_id)


def _changed(
    before: AssignmentSettingsView, after: AssignmentSettingsView, side: AssignmentSettingsView
) -> dict:
    names = ("enabled", "eligibility", "strategy", "default_capacity", "offline_return_minutes")
    return {n: getattr(side, n) for n in names if getattr(before, n) != getattr(after, n)}


async def do_set_capacity(
    uow: UnitOfWork, workspace_id: int, user_id: int, capacity: int | None
) -> int | None:
    """A member's own capacity (None: the workspace's default). Returns it."""
    if capacity is not None:
        check_capacity(capacity, "capacity")
    await uow.conn.fetchrow(LOCK, workspace_id)
    member = await Membership.exists().where(
        (Membership.workspace == workspace_id) & (Membership.user == user_id)
    )
    if not member:
        raise NotFound(f"no member {user_id} in this workspace")
    mine = (AssignmentMember.workspace == workspace_id) & (AssignmentMember.user == user_id)
    own = await AssignmentMember.select(AssignmentMember.capacity).where(mine).first()
    before = None if own is None else own["capacity"]
    if before == capacity:
        return capacity
    await AssignmentMember.insert(
        AssignmentMember(workspace=workspace_id, user=user_id, capacity=capacity)
    ).on_conflict(
        target=(AssignmentMember.workspace, AssignmentMember.user),
        action="DO UPDATE",
        values=[AssignmentMember.capacity],
    )
    uow.audit(
        "assignment.capacity_changed",
        workspace_id,
        "user",
        user_id,
        before={"capacity": before},
        after={"capacity": capacity},
    )
    request_decision(uow, workspace_id)
    return capacity


async def do_set_account(
    uow: UnitOfWork, workspace_id: int, account_id: int, enabled: bool | None
) -> bool | None:
    """A connected account's own on/off (None: it follows the workspace). When that changes
    whether its conversations are given, its open, unassigned ones join or leave the
    queue. Returns the account's own setting."""
    settings = await uow.conn.fetchrow(LOCK, workspace_id)
    account = await IgAccount.select(IgAccount.id).where(
        (IgAccount.id == account_id) & (IgAccount.workspace == workspace_id)
    )
    if not account:
        raise NotFound(f"no account {account_id} in this workspace")
    mine = (AssignmentAccount.workspace == workspace_id) & (AssignmentAccount.account == account_id)
    own = await AssignmentAccount.select(AssignmentAccount.enabled).where(mine)
    before = own[0]["enabled"] if own else None
    if before == enabled:
        return enabled
    if enabled is None:
        await AssignmentAccount.delete().where(mine)
    elif own:
        await AssignmentAccount.update(
            {AssignmentAccount.enabled: enabled, AssignmentAccount.updated_at: uow.now}
        ).where(mine)
    else:
        await AssignmentAccount.insert(
            AssignmentAccount(workspace=workspace_id, account=account_id, enabled=enabled)
        )
    was_on = settings["enabled"] if before is None else before
    now_on = settings["enabled"] if enabled is None else enabled
    if was_on != now_on:
        await _requeue(uow, workspace_id, account_id, now_on)
    uow.audit(
        "assignment.account_changed",
        workspace_id,
        "ig_account",
        account_id,
        before={"enabled": before},
        after={"enabled": enabled},
    )
    request_decision(uow, workspace_id)
    return enabled


# SQL: a conditional INSERT ... SELECT ... WHERE EXISTS (active members only) whose
# DO UPDATE writes only a change, RETURNING whether one happened.
PRESENCE = """
INSERT INTO assignment_members (workspace_id, user_id, online, online_changed_at)
SELECT $1, $2, $3, now() WHERE EXISTS (
    SELECT 1 FROM memberships WHERE workspace_id = $1 AND user_id = $2 AND active)
ON CONFLICT (workspace_id, user_id) DO UPDATE
SET online = excluded.online, online_changed_at = excluded.online_changed_at
WHERE assignment_members.online IS DISTINCT FROM excluded.online
RETURNING user_id
"""


async def record_presence(runtime: Runtime, workspace_id: int, user_id: int, online: bool) -> bool:
    """Store a member's presence (every process reports the same merged state; the first
    write changes it, the others nothing). Coming online requests a decision."""
    async with unit_of_work(runtime, Actor.system("presence")) as uow:
        changed = await uow.conn.fetchval(PRESENCE, workspace_id, user_id, online)
        if changed is not None and online:
            request_decision(uow, workspace_id)
    return changed is not None
