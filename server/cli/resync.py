"""The work behind `wazify instagram resync`: queue a resync per account, then run them
here (a server's importer may take some first: the lease keeps one walker per job) and
print their progress until each is done or failed."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from wazify.actions.imports import do_queue_import
from wazify.actions.uow import unit_of_work
from wazify.cli.common import CLI_ACTOR, CliError
from wazify.db.tables import IgAccount
from wazify.history.queries import import_job_views
from wazify.meta.graph_client import GraphClient, silence_http_client_logs
from wazify.runtime import Runtime
from wazify.views import ImportJobView
from wazify.workers.history import HistoryImporter

POLL_SECONDS = 0.5


async def queue_resyncs(
    runtime: Runtime, workspace_id: int | None, account_id: int | None, days: int | None
) -> list[tuple[ImportJobView, str]]:
    where = IgAccount.status == "connected"
    if workspace_id is not None:
        where &= IgAccount.workspace == workspace_id
    if account_id is not None:
        where &= IgAccount.id == account_id
    rows = (
        await IgAccount.select(IgAccount.id, IgAccount.username).where(where).order_by(IgAccount.id)
    )
    if not rows:
        raise CliError("no connected Instagram account matches (see the Accounts screen)")
    jobs = []
    for row in rows:
        async with unit_of_work(runtime, CLI_ACTOR) as uow:
            since = uow.now - timedelta(days=days) if days is not None else None
            jobs.append(
                (await do_queue_import(uow, row["id"], "manual", since=since), row["username"])
            )
    return jobs


def _line(name: str, view: ImportJobView) -> str:
    counts = f"{view.conversations_done} conversations, {view.messages_imported} new messages"
    reason = f" ({view.reason})" if view.reason else ""
    return f"@{name}: {view.state}, {counts}{reason}"


async def follow_jobs(runtime: Runtime, names: dict[int, str]) -> list[ImportJobView]:
    silence_http_client_logs()
    settings = runtime.settings
    printed: dict[int, str] = {}
    async with GraphClient(settings.meta_graph_url, settings.meta_graph_version) as graph:
        importer = HistoryImporter(runtime, graph, rate=settings.history_rate_per_second)
        try:
            while True:
                await importer.claim_and_run()
                views = await import_job_views(sorted(names))
                for job_id, view in sorted(views.items()):
                    line = _line(names[job_id], view)
                    if printed.get(job_id) != line:
                        printed[job_id] = line
                        print(line, flush=True)
                if all(view.state in ("done", "failed") for view in views.values()):
                    return list(views.values())
                await asyncio.sleep(POLL_SECONDS)
        finally:
            await importer.stop()
