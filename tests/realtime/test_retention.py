"""Event retention: the sweeper deletes each workspace's events past the retention, only ever
a prefix of its sequence, in batches; a cursor into what was swept then gets a resync."""

from __future__ import annotations

import asyncio

from tests.realtime.conftest import connect, emit
from wazify.realtime.replay import check_cursor
from wazify.workers.retention import EventRetentionSweeper


async def _age(runtime, workspace_id: int, seqs: list[int], days: int) -> None:
    await runtime.engine.pool.execute(
        "UPDATE events SET created_at = now() - make_interval(days => $3)"
        " WHERE workspace_id = $1 AND seq = ANY($2::bigint[])",
        workspace_id,
        seqs,
        days,
    )


async def _kept(runtime, workspace_id: int) -> list[int]:
    rows = await runtime.engine.pool.fetch(
        "SELECT seq FROM events WHERE workspace_id = $1 ORDER BY seq", workspace_id
    )
    return [row["seq"] for row in rows]


async def test_the_sweeper_deletes_a_prefix_past_the_retention(runtime, world) -> None:
    shop = await world.workspace("shop")
    other = await world.workspace("other")
    fresh = await world.workspace("fresh")
    await emit(runtime, shop, 9)
    await emit(runtime, other, 3)
    await emit(runtime, fresh, 2)
    assert runtime.settings.event_retention_days == 30
    # 7 is old too (a clock stepped back): deleting it would leave a hole after 6, and a
    # cursor at 5 would then replay 6 and 8 without 7, silently. Only 1..5 may go.
    await _age(runtime, shop, [1, 2, 3, 4, 5, 7], days=31)
    await _age(runtime, other, [1, 2, 3], days=45)
    await _age(runtime, fresh, [1, 2], days=29)
    sweeper = EventRetentionSweeper(runtime, batch=2)
    assert await sweeper.sweep() == 5 + 3
    assert await _kept(runtime, shop) == [6, 7, 8, 9]
    assert await _kept(runtime, other) == []
    assert await _kept(runtime, fresh) == [1, 2]
    assert await sweeper.sweep() == 0
    pool = runtime.engine.pool
    assert await check_cursor(pool, shop, 4) == ("expired", 9)
    assert await check_cursor(pool, shop, 5) == ("ok", 9)
    assert await check_cursor(pool, other, 2) == ("expired", 3)
    assert await check_cursor(pool, other, 3) == ("ok", 3)


async def test_the_app_runs_the_sweeper_and_a_swept_cursor_gets_a_resync(
    serve, runtime, world
) -> None:
    served = await serve()
    sweeper = served.app.state.retention
    assert isinstance(sweeper, EventRetentionSweeper)
    workspace_id = await world.workspace("shop")
    alice = await world.member(workspace_id, "alice@example.com")
    await emit(runtime, workspace_id, 4)  # seqs 2..5
    await _age(runtime, workspace_id, [1, 2, 3], days=60)
    await sweeper.stop()
    sweeper.interval_seconds = 0.05
    sweeper.start()  # sweeps at once, then every interval
    async with asyncio.timeout(5):
        while await _kept(runtime, workspace_id) != [4, 5]:
            await asyncio.sleep(0.02)
    agent = await connect(served.address, alice, since=1)
    assert await agent.wait_closed() == (4000, "resync required")
    assert agent.frames == [
        {
            "type": "resync",
            "reason": "expired",
            "message": "events after your cursor were swept: reload the snapshot",
        }
    ]
    resumed = await connect(served.address, alice, since=3)
    await resumed.wait_ready()
    assert resumed.seqs() == [4, 5]
    await resumed.close()
