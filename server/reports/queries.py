"""Read-only report queries (Piccolo's query builder): facts in a range, the names groups
show, the conversations' labels and the workspace's report settings."""

from __future__ import annotations

from datetime import datetime

import msgspec

from wazify.db.tables import ConversationLabel, IgAccount, Label, Membership, ReportFact
from wazify.db.tables import ReportSettings as SettingsTable
from wazify.reports.figures import FactRow
from wazify.reports.schemas import ReportSettingsView


async def facts_between(workspace_id: int, start: datetime, end: datetime) -> list[FactRow]:
    """The workspace's facts whose moment (a reply's, a resolution's...) is in [start, end)."""
    rows = await ReportFact.select(
        ReportFact.conversation.as_alias("conversation_id"),
        ReportFact.account_id,
        ReportFact.kind,
        ReportFact.started_at,
        ReportFact.at,
        ReportFact.member_id,
        ReportFact.first,
        ReportFact.count,
    ).where(
        (ReportFact.workspace == workspace_id) & (ReportFact.at >= start) & (ReportFact.at < end)
    )
    return [FactRow(**row) for row in rows]


async def labels_of_conversations(workspace_id: int) -> dict[int, list[int]]:
    rows = await ConversationLabel.select(
        ConversationLabel.conversation.as_alias("conversation_id"),
        ConversationLabel.label.as_alias("label_id"),
    ).where(ConversationLabel.workspace == workspace_id)
    labels: dict[int, list[int]] = {}
    for row in rows:
        labels.setdefault(row["conversation_id"], []).append(row["label_id"])
    return labels


async def group_names(workspace_id: int) -> dict[str, dict[int, str]]:
    members = await Membership.select(
        Membership.user.id.as_alias("id"),
        Membership.user.name.as_alias("name"),
        Membership.user.email.as_alias("email"),
    ).where(Membership.workspace == workspace_id)
    accounts = await IgAccount.select(IgAccount.id, IgAccount.username, IgAccount.name).where(
        IgAccount.workspace == workspace_id
    )
    labels = await Label.select(Label.id, Label.name).where(Label.workspace == workspace_id)
    return {
        "member": {row["id"]: row["name"] or row["email"] for row in members},
        "account": {
            row["id"]: row["username"] or row["name"] or f"#{row['id']}" for row in accounts
        },
        "label": {row["id"]: row["name"] for row in labels},
    }


async def report_settings(workspace_id: int) -> ReportSettingsView:
    rows = await SettingsTable.select(SettingsTable.timezone, SettingsTable.business_hours).where(
        SettingsTable.workspace == workspace_id
    )
    if not rows:
        return ReportSettingsView()
    hours = rows[0]["business_hours"]
    # Piccolo returns jsonb as its text.
    hours = msgspec.json.decode(hours) if isinstance(hours, str) else hours
    return ReportSettingsView(timezone=rows[0]["timezone"], business_hours=hours)
