"""What the privacy routes and the CLI share: erasing a contact, Meta's two callbacks, and a
deletion request's status by its confirmation code.

Meta's callbacks name a person (the app-scoped user who connected accounts), not a
workspace: every account that person connected, in every workspace, is acted on in one
transaction, and each workspace's admins see it (account.updated with the reason, and an
audit entry). An unknown person changes nothing; the data-deletion callback still answers
with a code, whose status page then says there was nothing to delete.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from wazify.accounts.queries import accounts_of_meta_user
from wazify.actions.deletions import (
    do_deauthorize_account,
    do_record_deletion_request,
    do_schedule_account_erasure,
)
from wazify.actions.erasure import ContactErasure, do_erase_contact
from wazify.actions.uow import Actor, unit_of_work
from wazify.db.tables import DataDeletionRequest, DeletionJob
from wazify.db.transactions import retry_transient
from wazify.runtime import Runtime

DELETION_ACTOR = Actor.system("meta-data-deletion")
DEAUTHORIZE_ACTOR = Actor.system("meta-deauthorize")
DELETION_REASON = "the person who connected it asked Meta to delete their data"
DEAUTHORIZE_REASON = (
    "the person who connected it removed the app on Instagram: reconnect it to send again"
)
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed


def new_confirmation_code() -> str:
    """DEL and 16 unambiguous characters (80 bits): unguessable, so the status page needs
    no login and shows one request to whoever holds its code."""
    return "DEL" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(16))


async def erase_contact(
    runtime: Runtime, actor: Actor, workspace_id: int, contact_id: int
) -> ContactErasure:
    """Erase a contact; a deadlock with a webhook batch touching them is retried (the
    erasure takes the processor's lock order, but a batch may hold other rows it needs)."""

    async def erase() -> ContactErasure:
        async with unit_of_work(runtime, actor) as uow:
            return await do_erase_contact(uow, workspace_id, contact_id)

    return await retry_transient(erase)


async def request_data_deletion(runtime: Runtime, meta_user_id: str) -> str:
    """Record the request and schedule the deletion of every account this person
    connected (disconnected at once); returns the confirmation code."""
    code = new_confirmation_code()
    accounts = await accounts_of_meta_user(runtime.engine.pool, meta_user_id)
    async with unit_of_work(runtime, DELETION_ACTOR) as uow:
        await do_record_deletion_request(uow, code)
        for account_id, workspace_id in accounts:
            await do_schedule_account_erasure(
                uow, workspace_id, account_id, reason=DELETION_REASON, request_code=code
            )
    return code


async def deauthorize(runtime: Runtime, meta_user_id: str) -> int:
    """Disconnect every account this person connected; returns how many changed (0 for
    a repeat, or a person we do not know)."""
    accounts = await accounts_of_meta_user(runtime.engine.pool, meta_user_id)
    changed = 0
    async with unit_of_work(runtime, DEAUTHORIZE_ACTOR) as uow:
        for account_id, _ in accounts:
            changed += await do_deauthorize_account(uow, account_id, DEAUTHORIZE_REASON)
    return changed


@dataclass(frozen=True)
class DeletionStatus:
    """A data-deletion request's progress, and nothing else: no names, no workspace."""

    code: str
    received_at: datetime
    accounts: int
    done: int
    finished_at: datetime | None

    @property
    def complete(self) -> bool:
        return self.done == self.accounts


async def deletion_status(runtime: Runtime, code: str) -> DeletionStatus | None:
    request = (
        await DataDeletionRequest.select(DataDeletionRequest.received_at)
        .where(DataDeletionRequest.code == code)
        .first()
    )
    if request is None:
        return None
    jobs = await DeletionJob.select(DeletionJob.state, DeletionJob.finished_at).where(
        DeletionJob.request_code == code
    )
    finished = [job["finished_at"] for job in jobs if job["finished_at"] is not None]
    return DeletionStatus(
        code=code,
        received_at=request["received_at"],
        accounts=len(jobs),
        done=sum(1 for job in jobs if job["state"] == "done"),
        finished_at=max(finished, default=None),
    )
