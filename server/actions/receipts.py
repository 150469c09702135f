"""Process committed webhook receipts: decode, route to accounts, apply, record the outcome.

Content never fails a receipt: a body that is not JSON or names an account we do not know
is quarantined with the reason (admins replay it after a fix), and the App Dashboard's
Test button, other objects and comment notifications are ignored with the reason.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from wazify.accounts.queries import workspace_ig_ids
from wazify.actions.inbound import AccountRef, do_apply_inbound
from wazify.actions.uow import UnitOfWork
from wazify.lib.errors import NotFound
from wazify.meta.events import InboundMessage, NormalizedItem
from wazify.meta.media_urls import HTTPS_ONLY, MediaUrlPolicy, media_url_policy
from wazify.meta.normalize import classify_body, normalize
from wazify.meta.payloads import MalformedWebhook, decode_webhook, select_entries

IGNORED_REASONS = {
    "unknown_object": "not an Instagram notification (object {object!r})",
    "dashboard_test": "App Dashboard test notification (fake ids)",
    "no_events": "no direct-message events (comments or mentions are not handled)",
}


@dataclass
class ReceiptOutcome:
    state: str = "processed"
    reason: str = ""
    ig_ids: set[str] = field(default_factory=set)
    items: list[NormalizedItem] = field(default_factory=list)


@dataclass
class BatchOutcome:
    new_contact_ids: list[int] = field(default_factory=list)
    states: dict[int, str] = field(default_factory=dict)


def entry_ids(body: bytes) -> list[str]:
    """The Instagram accounts a body's entries name (none when it cannot be decoded): what
    a receipt's `ig_ids` hold, by which each workspace finds its own receipts."""
    try:
        decoded = decode_webhook(body)
    except MalformedWebhook:
        return []
    return sorted({entry.id for entry in decoded.entry if entry.id})


def read_receipt(body: bytes, urls: MediaUrlPolicy = HTTPS_ONLY) -> ReceiptOutcome:
    """What a body holds, before knowing which accounts exist (media URLs `urls` refuses
    dropped)."""
    try:
        decoded = decode_webhook(body)
    except MalformedWebhook as error:
        return ReceiptOutcome(state="quarantined", reason=f"malformed: {error}"[:500])
    ig_ids = {entry.id for entry in decoded.entry if entry.id}
    kind = classify_body(decoded)
    if kind != "ok":
        reason = IGNORED_REASONS[kind].format(object=decoded.object)
        return ReceiptOutcome(state="ignored", reason=reason, ig_ids=ig_ids)
    # A self-messaging test is the business writing to itself: never a customer.
    items = [
        item
        for item in normalize(decoded, urls)
        if not (isinstance(item, InboundMessage) and item.is_self)
    ]
    ig_ids |= {item.account_ig_id for item in items}
    return ReceiptOutcome(ig_ids=ig_ids, items=items)


async def _accounts(uow: UnitOfWork, ig_ids: set[str]) -> dict[str, AccountRef]:
    rows = await uow.conn.fetch(
        "SELECT id, workspace_id, ig_id FROM ig_accounts WHERE ig_id = ANY($1::text[])",
        sorted(ig_ids),
    )
    return {row["ig_id"]: AccountRef(row["id"], row["workspace_id"], row["ig_id"]) for row in rows}


