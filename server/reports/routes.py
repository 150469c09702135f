"""Reports for supervisors and admins (agents get a 403): the figures of a period as JSON
or CSV, and the workspace's report settings (admins change them). Bad dates and unknown
groupings are 400s naming their parameter."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from litestar import Request, Response, Router, get, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter, QueryParameter

from wazify.actions.report_settings import do_update_report_settings
from wazify.auth.guards import require_admin, require_staff
from wazify.auth.principal import Principal, acting
from wazify.reports.queries import report_settings
from wazify.reports.schemas import Report, ReportSettingsView
from wazify.reports.service import build_report, report_csv
from wazify.runtime import Runtime

Moment = Annotated[
    str | None,
    Parameter(
        max_length=40,
        description="ISO 8601 date or date-time (a bare date: local midnight in the report's"
        " time zone)",
    ),
]
FromMoment = Annotated[
    str | None, QueryParameter(name="from", max_length=40, description="ISO 8601 date or date-time")
]
GroupBy = Annotated[
    str, Parameter(max_length=10, description="none, member, account, label, day or hour")
]
Hours = Annotated[str, Parameter(max_length=10, description="all, or business (business hours)")]


@get("/reports", guards=[require_staff])
async def reports_get(
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
    from_: FromMoment = None,
    to: Moment = None,
    group_by: GroupBy = "none",
    hours: Hours = "all",
) -> Report:
    """Figures for [from, to) (by default the last 7 days), grouped (docs/reports.md)."""
    return await build_report(
        runtime, principal.workspace_id, from_, to, group_by, hours, datetime.now(UTC)
    )


@get("/reports.csv", guards=[require_staff], media_type="text/csv")
async def reports_csv(
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
    from_: FromMoment = None,
    to: Moment = None,
    group_by: GroupBy = "none",
    hours: Hours = "all",
) -> Response[str]:
    """The same figures, one line per group after the total; durations in seconds."""
    report = await build_report(
        runtime, principal.workspace_id, from_, to, group_by, hours, datetime.now(UTC)
    )
    name = f"wazify-report-{report.start:%Y%m%d}-{report.end:%Y%m%d}-{group_by}.csv"
    return Response(
        report_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@get("/reports/settings", guards=[require_staff])
async def reports_settings_get(principal: NamedDependency[Principal]) -> ReportSettingsView:
    return await report_settings(principal.workspace_id)


@put("/reports/settings", guards=[require_admin])
async def reports_settings_put(
    request: Request,
    data: JSONBody[ReportSettingsView],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> ReportSettingsView:
    """The report time zone (IANA name) and weekly business hours (null: none)."""
    async with acting(runtime, principal, request.scope) as uow:
        return await do_update_report_settings(uow, principal.workspace_id, data)


reports_router = Router(
    path="/api/v1",
    route_handlers=[reports_get, reports_csv, reports_settings_get, reports_settings_put],
)
