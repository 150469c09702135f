"""A workspace's report settings: the time zone and business hours (admins; audited).

Both are checked before anything is written (an unknown zone or a malformed span is a 400
naming its field); the row is upserted. Figures read them at query time, so a change
applies to every report at once, past periods included, with nothing to recompute.
"""

from __future__ import annotations

import msgspec

from wazify.actions.uow import UnitOfWork
from wazify.db.expressions import db_now
from wazify.db.tables import ReportSettings
from wazify.reports.hours import check_spans, check_zone
from wazify.reports.queries import report_settings
from wazify.reports.schemas import ReportSettingsView


async def do_update_report_settings(
    uow: UnitOfWork, workspace_id: int, settings: ReportSettingsView
) -> ReportSettingsView:
    check_zone(settings.timezone)
    if settings.business_hours is not None:
        check_spans(settings.business_hours)
    before = await report_settings(workspace_id)
    hours = settings.business_hours
    row = ReportSettings(
        workspace=workspace_id,
        timezone=settings.timezone,
        business_hours=None if hours is None else msgspec.json.encode(hours).decode(),
        updated_at=db_now(),
    )
    # excluded.updated_at is the insert's now(): the transaction's, as before.
    await ReportSettings.insert(row).on_conflict(
        target=ReportSettings.workspace,
        action="DO UPDATE",
        values=[ReportSettings.timezone, ReportSettings.business_hours, ReportSettings.updated_at],
    )
    uow.audit(
        "reports.settings_changed",
        workspace_id,
        "workspace",
        workspace_id,
        before=msgspec.to_builtins(before),
        after=msgspec.to_builtins(settings),
    )
    return settings
