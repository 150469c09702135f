"""A report: the workspace's facts caught up, read for a period and turned into figures.

The request first derives the facts of its workspace's stale conversations (the worker
does the same every few seconds), so a report always reflects every committed message
and status change. Periods are read in the workspace's report time zone: a bare date is
its local midnight.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from wazify.lib.errors import Invalid
from wazify.lib.inputs import check_moment
from wazify.reports.figures import GROUPINGS, Context, grouped, heatmap, histogram
from wazify.reports.figures import figure_row as build_row
from wazify.reports.hours import business_hours
from wazify.reports.queries import (
    facts_between,
    group_names,
    labels_of_conversations,
    report_settings,
)
from wazify.reports.schemas import FigureRow, Report
from wazify.runtime import Runtime
from wazify.workers.reports import refresh_stale

MAX_PERIOD = timedelta(days=400)
DEFAULT_PERIOD = timedelta(days=7)


def parse_moment(text: str, field: str, zone: ZoneInfo) -> datetime:
    """An ISO 8601 date or date-time; without a zone, local to the report's time zone."""
    try:
        if len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text), time(), zone)
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(
            f"{field}: {text[:40]!r} is not an ISO 8601 date or date-time", field=field
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return check_moment(moment, field)


def period(
    start: str | None, end: str | None, zone: ZoneInfo, now: datetime
) -> tuple[datetime, datetime]:
    until = parse_moment(end, "to", zone) if end else now
    try:
        since = parse_moment(start, "from", zone) if start else until - DEFAULT_PERIOD
    except OverflowError:  # `to` in the first week of year 1
        raise Invalid("to: too early for a default period; give from", field="to") from None
    if since >= until:
        raise Invalid("from must be before to", field="from")
    if until - since > MAX_PERIOD:
        raise Invalid(f"a report covers {MAX_PERIOD.days} days at most", field="from")
    return since, until


async def build_report(
    runtime: Runtime,
    workspace_id: int,
    start: str | None,
    end: str | None,
    group_by: str,
    hours: str,
    now: datetime,
) -> Report:
    if group_by not in GROUPINGS:
        raise Invalid(f"group_by is one of {', '.join(GROUPINGS)}", field="group_by")
    if hours not in ("all", "business"):
        raise Invalid("hours is all or business", field="hours")
    settings = await report_settings(workspace_id)
    zone = ZoneInfo(settings.timezone)
    since, until = period(start, end, zone, now)
    if hours == "business" and settings.business_hours is None:
        raise Invalid("this workspace has no business hours set", field="hours")
    await refresh_stale(runtime, workspace_id)
    facts = await facts_between(workspace_id, since, until)
    context = Context(
        zone=zone,
        hours=business_hours(settings.timezone, settings.business_hours or {})
        if hours == "business"
        else None,
        labels=await labels_of_conversations(workspace_id) if group_by == "label" else {},
        names=await group_names(workspace_id),
    )
    return Report(
        start=since,
        end=until,
        timezone=settings.timezone,
        business_hours=hours == "business",
        group_by=group_by,
        total=build_row("total", "Total", facts, context),
        groups=grouped(facts, group_by, context),
        histogram=histogram(facts, context),
        heatmap=heatmap(facts, context),
    )


CSV_COLUMNS = ["group", "name", "opened", "reopened", "resolved", "messages_in", "messages_out"]
TIMES = ("first_response", "reply", "resolution")
CSV_COLUMNS += [f"{t}_{f}" for t in TIMES for f in ("count", "median_s", "p90_s", "mean_s")]


def _cell(value: object) -> object:
    # A spreadsheet runs a cell starting with = + - @ as a formula: names are members' and
    # labels' own text, so they are quoted as text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def _csv_row(row: FigureRow) -> list[object]:
    cells: list[object] = [row.key, row.name, row.opened, row.reopened, row.resolved]
    cells += [row.messages_in, row.messages_out]
    for name in TIMES:
        figure = getattr(row, name)
        cells += [figure.count, figure.median, figure.p90, figure.mean]
    return [_cell(cell) for cell in cells]


def report_csv(report: Report) -> str:
    """The total, then one line per group; durations in seconds."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in [report.total, *report.groups]:
        writer.writerow(_csv_row(row))
    return out.getvalue()
