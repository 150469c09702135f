"""The audit log, for admins and supervisors of the workspace (entries of other workspaces
do not exist from here: a 404)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Router, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter

from wazify.audit.pagination import DEFAULT_LIMIT, check_limit, decode_cursor, page
from wazify.audit.queries import AuditEntryView, AuditPage, get_entry, list_entries
from wazify.auth.guards import require_staff
from wazify.auth.principal import Principal
from wazify.lib.errors import NotFound
from wazify.lib.inputs import DbId, check_moment, id_query
from wazify.runtime import Runtime


@get("/audit", guards=[require_staff])
async def audit_list(
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
    actor: Annotated[DbId | None, id_query("the acting user's id")] = None,
    action: Annotated[str | None, QueryParameter(description="e.g. auth.login_failed")] = None,
    since: Annotated[datetime | None, QueryParameter(description="inclusive, ISO 8601")] = None,
    until: Annotated[datetime | None, QueryParameter(description="exclusive, ISO 8601")] = None,
    cursor: FromQuery[str | None] = None,
    limit: FromQuery[int] = DEFAULT_LIMIT,
) -> AuditPage:
    check_limit(limit)
    rows = await list_entries(
        runtime.engine.pool,
        principal.workspace_id,
        actor_id=actor,
        action=action,
        since=check_moment(since, "since") if since else None,
        until=check_moment(until, "until") if until else None,
        before=decode_cursor(cursor),
        limit=limit + 1,
    )
    items, next_cursor = page(rows, limit, lambda entry: (entry.created_at, entry.id))
    return AuditPage(items=items, next_cursor=next_cursor)


@get("/audit/{entry_id:int}", guards=[require_staff])
async def audit_get(
    entry_id: FromPath[DbId],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> AuditEntryView:
    entry = await get_entry(runtime.engine.pool, principal.workspace_id, entry_id)
    if entry is None:
        raise NotFound(f"no audit entry {entry_id} in this workspace")
    return entry


audit_router = Router(path="/api/v1", route_handlers=[audit_list, audit_get], tags=["audit"])
