"""TokenRefresher: keeps long-lived Instagram tokens alive and webhook subscriptions in place.

Meta's rules (PLATFORM.md 7.1): a long-lived token lasts 60 days and may be refreshed once
it is at least 24 h old and not yet expired; an expired token cannot be refreshed. Every
`interval` seconds `refresh_due()` refreshes the tokens of connected accounts expiring
within `window_days` (well before the end), marks "reconnect required" on error 190 or a
revoked permission (everyone sees why through account.updated) and on an expired token,
and audits every failure. `check_subscriptions()` (at start-up, after `initial_delay`, so
after an outage or a restart, and every `subscription_interval`) re-subscribes accounts
whose subscription Meta dropped. One process at a time does the work (advisory lock).
Nothing here logs a URL or a token.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg

from wazify.accounts import service
from wazify.accounts.queries import StoredAccount, refresh_candidates, subscribed_accounts
from wazify.actions.connections import (
    do_mark_reconnect_required,
    do_record_refresh,
    do_record_refresh_failure,
)
from wazify.actions.uow import Actor, unit_of_work
from wazify.lib.crypto import DecryptionError
from wazify.lib.errors import AppError
from wazify.meta.graph_errors import GraphError
from wazify.meta.oauth import OAuthClient
from wazify.runtime import Runtime
from wazify.workers.background import BackgroundLoop

log = logging.getLogger("wazify.token_refresh")
ACTOR = Actor.system("token-refresher")
LOCK_KEY = 0x7A1F_0009  # pg advisory lock: one refresher at a time across processes
EXPIRED_REASON = "the Instagram access token expired before it could be refreshed: reconnect"


@dataclass
class RefreshReport:
    refreshed: list[int] = field(default_factory=list)
    reconnect_required: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


@dataclass
class SubscriptionReport:
    checked: list[int] = field(default_factory=list)
    resubscribed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


@dataclass
class TokenRefresher(BackgroundLoop):
    task_name = "token-refresher"

    runtime: Runtime
    interval: float = 3600.0
    subscription_interval: float = 6 * 3600.0
    initial_delay: float = 60.0
    window_days: int = 20

    async def _run(self) -> None:
        await asyncio.sleep(self.initial_delay)
        next_check = 0.0
        while True:
            try:
                await self.refresh_due()
                if time.monotonic() >= next_check:
                    await self.check_subscriptions()
                    next_check = time.monotonic() + self.subscription_interval
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("token refresh round failed; retrying later")
            await asyncio.sleep(self.interval)

    async def refresh_due(self) -> RefreshReport:
        report = RefreshReport()
        # The session lock lives on a connection of its own, closed afterwards: closing it
        # releases the lock even if this round is cancelled halfway (pooled connections
        # are not reset on release, see db/engine.py).
        lock = await asyncpg.connect(self.runtime.dsn)
        try:
            if not await lock.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY):
                return report
            candidates = await refresh_candidates(self.runtime.engine.pool, self.window_days)
            async with service.oauth_client(self.runtime.settings) as client:
                for account in candidates:
                    await self._refresh_one(client, account, report)
        finally:
            await lock.close()
        return report

    async def _refresh_one(
        self, client: OAuthClient, account: StoredAccount, report: RefreshReport
    ) -> None:
        now = datetime.now(UTC)
        if account.token_expires_at is not None and account.token_expires_at <= now:
            await self._reconnect(account.id, EXPIRED_REASON, report)
            return
        try:
            token = service.decrypt(self.runtime, account)
        except (DecryptionError, AppError) as error:
            await self._failed(account.id, f"the stored token cannot be read: {error}", report)
            return
        try:
            fresh = await client.refresh(token)
        except GraphError as error:
            reason = service.dead_token_reason(error)
            if reason is not None:
                await self._reconnect(account.id, reason, report)
            else:
                await self._failed(account.id, service.describe(error), report)
            return
        expires_at = now + timedelta(seconds=fresh.expires_in) if fresh.expires_in else None
        async with unit_of_work(self.runtime, ACTOR) as uow:
            await do_record_refresh(
                uow, account.id, token=fresh.access_token, expires_at=expires_at
            )
        report.refreshed.append(account.id)

    async def _reconnect(self, account_id: int, reason: str, report: RefreshReport) -> None:
        log.warning("account %s needs a reconnect: %s", account_id, reason)
        async with unit_of_work(self.runtime, ACTOR) as uow:
            await do_mark_reconnect_required(uow, account_id, reason, refresh_failed=True)
        report.reconnect_required.append(account_id)

    async def _failed(self, account_id: int, reason: str, report: RefreshReport) -> None:
        log.warning("refreshing the token of account %s failed: %s", account_id, reason)
        async with unit_of_work(self.runtime, ACTOR) as uow:
            await do_record_refresh_failure(uow, account_id, reason)
        report.failed.append(account_id)

    async def check_subscriptions(self) -> SubscriptionReport:
        report = SubscriptionReport()
        accounts = await subscribed_accounts(self.runtime.engine.pool)
        async with service.oauth_client(self.runtime.settings) as client:
            for account in accounts:
                try:
                    result = await service.check_subscription(self.runtime, ACTOR, client, account)
                except (AppError, DecryptionError) as error:
                    log.warning("subscription check of account %s failed: %s", account.id, error)
                    report.failed.append(account.id)
                    continue
                report.checked.append(account.id)
                if result.resubscribed:
                    log.warning(
                        "account %s had lost its webhook subscription: resubscribed", account.id
                    )
                    report.resubscribed.append(account.id)
        return report
