"""The deletion worker: runs due deletion jobs (a workspace, one account's data) to the end.

Every server process runs one, safely: a job is claimed with FOR UPDATE SKIP LOCKED and a
lease naming its runner, and each step renews the lease and records where it is (the
job's `progress`). A process that stops or dies mid-job leaves its lease to run out (on a
clean stop it is given back at once); another runner resumes from the recorded step, every
step being idempotent. A step aborted as a deadlock's victim is run again at once (the
finish step deletes the workspace's rows while writers such as the reports worker lock a
conversation and then its workspace: seen in 1 start in 6 under load); any other failure
records its error on the job (`wazify deletions list` shows it) and is retried after a
backoff (10 s, doubling to 5 minutes). `progress` changes only after its step commits, so a
retried step never skips what a rolled-back one did. Jobs are woken at once when requested
in this process, otherwise found within `interval` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from datetime import timedelta
from functools import partial
from typing import Any

import msgspec
from piccolo.columns.combination import And, Where

from wazify.actions import purge
from wazify.actions.uow import Actor, unit_of_work
from wazify.db.expressions import db_now, db_now_plus, db_now_plus_backoff
from wazify.db.tables import DeletionJob
from wazify.db.transactions import retry_transient
from wazify.runtime import Runtime
from wazify.workers.background import BackgroundLoop

log = logging.getLogger("wazify.deletions")
ACTOR = Actor.system("deletion-worker")
INTERVAL_SECONDS = 30.0
LEASE = timedelta(minutes=5)
BATCH = 2000

# A failed step's job waits 10 seconds, doubled with each attempt, 5 minutes at most.
BACKOFF_FIRST = timedelta(seconds=10)
BACKOFF_CAP = timedelta(minutes=5)


class LeaseLost(Exception):
    """Another runner holds the job now (ours ran out): stop without touching it."""


class DeletionWorker(BackgroundLoop):
    task_name = "deletion-worker"

    def __init__(
        self, runtime: Runtime, *, interval: float = INTERVAL_SECONDS, batch: int = BATCH
    ) -> None:
        self.runtime = runtime
        self.interval = interval
        self.batch = batch
        self.runner = secrets.token_hex(8)
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                await self.run_due()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database is away: try again next round
                log.warning("deletion worker round failed: %s", error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()

    async def run_due(self) -> int:
        """Run every due job to the end; returns how many finished."""
        finished = 0
        while (job := await self._claim()) is not None:
            try:
                await self._run_job(job)
                finished += 1
            except LeaseLost:
                log.warning("deletion job %s was taken over by another runner", job["id"])
            except asyncio.CancelledError:
                await asyncio.shield(self._release(job["id"]))
                raise
            except Exception as error:
                log.exception("deletion job %s failed; retried after a backoff", job["id"])
                await self._record_error(job["id"], error)
        return finished

    async def _claim(self) -> dict[str, Any] | None:
        # Shielded: a unit cancelled while it commits would leak its connection; a stop
        # mid-claim gives what was claimed back at once.
        claiming = asyncio.ensure_future(self._claim_in_unit())
        try:
            return await asyncio.shield(claiming)
        except asyncio.CancelledError:
            if (job := await claiming) is not None:
                await self._release(job["id"])
            raise

    async def _claim_in_unit(self) -> dict[str, Any] | None:
        async with unit_of_work(self.runtime, ACTOR):
            return await claim_due_job(self.runner)

    async def _run_job(self, job: dict[str, Any]) -> None:
        target = purge.Target(job["workspace_id"], job["account_id"])
        progress: dict[str, Any] = job["progress"]
        steps = ACCOUNT_STEPS if job["kind"] == "account" else WORKSPACE_STEPS
        while (step := progress.get("step", steps[0])) != "done":
            # Shielded: stop() cancels the task, and a transaction cancelled while it
            # commits never returns its connection to the pool.
            run = partial(self._step, job["id"], step, target, progress)
            progress = await asyncio.shield(retry_transient(run))
            await self._renew(job["id"], progress)

    async def _step(
        self, job_id: int, step: str, target: purge.Target, progress: dict[str, Any]
    ) -> dict[str, Any]:
        """Run one transaction of `step`; returns the progress after it (the next step
        once this one has nothing left)."""
        if step == "finish":
            async with unit_of_work(self.runtime, ACTOR) as uow:
                if target.account_id is not None:
                    summary = await purge.do_finish_account_erasure(
                        uow, target, progress.get("after", 0)
                    )
                else:
                    data_dir = self.runtime.settings.data_dir
                    summary = await purge.do_finish_workspace_deletion(
                        uow, target.workspace_id, data_dir
                    )
                done = {**progress, **summary, "step": "done"}
                await self._done(job_id, done)
            return done
        async with self.runtime.engine.pool.acquire() as conn, conn.transaction():
            count, more, moved = await _run_batch(conn, step, target, progress, self.batch)
        after = {**progress, **moved, step: progress.get(step, 0) + count}
        if not more:
            steps = ACCOUNT_STEPS if target.account_id is not None else WORKSPACE_STEPS
            after["step"] = steps[steps.index(step) + 1]
        return after

    async def _renew(self, job_id: int, progress: dict[str, Any]) -> None:
        if progress.get("step") == "done":
            return
        changes = {
            DeletionJob.lease_until: db_now_plus(LEASE),
            DeletionJob.progress: _json(progress),
        }
        held = _ours(job_id, self.runner) & (DeletionJob.state == "running")
        renewed = await DeletionJob.update(changes).where(held).returning(DeletionJob.id)
        if not renewed:
            raise LeaseLost

    async def _done(self, job_id: int, progress: dict[str, Any]) -> None:
        """In the finish step's unit of work (Piccolo joins its transaction)."""
        changes = {
            DeletionJob.state: "done",
            DeletionJob.finished_at: db_now(),
            DeletionJob.lease_until: None,
            DeletionJob.progress: _json(progress),
            DeletionJob.last_error: "",
        }
        done = (
            await DeletionJob.update(changes)
            .where(_ours(job_id, self.runner))
            .returning(DeletionJob.id)
        )
        if not done:
            raise LeaseLost  # rolls the unit back: the runner holding the job finishes it

    async def _release(self, job_id: int) -> None:
        with contextlib.suppress(Exception):
            await DeletionJob.update({DeletionJob.lease_until: None}).where(
                _ours(job_id, self.runner)
            )

    async def _record_error(self, job_id: int, error: Exception) -> None:
        changes = {
            DeletionJob.last_error: f"{type(error).__name__}: {error}"[:500],
            DeletionJob.lease_until: db_now_plus_backoff(
                DeletionJob.attempts, BACKOFF_FIRST, BACKOFF_CAP
            ),
        }
        with contextlib.suppress(Exception):
            await DeletionJob.update(changes).where(_ours(job_id, self.runner))


