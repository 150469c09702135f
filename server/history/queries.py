"""Read-only queries on import jobs (Piccolo's query builder: inside a unit of work, or a
connection joined with `piccolo_joins`, they read in its transaction; elsewhere, the pool)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from piccolo.query.functions.aggregate import Max

from wazify.db.tables import ImportJob
from wazify.views import ImportJobView

VIEW_COLUMNS = (
    ImportJob.id,
    ImportJob.account.as_alias("account_id"),
    ImportJob.trigger,
    ImportJob.state,
    ImportJob.since,
    ImportJob.conversations_done,
    ImportJob.messages_seen,
    ImportJob.messages_imported,
    ImportJob.reason,
    ImportJob.next_attempt_at,
    ImportJob.created_at,
    ImportJob.started_at,
    ImportJob.finished_at,
)


def _view(values: dict[str, Any]) -> ImportJobView:
    if values["state"] not in ("queued", "running"):
        values["next_attempt_at"] = None  # only a job still to run has a next attempt
    return ImportJobView(**values)


async def import_job_views(job_ids: Sequence[int]) -> dict[int, ImportJobView]:
    if not job_ids:
        return {}
    rows = await ImportJob.select(*VIEW_COLUMNS).where(ImportJob.id.is_in(list(job_ids)))
    return {row["id"]: _view(row) for row in rows}


async def latest_import_jobs(workspace_id: int) -> list[ImportJobView]:
    """Each account's most recent job (what the Accounts screen shows), by account."""
    latest = (
        ImportJob.select(Max(ImportJob.id))
        .where(ImportJob.workspace == workspace_id)
        .group_by(ImportJob.account)
    )
    query = ImportJob.select(*VIEW_COLUMNS).where(ImportJob.id.is_in(latest))
    rows = await query.order_by(ImportJob.account)
    return [_view(row) for row in rows]


async def account_jobs(account_id: int, limit: int = 20) -> list[ImportJobView]:
    """An account's jobs, newest first."""
    query = (
        ImportJob.select(*VIEW_COLUMNS)
        .where(ImportJob.account == account_id)
        .order_by(ImportJob.id, ascending=False)
        .limit(limit)
    )
    return [_view(row) for row in await query]
