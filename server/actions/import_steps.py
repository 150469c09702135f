"""A claimed import job's steps (actions/imports.py has the queue and the claim).

Every step changes only a job this process holds: it presents the lease's token, and a
job whose lease ran out and moved on raises LeaseLost, which rolls the step back (its
messages included). A thread's items go through the ingest together with the job's
progress, in one transaction; what staff see of a job changes with its event.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from wazify.actions.imports import ClaimedImport, emit_job
from wazify.actions.inbound import InboundResult, do_apply_inbound
from wazify.actions.uow import UnitOfWork
from wazify.db.tables import ImportJob
from wazify.meta.events import NormalizedItem


class LeaseLost(Exception):
    """The job is no longer this process's to change (its lease ran out and moved on)."""


async def _change(
    uow: UnitOfWork, job: ClaimedImport, values: dict[Any, Any], *, emit: bool = True
) -> None:
    """Change a running job this process holds; LeaseLost when it holds it no more."""
    values.setdefault(ImportJob.updated_at, uow.now)
    changed = await (
        ImportJob.update(values)
        .where(
            (ImportJob.id == job.id)
            & (ImportJob.lease_token == job.lease_token)
            & (ImportJob.state == "running")
        )
        .returning(ImportJob.id)
    )
    if not changed:
        raise LeaseLost(f"import job {job.id} is no longer held by this process")
    if emit:
        await emit_job(uow, job.id)


async def do_import_thread(
    uow: UnitOfWork,
    job: ClaimedImport,
    items: list[NormalizedItem],
    answered: frozenset[str],
    *,
    lease: timedelta,
    seen: int,
    calls: int,
    page_mark: datetime,
) -> InboundResult:
    """One thread's items through the ingest, and the job's progress, in one transaction."""
    await _change(uow, job, {ImportJob.lease_until: uow.now + lease}, emit=False)
    result = InboundResult()
    if items:
        result = await do_apply_inbound(
            uow, [(item, job.account) for item in items], answered=answered
        )
    await _change(
        uow,
        job,
        {
            ImportJob.conversations_done: ImportJob.conversations_done + 1,
            ImportJob.messages_seen: ImportJob.messages_seen + seen,
            ImportJob.messages_imported: ImportJob.messages_imported + len(result.new_message_ids),
            ImportJob.graph_calls: ImportJob.graph_calls + calls,
            ImportJob.page_mark: page_mark,
            ImportJob.attempts: 0,
        },
    )
    return result


async def do_advance_walk(
    uow: UnitOfWork,
    job: ClaimedImport,
    *,
    lease: timedelta,
    cursor: str | None,
    phase: int,
    calls: int,
) -> None:
    """The walk moved to the next page (or the next phase): nothing staff see changed."""
    values: dict[Any, Any] = {
        ImportJob.cursor: cursor,
        ImportJob.page_mark: None,
        ImportJob.phase: phase,
        ImportJob.graph_calls: ImportJob.graph_calls + calls,
        ImportJob.lease_until: uow.now + lease,
    }
    await _change(uow, job, values, emit=False)


def _ended(state: str, reason: str, now: datetime) -> dict[Any, Any]:
    return {
        ImportJob.state: state,
        ImportJob.reason: reason,
        ImportJob.finished_at: now,
        ImportJob.lease_until: None,
        ImportJob.lease_token: None,
    }


async def do_finish_import(uow: UnitOfWork, job: ClaimedImport, calls: int = 0) -> None:
    values = _ended("done", "", uow.now) | {ImportJob.graph_calls: ImportJob.graph_calls + calls}
    await _change(uow, job, values)


async def do_fail_import(uow: UnitOfWork, job: ClaimedImport, reason: str) -> None:
    await _change(uow, job, _ended("failed", reason[:500], uow.now))


async def do_retry_import_later(
    uow: UnitOfWork, job: ClaimedImport, reason: str, delay: timedelta
) -> None:
    """A passing failure: back to the queue, tried again after `delay` (from its cursor)."""
    await _change(
        uow,
        job,
        {
            ImportJob.state: "queued",
            ImportJob.reason: reason[:500],
            ImportJob.attempts: ImportJob.attempts + 1,
            ImportJob.next_attempt_at: uow.now + delay,
            ImportJob.lease_until: None,
            ImportJob.lease_token: None,
        },
    )


async def do_release_import(uow: UnitOfWork, job: ClaimedImport) -> None:
    """This process stops: the job goes back to the queue, to resume from its cursor."""
    await _change(
        uow,
        job,
        {
            ImportJob.state: "queued",
            ImportJob.reason: "interrupted by a server stop; it resumes where it was",
            ImportJob.next_attempt_at: uow.now,
            ImportJob.lease_until: None,
            ImportJob.lease_token: None,
        },
    )
