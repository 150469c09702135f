"""The simulated customers: they play the script, then write now and then, and answer
(and sometimes react to) what the team replies. Read receipts for our replies come from the
fake Graph API itself, as Meta's would.

An answer follows the words of our reply (wazify.demo.script.reply_to) and comes a few
seconds later, once the agent had time to resolve the conversation: a customer whose
conversation was resolved says at most a late thank-you, a minute or two later, which
reopens it visibly ("Reopened by a new message from ..."). Each customer answers one reply
at a time, in order; customers answer independently of each other.

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
SELECT m.id, m.mid, m.text, m.conversation_id, ct.igsid FROM messages m
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
        self.turns = {index: asyncio.Lock() for index in range(len(PERSONAS))}
        self.tasks: set[asyncio.Task[None]] = set()

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
                task = asyncio.create_task(
                    self.respond(persona, row["conversation_id"], row["text"] or "")
                )
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)

    async def respond(self, persona: int, conversation_id: int, ours: str) -> None:
        """One customer's reaction to one reply, after the agent had time to resolve."""
        async with self.turns[persona]:
            await asyncio.sleep(self.rnd.uniform(4, 6))
            status = await self.pool.fetchval(
                "SELECT status FROM conversations WHERE id = $1", conversation_id
            )
            for step in answer(self.rnd, persona, ours, resolved=status == "resolved"):
                await asyncio.sleep(step.pause)
                await self.play(step)

    async def run(self) -> None:
        await asyncio.gather(self.script(), self.answers())
