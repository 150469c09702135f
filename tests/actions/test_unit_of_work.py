"""The write path: contiguous per-workspace sequence in commit order, no hole after a
rollback, audit rows in the same transaction, publish after commit only."""

from __future__ import annotations

import asyncio
import random

import asyncpg
import pytest

from wazify.actions.members import do_create_member
from wazify.actions.uow import Actor, unit_of_work
from wazify.actions.workspaces import do_create_workspace
from wazify.realtime.broker import LoggedEvent
from wazify.realtime.events import STAFF, decode_event
from wazify.runtime import Runtime

ACTOR = Actor.system("test")


async def make_workspace(runtime: Runtime, slug: str = "acme") -> int:
    async with unit_of_work(runtime, ACTOR) as uow:
        return await do_create_workspace(uow, slug)


async def add_member(runtime: Runtime, workspace_id: int, email: str, role: str = "agent") -> int:
    async with unit_of_work(runtime, ACTOR) as uow:
        member = await do_create_member(uow, workspace_id, email=email, role=role)
    return member.user_id


async def event_seqs(db: asyncpg.Connection, workspace_id: int) -> list[int]:
    rows = await db.fetch(
        "SELECT seq FROM events WHERE workspace_id = $1 ORDER BY seq", workspace_id
    )
    return [row["seq"] for row in rows]


async def test_events_numbered_from_one_and_stored_with_payload(runtime: Runtime, db) -> None:
    workspace_id = await make_workspace(runtime)
    await add_member(runtime, workspace_id, "a@example.com")
    await add_member(runtime, workspace_id, "b@example.com")
    rows = await db.fetch("SELECT seq, type, payload::text FROM events ORDER BY seq")
    assert [row["seq"] for row in rows] == [1, 2]
    assert {row["type"] for row in rows} == {"member.updated"}
    event = decode_event(rows[1]["payload"])
    assert event.seq == 2 and event.workspace_id == workspace_id
    assert event.member.email == "b@example.com"  # type: ignore[union-attr]


async def test_concurrent_writers_leave_a_contiguous_sequence_in_commit_order(
    runtime: Runtime, db
) -> None:
    workspace_id = await make_workspace(runtime)
    published: list[int] = []
    snapshots: list[list[int]] = []
    done = asyncio.Event()

    async def writer(number: int) -> None:
        async with unit_of_work(runtime, ACTOR) as uow:
            await do_create_member(uow, workspace_id, email=f"w{number}@example.com", role="agent")
            await asyncio.sleep(random.random() / 100)  # interleave the transactions
        published.extend(event.seq for event in uow.committed)

    async def observer() -> None:
        # Commit order is sequence order: whenever a reader can see seq N, it can see
        # every seq below N (a bigserial would show transient holes here).
        async with runtime.engine.pool.acquire() as connection:
            while not done.is_set():
                snapshots.append(await event_seqs(connection, workspace_id))
                await asyncio.sleep(0)

    watching = asyncio.create_task(observer())
    await asyncio.gather(*(writer(number) for number in range(40)))
    done.set()
    await watching
    seqs = await event_seqs(db, workspace_id)
    assert seqs == list(range(1, 41))
    assert sorted(published) == seqs  # every seq published exactly once
    assert len(snapshots) > 5
    for snapshot in snapshots:
        assert snapshot == list(range(1, len(snapshot) + 1))


async def test_rollback_leaves_no_hole_and_no_audit(runtime: Runtime, db) -> None:
    workspace_id = await make_workspace(runtime)
    await add_member(runtime, workspace_id, "first@example.com")
    with pytest.raises(RuntimeError):
        async with unit_of_work(runtime, ACTOR) as uow:
            await do_create_member(uow, workspace_id, email="lost@example.com", role="agent")
            raise RuntimeError("something failed after the change")
    await add_member(runtime, workspace_id, "third@example.com")
    assert await event_seqs(db, workspace_id) == [1, 2]
    emails = {row["email"] for row in await db.fetch("SELECT email FROM users")}
    assert "lost@example.com" not in emails
    actions = [
        row["target_id"]
        for row in await db.fetch(
            "SELECT target_id FROM audit_entries WHERE action = 'member.created'"
        )
    ]
    assert len(actions) == 2


async def test_audit_rows_written_in_the_same_transaction(runtime: Runtime, db) -> None:
    workspace_id = await make_workspace(runtime)
    user_id = await add_member(runtime, workspace_id, "x@example.com")
    row = await db.fetchrow(
        "SELECT actor_label, action, target_type, target_id, after FROM audit_entries"
        " WHERE action = 'member.created'"
    )
    assert row["actor_label"] == "test"
    assert (row["target_type"], row["target_id"]) == ("user", str(user_id))
    assert '"role": "agent"' in row["after"]


async def test_sequences_are_per_workspace(runtime: Runtime, db) -> None:
    first, second = await make_workspace(runtime, "one"), await make_workspace(runtime, "two")
    await add_member(runtime, first, "a@example.com")
    await add_member(runtime, second, "b@example.com")
    await add_member(runtime, first, "c@example.com")
    assert await event_seqs(db, first) == [1, 2]
    assert await event_seqs(db, second) == [1]


