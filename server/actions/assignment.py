"""Auto-assignment: the queue and the decision that hands its conversations to members.

Correct under concurrency across processes by one lock per workspace, its
assignment_settings row, taken before any conversation row:
- a decision (`do_assign_waiting`) holds it FOR UPDATE for its whole transaction, reads
  loads, presence and the queue, and assigns, so two decisions never interleave: a member
  is never put over capacity by them, a conversation is never assigned twice (its row is
  locked and re-checked), and the queue is served from its head;
- every transaction that may queue a conversation or add to a member's load (ingest, a
  manual assignment or claim, a reopen) holds it FOR SHARE from its start (`hold`), so no
  such change commits while a decision runs: the decision sees all of them or none, and
  what was queued before it (by event seq) is what it serves first.
Both lock the settings row before conversation rows, so the two never deadlock; decisions
wait for other writers of a conversation row (labels, notes), which never wait for them.

A decision runs in its own transaction after the change that made room or queued work has
committed (`request_decision`, uow.after_commit), in the background: ingest does not wait
for it, and requests arriving while one runs are served by one more after it (per process
and workspace), so a burst of batches costs a few decisions, not one each. A workspace
without a settings row, or with auto-assignment off, is skipped by one indexed read.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from wazify.actions.assignment_decision import ANY_ON, AUTO_ON, decide
from wazify.actions.uow import Actor, UnitOfWork, unit_of_work
from wazify.lib.tasks import spawn
from wazify.runtime import Runtime

log = logging.getLogger("wazify.assignment")
ACTOR = Actor.system("auto-assignment")
DECIDER = "assignment.decider"

HOLD = f"""
SELECT s.workspace_id, {ANY_ON} AS enabled FROM assignment_settings s
WHERE s.workspace_id = ANY($1::bigint[]) ORDER BY s.workspace_id FOR SHARE OF s
"""

ENQUEUE = f"""
INSERT INTO assignment_queue (workspace_id, conversation_id, waiting_since, reason)
SELECT $1, c.id, coalesce(w.since, c.last_customer_message_at, c.created_at), $4
FROM unnest($2::bigint[], $3::timestamptz[]) AS w(id, since)
JOIN conversations c ON c.id = w.id AND c.workspace_id = $1
WHERE c.status = 'open' AND c.assignee_id IS NULL AND {AUTO_ON}
ON CONFLICT (conversation_id) DO NOTHING
"""


async def hold(uow: UnitOfWork, workspace_ids: Sequence[int]) -> set[int]:
    """Hold the workspaces' assignment locks FOR SHARE until commit; return those with
    auto-assignment on (for the workspace or one of its accounts). Call it before locking
    any conversation row."""
    rows = await uow.conn.fetch(HOLD, sorted(set(workspace_ids)))
    return {row["workspace_id"] for row in rows if row["enabled"]}


@dataclass
class Decider:
    """This process's decisions in the background, one at a time per workspace: a request
    while one runs makes one more run after it (which sees everything committed since)."""

    runtime: Runtime
    wanted: set[int] = field(default_factory=set)
    running: dict[int, asyncio.Task[None]] = field(default_factory=dict)

    def request(self, workspace_id: int) -> None:
        self.wanted.add(workspace_id)
        if workspace_id not in self.running:
            self.running[workspace_id] = spawn(
                self._run(workspace_id), f"assignment-decision-{workspace_id}"
            )

    async def _run(self, workspace_id: int) -> None:
        try:
            while workspace_id in self.wanted:
                self.wanted.discard(workspace_id)
                try:
                    await assign_waiting(self.runtime, workspace_id)
                except Exception:  # the next request (any change that makes room) retries
                    log.exception("auto-assignment decision failed (workspace %s)", workspace_id)
                    return
        finally:
            self.running.pop(workspace_id, None)

    async def settle(self) -> None:
        """Wait for the decisions requested so far (tests; shutdown)."""
        while self.running:
            await asyncio.gather(*self.running.values(), return_exceptions=True)


def decider(runtime: Runtime) -> Decider:
    found = runtime.extras.get(DECIDER)
    if not isinstance(found, Decider):
        found = runtime.extras[DECIDER] = Decider(runtime)
    return found


def request_decision(uow: UnitOfWork, workspace_id: int) -> None:
    """Once this unit has committed, let the workspace's queue move (room may have appeared)."""
    runtime = uow.runtime

    async def request() -> None:
        decider(runtime).request(workspace_id)

    uow.after_commit(("assignment", workspace_id), request)


