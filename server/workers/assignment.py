"""The queue's safety net: every `interval` seconds, each workspace with conversations
waiting gets a decision (actions/assignment.py), in this process's decider. The same sweep
returns to the queue the unanswered conversations of members offline longer than their
workspace's offline_return_minutes (online eligibility only).

Decisions are requested by every change that can make room, so this catches only what
those missed: a decision that failed (the database away), a conversation woken from a
snooze while a decision ran, a member whose presence was recorded by a process that died.
Several processes may sweep at once: decisions serialise on the workspace's lock.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from wazify.actions.assignment import decider, do_return_unanswered
from wazify.actions.assignment_decision import ANY_ON
from wazify.actions.uow import Actor, unit_of_work
from wazify.runtime import Runtime
from wazify.workers.background import BackgroundLoop

log = logging.getLogger("wazify.assignment")
ACTOR = Actor.system("auto-assignment")

OFFLINE = f"""
SELECT a.workspace_id, a.user_id FROM assignment_members a
JOIN assignment_settings s ON s.workspace_id = a.workspace_id
WHERE {ANY_ON} AND s.eligibility = 'online' AND s.offline_return_minutes IS NOT NULL
  AND NOT a.online AND a.online_changed_at < now() - make_interval(mins => s.offline_return_minutes)
  AND EXISTS (SELECT 1 FROM conversations c JOIN messages m ON m.id = c.last_message_id
              WHERE c.workspace_id = a.workspace_id AND c.assignee_id = a.user_id
                AND c.status = 'open' AND m.direction = 'in')
ORDER BY a.workspace_id, a.user_id
"""

WAITING = f"""
SELECT DISTINCT q.workspace_id FROM assignment_queue q
JOIN assignment_settings s ON s.workspace_id = q.workspace_id AND {ANY_ON}
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
        """Return offline members' unanswered conversations; request a decision for each
        workspace whose queue is not empty. Returns how many workspaces."""
        for row in await self.runtime.engine.pool.fetch(OFFLINE):
            # Shielded: stop() cancels the task mid-sweep; a commit is never cut.
            await asyncio.shield(self._return(row["workspace_id"], row["user_id"]))
        rows = await self.runtime.engine.pool.fetch(WAITING)
        for row in rows:
            decider(self.runtime).request(row["workspace_id"])
        return len(rows)

    async def _return(self, workspace_id: int, user_id: int) -> None:
        async with unit_of_work(self.runtime, ACTOR) as uow:
            await do_return_unanswered(uow, workspace_id, user_id)