async def test_publish_happens_only_after_commit(runtime: Runtime, db) -> None:
    workspace_id = await make_workspace(runtime)
    seen: list[tuple[LoggedEvent, int]] = []

    def on_event(event: LoggedEvent) -> None:
        # At publish time the event must already be visible to another connection.
        seen.append((event, -1))

    runtime.broker.add_handler(on_event)
    try:
        async with unit_of_work(runtime, ACTOR) as uow:
            await do_create_member(uow, workspace_id, email="p@example.com", role="agent")
            assert seen == []  # nothing published while the transaction is open
        assert len(seen) == 1
        visible = await db.fetchval(
            "SELECT count(*) FROM events WHERE workspace_id = $1 AND seq = $2",
            workspace_id,
            seen[0][0].seq,
        )
        assert visible == 1
        with pytest.raises(RuntimeError):
            async with unit_of_work(runtime, ACTOR) as uow:
                await do_create_member(uow, workspace_id, email="q@example.com", role="agent")
                raise RuntimeError("rolled back")
        assert len(seen) == 1  # a rolled-back unit publishes nothing
    finally:
        runtime.broker.remove_handler(on_event)


async def test_nested_units_join_the_outer_transaction(runtime: Runtime, db) -> None:
    workspace_id = await make_workspace(runtime)
    async with unit_of_work(runtime, ACTOR) as outer:
        await do_create_member(outer, workspace_id, email="o@example.com", role="agent")
        async with unit_of_work(runtime, ACTOR) as inner:
            assert inner is outer
            await do_create_member(inner, workspace_id, email="i@example.com", role="agent")
    assert [event.seq for event in outer.committed] == [1, 2]


async def test_audience_is_stored_with_the_event(runtime: Runtime, db) -> None:
    workspace_id = await make_workspace(runtime)
    async with unit_of_work(runtime, ACTOR) as uow:
        member = await do_create_member(uow, workspace_id, email="s@example.com", role="agent")
        event, _ = uow.events[-1]
        uow.events[-1] = (event, STAFF)
    row = await db.fetchrow("SELECT audience_user_id, audience_roles FROM events")
    assert row["audience_user_id"] is None
    assert row["audience_roles"] == ["admin", "supervisor"]
    assert member.email == "s@example.com"


async def test_piccolo_queries_join_the_unit_and_roll_back_with_it(runtime: Runtime, db) -> None:
    from wazify.db.tables import Workspace

    class Abandon(Exception):
        pass

    with pytest.raises(Abandon):
        async with unit_of_work(runtime, ACTOR) as uow:
            await do_create_workspace(uow, "joined")
            # Uncommitted, so only a query on the unit's own connection can see it.
            seen = await Workspace.select(Workspace.slug).where(Workspace.slug == "joined")
            assert seen == [{"slug": "joined"}]
            await Workspace.update({Workspace.name: "Renamed"}).where(Workspace.slug == "joined")
            raise Abandon
    assert await db.fetchval("SELECT count(*) FROM workspaces WHERE slug = 'joined'") == 0

    async with unit_of_work(runtime, ACTOR) as uow:
        await do_create_workspace(uow, "kept")
        await Workspace.update({Workspace.name: "Kept"}).where(Workspace.slug == "kept")
    assert await db.fetchval("SELECT name FROM workspaces WHERE slug = 'kept'") == "Kept"
    # Outside a unit, Piccolo goes back to the pool.
    assert await Workspace.count().where(Workspace.slug == "kept") == 1


async def test_piccolo_joins_the_unit_when_a_second_runtime_opens_and_closes(
    runtime: Runtime, db, settings
) -> None:
    """Tests (and the CLI) may open a second runtime beside the first: its engine becomes the
    tables' engine, yet a unit of the first must still see its own uncommitted rows, and
    once the second closes the tables must not be left on a closed pool."""
    from wazify.db.tables import Workspace
    from wazify.runtime import open_runtime

    second = await open_runtime(settings, runtime.dsn, settings.token_keys, pool_max=2)
    try:
        async with unit_of_work(runtime, ACTOR) as uow:
            await do_create_workspace(uow, "first")
            seen = await Workspace.select(Workspace.slug).where(Workspace.slug == "first")
            assert seen == [{"slug": "first"}]
    finally:
        await second.close()
    assert await Workspace.count().where(Workspace.slug == "first") == 1


async def test_piccolo_joins_the_unit_whichever_runtime_bound_the_tables_last(
    runtime: Runtime, settings, database_url: str
) -> None:
    """Opening a runtime binds the tables to its engine; a process holding two (the tests,
    the benches) must still see Piccolo's queries inside a unit of the first run in that
    unit: on another connection they would wait for the unit's own row locks forever."""
    from wazify.db.tables import Workspace
    from wazify.realtime.broker import InProcessBroker
    from wazify.runtime import open_runtime

    class Abandon(Exception):
        pass

    other = await open_runtime(
        settings, database_url, settings.token_keys, broker=InProcessBroker(), pool_max=2
    )
    try:
        with pytest.raises(Abandon):
            async with unit_of_work(runtime, ACTOR) as uow:
                await do_create_workspace(uow, "joined")
                await uow.conn.execute("SELECT 1 FROM workspaces WHERE slug = 'joined' FOR UPDATE")
                async with asyncio.timeout(5):  # on another connection: a lock wait
                    await Workspace.update({Workspace.name: "Renamed"}).where(
                        Workspace.slug == "joined"
                    )
                seen = await uow.conn.fetchval("SELECT name FROM workspaces WHERE slug = 'joined'")
                assert seen == "Renamed"
                raise Abandon
    finally:
        await other.close()
