"""The queue's safety net: every `interval` seconds, each workspace with conversations
waiting gets a decision (actions/assignment.py), in this process's decider.

Decisions are requested by every change that can make room, so this catches only what
those missed: a decision that failed (the database away), a conversation woken from a
snooze while a decision ran, a member whose presence was recorded by a process that died.
Several processes may sweep at once: decisions serialise on the workspace's lock.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from wazify.actions.assignment import decider
from wazify.runtime import Runtime
from wazify.workers.background import BackgroundLoop

log = logging.getLogger("wazify.assignment")

WAITING = """
SELECT DISTINCT q.workspace_id FROM assignment_queue q
JOIN assignment_settings s ON s.workspace_id = q.workspace_id AND s.enabled
"""


@dataclass
class AssignmentSweeper(BackgroundLoop):
    task_name = "assignment-sweeper"

    runtime: Runtime
    interval: float = 30.0

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the auto-assignment sweep failed; retrying later")

    async def sweep(self) -> int:
        """Request a decision for each workspace whose queue is not empty; returns how many."""
        rows = await self.runtime.engine.pool.fetch(WAITING)
        for row in rows:
            decider(self.runtime).request(row["workspace_id"])
        return len(rows)
