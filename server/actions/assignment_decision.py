"""One auto-assignment decision: who gets the queue's head conversations, and writing it.

Runs with the workspace's assignment lock held FOR UPDATE (actions/assignment.py says why
that makes it safe across processes). The conversations are locked FOR UPDATE and
re-checked (still open, still unassigned); members are picked in memory from the loads
read under the lock; then one statement assigns them all, one removes them from the
queue, and each gets its conversation.assigned (assigned_by null, with the reason) and its
audit entry. At most `limit` are assigned per decision, so ingest, which waits for the
lock, never waits long; the caller asks for another decision when more could go.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from wazify.actions.uow import UnitOfWork
from wazify.conversations.queries import conversation_views
from wazify.realtime.events import ConversationAssigned

LIMIT = 100

# Whether conversation `c` is given automatically: its account's own setting, else its
# workspace's (actions/assignment_settings.py changes both and keeps the queue to match).
AUTO_ON = """coalesce(
    (SELECT a.enabled FROM assignment_accounts a
     WHERE a.workspace_id = c.workspace_id AND a.account_id = c.account_id),
    (SELECT s.enabled FROM assignment_settings s WHERE s.workspace_id = c.workspace_id), false)"""

# Whether anything in workspace `s` is given automatically (the workspace, or an account).
ANY_ON = """(s.enabled OR EXISTS (
    SELECT 1 FROM assignment_accounts a WHERE a.workspace_id = s.workspace_id AND a.enabled))"""

MEMBERS = """
SELECT m.user_id, coalesce(a.capacity, $2) AS capacity, coalesce(l.load, 0) AS load
FROM memberships m
LEFT JOIN assignment_members a ON a.workspace_id = m.workspace_id AND a.user_id = m.user_id
LEFT JOIN (SELECT assignee_id, count(*) AS load FROM conversations
           WHERE workspace_id = $1 AND assignee_id IS NOT NULL AND status <> 'resolved'
           GROUP BY assignee_id) l ON l.assignee_id = m.user_id
WHERE m.workspace_id = $1 AND m.active AND (NOT $3 OR coalesce(a.online, false))
ORDER BY m.user_id
"""

SETTINGS = f"""
SELECT {ANY_ON} AS enabled, eligibility, strategy, default_capacity, last_assignee_id
FROM assignment_settings s WHERE s.workspace_id = $1 FOR UPDATE OF s
"""

HEADS = """
SELECT q.conversation_id, q.waiting_since, c.status, c.assignee_id
FROM assignment_queue q JOIN conversations c ON c.id = q.conversation_id
WHERE q.workspace_id = $1 ORDER BY q.waiting_since, q.conversation_id LIMIT $2
FOR UPDATE OF c
"""

ASSIGN = """
UPDATE conversations c SET assignee_id = u.assignee_id, updated_at = now()
FROM unnest($1::bigint[], $2::bigint[]) AS u(id, assignee_id) WHERE c.id = u.id
"""


@dataclass
class Member:
    user_id: int
    capacity: int
    load: int


@dataclass
class Decision:
    conversation_id: int
    waiting_since: datetime
    member: Member
    load: int  # the member's load before this one


@dataclass
class Outcome:
    assigned: list[int]
    more: bool  # room and waiting conversations may be left: decide again


def pick(strategy: str, members: list[Member], last: int | None) -> Member | None:
    """The member who gets the next conversation, among those below capacity. Round robin
    takes the first after the last one assigned (by id, wrapping); least loaded takes the
    smallest load, ties going round in the same order."""
    room = [m for m in members if m.load < m.capacity]
    if not room:
        return None
    after = [m for m in room if last is not None and m.user_id > last]
    turn = after + [m for m in room if last is None or m.user_id <= last]
    if strategy == "round_robin":
        return turn[0]
    return min(turn, key=lambda m: m.load)  # min keeps the first of equals: the turn


async def decide(uow: UnitOfWork, workspace_id: int, limit: int = LIMIT) -> Outcome:
    """Serve the queue from its head while an eligible member has room (lock held)."""
    settings = await uow.conn.fetchrow(SETTINGS, workspace_id)
    if settings is None or not settings["enabled"]:
        return Outcome([], False)
    rows = await uow.conn.fetch(
        MEMBERS, workspace_id, settings["default_capacity"], settings["eligibility"] == "online"
    )
    members = [Member(row["user_id"], row["capacity"], row["load"]) for row in rows]
    room = min(limit, sum(max(0, m.capacity - m.load) for m in members))
    if room <= 0:
        return Outcome([], False)
    heads = await uow.conn.fetch(HEADS, workspace_id, room)
    last = settings["last_assignee_id"]
    done: list[int] = []
    decisions: list[Decision] = []
    for head in heads:
        if head["status"] == "open" and head["assignee_id"] is None:
            member = pick(settings["strategy"], members, last)
            if member is None:
                break
            decisions.append(
                Decision(head["conversation_id"], head["waiting_since"], member, member.load)
            )
            member.load += 1
            last = member.user_id
        done.append(head["conversation_id"])  # assigned now, or handled meanwhile by hand
    await uow.conn.execute(
        "DELETE FROM assignment_queue WHERE conversation_id = ANY($1::bigint[])", done
    )
    if decisions:
        await _write(uow, workspace_id, settings["strategy"], decisions)
        await uow.conn.execute(
            "UPDATE assignment_settings SET last_assignee_id = $2 WHERE workspace_id = $1",
            workspace_id,
            last,
        )
    return Outcome([d.conversation_id for d in decisions], len(heads) == room)


async def _write(
    uow: UnitOfWork, workspace_id: int, strategy: str, decisions: list[Decision]
) -> None:
    ids = [d.conversation_id for d in decisions]
    await uow.conn.execute(ASSIGN, ids, [d.member.user_id for d in decisions])
    views = await conversation_views(uow.conn, ids)
    for position, d in enumerate(decisions, 1):
        waited = max(0, int((uow.now - d.waiting_since).total_seconds()))
        uow.audit(
            "conversation.assigned",
            workspace_id,
            "conversation",
            d.conversation_id,
            before={"assignee_id": None},
            after={
                "assignee_id": d.member.user_id,
                "reason": "capacity",
                "strategy": strategy,
                "load": d.load,
                "capacity": d.member.capacity,
                "order": "longest waiting first",
                "served": position,
                "waiting_since": d.waiting_since.isoformat(),
                "waited_seconds": waited,
            },
        )
        uow.emit(
            ConversationAssigned(
                workspace_id=workspace_id,
                at=uow.now,
                conversation=views[d.conversation_id],
                previous_assignee_id=None,
                assigned_by=None,
                reason=(
                    f"auto-assigned ({strategy.replace('_', ' ')}): {d.load} of"
                    f" {d.member.capacity} open before this one; longest waiting, {waited} s"
                ),
            )
        )
