"""Admins' view of raw webhook receipts: list by state, replay one after a fix.

A receipt belongs to a workspace through the Instagram accounts it names (`ig_ids`), so an
admin sees the receipts of their own accounts only. One delivery may name the accounts of
several workspaces: each admin is shown only the entries (and ids) of their own accounts,
and a replay replays only those (actions/receipts.py). Receipts that name no connected
account (malformed bodies, unknown accounts) are the installation operator's, who sees
every receipt whole: `wazify webhooks`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter

from wazify.accounts.queries import workspace_ig_ids
from wazify.actions.receipts import do_replay_receipt
from wazify.actions.uow import unit_of_work
from wazify.audit.pagination import DEFAULT_LIMIT, check_limit, decode_cursor, page
from wazify.auth.guards import require_role
from wazify.auth.principal import Principal
from wazify.lib.inputs import DbId
from wazify.meta.payloads import select_entries
from wazify.runtime import Runtime
from wazify.webhooks.queries import receipts_naming
from wazify.webhooks.service import WebhookPipeline

State = Literal["pending", "processed", "quarantined", "ignored"]


class ReceiptView(msgspec.Struct, kw_only=True):
    id: int
    state: State
    reason: str
    ig_ids: list[str]
    attempts: int
    received_at: datetime
    processed_at: datetime | None
    # The raw body as received, keeping only this workspace's entries (UTF-8, invalid
    # bytes replaced).
    body: str


class ReceiptPage(msgspec.Struct, kw_only=True):
    items: list[ReceiptView]
    next_cursor: str | None


def _view(row: Mapping[str, Any], own: set[str]) -> ReceiptView:
    """The receipt as this workspace may see it: its own accounts' entries and ids only."""
    body, _ = select_entries(row["body"], own)
    return ReceiptView(
        id=row["id"],
        state=row["state"],
        reason=row["reason"],
        ig_ids=[ig_id for ig_id in row["ig_ids"] if ig_id in own],
        attempts=row["attempts"],
        received_at=row["received_at"],
        processed_at=row["processed_at"],
        body=body.decode("utf-8", "replace"),
    )


@get("/webhooks/receipts", guards=[require_role("admin")])
async def list_receipts(
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
    # `state` is a reserved parameter name in Litestar, hence the alias.
    receipt_state: Annotated[
        State | None, QueryParameter(name="state", description="e.g. quarantined")
    ] = None,
    cursor: FromQuery[str | None] = None,
    limit: FromQuery[int] = DEFAULT_LIMIT,
) -> ReceiptPage:
    check_limit(limit)
    before = decode_cursor(cursor)
    own = await workspace_ig_ids(runtime.engine.pool, principal.workspace_id)
    rows = await receipts_naming(sorted(own), receipt_state, before, limit + 1)
    items, next_cursor = page(
        [_view(row, own) for row in rows], limit, lambda receipt: (receipt.received_at, receipt.id)
    )
    return ReceiptPage(items=items, next_cursor=next_cursor)


@post("/webhooks/receipts/{receipt_id:int}/replay", guards=[require_role("admin")], status_code=202)
async def replay_receipt(
    receipt_id: FromPath[DbId],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
    webhooks: NamedDependency[WebhookPipeline],
) -> dict[str, object]:
    """Queue the receipt for processing again (idempotent: stored items are not doubled).
    A receipt that also names other workspaces' accounts is not replayed whole: this
    workspace's entries become a receipt of their own, whose id the answer gives."""
    async with unit_of_work(runtime, principal.actor()) as uow:
        queued = await do_replay_receipt(uow, receipt_id, workspace_id=principal.workspace_id)
    webhooks.processor.wake()
    return {"id": queued, "state": "pending"}


receipts_router = Router(
    path="/api/v1", route_handlers=[list_receipts, replay_receipt], tags=["webhooks"]
)
