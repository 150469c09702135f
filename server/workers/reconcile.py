"""The reconciler: notices gaps the webhooks may have left and queues resyncs.

- After a server outage: at start-up, every connected account whose last webhook is older
  than the silence threshold gets a resync from that webhook on (a quiet account costs one
  Conversations API call: its newest thread is older than the gap).
- Webhook silence while sends work: a reply Meta accepted whose echo never came, sent
  after the last webhook, with no webhook for the silence threshold either. Echoes come
  within seconds while webhooks flow, so that is a dropped subscription or an endpoint
  Meta gave up on: the subscription is checked (and put back), and a resync covers the
  gap.
Reconnects and an admin's Resync queue their own jobs (actions/connections.py, the
accounts routes, `wazify instagram resync`). Queuing is idempotent per account (one active
job), so several processes reconciling at once queue nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from piccolo.columns.combination import And, Where

from wazify.accounts import service
from wazify.accounts.queries import stored_account
from wazify.actions.imports import do_queue_import
from wazify.actions.uow import Actor, unit_of_work
from wazify.db.expressions import db_now_plus
from wazify.db.tables import IgAccount, ImportJob, Message
from wazify.lib.crypto import DecryptionError
from wazify.lib.errors import AppError
from wazify.runtime import Runtime
from wazify.workers.background import BackgroundLoop

log = logging.getLogger("wazify.reconcile")
ACTOR = Actor.system("reconciler")
# A reply's echo normally follows its acceptance within seconds.
ECHO_GRACE = timedelta(minutes=2)


def _connected() -> Where | And:
    """Accounts the reconciler may resync: connected, with a token."""
    return (IgAccount.status == "connected") & IgAccount.access_token_enc.is_not_null()


async def stale_after_restart(silence: timedelta) -> list[int]:
    """Connected accounts whose last webhook is older than `silence` and that queued no
    import job since. (NOT IN: import_jobs.account_id is never null, so it means NOT EXISTS.)"""
    recent_jobs = ImportJob.select(ImportJob.account).where(
        ImportJob.created_at > db_now_plus(-silence)
    )
    rows = (
        await IgAccount.select(IgAccount.id)
        .where(
            _connected()
            & (IgAccount.last_webhook_at < db_now_plus(-silence))
            & IgAccount.id.not_in(recent_jobs)
        )
        .order_by(IgAccount.id)
    )
    return [row["id"] for row in rows]


async def silent_while_sending(silence: timedelta, grace: timedelta) -> list[int]:
    """Connected accounts without a webhook for `silence` (or ever) that have a reply Meta
    accepted after their last webhook, more than `grace` ago, with no import job queued
    since that reply. The sub-selects are correlated: their "ig_accounts" and "messages"
    columns are the enclosing rows' (an IN over them, since Piccolo has no EXISTS; every id
    compared is non-null, so IN and NOT IN mean EXISTS and NOT EXISTS)."""
    last_webhook = IgAccount.last_webhook_at
    jobs_since_reply = ImportJob.select(ImportJob.account).where(
        (ImportJob.account == Message.account_id) & (ImportJob.created_at > Message.sending_at)
    )
    unechoed = Message.select(Message.account_id).where(
        (Message.account_id == IgAccount.id)
        & (Message.direction == "out")
        & (Message.status == "sent")
        & (last_webhook.is_null() | (Message.sending_at > last_webhook))
        & (Message.sending_at < db_now_plus(-grace))
        & Message.account_id.not_in(jobs_since_reply)
    )
    rows = (
        await IgAccount.select(IgAccount.id)
        .where(
            _connected()
            & (last_webhook.is_null() | (last_webhook < db_now_plus(-silence)))
            & IgAccount.id.is_in(unechoed)
        )
        .order_by(IgAccount.id)
    )
    return [row["id"] for row in rows]


@dataclass
class Reconciler(BackgroundLoop):
    task_name = "reconciler"

    runtime: Runtime
    interval: float = 60.0
    initial_delay: float = 5.0

    @property
    def silence(self) -> timedelta:
        return timedelta(minutes=self.runtime.settings.webhook_silence_minutes)

    async def _run(self) -> None:
        await asyncio.sleep(self.initial_delay)
        try:
            await self.after_restart()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the start-up resync check failed")
        while True:
            try:
                await self.detect_silence()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the webhook silence check failed; retrying later")
            await asyncio.sleep(self.interval)

    async def after_restart(self) -> list[int]:
        """Accounts whose last webhook is older than the silence threshold: resync them."""
        return await self._queue(await stale_after_restart(self.silence), "server_restart")

    async def detect_silence(self) -> list[int]:
        """Replies go out but no echo comes back: put the subscription back if Meta dropped
        it (PLATFORM.md section 5), and resync what the silence cost."""
        account_ids = await silent_while_sending(self.silence, ECHO_GRACE)
        for account_id in account_ids:
            log.warning("account %s: replies go out but no webhook comes; resyncing", account_id)
            await self._check_subscription(account_id)
        return await self._queue(account_ids, "webhook_silence")

    async def _check_subscription(self, account_id: int) -> None:
        account = (
            await IgAccount.select(IgAccount.workspace.as_alias("workspace_id"))
            .where(IgAccount.id == account_id)
            .first()
        )
        stored = await stored_account(self.runtime.engine.pool, account["workspace_id"], account_id)
        if stored is None:
            return
        try:
            async with service.oauth_client(self.runtime.settings) as client:
                result = await service.check_subscription(self.runtime, ACTOR, client, stored)
        except (AppError, DecryptionError) as error:
            log.warning("subscription check of account %s failed: %s", account_id, error)
            return
        if result.resubscribed:
            log.warning("account %s had lost its webhook subscription: resubscribed", account_id)

    async def _queue(self, account_ids: list[int], trigger: str) -> list[int]:
        queued = []
        for account_id in account_ids:
            try:
                # Shielded: a unit cancelled while it commits would leak its connection.
                await asyncio.shield(self._queue_one(account_id, trigger))
            except AppError as error:  # disconnected meanwhile
                log.info("no resync for account %s: %s", account_id, error)
                continue
            queued.append(account_id)
        return queued

    async def _queue_one(self, account_id: int, trigger: str) -> None:
        async with unit_of_work(self.runtime, ACTOR) as uow:
            await do_queue_import(uow, account_id, trigger)
