"""Sweepers: periodic work of every server process.

SnoozeSweeper reopens pending conversations when their snooze time comes, through the
write path (conversation.updated, audited as conversation.woken). It sleeps until the next
snooze is due, at most `interval` seconds, so a snooze set meanwhile fires at most that
late. Several processes may sweep at once: rows are taken FOR UPDATE SKIP LOCKED, and a
row woken by one is no longer pending for the other.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from piccolo.query.functions.aggregate import Min

from wazify.actions.conversations import do_wake_snoozed
from wazify.actions.uow import Actor, unit_of_work
from wazify.db.tables import Conversation
from wazify.runtime import Runtime
from wazify.workers.background import BackgroundLoop

log = logging.getLogger("wazify.sweepers")
ACTOR = Actor.system("snooze-sweeper")


@dataclass
class SnoozeSweeper(BackgroundLoop):
    task_name = "snooze-sweeper"

    runtime: Runtime
    interval: float = 5.0
    batch_size: int = 100

    async def _run(self) -> None:
        while True:
            try:
                await self.wake_due()
                delay = await self._until_next_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("waking snoozed conversations failed; retrying later")
                delay = self.interval
            await asyncio.sleep(delay)

    async def _until_next_due(self) -> float:
        row = (
            await Conversation.select(Min(Conversation.snoozed_until, alias="due"))
            .where(Conversation.status == "pending")
            .first()
        )
        due: datetime | None = row["due"] if row else None
        if due is None:
            return self.interval
        wait = (due - datetime.now(UTC)).total_seconds()
        return min(max(wait, 0.0), self.interval)

    async def wake_due(self) -> int:
        """Reopen every conversation whose snooze time has passed; returns how many."""
        total = 0
        while True:
            # Shielded: stop() cancels the task, and a transaction cancelled while it
            # commits never returns its connection to the pool.
            woken = await asyncio.shield(self._wake_batch())
            total += woken
            if woken < self.batch_size:
                return total

    async def _wake_batch(self) -> int:
        async with unit_of_work(self.runtime, ACTOR) as uow:
            return len(await do_wake_snoozed(uow, self.batch_size))
