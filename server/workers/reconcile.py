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

from wazify.accounts import service
from wazify.accounts.queries import stored_account
from wazify.actions.imports import do_queue_import
from wazify.actions.uow import Actor, unit_of_work
from wazify.db.tables import IgAccount
from wazify.lib.crypto import DecryptionError
from wazify.lib.errors import AppError
from wazify.runtime import Runtime
from wazify.workers.background import BackgroundLoop

log = logging.getLogger("wazify.reconcile")
ACTOR = Actor.system("reconciler")
# A reply's echo normally follows its acceptance within seconds.
ECHO_GRACE = timedelta(minutes=2)

STALE_AFTER_RESTART = """
SELECT a.id FROM ig_accounts a
WHERE a.status = 'connected' AND a.access_token_enc IS NOT NULL
  AND a.last_webhook_at < now() - $1::interval
  AND NOT EXISTS (SELECT 1 FROM import_jobs j
                  WHERE j.account_id = a.id AND j.created_at > now() - $1::interval)
ORDER BY a.id
"""

SILENT_WHILE_SENDING = """
SELECT a.id FROM ig_accounts a
WHERE a.status = 'connected' AND a.access_token_enc IS NOT NULL
  AND coalesce(a.last_webhook_at, '-infinity') < now() - $1::interval
  AND EXISTS (SELECT 1 FROM messages m
              WHERE m.account_id = a.id AND m.direction = 'out' AND m.status = 'sent'
                AND m.sending_at > coalesce(a.last_webhook_at, '-infinity')
                AND m.sending_at < now() - $2::interval
                AND NOT EXISTS (SELECT 1 FROM import_jobs j
                                WHERE j.account_id = a.id AND j.created_at > m.sending_at))
ORDER BY a.id
"""


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
        rows = await self.runtime.engine.pool.fetch(STALE_AFTER_RESTART, self.silence)
        return await self._queue([row["id"] for row in rows], "server_restart")

    async def detect_silence(self) -> list[int]:
        """Replies go out but no echo comes back: put the subscription back if Meta dropped
        it (PLATFORM.md section 5), and resync what the silence cost."""
        rows = await self.runtime.engine.pool.fetch(SILENT_WHILE_SENDING, self.silence, ECHO_GRACE)
        for row in rows:
            log.warning("account %s: replies go out but no webhook comes; resyncing", row["id"])
            await self._check_subscription(row["id"])
        return await self._queue([row["id"] for row in rows], "webhook_silence")

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
