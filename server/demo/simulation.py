"""The simulated customers: they play the script, then write now and then, and answer
(and sometimes react to) what the team replies. Read receipts for our replies come from the
fake Graph API itself, as Meta's would.

`deliver(step, persona, target_mid) -> mid | None` (given by wazify.cli.demo) posts the
step as a signed webhook and returns the mid of the message it created, if any.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable

from wazify.demo.script import OPENING, PERSONAS, Step, ambient, answer

log = logging.getLogger("wazify.demo")
Deliver = Callable[[Step, int, str | None], Awaitable[str | None]]

REPLIES_SQL = """
SELECT m.id, m.mid, ct.igsid FROM messages m
JOIN conversations c ON c.id = m.conversation_id JOIN contacts ct ON ct.id = c.contact_id
WHERE m.workspace_id = $1 AND m.direction = 'out' AND m.source = 'agent'
  AND m.mid IS NOT NULL AND m.id > $2 AND m.status IN ('sent', 'delivered', 'read')
ORDER BY m.id
"""


class Customers:
    def __init__(self, deliver: Deliver, pool, workspace_id: int, seed: int | None = None):
        self.deliver = deliver
        self.pool = pool
        self.workspace_id = workspace_id
        self.rnd = random.Random(seed)
        self.theirs: dict[int, str] = {}  # persona -> their last mid
        self.ours: dict[int, str] = {}  # persona -> our last reply's mid
        self.last_reply_id = 0
        self.queue: asyncio.Queue[Step] = asyncio.Queue()

    async def play(self, step: Step) -> None:
        target = None
        if step.target == "theirs":
            target = self.theirs.get(step.persona)
        elif step.target == "ours":
            target = self.ours.get(step.persona)
        if step.target and target is None:
            return  # nothing to refer to (yet)
        try:
            mid = await self.deliver(step, step.persona, target)
        except Exception as error:  # the demo keeps going; the server may be restarting
            log.warning("demo customer step %s failed: %s", step.kind, error)
            return
        if mid is not None and step.kind not in ("edit", "unsend", "react"):
            self.theirs[step.persona] = mid

    async def script(self) -> None:
        for step in OPENING:
            await asyncio.sleep(step.pause)
            await self.play(step)
        while True:
            step = ambient(self.rnd)
            await asyncio.sleep(step.pause)
            await self.play(step)

    async def answers(self) -> None:
        """Customers answer our replies (each persona one at a time, in order)."""
        self.last_reply_id = await self.pool.fetchval(
            "SELECT coalesce(max(id), 0) FROM messages WHERE workspace_id = $1", self.workspace_id
        )
        by_igsid = {persona.igsid: index for index, persona in enumerate(PERSONAS)}
        while True:
            await asyncio.sleep(1.5)
            rows = await self.pool.fetch(REPLIES_SQL, self.workspace_id, self.last_reply_id)
            for row in rows:
                self.last_reply_id = row["id"]
                persona = by_igsid.get(row["igsid"])
                if persona is None:
                    continue
                self.ours[persona] = row["mid"]
                for step in answer(self.rnd, persona):
                    self.queue.put_nowait(step)

    async def answerer(self) -> None:
        while True:
            step = await self.queue.get()
            await asyncio.sleep(step.pause)
            await self.play(step)

    async def run(self) -> None:
        await asyncio.gather(self.script(), self.answers(), self.answerer())
