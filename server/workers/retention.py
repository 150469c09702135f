"""Event retention: delete logged events older than `settings.event_retention_days` (or
than the workspace's `message_retention_days`, when shorter).

The log is what lets a client resume; past the retention a cursor is answered with a resync
(the client reloads the snapshot), never a partial replay. That check (realtime.replay)
compares a cursor with the oldest event kept, so the sweeper only ever deletes a *prefix*
of each workspace's sequence: everything below the first event still within the retention.
A gap in the middle of the log would turn into a silent partial replay.

Deletes run in batches, each its own short transaction, so a large backlog (the first sweep
after an upgrade, a long retention cut short) never holds locks or bloats one transaction.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from wazify.runtime import Runtime
from wazify.workers.background import BackgroundLoop

log = logging.getLogger("wazify.retention")

BATCH = 5000
INTERVAL_SECONDS = 3600.0

# The first event of the workspace still within the retention (everything below goes).
FIRST_KEPT_SQL = """
SELECT seq FROM events WHERE workspace_id = $1 AND created_at >= $2 ORDER BY seq LIMIT 1
"""
OLDEST_SQL = """
SELECT seq, created_at FROM events WHERE workspace_id = $1 ORDER BY seq LIMIT 1
"""
LAST_SQL = "SELECT max(seq) FROM events WHERE workspace_id = $1"
DELETE_SQL = "DELETE FROM events WHERE workspace_id = $1 AND seq >= $2 AND seq <= $3"


class EventRetentionSweeper(BackgroundLoop):
    """Periodically deletes expired events: `start()` / `stop()`, or `sweep()` once."""

    task_name = "event-retention"

    def __init__(
        self,
        runtime: Runtime,
        *,
        interval_seconds: float = INTERVAL_SECONDS,
        batch: int = BATCH,
    ) -> None:
        self.runtime = runtime
        self.interval_seconds = interval_seconds
        self.batch = batch

    @property
    def retention(self) -> timedelta:
        return timedelta(days=self.runtime.settings.event_retention_days)

    async def _run(self) -> None:
        while True:
            try:
                deleted = await self.sweep()
                if deleted:
                    log.info("deleted %d events older than the retention", deleted)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database is away: try again next round
                log.warning("event retention sweep failed: %s", error)
            await asyncio.sleep(self.interval_seconds)

    async def sweep(self, now: datetime | None = None) -> int:
        """Delete every workspace's events older than the retention; returns the count."""
        pool = self.runtime.engine.pool
        now = now or await pool.fetchval("SELECT now()")
        # A workspace keeping its messages fewer days than the log is kept cuts its log
        # there too: events carry the messages they announced.
        rows = await pool.fetch(
            "SELECT c.workspace_id, w.message_retention_days AS days FROM workspace_counters c"
            " JOIN workspaces w ON w.id = c.workspace_id ORDER BY 1"
        )
        deleted = 0
        for row in rows:
            retention = self.retention
            if row["days"] is not None:
                retention = min(retention, timedelta(days=row["days"]))
            deleted += await self._sweep_workspace(row["workspace_id"], now - retention)
        return deleted

    async def _sweep_workspace(self, workspace_id: int, cutoff: datetime) -> int:
        pool = self.runtime.engine.pool
        oldest = await pool.fetchrow(OLDEST_SQL, workspace_id)
        if oldest is None or oldest["created_at"] >= cutoff:
            return 0  # the common case: one index probe per workspace
        first_kept = await pool.fetchval(FIRST_KEPT_SQL, workspace_id, cutoff)
        through = (
            first_kept - 1
            if first_kept is not None
            else await pool.fetchval(LAST_SQL, workspace_id)
        )
        deleted = 0
        low = oldest["seq"]
        while low <= through:
            high = min(through, low + self.batch - 1)
            status = await pool.execute(DELETE_SQL, workspace_id, low, high)
            deleted += int(status.rsplit(" ", 1)[1])
            low = high + 1
        return deleted
