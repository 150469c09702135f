"""The outbox worker: claims pending replies, calls the Send API, records each outcome.

Claims happen in short transactions (FOR UPDATE SKIP LOCKED, a lease); the Graph call
happens outside any transaction; the outcome is recorded through the write path
(wazify.actions.outbox). Only answers that prove Meta did not take the message (its
throttling codes, a connection that never reached it) go back to pending, with backoff and
jitter; a timeout, a 5xx or a crash mid-send leaves the reply unknown until its echo comes or
a deadline passes. Wakes on NOTIFY wazify_outbox (any process queued a reply) and polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING

import asyncpg

from wazify.actions.outbox import (
    Claimed,
    do_claim_replies,
    do_mark_reconnect_required,
    do_record_outcome,
    do_record_sent,
    do_renew_lease,
    do_resolve_stale,
)
from wazify.actions.replies import OUTBOX_CHANNEL
from wazify.actions.secrets import ACCESS_TOKEN, secret_context
from wazify.actions.uow import Actor, unit_of_work
from wazify.db.transactions import retry_transient
from wazify.lib.crypto import DecryptionError
from wazify.lib.tasks import spawn
from wazify.meta.graph_client import GraphClient
from wazify.meta.send import Verdict, message_body, verdict
from wazify.ops.metrics import timed_send
from wazify.runtime import Runtime

if TYPE_CHECKING:
    from wazify.workers.outbound import RateLimiter

log = logging.getLogger("wazify.sender")
ACTOR = Actor.system("sender")
RESOLVE_EVERY = 1.0  # seconds between sweeps of expired leases and unknown deadlines


class SenderWorker:
    def __init__(
        self,
        runtime: Runtime,
        graph: GraphClient,
        limiter: RateLimiter,
        *,
        send_timeout: float = 20.0,
        unknown_deadline: timedelta = timedelta(minutes=10),
        concurrency: int = 32,
    ) -> None:
        self.runtime = runtime
        self.graph = graph
        self.limiter = limiter
        self.send_timeout = send_timeout
        self.unknown_deadline = unknown_deadline
        self.concurrency = concurrency
        self.backoff_base = 1.0
        self.backoff_cap = 60.0
        self.max_attempts = 10
        self.poll_seconds = 0.5
        self._wake = asyncio.Event()
        self._inflight: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None
        self._accepted: list[tuple[Claimed, str | None, asyncio.Future[None]]] = []
        self._recorder: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def lease(self) -> timedelta:
        """Outlasts the call and the recording of its outcome, with room to spare."""
        return timedelta(seconds=2 * self.send_timeout + 1)

    def wake(self, *_: object) -> None:
        self._wake.set()

    def start(self) -> None:
        self._stopping = False
        self._task = spawn(self._run(), "sender")

    async def stop(self) -> None:
        """Sends in flight finish (their outcome is recorded); nothing new is claimed."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._inflight:
            await asyncio.wait(self._inflight, timeout=self.send_timeout + 5)
        for task in list(self._inflight):
            task.cancel()
        await asyncio.gather(*self._inflight, return_exceptions=True)
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None

    async def _listen(self) -> None:
        try:
            self._listener = await asyncpg.connect(self.runtime.dsn)
            await self._listener.add_listener(OUTBOX_CHANNEL, self.wake)
        except (OSError, asyncpg.PostgresError) as error:
            log.warning("no NOTIFY wake-ups (%s); polling only", type(error).__name__)

    async def _run(self) -> None:
        await self._listen()
        resolved_at = 0.0
        while not self._stopping:
            self._wake.clear()
            try:
                if time.monotonic() - resolved_at >= RESOLVE_EVERY:
                    resolved_at = time.monotonic()
                    await self.resolve()
                await self.claim_and_send()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sender round failed; retrying shortly")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

    async def resolve(self) -> int:
        async with unit_of_work(self.runtime, ACTOR) as uow:
            return await do_resolve_stale(uow, self.unknown_deadline)

    async def claim_and_send(self) -> int:
        free = self.concurrency - len(self._inflight)
        if free <= 0 or self._stopping:
            return 0
        async with unit_of_work(self.runtime, ACTOR) as uow:
            claimed = await do_claim_replies(uow, free, self.lease)
        for reply in claimed:
            task = spawn(self._send(reply), f"send-reply-{reply.id}")
            self._inflight.add(task)
            task.add_done_callback(self._done)
        return len(claimed)

    def _done(self, task: asyncio.Task[None]) -> None:
        # A failure is logged by spawn(). Its row stays `sending`: the lease runs out, it
        # becomes unknown, never resent.
        self._inflight.discard(task)
        self._wake.set()  # the conversation's next reply may go now

    async def _send(self, reply: Claimed) -> None:
        if not reply.sendable:
            reason = (
                "the messaging window closed before it could be sent (24 hours after the"
                " customer's last message; 7 days with HUMAN_AGENT for a person's reply)"
            )
            await self._record(Verdict("failed", reason), reply)
            return
        if reply.token_enc is None:
            await self._record(Verdict("reconnect", "reconnect required: no access token"), reply)
            return
        try:
            token = self.runtime.cipher.decrypt(
                reply.token_enc, secret_context(ACCESS_TOKEN, reply.account_id)
            )
        except DecryptionError:
            reason = "reconnect required: the stored access token cannot be decrypted"
            await self._record(Verdict("reconnect", reason), reply)
            return
        body = message_body(
            reply.recipient,
            text=reply.text,
            attachments=reply.attachments,
            quick_replies=reply.quick_replies,
            human_agent=reply.human_agent_tag and not reply.window_open,
        )
        claimed_at = time.monotonic()
        await self.limiter.acquire(reply.account_id)
        if time.monotonic() - claimed_at > self.send_timeout / 2 and not await self._renew(reply):
            return
        try:
            result = await timed_send(
                "message",
                self.graph.send_message(reply.ig_id, token, body, read_timeout=self.send_timeout),
            )
        except Exception as error:
            outcome = verdict(error)
            log.info("reply %s: %s", reply.id, outcome.reason)
            await self._record(outcome, reply)
            return
        await asyncio.shield(self._record_sent(reply, result.message_id))

    async def _renew(self, reply: Claimed) -> bool:
        """After a long wait for the rate limiter, extend the lease before sending, so the
        call still ends within it. A row that moved on meanwhile (its lease ran out, so it
        was marked unknown) is not sent; as it never left, it goes back to pending."""
        async with unit_of_work(self.runtime, ACTOR) as uow:
            renewed = await do_renew_lease(uow, reply.id, self.lease)
        return renewed

    async def _record_sent(self, reply: Claimed, mid: str | None) -> None:
        """Accepted sends are recorded a batch per transaction: every transaction that
        emits takes the workspace's counter lock, and one per reply would queue on it."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._accepted.append((reply, mid, future))
        if self._recorder is None or self._recorder.done():
            self._recorder = spawn(self._flush_accepted(), "sender-record-accepted")
        await future

    async def _flush_accepted(self) -> None:
        while self._accepted:
            batch, self._accepted = self._accepted[:200], self._accepted[200:]
            try:
                await retry_transient(partial(self._record_sent_batch, batch))
            except Exception as error:
                for _, _, future in batch:
                    future.set_exception(error)
                continue
            for _, _, future in batch:
                future.set_result(None)

    async def _record_sent_batch(
        self, batch: list[tuple[Claimed, str | None, asyncio.Future[None]]]
    ) -> None:
        async with unit_of_work(self.runtime, ACTOR) as uow:
            await do_record_sent(uow, [(reply, mid) for reply, mid, _ in batch])

    async def _record(self, outcome: Verdict, reply: Claimed) -> None:
        # Shielded: stop() may cancel this task, and the outcome must not be lost with it.
        await asyncio.shield(self._record_outcome(outcome, reply))

    async def _record_outcome(self, outcome: Verdict, reply: Claimed) -> None:
        async with unit_of_work(self.runtime, ACTOR) as uow:
            kind, reason, retry_in = outcome.kind, outcome.reason, None
            if kind == "reconnect":
                first = await do_mark_reconnect_required(uow, reply.account_id, reason)
                # The first dead-token answer fails its reply; the others were refused too
                # (not sent), so they wait with the rest of the account's replies.
                kind = "failed" if first else "held"
            elif kind == "retry" and reply.attempts >= self.max_attempts:
                kind, reason = "failed", f"gave up after {reply.attempts} attempts: {reason}"
            elif kind == "retry":
                retry_in = self.backoff(reply.attempts)
            await do_record_outcome(
                uow,
                reply.id,
                kind,
                reason,
                retry_in=retry_in,
                unknown_deadline=self.unknown_deadline,
            )

    def backoff(self, attempts: int) -> timedelta:
        """Exponential, capped, with jitter (half to all of it), so retries spread out."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** max(0, attempts - 1))
        return timedelta(seconds=ceiling * random.uniform(0.5, 1.0))
