"""Facts /metrics reads from Postgres at scrape time, and the health of Postgres and Redis.

Three small statements through Piccolo's query builder, read in one snapshot (the state one
statement of scalar subqueries saw before), answered from partial indexes
(webhook_receipts_pending, webhook_receipts_state and messages_outbox), under one timeout:
a scrape never waits on a database in trouble, it reports it down instead. Ages are taken
on the database's clock (clock_timestamp()), as the rows' times were.
"""

from __future__ import annotations

import asyncio
import logging

import msgspec
from piccolo.query.functions.aggregate import Count, Min

from wazify.db.expressions import seconds_since
from wazify.db.tables import Message, WebhookReceipt
from wazify.db.transactions import snapshot
from wazify.runtime import Runtime

log = logging.getLogger("wazify.metrics")
TIMEOUT_SECONDS = 2.0
OUTBOX_STATES = ("pending", "sending", "unknown")
RECEIPT_STATES = ("pending", "quarantined")


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
            async with snapshot(runtime.engine.pool, runtime.engine):
                receipts = await _receipt_counts()
                receipts_oldest = await _oldest_pending_receipt_seconds()
                outbox = await _outbox()
    except Exception as error:
        log.warning("metrics: PostgreSQL did not answer: %s", type(error).__name__)
        return None
    pending = outbox.get("pending", {})
    return DatabaseFacts(
        receipts_pending=receipts.get("pending", 0),
        receipts_quarantined=receipts.get("quarantined", 0),
        receipts_oldest_seconds=receipts_oldest,
        outbox_oldest_seconds=float(pending.get("oldest_seconds") or 0),
        outbox={state: outbox.get(state, {}).get("count", 0) for state in OUTBOX_STATES},
    )


async def _receipt_counts() -> dict[str, int]:
    """Receipts waiting and quarantined, by state (a state without any is absent)."""
    rows = (
        await WebhookReceipt.select(WebhookReceipt.state, Count())
        .where(WebhookReceipt.state.is_in(list(RECEIPT_STATES)))
        .group_by(WebhookReceipt.state)
    )
    return {row["state"]: row["count"] for row in rows}


async def _oldest_pending_receipt_seconds() -> float:
    """The age of the first pending receipt in line (by id: the processor's order)."""
    row = (
        await WebhookReceipt.select(seconds_since(WebhookReceipt.received_at).as_alias("seconds"))
        .where(WebhookReceipt.state == "pending")
        .order_by(WebhookReceipt.id)
        .first()
    )
    return float(row["seconds"] or 0) if row else 0.0


async def _outbox() -> dict[str, dict]:
    """Per outbox state, its count and the age of its oldest message."""
    oldest = seconds_since(Min(Message.created_at)).as_alias("oldest_seconds")
    rows = (
        await Message.select(Message.status, Count(), oldest)
        .where(Message.status.is_in(list(OUTBOX_STATES)))
        .group_by(Message.status)
    )
    return {row["status"]: row for row in rows}


async def redis_up(runtime: Runtime) -> bool | None:
    """None when this installation runs without Redis (in-process fan-out)."""
    if not runtime.settings.redis_url:
        return None
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS):
            return await runtime.broker.ping()
    except TimeoutError:
        return False
