"""Workspaces: created with their event counter, so the write path can number events, and
corrected by their admins (name, message retention), live to every member."""

from __future__ import annotations

import re

import asyncpg

from wazify.actions.uow import UnitOfWork
from wazify.db.tables import Workspace, WorkspaceCounter
from wazify.lib.errors import Conflict, Invalid, NotFound
from wazify.realtime.events import WorkspaceUpdated
from wazify.views import WorkspaceView
from wazify.workspaces.queries import workspace_view

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def check_slug(slug: str) -> str:
    if not SLUG.match(slug):
        raise Invalid(
            f"workspace slug {slug!r} must be 1 to 63 lowercase letters, digits or dashes,"
            " starting with a letter or digit",
            field="slug",
        )
    return slug


async def do_create_workspace(uow: UnitOfWork, slug: str, name: str = "") -> int:
    check_slug(slug)
    try:
        async with uow.conn.transaction():  # a savepoint: a duplicate must not poison the unit
            rows = await Workspace.insert(Workspace(slug=slug, name=name or slug)).returning(
                Workspace.id
            )
    except asyncpg.UniqueViolationError:
        raise Conflict(f"a workspace with slug {slug!r} already exists", field="slug") from None
    workspace_id: int = rows[0]["id"]
    await WorkspaceCounter.insert(WorkspaceCounter(workspace=workspace_id, last_seq=0))
    uow.audit("workspace.created", workspace_id, "workspace", workspace_id, after={"slug": slug})
    return workspace_id


class Unchanged:
    """A field left as it is (None is a value: "no message retention")."""


KEEP = Unchanged()


async def do_update_workspace(
    uow: UnitOfWork,
    workspace_id: int,
    *,
    name: str | None = None,
    message_retention_days: int | Unchanged | None = KEEP,
) -> WorkspaceView:
    """An admin's correction of the business's own data. No change, no event."""
    rows = (
        await Workspace.select(Workspace.name, Workspace.message_retention_days)
        .where(Workspace.id == workspace_id)
        .lock_rows("UPDATE")
    )
    if not rows:
        raise NotFound(f"no workspace {workspace_id}")
    before = rows[0]
    wanted: dict[str, object] = {}
    if name is not None:
        name = " ".join(name.split())
        if not name:
            raise Invalid("the workspace's name cannot be empty", field="name")
        wanted["name"] = name
    if not isinstance(message_retention_days, Unchanged):
        if message_retention_days is not None and not 1 <= message_retention_days <= 36500:
            raise Invalid(
                "message_retention_days must be from 1 to 36500, or null to keep messages"
                " while the workspace exists",
                field="message_retention_days",
            )
        wanted["message_retention_days"] = message_retention_days
    changed = {key: value for key, value in wanted.items() if before[key] != value}
    if changed:
        await Workspace.update(
            {getattr(Workspace, key): value for key, value in changed.items()}
        ).where(Workspace.id == workspace_id)
        uow.audit(
            "workspace.updated",
            workspace_id,
            "workspace",
            workspace_id,
            before={key: before[key] for key in changed},
            after=changed,
        )
        return await emit_workspace(uow, workspace_id)
    view = await workspace_view(uow.conn, workspace_id)
    assert view is not None
    return view


async def emit_workspace(uow: UnitOfWork, workspace_id: int) -> WorkspaceView:
    """Tell every member what the workspace now is (workspace.updated)."""
    view = await workspace_view(uow.conn, workspace_id)
    if view is None:
        raise NotFound(f"no workspace {workspace_id}")
    uow.emit(WorkspaceUpdated(workspace_id=workspace_id, at=uow.now, workspace=view))
    return view