async def enqueue(
    uow: UnitOfWork,
    workspace_id: int,
    conversations: Sequence[tuple[int, datetime | None]],
    reason: str,
) -> None:
    """Queue open, unassigned conversations of accounts with auto-assignment on (already
    queued: kept where they are), each waiting since the given moment (None: its
    customer's last message)."""
    if not conversations:
        return
    await uow.conn.execute(
        ENQUEUE,
        workspace_id,
        [cid for cid, _ in conversations],
        [since for _, since in conversations],
        reason,
    )
    request_decision(uow, workspace_id)


async def dequeue(uow: UnitOfWork, conversation_id: int) -> None:
    await uow.conn.execute(
        "DELETE FROM assignment_queue WHERE conversation_id = $1", conversation_id
    )


async def release_member(
    uow: UnitOfWork, workspace_id: int, user_id: int, reason: str, *, unanswered: bool = False
) -> int:
    """Return a member's open conversations (`unanswered`: only those whose last message is
    the customer's, and their account's auto-assignment on) to the queue, the lock held by
    the caller: each is unassigned (conversation.assigned, audited) and queued since its
    customer's last message. Returns how many."""
    from wazify.actions.conversations import lock_conversation, set_assignee

    ids = await uow.conn.fetch(
        "SELECT c.id FROM conversations c LEFT JOIN messages m ON m.id = c.last_message_id"
        " WHERE c.workspace_id = $1 AND c.assignee_id = $2 AND c.status = 'open'"
        f" AND (NOT $3 OR m.direction = 'in') AND {AUTO_ON} ORDER BY c.id",
        workspace_id,
        user_id,
        unanswered,
    )
    for row in ids:
        locked = await lock_conversation(uow, workspace_id, row["id"])
        if locked["assignee_id"] == user_id and locked["status"] == "open":
            await set_assignee(uow, locked, None, None, reason=(reason, {"reason": reason}))
    await enqueue(uow, workspace_id, [(row["id"], None) for row in ids], reason)
    return len(ids)


async def do_return_unanswered(uow: UnitOfWork, workspace_id: int, user_id: int) -> int:
    """A member offline longer than the workspace's offline_return_minutes (checked again
    under the lock) gets their unanswered conversations returned to the queue."""
    if workspace_id not in await hold(uow, [workspace_id]):
        return 0
    away = await uow.conn.fetchval(
        "SELECT NOT a.online AND a.online_changed_at"
        " < now() - make_interval(mins => s.offline_return_minutes)"
        " FROM assignment_members a JOIN assignment_settings s USING (workspace_id)"
        " WHERE a.workspace_id = $1 AND a.user_id = $2 AND s.eligibility = 'online'",
        workspace_id,
        user_id,
    )
    if not away:
        return 0
    return await release_member(uow, workspace_id, user_id, "member_offline", unanswered=True)


async def assign_waiting(runtime: Runtime, workspace_id: int) -> list[int]:
    """Run a decision in a transaction of its own; returns the conversations assigned.
    When more could go (a decision assigns at most LIMIT), another is requested."""
    async with unit_of_work(runtime, ACTOR) as uow:
        outcome = await decide(uow, workspace_id)
        if outcome.more:
            request_decision(uow, workspace_id)
    return outcome.assigned