async def claim_due_job(runner: str) -> dict[str, Any] | None:
    """In a transaction: lock the first due job no other runner holds (SKIP LOCKED: runners
    never wait on each other) and lease it to `runner`, counting the attempt."""
    free = DeletionJob.lease_until.is_null() | (DeletionJob.lease_until < db_now())
    due = DeletionJob.state.is_in(["scheduled", "running"]) & (DeletionJob.due_at <= db_now())
    found = (
        await DeletionJob.select(DeletionJob.id)
        .where(due & free)
        .order_by(DeletionJob.due_at, DeletionJob.id)
        .limit(1)
        .lock_rows(skip_locked=True)
    )
    if not found:
        return None
    changes = {
        DeletionJob.state: "running",
        DeletionJob.runner: runner,
        DeletionJob.lease_until: db_now_plus(LEASE),
        DeletionJob.attempts: DeletionJob.attempts + 1,
    }
    rows = (
        await DeletionJob.update(changes)
        .where(DeletionJob.id == found[0]["id"])
        .returning(
            DeletionJob.id,
            DeletionJob.kind,
            DeletionJob.workspace_id,
            DeletionJob.account_id,
            DeletionJob.progress,
        )
    )
    return {**rows[0], "progress": msgspec.json.decode(rows[0]["progress"])}


def _ours(job_id: int, runner: str) -> Where | And:
    return (DeletionJob.id == job_id) & (DeletionJob.runner == runner)


def _json(progress: dict[str, Any]) -> str:
    return msgspec.json.encode(progress).decode()


WORKSPACE_STEPS = ["messages", "events", "audit", "finish", "done"]
ACCOUNT_STEPS = ["audit", "messages", "events", "finish", "done"]


async def _run_batch(
    conn: Any, step: str, target: purge.Target, progress: dict[str, Any], batch: int
) -> tuple[int, bool, dict[str, Any]]:
    """(rows handled, whether the step has more, progress to record once committed)."""
    if step == "messages":
        count = await purge.delete_messages_batch(conn, target, batch)
        return count, count == batch, {}
    if step == "events" and target.account_id is None:
        count = await purge.delete_events_batch(conn, target.workspace_id, batch)
        return count, count == batch, {}
    if step == "events":
        count, after = await purge.redact_account_events_page(
            conn, target, progress.get("after", 0)
        )
        return count, after is not None, {} if after is None else {"after": after}
    if step == "audit" and target.account_id is None:
        count = await purge.delete_audit_batch(conn, target.workspace_id, batch)
        return count, count == batch, {}
    if step == "audit":
        return await purge.redact_account_audit(conn, target), False, {}
    raise ValueError(f"unknown deletion step {step!r}")
