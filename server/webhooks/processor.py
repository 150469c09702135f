"""Turn committed webhook receipts into messages, right behind the acknowledgement.

A batch of pending receipts is claimed with FOR UPDATE SKIP LOCKED and applied in the same
transaction that marks them processed, so a receipt is applied exactly once even with
several server processes, and a crash simply leaves it pending. A second loop joins in
only while there is a backlog (the first loop's batches come back full): while one waits
for Postgres to insert its batch, the other decodes the next (batches of messages share
their locks, see actions/message_locks.py). Below that, one loop keeps the events in the
order the deliveries arrived; two may commit neighbouring batches in either order (Meta
promises no delivery order either; messages are ordered by their timestamps). A receipt
whose content breaks processing is isolated and quarantined with the reason; a database
fault (down, restarting, out of resources, a deadlock: lib/db_faults.py) leaves the batch
or the receipt pending for the next round, never quarantined. Every log line of a batch's
processing names its receipts and the requests that delivered them (`receipt_ids`,
`request_ids`: wazify.lib.logs).

SQL in the unit's transaction: the claim is one SELECT ... FOR UPDATE SKIP LOCKED of a batch,
then set-based updates of its receipts (docs/migrations.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from wazify.actions.receipts import do_process_receipts, entry_ids
from wazify.actions.uow import Actor, unit_of_work
from wazify.lib.db_faults import is_database_fault
from wazify.lib.logs import log_context
from wazify.lib.tasks import spawn
from wazify.ops.metrics import RECEIPTS_PROCESSED, RECEIPTS_QUARANTINED, receipt_lag_seconds
from wazify.runtime import Runtime

log = logging.getLogger("wazify.webhooks")

BATCH_SIZE = 50
LOOPS = 2
IDLE_POLL_SECONDS = 1.0
# How long stop() lets a round in flight finish before cancelling it.
STOP_GRACE_SECONDS = 10.0
ACTOR = Actor.system("meta-webhook")

# The lag (commit of the receipt to its processing) is read with each row, for the metrics.
COLUMNS = "id, body, request_id, extract(epoch FROM clock_timestamp() - received_at) AS lag"
CLAIM = f"""
SELECT {COLUMNS} FROM webhook_receipts WHERE state = 'pending'
ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
"""
CLAIM_IDS = f"""
SELECT {COLUMNS} FROM webhook_receipts WHERE id = ANY($1::bigint[])
AND state = 'pending' FOR UPDATE SKIP LOCKED
"""


@dataclass
class WebhookProcessor:
    runtime: Runtime
    on_new_contacts: Callable[[], None] = lambda: None
    batch_size: int = BATCH_SIZE
    loops: int = LOOPS
    _wakes: list[asyncio.Event] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _stopping: bool = False

    def __post_init__(self) -> None:
        # One wake-up per loop: new receipts wake the first, a backlog the next.
        self._wakes = [asyncio.Event() for _ in range(self.loops)]

    def wake(self) -> None:
        self._wakes[0].set()

    def start(self) -> None:
        self._stopping = False
        self._tasks = [
            spawn(self._run(number), f"webhook-processor-{number}") for number in range(self.loops)
        ]

    async def stop(self) -> None:
        """Let the round in flight finish, then stop. Cancelling a round mid-transaction
        (while the connection begins or commits) would leak its pooled connection, and
        closing the pool would then wait for it forever."""
        if not self._tasks:
            return
        self._stopping = True
        for wake in self._wakes:
            wake.set()
        await asyncio.wait(self._tasks, timeout=STOP_GRACE_SECONDS)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def _run(self, number: int) -> None:
        wake = self._wakes[number]
        # The first loop also polls (receipts left by another process or a failed round).
        poll = IDLE_POLL_SECONDS if number == 0 else None
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), poll)
            wake.clear()
            if self._stopping:
                return
            try:
                await self.drain(number)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("webhook processing round failed; retrying shortly")
                await asyncio.sleep(IDLE_POLL_SECONDS)

    async def drain(self, number: int = 0) -> int:
        """Process pending receipts until none are left; return how many were handled.
        While batches come back full, the next loop (if any) is woken to help."""
        total = 0
        while True:
            handled = await self.process_batch()
            total += handled
            if handled < self.batch_size or self._stopping:
                return total
            if number + 1 < len(self._wakes):
                self._wakes[number + 1].set()

    async def process_batch(self, receipt_ids: list[int] | None = None) -> int:
        with log_context() as context:  # _apply adds the claimed receipts
            try:
                return await self._apply(receipt_ids, context)
            except Exception as error:
                # Only the content may quarantine a receipt, never the database's state.
                if is_database_fault(error):
                    log.warning("webhook batch deferred after a database fault: %r", error)
                    return 0
                if receipt_ids is not None and len(receipt_ids) == 1:
                    await self._quarantine(receipt_ids[0], error)
                    return 1
                log.warning("webhook batch failed (%s); isolating its receipts", error)
        return await self._isolate()

    async def _apply(self, receipt_ids: list[int] | None, context: dict) -> int:
        async with unit_of_work(self.runtime, ACTOR) as uow:
            if receipt_ids is None:
                rows = await uow.conn.fetch(CLAIM, self.batch_size)
            else:
                rows = await uow.conn.fetch(CLAIM_IDS, receipt_ids)
            if not rows:
                return 0
            context["receipt_ids"] = [row["id"] for row in rows]
            context["request_ids"] = [row["request_id"] for row in rows]
            outcome = await do_process_receipts(uow, [(row["id"], row["body"]) for row in rows])
        log.debug("processed %d webhook receipts", len(rows))
        RECEIPTS_PROCESSED.inc(len(rows))
        for row in rows:
            receipt_lag_seconds.observe(float(row["lag"]))
        if outcome.new_contact_ids:
            self.on_new_contacts()
        return len(rows)

    async def _isolate(self) -> int:
        ids = await self.runtime.engine.pool.fetch(
            "SELECT id FROM webhook_receipts WHERE state = 'pending' ORDER BY id LIMIT $1",
            self.batch_size,
        )
        for row in ids:
            await self.process_batch([row["id"]])
        return len(ids)

    async def _quarantine(self, receipt_id: int, error: Exception) -> None:
        """Quarantined with the accounts it names, like any processed receipt: its
        workspace's admins see it and can replay it once the cause is fixed, and deleting
        an account or a workspace finds it."""
        log.error("webhook receipt %s quarantined: %s", receipt_id, error, exc_info=error)
        RECEIPTS_QUARANTINED.inc()
        pool = self.runtime.engine.pool
        body = await pool.fetchval("SELECT body FROM webhook_receipts WHERE id = $1", receipt_id)
        await pool.execute(
            "UPDATE webhook_receipts SET state = 'quarantined', reason = $2, ig_ids = $3,"
            " attempts = attempts + 1, processed_at = now() WHERE id = $1",
            receipt_id,
            f"processing failed: {type(error).__name__}: {error}"[:500],
            entry_ids(body) if body is not None else [],
        )
