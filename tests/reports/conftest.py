"""The conversations API's fixtures (the real app, workspace "shop" with one member of each
role, customers writing through signed webhooks), and a scripted day of conversations
whose every figure the tests compute by hand."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

import pytest

from tests.conversations.conftest import (  # noqa: F401 (fixtures)
    Shop,
    app,
    client,
    new_igsid,
    password_hash,
    shop,
    world,
)
from wazify.actions.conversations import do_assign, do_set_status
from wazify.actions.replies import do_queue_reply
from wazify.actions.uow import Actor, unit_of_work
from wazify.runtime import Runtime

# Yesterday (UTC): replies stay inside Instagram's 7-day human-agent window; the figures
# do not depend on the weekday (business hours in the tests are the same every day).
DAY = datetime.combine(datetime.now(UTC).date() - timedelta(days=1), time(), UTC)


def at(clock: str) -> datetime:
    hours, minutes, seconds = (int(part) for part in clock.split(":"))
    return DAY.replace(hour=hours, minute=minutes, second=seconds)


@dataclass
class Script:
    """Plays a day: customers write through webhooks at Meta's times; members reply and
    change statuses through the actions, and the moments the server stamped with its own
    clock (a reply's sent_at, a status change's changed_at) are then set to the script's,
    with the conversation marked stale as any write marks it."""

    shop: Shop
    conversations: dict[str, int] = field(default_factory=dict)
    igsids: dict[str, str] = field(default_factory=dict)

    @property
    def runtime(self) -> Runtime:
        return self.shop.runtime

    async def customer(self, name: str, clock: str) -> None:
        igsid = self.igsids.setdefault(name, new_igsid())
        ts_ms = int(at(clock).timestamp() * 1000)
        self.conversations[name] = await self.shop.conversation(
            f"{name} at {clock}", igsid=igsid, ts_ms=ts_ms
        )

    def _actor(self, role: str) -> Actor:
        member = self.shop.members[role]
        return Actor(user_id=member.user_id, label=member.email)

    async def reply(self, name: str, role: str, clock: str) -> None:
        conversation_id = self.conversations[name]
        async with unit_of_work(self.runtime, self._actor(role)) as uow:
            view, _ = await do_queue_reply(
                uow,
                self.shop.workspace_id,
                conversation_id,
                author_id=self.shop.members[role].user_id,
                by_person=True,
                text=f"reply at {clock}",
            )
        await self._restamp("UPDATE messages SET sent_at = $2 WHERE id = $1", view.id, clock)

    async def assign(self, name: str, role: str) -> None:
        async with unit_of_work(self.runtime, self._actor("supervisor")) as uow:
            await do_assign(
                uow,
                self.shop.workspace_id,
                self.conversations[name],
                self.shop.members[role].user_id,
                by=self.shop.supervisor.user_id,
            )

    async def status(self, name: str, role: str, status: str, clock: str) -> None:
        conversation_id = self.conversations[name]
        async with unit_of_work(self.runtime, self._actor(role)) as uow:
            await do_set_status(uow, self.shop.workspace_id, conversation_id, status)
        change_id = await self.runtime.engine.pool.fetchval(
            "SELECT max(id) FROM conversation_status_changes WHERE conversation_id = $1",
            conversation_id,
        )
        await self._restamp(
            "UPDATE conversation_status_changes SET changed_at = $2 WHERE id = $1",
            change_id,
            clock,
        )

    async def _restamp(self, statement: str, row_id: int, clock: str) -> None:
        async with self.runtime.engine.pool.acquire() as connection, connection.transaction():
            await connection.execute(statement, row_id, at(clock))
            await connection.execute(
                "UPDATE conversations SET facts_stale = true WHERE id = ANY($1::bigint[])",
                list(self.conversations.values()),
            )


async def play_the_day(workspace: Shop) -> Script:
    """Three conversations yesterday (UTC):

    A  09:00:00 customer        B  10:00:00 customer        C  15:50:00 customer
       09:03:20 agent replies      10:45:00 agent2 replies     16:20:00 agent replies
       09:10:00 customer
       09:11:00 customer
       09:20:00 agent2 replies
       09:30:00 resolved (held by agent)
       13:00:00 customer (reopens)
       13:05:00 agent replies
       14:00:00 resolved (held by agent)
    """
    script = Script(workspace)
    await script.customer("A", "09:00:00")
    await script.reply("A", "agent", "09:03:20")
    await script.customer("A", "09:10:00")
    await script.customer("A", "09:11:00")
    await script.reply("A", "agent2", "09:20:00")
    await script.assign("A", "agent")
    await script.status("A", "agent", "resolved", "09:30:00")
    await script.customer("B", "10:00:00")
    await script.reply("B", "agent2", "10:45:00")
    await script.customer("A", "13:00:00")
    await script.reply("A", "agent", "13:05:00")
    await script.status("A", "agent", "resolved", "14:00:00")
    await script.customer("C", "15:50:00")
    await script.reply("C", "agent", "16:20:00")
    return script


@pytest.fixture
async def day(shop: Shop) -> Script:  # noqa: F811 (the imported fixture)
    return await play_the_day(shop)
