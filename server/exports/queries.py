"""Read-only queries on export jobs (Piccolo's query builder), always scoped to a workspace
except where a signed link names the job."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from wazify.db.tables import ExportJob
from wazify.views import ExportView

VIEW_COLUMNS = (
    ExportJob.id,
    ExportJob.kind,
    ExportJob.contact.as_alias("contact_id"),
    ExportJob.status,
    ExportJob.status_reason,
    ExportJob.requested_by.as_alias("requested_by"),
    ExportJob.requested_label,
    ExportJob.rows_done,
    ExportJob.rows_total,
    ExportJob.file_size,
    ExportJob.created_at,
    ExportJob.started_at,
    ExportJob.finished_at,
    ExportJob.expires_at,
)
VIEW_FIELDS = tuple(ExportView.__struct_fields__)


def view_of(row: dict[str, Any]) -> ExportView:
    return ExportView(**{name: row[name] for name in VIEW_FIELDS})


async def export_views(ids: list[int]) -> dict[int, ExportView]:
    rows = await ExportJob.select(*VIEW_COLUMNS).where(ExportJob.id.is_in(ids or [0]))
    return {row["id"]: view_of(row) for row in rows}


async def list_exports(workspace_id: int, limit: int) -> list[ExportView]:
    """Newest first."""
    rows = (
        await ExportJob.select(*VIEW_COLUMNS)
        .where(ExportJob.workspace == workspace_id)
        .order_by(ExportJob.id, ascending=False)
        .limit(limit)
    )
    return [view_of(row) for row in rows]


async def get_export(workspace_id: int, export_id: int) -> ExportView | None:
    row = (
        await ExportJob.select(*VIEW_COLUMNS)
        .where((ExportJob.workspace == workspace_id) & (ExportJob.id == export_id))
        .first()
    )
    return view_of(row) if row else None


async def active_export(workspace_id: int, contact_id: int | None) -> int | None:
    """The queued or running export of the same scope, if any."""
    same = ExportJob.contact.is_null() if contact_id is None else ExportJob.contact == contact_id
    row = (
        await ExportJob.select(ExportJob.id)
        .where(
            (ExportJob.workspace == workspace_id)
            & same
            & ExportJob.status.is_in(["queued", "running"])
        )
        .first()
    )
    return row["id"] if row else None


@dataclass(frozen=True)
class ExportFile:
    """What serving a download needs."""

    id: int
    workspace_id: int
    slug: str
    kind: str
    contact_id: int | None
    status: str
    path: Path | None
    size: int | None
    expires_at: datetime | None

    @property
    def filename(self) -> str:
        who = "workspace" if self.contact_id is None else f"contact-{self.contact_id}"
        return f"wazify-export-{self.slug}-{who}-{self.id}.zip"


async def export_file(export_id: int) -> ExportFile | None:
    row = (
        await ExportJob.select(
            ExportJob.id,
            ExportJob.workspace.as_alias("workspace_id"),
            ExportJob.workspace.slug.as_alias("slug"),
            ExportJob.kind,
            ExportJob.contact.as_alias("contact_id"),
            ExportJob.status,
            ExportJob.file_path,
            ExportJob.file_size,
            ExportJob.expires_at,
        )
        .where(ExportJob.id == export_id)
        .first()
    )
    if row is None:
        return None
    path = Path(row["file_path"]) if row["file_path"] else None
    return ExportFile(
        id=row["id"],
        workspace_id=row["workspace_id"],
        slug=row["slug"],
        kind=row["kind"],
        contact_id=row["contact_id"],
        status=row["status"],
        path=path,
        size=row["file_size"],
        expires_at=row["expires_at"],
    )