async def do_process_receipts(uow: UnitOfWork, receipts: list[tuple[int, bytes]]) -> BatchOutcome:
    settings = uow.runtime.settings
    urls = media_url_policy(settings.meta_graph_url, settings.public_url)
    outcomes = {receipt_id: read_receipt(body, urls) for receipt_id, body in receipts}
    accounts = await _accounts(uow, set().union(*(o.ig_ids for o in outcomes.values())))
    routed: list[tuple[NormalizedItem, AccountRef]] = []
    for outcome in outcomes.values():
        unknown = sorted({item.account_ig_id for item in outcome.items} - set(accounts))
        routed.extend(
            (i, accounts[i.account_ig_id]) for i in outcome.items if i.account_ig_id in accounts
        )
        if unknown:
            # Known accounts' items are applied; replaying after the fix is harmless (by mid).
            outcome.state = "quarantined"
            outcome.reason = "unknown Instagram account(s): " + ", ".join(unknown)
    result = await do_apply_inbound(uow, routed)
    ordered = sorted(outcomes.items())
    await uow.conn.execute(
        "UPDATE webhook_receipts r SET state = u.state, reason = u.reason,"
        " ig_ids = string_to_array(u.ig_ids, ','), attempts = r.attempts + 1, processed_at = now()"
        " FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[])"
        "      AS u(id, state, reason, ig_ids)"
        " WHERE r.id = u.id",
        [receipt_id for receipt_id, _ in ordered],
        [outcome.state for _, outcome in ordered],
        [outcome.reason for _, outcome in ordered],
        [",".join(sorted(outcome.ig_ids)) for _, outcome in ordered],
    )
    touched = sorted({account.id for _, account in routed})
    if touched:
        await uow.conn.execute(
            "UPDATE ig_accounts SET last_webhook_at = now() WHERE id = ANY($1::bigint[])", touched
        )
    return BatchOutcome(
        new_contact_ids=result.new_contact_ids,
        states={receipt_id: outcome.state for receipt_id, outcome in ordered},
    )


async def do_replay_receipt(uow: UnitOfWork, receipt_id: int, *, workspace_id: int | None) -> int:
    """Set a processed, ignored or quarantined receipt pending again; return the id of the
    receipt queued. Without a workspace (the operator), any receipt, whole. With one, only
    a receipt naming one of its accounts (another's is a 404), and only its own entries: a
    receipt that names other workspaces' accounts too keeps them, losing this workspace's
    ids, and this workspace's entries are queued as a receipt of their own."""
    own = await workspace_ig_ids(uow.conn, workspace_id) if workspace_id is not None else None
    row = await uow.conn.fetchrow(
        "SELECT state, ig_ids, body FROM webhook_receipts WHERE id = $1"
        " AND ($2::text[] IS NULL OR ig_ids && $2) FOR UPDATE",
        receipt_id,
        sorted(own) if own is not None else None,
    )
    if row is None:
        raise NotFound(f"no webhook receipt {receipt_id} for this workspace's accounts")
    if row["state"] == "pending":
        return receipt_id
    queued = receipt_id
    part, partial = select_entries(row["body"], own) if own is not None else (b"", False)
    if own is not None and partial:
        queued = await _split_off(uow, receipt_id, part, own & set(row["ig_ids"]))
    else:
        await uow.conn.execute(
            "UPDATE webhook_receipts SET state = 'pending', reason = '' WHERE id = $1", receipt_id
        )
    uow.audit(
        "webhook.replayed",
        workspace_id,
        "webhook_receipt",
        receipt_id,
        before={"state": row["state"]},
        after={"state": "pending", "receipt_id": queued},
    )
    return queued


async def _split_off(uow: UnitOfWork, receipt_id: int, part: bytes, ig_ids: set[str]) -> int:
    """Queue `part` (some entries of the receipt) as a receipt of its own, and take its
    accounts off the original, which stays as it was for the other workspaces."""
    queued = await uow.conn.fetchval(
        "INSERT INTO webhook_receipts (body, body_sha256, ig_ids) VALUES ($1, $2, $3)"
        " ON CONFLICT (body_sha256) DO UPDATE SET state = 'pending', reason = '' RETURNING id",
        part,
        hashlib.sha256(part).digest(),
        sorted(ig_ids),
    )
    await uow.conn.execute(
        "UPDATE webhook_receipts SET ig_ids = ARRAY(SELECT i FROM unnest(ig_ids) AS i"
        " WHERE i <> ALL ($2::text[])) WHERE id = $1",
        receipt_id,
        sorted(ig_ids),
    )
    return queued
