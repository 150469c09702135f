"""Read-only: the queue, each member's load against capacity, each connected account's own
on/off (Piccolo's query builder)."""

from __future__ import annotations

from datetime import UTC, datetime

from wazify.db.tables import (
    AssignmentAccount,
    AssignmentMember,
    AssignmentQueue,
    AssignmentSettings,
    Conversation,
    IgAccount,
)
from wazify.db.tables.identity import Membership
from wazify.views import (
    AssignmentAccountView,
    AssignmentMemberView,
    AssignmentOverview,
    AssignmentSettingsView,
)

SETTINGS_COLUMNS = (
    AssignmentSettings.enabled,
    AssignmentSettings.eligibility,
    AssignmentSettings.strategy,
    AssignmentSettings.default_capacity,
    AssignmentSettings.offline_return_minutes,
)


async def get_settings(workspace_id: int) -> AssignmentSettingsView:
    rows = await AssignmentSettings.select(*SETTINGS_COLUMNS).where(
        AssignmentSettings.workspace == workspace_id
    )
    return AssignmentSettingsView(**rows[0]) if rows else AssignmentSettingsView()


async def _loads(workspace_id: int) -> dict[int, int]:
    rows = await Conversation.select(Conversation.assignee.as_alias("user_id")).where(
        (Conversation.workspace == workspace_id)
        & Conversation.assignee.is_not_null()
        & (Conversation.status != "resolved")
    )
    loads: dict[int, int] = {}
    for row in rows:
        loads[row["user_id"]] = loads.get(row["user_id"], 0) + 1
    return loads


async def _members(workspace_id: int, default: int) -> list[AssignmentMemberView]:
    memberships = await Membership.select(
        Membership.user.as_alias("user_id"),
        Membership.user.name.as_alias("name"),
        Membership.user.email.as_alias("email"),
        Membership.role,
    ).where((Membership.workspace == workspace_id) & (Membership.active == True))  # noqa: E712
    own = {
        row["user_id"]: row
        for row in await AssignmentMember.select(
            AssignmentMember.user.as_alias("user_id"),
            AssignmentMember.capacity,
            AssignmentMember.online,
        ).where(AssignmentMember.workspace == workspace_id)
    }
    loads = await _loads(workspace_id)
    views = []
    for row in memberships:
        mine = own.get(row["user_id"], {})
        capacity = mine.get("capacity")
        views.append(
            AssignmentMemberView(
                user_id=row["user_id"],
                name=row["name"] or row["email"],
                role=row["role"],
                online=bool(mine.get("online")),
                capacity=default if capacity is None else capacity,
                own_capacity=capacity,
                load=loads.get(row["user_id"], 0),
            )
        )
    return sorted(views, key=lambda view: (view.name.casefold(), view.user_id))


async def _accounts(workspace_id: int) -> list[AssignmentAccountView]:
    own = {
        row["account_id"]: row["enabled"]
        for row in await AssignmentAccount.select(
            AssignmentAccount.account.as_alias("account_id"), AssignmentAccount.enabled
        ).where(AssignmentAccount.workspace == workspace_id)
    }
    accounts = await (
        IgAccount.select(IgAccount.id, IgAccount.username)
        .where(IgAccount.workspace == workspace_id)
        .order_by(IgAccount.id)
    )
    return [
        AssignmentAccountView(
            account_id=row["id"], username=row["username"], enabled=own.get(row["id"])
        )
        for row in accounts
    ]


async def overview(workspace_id: int) -> AssignmentOverview:
    settings = await get_settings(workspace_id)
    mine = AssignmentQueue.workspace == workspace_id
    waiting = await AssignmentQueue.count().where(mine)
    head = (
        await AssignmentQueue.select(AssignmentQueue.waiting_since)
        .where(mine)
        .order_by(AssignmentQueue.waiting_since)
        .limit(1)
    )
    oldest = head[0]["waiting_since"] if head else None
    wait = int((datetime.now(UTC) - oldest).total_seconds()) if oldest else 0
    return AssignmentOverview(
        settings=settings,
        waiting=waiting,
        oldest_waiting_since=oldest,
        longest_wait_seconds=max(0, wait),
        members=await _members(workspace_id, settings.default_capacity),
        accounts=await _accounts(workspace_id),
    )
