"""The reports worker: derives the facts of conversations whose history changed.

Each pass takes stale conversations a batch at a time (FOR UPDATE SKIP LOCKED, so several
processes share the work and never wait on each other) until none is left, then sleeps
`interval` seconds: figures lag history by about that much, and a report request catches
its own workspace up first (wazify.reports.service), so what it shows is never behind.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from functools import partial

from wazify.actions.report_facts import do_refresh_facts
from wazify.actions.uow import Actor, unit_of_work
from wazify.db.transactions import retry_transient
from wazify.runtime import Runtime
from wazify.workers.background import BackgroundLoop

log = logging.getLogger("wazify.reports")
ACTOR = Actor.system("reports-worker")
BATCH = 200


async def refresh_stale(runtime: Runtime, workspace_id: int | None = None) -> int:
    """Derive every stale conversation's facts (of one workspace); returns how many."""
    total = 0
    while True:
        # Shielded: a transaction cancelled while it commits never returns its connection.
        # Retried when a deadlock's victim (it locks conversations, then their workspace's
        # row through the facts' foreign key; a deletion meets them the other way round).
        batch = partial(_refresh_batch, runtime, workspace_id)
        done = await asyncio.shield(retry_transient(batch))
        total += done
        if done < BATCH:
            return total


async def _refresh_batch(runtime: Runtime, workspace_id: int | None) -> int:
    async with unit_of_work(runtime, ACTOR) as uow:
        return await do_refresh_facts(uow, BATCH, workspace_id)


@dataclass
class ReportsWorker(BackgroundLoop):
    task_name = "reports-worker"

    runtime: Runtime
    interval: float = 5.0

    async def _run(self) -> None:
        while True:
            try:
                await refresh_stale(self.runtime)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("deriving report facts failed; retrying later")
            await asyncio.sleep(self.interval)
