"""The privacy sweeper: what the privacy policy says is kept only so long, is removed.

Two cadences in one loop of every server process:
- every `scrub_seconds` (10 s): unsent messages' content leaves the event log and the raw
  receipts (the message row lost it at once, when the unsend arrived);
- every `retention_seconds` (an hour): raw receipts older than
  `settings.receipt_retention_days` (7 by default: processing plus replay by admins),
  messages older than their workspace's `message_retention_days` (when set), audit entries
  older than `settings.audit_retention_days` (365 by default), and uploaded files no row
  names (actions.uploads.reap_orphan_files). Events are swept by workers.retention, which
  also cuts a workspace's log to its message retention.

Every step is a batch in its own short transaction (SKIP LOCKED where processes could
meet), so sweeping at once from several processes is safe, and a large backlog never holds
locks or grows one transaction.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta

from wazify.actions import retention as steps
from wazify.actions.uow import Actor, unit_of_work
from wazify.actions.uploads import reap_orphan_files
from wazify.runtime import Runtime
from wazify.workers.background import BackgroundLoop

log = logging.getLogger("wazify.privacy")
ACTOR = Actor.system("privacy-sweeper")
BATCH = 2000
SCRUB_BATCH = 20


class PrivacySweeper(BackgroundLoop):
    task_name = "privacy-sweeper"

    def __init__(
        self,
        runtime: Runtime,
        *,
        scrub_seconds: float = 10.0,
        retention_seconds: float = 3600.0,
        batch: int = BATCH,
    ) -> None:
        self.runtime = runtime
        self.scrub_seconds = scrub_seconds
        self.retention_seconds = retention_seconds
        self.batch = batch
        self._last_retention = float("-inf")

    async def _run(self) -> None:
        while True:
            try:
                # Shielded: stop() cancels the task, and a transaction cancelled while it
                # commits never returns its connection to the pool.
                await asyncio.shield(self.scrub())
                if time.monotonic() - self._last_retention >= self.retention_seconds:
                    self._last_retention = time.monotonic()
                    await asyncio.shield(self.sweep())
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database is away: try again next round
                log.warning("privacy sweep failed: %s", error)
            await asyncio.sleep(self.scrub_seconds)

    async def scrub(self) -> int:
        """Every queued unsent message's copies; returns how many messages."""
        total = 0
        while True:
            async with unit_of_work(self.runtime, ACTOR) as uow:
                done = await steps.do_scrub_unsent(uow, SCRUB_BATCH)
            total += done
            if done < SCRUB_BATCH:
                return total

    async def sweep(self, now: datetime | None = None) -> dict[str, int]:
        """One retention round; returns what each part removed."""
        pool = self.runtime.engine.pool
        now = now or await pool.fetchval("SELECT now()")
        settings = self.runtime.settings
        receipts_cutoff = now - timedelta(days=settings.receipt_retention_days)
        audit_cutoff = now - timedelta(days=settings.audit_retention_days)
        removed = {"receipts": 0, "messages": 0, "audit": 0}
        removed["receipts"] += await self._repeat(
            lambda conn: steps.purge_receipts(conn, receipts_cutoff, self.batch)
        )
        retained = await pool.fetch(
            "SELECT id, message_retention_days AS days FROM workspaces"
            " WHERE message_retention_days IS NOT NULL ORDER BY id"
        )
        for row in retained:
            removed["messages"] += await self._expire_messages(row["id"], row["days"])
            if row["days"] < settings.receipt_retention_days:
                removed["receipts"] += await self._repeat(
                    lambda conn, w=row["id"], d=row["days"]: steps.purge_workspace_receipts(
                        conn, w, d, self.batch
                    )
                )
        workspaces = [row["id"] for row in await pool.fetch("SELECT id FROM workspaces")]
        for workspace_id in [None, *workspaces]:
            removed["audit"] += await self._repeat(
                lambda conn, w=workspace_id: steps.purge_audit(conn, w, audit_cutoff, self.batch)
            )
        removed["orphan_files"] = await reap_orphan_files(settings.uploads_folder)
        if any(removed.values()):
            log.info("privacy retention removed %s", removed)
        return removed

    async def _expire_messages(self, workspace_id: int, days: int) -> int:
        total = 0
        while True:
            async with unit_of_work(self.runtime, ACTOR) as uow:
                count = await steps.do_expire_messages(uow, workspace_id, days, self.batch)
            total += count
            if count < self.batch:
                return total

    async def _repeat(self, step) -> int:
        total = 0
        while True:
            async with self.runtime.engine.pool.acquire() as conn, conn.transaction():
                count = await step(conn)
            total += count
            if count < self.batch:
                return total
