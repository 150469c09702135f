"""Durable receipt of webhook deliveries: the raw body is committed before Meta gets its 200.

Concurrent deliveries are written together: each request queues its body and waits, and a
few flusher tasks insert whatever is queued in one statement. Under load the batches grow
on their own, so the commit rate (fsync-bound) stops being the request rate's ceiling.
An identical redelivery (same bytes, same SHA-256) is acknowledged without a second row.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable

import asyncpg

from wazify.lib.tasks import spawn

MAX_FLUSHERS = 4
MAX_BATCH = 500

INSERT_RECEIPTS = """
INSERT INTO webhook_receipts (body, body_sha256)
SELECT * FROM unnest($1::bytea[], $2::bytea[])
ON CONFLICT (body_sha256) DO NOTHING
"""


class ReceiptWriter:
    def __init__(self, pool: asyncpg.Pool, on_stored: Callable[[], None]) -> None:
        self._pool = pool
        self._on_stored = on_stored
        self._queue: list[tuple[bytes, bytes, asyncio.Future[None]]] = []
        self._flushers: set[asyncio.Task[None]] = set()

    async def store(self, body: bytes) -> None:
        """Return once the body is committed; raise if the database refused or is down."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((body, hashlib.sha256(body).digest(), future))
        if len(self._flushers) < MAX_FLUSHERS:
            task = spawn(self._flush(), "receipt-flusher")
            self._flushers.add(task)
            task.add_done_callback(self._flushers.discard)
        await future

    async def _flush(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            unique = {digest: body for body, digest, _ in batch}
            try:
                await self._pool.execute(INSERT_RECEIPTS, list(unique.values()), list(unique))
            except Exception as error:
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for _, _, future in batch:
                if not future.done():
                    future.set_result(None)
            self._on_stored()
