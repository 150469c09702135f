"""The deletion worker under faults: a deadlock's victim runs its step again at once, and a
step that fails otherwise is retried after a backoff, not after the whole lease."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg

from tests.webhooks.conftest import ingest
from wazify.actions.accounts import do_register_account
from wazify.actions.deletions import do_request_workspace_deletion
from wazify.actions.uow import Actor, unit_of_work
from wazify.fakemeta.webhooks import ACCOUNT, CONTACT, body, entry, text_message
from wazify.runtime import Runtime
from wazify.workers.deletions import DeletionWorker

SYSTEM = Actor.system("test")


async def workspace_due_for_deletion(runtime: Runtime, world) -> tuple[int, int]:
    """A workspace with one conversation, its deletion due now: (workspace, conversation)."""
    workspace_id = await world.workspace("doomed")
    async with unit_of_work(runtime, SYSTEM) as uow:
        await do_register_account(uow, workspace_id, ig_id=ACCOUNT, username="doomed")
    await ingest(runtime, body([entry(ACCOUNT, [text_message(ACCOUNT, CONTACT, "bye")])]))
    async with unit_of_work(runtime, SYSTEM) as uow:
        await do_request_workspace_deletion(
            uow, workspace_id, requested_by=None, confirm="doomed", grace=timedelta(0)
        )
    conversation_id = await runtime.engine.pool.fetchval("SELECT id FROM conversations")
    return workspace_id, conversation_id


async def waiting_on_a_lock(db, query_start: str) -> None:
    async with asyncio.timeout(10):
        while not await db.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND query LIKE $1",
            query_start + "%",
        ):
            await asyncio.sleep(0.02)


async def test_a_deadlocks_victim_step_runs_again_and_the_job_finishes(
    runtime: Runtime, world, db
) -> None:
    workspace_id, conversation_id = await workspace_due_for_deletion(runtime, world)
    worker = DeletionWorker(runtime)
    # A writer in the order the reports worker takes: a conversation, then its workspace
    # (the foreign key of the facts it inserts). The finish step holds the workspace and
    # waits for the conversation: Postgres aborts the finish, the first to wait.
    writer = await asyncpg.connect(runtime.dsn)
    try:
        transaction = writer.transaction()
        await transaction.start()
        await writer.execute(
            "SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE", conversation_id
        )
        running = asyncio.create_task(worker.run_due())
        await waiting_on_a_lock(db, "DELETE FROM workspaces")
        await writer.execute(
            "INSERT INTO report_facts (workspace_id, conversation_id, account_id, kind, at)"
            " VALUES ($1, $2, 0, 'opened', now())",
            workspace_id,
            conversation_id,
        )
        await transaction.rollback()
    finally:
        await writer.close()
    async with asyncio.timeout(10):
        assert await running == 1
    job = await db.fetchrow("SELECT state, attempts, last_error FROM deletion_jobs")
    assert (job["state"], job["attempts"], job["last_error"]) == ("done", 1, "")
    assert await db.fetchval("SELECT count(*) FROM workspaces WHERE id = $1", workspace_id) == 0


async def test_a_failing_step_is_retried_after_a_backoff_not_the_whole_lease(
    runtime: Runtime, world, db
) -> None:
    await workspace_due_for_deletion(runtime, world)
    # A progress no runner knows (written by a newer version, say): the step fails.
    await db.execute('UPDATE deletion_jobs SET progress = \'{"step": "unknown"}\'')
    worker = DeletionWorker(runtime)
    waits = []
    for _ in range(3):
        await db.execute("UPDATE deletion_jobs SET lease_until = now() - interval '1 second'")
        assert await worker.run_due() == 0
        job = await db.fetchrow(
            "SELECT state, last_error, lease_until - now() AS wait FROM deletion_jobs"
        )
        assert job["state"] == "running"
        assert job["last_error"] == "ValueError: unknown deletion step 'unknown'"
        waits.append(job["wait"])
    assert timedelta(seconds=8) < waits[0] <= timedelta(seconds=10)
    assert timedelta(seconds=18) < waits[1] <= timedelta(seconds=20)
    assert timedelta(seconds=38) < waits[2] <= timedelta(seconds=40)
    # Repaired, the job is taken again once its backoff is over, and finishes.
    await db.execute(
        "UPDATE deletion_jobs SET progress = '{}', lease_until = now() - interval '1 second'"
    )
    assert await worker.run_due() == 1
