"""Facts /metrics reads from Postgres at scrape time, and the health of Postgres and Redis.

One statement, answered from partial indexes (webhook_receipts_pending, messages_outbox and
webhook_receipts_state), with a timeout: a scrape never waits on a database in trouble,
it reports it down instead.
"""

from __future__ import annotations

import asyncio
import logging

import msgspec

from wazify.runtime import Runtime

log = logging.getLogger("wazify.metrics")
TIMEOUT_SECONDS = 2.0
OUTBOX_STATES = ("pending", "sending", "unknown")

FACTS = """
SELECT
  (SELECT count(*) FROM webhook_receipts WHERE state = 'pending') AS receipts_pending,
  (SELECT count(*) FROM webhook_receipts WHERE state = 'quarantined') AS receipts_quarantined,
  (SELECT extract(epoch FROM clock_timestamp() - received_at) FROM webhook_receipts
   WHERE state = 'pending' ORDER BY id LIMIT 1) AS receipts_oldest_seconds,
  (SELECT extract(epoch FROM clock_timestamp() - min(created_at)) FROM messages
   WHERE status = 'pending') AS outbox_oldest_seconds,
  (SELECT count(*) FROM messages WHERE status = 'pending') AS outbox_pending,
  (SELECT count(*) FROM messages WHERE status = 'sending') AS outbox_sending,
  (SELECT count(*) FROM messages WHERE status = 'unknown') AS outbox_unknown
"""


class DatabaseFacts(msgspec.Struct, frozen=True):
    receipts_pending: int
    receipts_quarantined: int
    receipts_oldest_seconds: float
    outbox_oldest_seconds: float
    outbox: dict[str, int]


async def database_facts(runtime: Runtime) -> DatabaseFacts | None:
    """None when Postgres did not answer in time."""
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS):
            row = await runtime.engine.pool.fetchrow(FACTS, timeout=TIMEOUT_SECONDS)
    except Exception as error:
        log.warning("metrics: PostgreSQL did not answer: %s", type(error).__name__)
        return None
    return DatabaseFacts(
        receipts_pending=row["receipts_pending"],
        receipts_quarantined=row["receipts_quarantined"],
        receipts_oldest_seconds=float(row["receipts_oldest_seconds"] or 0),
        outbox_oldest_seconds=float(row["outbox_oldest_seconds"] or 0),
        outbox={state: row[f"outbox_{state}"] for state in OUTBOX_STATES},
    )


async def redis_up(runtime: Runtime) -> bool | None:
    """None when this installation runs without Redis (in-process fan-out)."""
    if not runtime.settings.redis_url:
        return None
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS):
            return await runtime.broker.ping()
    except TimeoutError:
        return False
