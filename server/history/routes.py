"""History routes: staff follow an account's imports; admins ask for a resync.

    GET  /api/v1/accounts/{id}/imports   the account's import jobs, newest first (staff)
    POST /api/v1/accounts/{id}/resync    queue a resync, or join the one in progress (admin)

Progress arrives live as import_job.updated (docs/realtime.md); the bootstrap holds each
account's latest job for staff.
"""

from __future__ import annotations

from datetime import timedelta

from litestar import Request, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from wazify.accounts.queries import stored_account
from wazify.actions.imports import do_queue_import
from wazify.actions.uow import unit_of_work
from wazify.auth.guards import require_admin, require_staff
from wazify.auth.principal import Principal, client_addr
from wazify.history.queries import account_jobs
from wazify.history.schemas import ResyncRequest
from wazify.lib.errors import Invalid, NotFound
from wazify.lib.inputs import DbId
from wazify.runtime import Runtime
from wazify.views import ImportJobView


async def _check_account(runtime: Runtime, principal: Principal, account_id: int) -> None:
    if await stored_account(runtime.engine.pool, principal.workspace_id, account_id) is None:
        raise NotFound(f"no Instagram account {account_id} in this workspace")


@get("/accounts/{account_id:int}/imports", guards=[require_staff])
async def account_imports(
    account_id: FromPath[DbId],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> list[ImportJobView]:
    await _check_account(runtime, principal, account_id)
    return await account_jobs(account_id)


@post("/accounts/{account_id:int}/resync", guards=[require_admin], status_code=202)
async def account_resync(
    request: Request,
    account_id: FromPath[DbId],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
    data: JSONBody[ResyncRequest | None] = None,
) -> ImportJobView:
    """Fetch what changed from the Conversations API and apply it (docs/history.md)."""
    await _check_account(runtime, principal, account_id)
    window = runtime.settings.history_window_days
    days = data.days if data is not None else None
    if days is not None and days > window:
        raise Invalid(f"days must be from 1 to {window} (the history window)", field="days")
    actor = principal.actor(client_addr(request.scope))
    async with unit_of_work(runtime, actor) as uow:
        since = uow.now - timedelta(days=days) if days is not None else None
        return await do_queue_import(
            uow, account_id, "manual", since=since, requested_by=principal.user_id
        )


history_router = Router(
    path="/api/v1", route_handlers=[account_imports, account_resync], tags=["accounts"]
)
