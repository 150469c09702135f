"""Data exports: admins request one (the workspace, or one contact), follow its progress
(export.updated, or these routes) and download it through a signed link that expires.

Admins only: an export holds everything of the workspace, and the privacy policy has admins
run the privacy features; supervisors and agents get a 403. Another workspace's export or
contact is a 404 like an absent one. The download link is its own credential (exports/links.py):
a wrong signature is a 404, an expired link a 410; each download is audited.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from litestar import Request, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import File

from wazify.actions.exports import do_record_download, do_request_export
from wazify.actions.uow import Actor, unit_of_work
from wazify.auth.guards import optional_principal, public, require_admin
from wazify.auth.principal import Principal, client_addr
from wazify.exports.links import download_path, has_expired, signature_is_valid
from wazify.exports.queries import export_file, get_export, list_exports
from wazify.exports.schemas import ExportJobView, ExportList, ExportRequest
from wazify.lib.errors import Gone, Invalid, NotFound
from wazify.runtime import Runtime
from wazify.settings import Settings
from wazify.views import ExportView
from wazify.workers.exports import ExportWorker

NO_SUCH_LINK = "this download link is not valid"


def _with_link(settings: Settings, view: ExportView) -> ExportJobView:
    fields = {name: getattr(view, name) for name in view.__struct_fields__}
    job = ExportJobView(**fields)
    live = view.status == "done" and view.expires_at and view.expires_at > datetime.now(UTC)
    if live and view.expires_at is not None:
        job.download_path = download_path(settings, view.id, view.expires_at)
        job.download_url = settings.public_url + job.download_path
    return job


def _downloader(request: Request, workspace_id: int) -> Actor:
    """Who the audit names: the signed-in member of that workspace, or the link's holder."""
    principal = optional_principal(request.scope)
    addr = client_addr(request.scope)
    if principal is not None and principal.workspace_id == workspace_id:
        return principal.actor(addr)
    return Actor(user_id=None, label="download link", client_addr=addr)


@post("/exports", guards=[require_admin], status_code=202)
async def exports_request(
    request: Request,
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
    exports: NamedDependency[ExportWorker | None],
    data: JSONBody[ExportRequest | None] = None,
) -> ExportJobView:
    """202: queued; export.updated follows it to done (or GET /exports/{id})."""
    contact_id = data.contact_id if data is not None else None
    async with unit_of_work(runtime, principal.actor(client_addr(request.scope))) as uow:
        view = await do_request_export(
            uow,
            principal.workspace_id,
            contact_id=contact_id,
            requested_by=principal.user_id,
            label=principal.email,
        )
    if exports is not None:
        exports.wake()
    return _with_link(runtime.settings, view)


@get("/exports", guards=[require_admin])
async def exports_list(
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
    limit: Annotated[int, QueryParameter(description="1 to 200, newest first")] = 50,
) -> ExportList:
    if not 1 <= limit <= 200:
        raise Invalid("limit must be from 1 to 200", field="limit")
    views = await list_exports(principal.workspace_id, limit)
    return ExportList(items=[_with_link(runtime.settings, view) for view in views])


@get("/exports/{export_id:int}", guards=[require_admin])
async def exports_get(
    export_id: FromPath[int],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> ExportJobView:
    view = await get_export(principal.workspace_id, export_id)
    if view is None:
        raise NotFound(f"no export {export_id} in this workspace")
    return _with_link(runtime.settings, view)


@get("/exports/{export_id:int}/download", guards=[public])
async def exports_download(
    request: Request,
    export_id: FromPath[int],
    runtime: NamedDependency[Runtime],
    expires: Annotated[int, QueryParameter(description="from the link")],
    signature: Annotated[str, QueryParameter(description="from the link", max_length=100)],
) -> File:
    settings = runtime.settings
    if not signature_is_valid(settings, export_id, expires, signature):
        raise NotFound(NO_SUCH_LINK)
    found = await export_file(export_id)
    if found is None:  # erased with its contact or its workspace
        raise NotFound(NO_SUCH_LINK)
    if has_expired(expires) or found.status == "expired":
        raise Gone("this download link has expired; request a new export")
    if found.status != "done" or found.path is None or not found.path.is_file():
        raise Gone("this export's file is no longer kept; request a new export")
    async with unit_of_work(runtime, _downloader(request, found.workspace_id)) as uow:
        do_record_download(uow, found.workspace_id, found.id, found.size or 0)
    return File(path=found.path, filename=found.filename, media_type="application/zip")


exports_router = Router(
    path="/api/v1",
    route_handlers=[exports_request, exports_list, exports_get, exports_download],
    tags=["exports"],
)
