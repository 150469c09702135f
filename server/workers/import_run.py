"""One import job's walk through the Conversations API (docs/history.md).

Threads come newest first, a page at a time; each thread's messages (one nested call, or
one call per message when the thread lists only ids) become the webhook normalizer's items
and go through the ingest, together with the job's progress, in one transaction. The walk
stops at the first thread last active before the job's window, then makes a catch-up pass
over the threads that became active while it ran (they jumped to the top of the list,
behind the cursor). Every call waits for the account's Conversations API rate.

Failures are Meta's, classified as the Send API's are (PLATFORM.md 6.4): throttling and
passing errors (5xx, codes 1 and 2, no connection) put the job back with backoff, from its
cursor; a dead token marks the account reconnect-required and stops the job; anything
else fails it with Meta's reason, which the admin sees.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from wazify.accounts.service import dead_token_reason, describe
from wazify.actions.connections import do_mark_reconnect_required
from wazify.actions.import_steps import (
    LeaseLost,
    do_advance_walk,
    do_fail_import,
    do_finish_import,
    do_import_thread,
    do_release_import,
    do_retry_import_later,
)
from wazify.actions.imports import ClaimedImport
from wazify.actions.inbound import InboundResult
from wazify.actions.secrets import ACCESS_TOKEN, secret_context
from wazify.actions.uow import Actor, unit_of_work
from wazify.db.transactions import retry_transient
from wazify.lib.crypto import DecryptionError
from wazify.meta.conversations import ApiMessage, Thread, ThreadDetail
from wazify.meta.events import InboundMessage
from wazify.meta.graph_errors import GraphError, is_throttling
from wazify.meta.history import thread_items

if TYPE_CHECKING:
    from wazify.workers.history import HistoryImporter

log = logging.getLogger("wazify.history")
ACTOR = Actor.system("history-importer")
# Threads active this long before the walk began are visited again by the catch-up pass
# (Meta's clock and ours may disagree a little).
CATCH_UP_MARGIN = timedelta(minutes=1)
OBJECT_GONE = (100, 33)  # "does not exist, cannot be loaded": deleted, or too old to read
T = TypeVar("T")


class ImportRun:
    def __init__(self, importer: HistoryImporter, job: ClaimedImport) -> None:
        self.importer = importer
        self.runtime = importer.runtime
        self.job = job
        self.calls = 0  # Graph calls not yet counted in the job's row

    async def run(self) -> None:
        try:
            if self.job.account_status != "connected":
                reason = f"stopped: the account is {self.job.account_status.replace('_', ' ')}"
                await self._record(do_fail_import, reason)
                return
            token = self._token()
            await self._walk(token)
            await self._record(do_finish_import, self._take_calls())
        except LeaseLost:
            # Another process holds the job now (this one stalled past its lease).
            log.warning("import job %s: lease lost; leaving it to its new walker", self.job.id)
        except _AccountGone as gone:
            await self._record(do_fail_import, str(gone))
        except GraphError as error:
            await self._graph_failure(error)
        except httpx.HTTPError as error:
            await self._retry(f"could not reach Meta ({type(error).__name__}); retrying")
        except asyncio.CancelledError:
            await asyncio.shield(self._record(do_release_import))
            raise

    def _token(self) -> str:
        if self.job.token_enc is None:
            raise _Reconnect("reconnect required: the account has no access token")
        try:
            return self.runtime.cipher.decrypt(
                self.job.token_enc, secret_context(ACCESS_TOKEN, self.job.account_id)
            )
        except DecryptionError:
            raise _Reconnect("reconnect required: the stored token cannot be decrypted") from None

    async def _call(self, method: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """One Graph call, at the account's Conversations API rate."""
        await self.importer.limiter.acquire(self.job.account_id)
        self.calls += 1
        self.importer.calls_made += 1
        return await method(*args, **kwargs)

    def _take_calls(self) -> int:
        calls, self.calls = self.calls, 0
        return calls

    async def _walk(self, token: str) -> None:
        graph = self.importer.graph
        cursor, mark, phase = self.job.cursor, self.job.page_mark, self.job.phase
        # Set when the job was first claimed, before its first list call.
        started = self.job.listing_started_at or datetime.now(UTC)
        while True:
            page = await self._call(
                graph.list_conversations, token, after=cursor, limit=self.importer.page_size
            )
            floor = self.job.since if phase == 1 else max(self.job.since, started - CATCH_UP_MARGIN)
            ended = False
            for thread in page.data:
                if mark is not None and thread.updated > mark:
                    continue  # applied before this job was interrupted
                if thread.updated < floor:
                    ended = True
                    break
                await self._thread(thread, token)
            if not ended and page.after:
                cursor, mark = page.after, None
            elif phase == 1:
                cursor, mark, phase = None, None, 2
            else:
                return
            await self._advance(cursor, phase)

    async def _thread(self, thread: Thread, token: str) -> None:
        graph = self.importer.graph
        await self._check_account()
        observed_at = datetime.now(UTC)
        try:
            detail = await self._call(graph.thread_messages, thread.id, token)
        except GraphError as error:
            if (error.code, error.subcode) != OBJECT_GONE:
                raise
            detail = ThreadDetail(id=thread.id)  # deleted since it was listed: nothing to read
        messages = list(detail.messages.data) if detail.messages else []
        messages = [await self._detailed(message, token) for message in messages]
        found = thread_items(
            thread,
            [message for message in messages if message is not None],
            ig_id=self.job.ig_id,
            username=self.job.username,
            since=self.job.since,
            observed_at=observed_at,
        )
        seen = sum(1 for item in found.items if isinstance(item, InboundMessage))

        async def import_thread() -> InboundResult:
            async with unit_of_work(self.runtime, ACTOR) as uow:
                return await do_import_thread(
                    uow,
                    self.job,
                    found.items,
                    found.answered,
                    lease=self.importer.lease,
                    seen=seen,
                    calls=self.calls,
                    page_mark=thread.updated,
                )

        result = await retry_transient(import_thread, tries=3)
        self.calls = 0
        if result.new_contact_ids:
            self.importer.on_new_contacts()

    async def _check_account(self) -> None:
        """An account disconnected (or marked) meanwhile stops the walk, token or not."""
        status = await self.runtime.engine.pool.fetchval(
            "SELECT status FROM ig_accounts WHERE id = $1", self.job.account_id
        )
        if status != "connected":
            raise _AccountGone(f"stopped: the account is {str(status).replace('_', ' ')}")

    async def _detailed(self, message: ApiMessage, token: str) -> ApiMessage | None:
        """A message listed by id only, read in detail; None when Meta no longer shows it
        (older than the 20 most recent: "does not exist")."""
        if message.detailed:
            return message
        try:
            return await self._call(self.importer.graph.message_detail, message.id, token)
        except GraphError as error:
            if (error.code, error.subcode) == OBJECT_GONE:
                return None
            raise

    async def _advance(self, cursor: str | None, phase: int) -> None:
        async with unit_of_work(self.runtime, ACTOR) as uow:
            await do_advance_walk(
                uow,
                self.job,
                lease=self.importer.lease,
                cursor=cursor,
                phase=phase,
                calls=self._take_calls(),
            )

    async def _graph_failure(self, error: GraphError) -> None:
        reason = error.message if isinstance(error, _Reconnect) else dead_token_reason(error)
        if reason is not None:
            await self._stop_for_token(reason)
        elif is_throttling(error) or (error.code is None and error.http_status == 429):
            code = "HTTP 429" if error.code is None else f"error {error.code}"
            await self._retry(f"rate limited by Meta ({code}); retrying")
        elif error.is_transient or error.http_status >= 500:
            await self._retry(f"Meta answered HTTP {error.http_status} ({describe(error)})")
        else:
            await self._record(do_fail_import, f"failed: {describe(error)}")

    async def _stop_for_token(self, reason: str) -> None:
        async with unit_of_work(self.runtime, ACTOR) as uow:
            await do_mark_reconnect_required(uow, self.job.account_id, reason)
            await do_fail_import(uow, self.job, f"stopped: {reason}")

    async def _retry(self, reason: str) -> None:
        importer = self.importer
        attempts = self.job.attempts + 1
        if attempts >= importer.max_attempts:
            await self._record(do_fail_import, f"gave up after {attempts} attempts: {reason}")
            return
        ceiling = min(importer.backoff_cap, importer.backoff_base * 2 ** (attempts - 1))
        delay = timedelta(seconds=ceiling * random.uniform(0.5, 1.0))
        when = (datetime.now(UTC) + delay).strftime("%H:%M:%S UTC")
        await self._record(do_retry_import_later, f"{reason} at {when}", delay)

    async def _record(self, action: Callable[..., Awaitable[None]], *args: object) -> None:
        async with unit_of_work(self.runtime, ACTOR) as uow:
            await action(uow, self.job, *args)


class _AccountGone(Exception):
    """The account is no longer connected: the job stops with this reason."""


class _Reconnect(GraphError):
    """No usable token: handled as Meta's dead-token answer."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, code=190)
