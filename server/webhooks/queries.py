"""Read-only receipt queries for the admins' listing (Piccolo's query builder)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from wazify.db.tables import WebhookReceipt

RECEIPT_COLUMNS = (
    WebhookReceipt.id,
    WebhookReceipt.state,
    WebhookReceipt.reason,
    WebhookReceipt.ig_ids,
    WebhookReceipt.attempts,
    WebhookReceipt.received_at,
    WebhookReceipt.processed_at,
    WebhookReceipt.body,
)


async def receipts_naming(
    ig_ids: list[str], state: str | None, before: tuple[datetime, int] | None, limit: int
) -> list[dict[str, Any]]:
    """Newest first: the receipts naming any of `ig_ids` (a workspace's accounts), in
    `state` if given, older than the cursor `before`."""
    query = WebhookReceipt.select(*RECEIPT_COLUMNS).where(WebhookReceipt.ig_ids.overlap(ig_ids))
    if state is not None:
        query = query.where(WebhookReceipt.state == state)
    if before is not None:
        moment, receipt_id = before
        query = query.where(
            (WebhookReceipt.received_at < moment)
            | ((WebhookReceipt.received_at == moment) & (WebhookReceipt.id < receipt_id))
        )
    return await query.order_by(
        WebhookReceipt.received_at, WebhookReceipt.id, ascending=False
    ).limit(limit)
