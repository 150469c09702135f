"""The incremental upkeep: every writer marks its conversation stale, the reports worker
derives it without any report being asked for, and the snooze sweeper's wake-ups are
history too."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from tests.conversations.conftest import Shop
from wazify.actions.conversations import do_set_status, do_wake_snoozed
from wazify.actions.replies import do_queue_reply
from wazify.actions.report_facts import do_mark_all_stale
from wazify.actions.uow import Actor, unit_of_work
from wazify.workers.reports import ReportsWorker, refresh_stale


async def stale(shop: Shop) -> list[int]:
    rows = await shop.runtime.engine.pool.fetch(
        "SELECT id FROM conversations WHERE facts_stale ORDER BY id"
    )
    return [row["id"] for row in rows]


async def test_the_worker_derives_what_changed(shop: Shop) -> None:
    # The app's own worker is running too; this one, faster, shows the same.
    worker = ReportsWorker(shop.runtime, interval=0.05)
    worker.start()
    try:
        conversation_id = await shop.conversation("hello", settle_now=True)
        async with asyncio.timeout(5):
            while await stale(shop):
                await asyncio.sleep(0.05)
        kinds = await shop.runtime.engine.pool.fetch(
            "SELECT kind FROM report_facts WHERE conversation_id = $1 ORDER BY kind",
            conversation_id,
        )
        assert [row["kind"] for row in kinds] == ["message_in", "opened"]

        # A status change marks it again; the worker derives it again.
        actor = Actor(user_id=shop.agent.user_id, label="agent")
        async with unit_of_work(shop.runtime, actor) as uow:
            await do_set_status(uow, shop.workspace_id, conversation_id, "resolved")
        async with asyncio.timeout(5):
            while not await shop.runtime.engine.pool.fetchval(
                "SELECT count(*) FROM report_facts WHERE kind = 'resolved'"
            ):
                await asyncio.sleep(0.05)
        assert await stale(shop) == []
    finally:
        await worker.stop()


async def test_a_wake_up_is_history(shop: Shop) -> None:
    conversation_id = await shop.conversation("hello")
    actor = Actor(user_id=shop.agent.user_id, label="agent")
    until = datetime.now(UTC) + timedelta(seconds=1)
    async with unit_of_work(shop.runtime, actor) as uow:
        await do_set_status(uow, shop.workspace_id, conversation_id, "pending", until)
    await asyncio.sleep(1.1)
    async with unit_of_work(shop.runtime, Actor.system("sweeper")) as uow:
        await do_wake_snoozed(uow)
    rows = await shop.runtime.engine.pool.fetch(
        "SELECT from_status, to_status, cause, by_user_id FROM conversation_status_changes"
        " WHERE conversation_id = $1 ORDER BY id",
        conversation_id,
    )
    assert [tuple(row) for row in rows] == [
        ("open", "pending", "member", shop.agent.user_id),
        ("pending", "open", "snooze", None),
    ]


FACTS = (
    "SELECT conversation_id, kind, started_at, at, member_id, first, count"
    " FROM report_facts ORDER BY 1, 2, 4, 5, 6"
)


async def test_upkeep_racing_the_writers_equals_a_rebuild(shop: Shop) -> None:
    """Customers writing, agents replying and resolving while a worker with no pause
    derives facts: once nothing is stale, the facts are those a rebuild derives."""
    worker = ReportsWorker(shop.runtime, interval=0)
    worker.start()
    agent = Actor(user_id=shop.agent.user_id, label="agent")
    try:
        igsids = [f"76{n:014d}" for n in range(6)]
        conversations = [await shop.conversation("hi", igsid=igsid) for igsid in igsids]

        async def team(conversation_id: int, igsid: str) -> None:
            for round_ in range(3):
                async with unit_of_work(shop.runtime, agent) as uow:
                    await do_queue_reply(
                        uow, shop.workspace_id, conversation_id, author_id=agent.user_id,
                        by_person=True, text=f"answer {round_}",
                    )  # fmt: skip
                async with unit_of_work(shop.runtime, agent) as uow:
                    await do_set_status(uow, shop.workspace_id, conversation_id, "resolved")
                await shop.conversation(f"again {round_}", igsid=igsid)

        await asyncio.gather(*(team(c, i) for c, i in zip(conversations, igsids, strict=True)))
        async with asyncio.timeout(10):
            while await stale(shop):
                await asyncio.sleep(0.05)
    finally:
        await worker.stop()
    incremental = [tuple(row) for row in await shop.runtime.engine.pool.fetch(FACTS)]
    assert sum(1 for row in incremental if row[1] == "reply") == 6 * 3
    assert sum(1 for row in incremental if row[1] == "reopened") == 6 * 3
    await shop.runtime.engine.pool.execute("DELETE FROM report_facts")
    async with unit_of_work(shop.runtime, Actor.system("rebuild")) as uow:
        assert await do_mark_all_stale(uow) == 6
    assert await refresh_stale(shop.runtime) == 6
    assert [tuple(row) for row in await shop.runtime.engine.pool.fetch(FACTS)] == incremental
