"""`wazify webhooks ...`: the operator's view of raw receipts, including those that name no
connected account (which no workspace admin can see)."""

from __future__ import annotations

import argparse

from wazify.actions.receipts import do_replay_receipt
from wazify.actions.uow import unit_of_work
from wazify.cli.common import CLI_ACTOR, run_with_runtime
from wazify.db.tables import WebhookReceipt
from wazify.runtime import Runtime


def register(verbs: argparse._SubParsersAction) -> None:
    webhooks = verbs.add_parser("webhooks", help="raw webhook receipts (quarantined, replay)")
    wverbs = webhooks.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = wverbs.add_parser("list", help="list receipts, newest first")
    listing.add_argument(
        "--state", default="quarantined", choices=["pending", "processed", "quarantined", "ignored"]
    )
    listing.add_argument("--limit", type=int, default=50)
    listing.set_defaults(run=webhooks_list)
    replay = wverbs.add_parser("replay", help="process a receipt again (after a fix)")
    replay.add_argument("receipt_id", type=int)
    replay.set_defaults(run=webhooks_replay)


def webhooks_list(args: argparse.Namespace) -> None:
    async def work(runtime: Runtime) -> None:
        rows = (
            await WebhookReceipt.select(
                WebhookReceipt.id,
                WebhookReceipt.received_at,
                WebhookReceipt.ig_ids,
                WebhookReceipt.reason,
            )
            .where(WebhookReceipt.state == args.state)
            .order_by(WebhookReceipt.id, ascending=False)
            .limit(args.limit)
        )
        for row in rows:
            accounts = ",".join(row["ig_ids"]) or "-"
            print(
                f"{row['id']}\t{row['received_at']:%Y-%m-%d %H:%M:%S}\t{accounts}\t{row['reason']}"
            )

    run_with_runtime(work)


def webhooks_replay(args: argparse.Namespace) -> None:
    async def work(runtime: Runtime) -> None:
        async with unit_of_work(runtime, CLI_ACTOR) as uow:
            await do_replay_receipt(uow, args.receipt_id, workspace_id=None)
        print(f"receipt {args.receipt_id} is pending again; a running server processes it")

    run_with_runtime(work)
