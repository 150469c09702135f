"""`wazify contact erase` and `wazify deletions ...`: privacy requests from a shell.

The operator erases a contact on a person's request, sees every deletion job (scheduled,
running, done or cancelled, with its progress and last error) and can run the due ones
now instead of waiting for a server's deletion worker.
"""

from __future__ import annotations

import argparse

from wazify.actions.uow import Actor
from wazify.cli.admin import workspace_id_for
from wazify.cli.common import run_with_runtime
from wazify.db.tables import DeletionJob
from wazify.privacy.service import erase_contact
from wazify.runtime import Runtime
from wazify.workers.deletions import DeletionWorker

ERASE_ACTOR = Actor.system("cli: contact erase")

# The progress is jsonb, printed as Postgres writes it (Piccolo selects it as text).
JOB_COLUMNS = (
    DeletionJob.id,
    DeletionJob.kind,
    DeletionJob.state,
    DeletionJob.workspace_id,
    DeletionJob.workspace_slug,
    DeletionJob.account_id,
    DeletionJob.account_username,
    DeletionJob.requested_at,
    DeletionJob.due_at,
    DeletionJob.finished_at,
    DeletionJob.attempts,
    DeletionJob.last_error,
    DeletionJob.progress,
)


def register(verbs: argparse._SubParsersAction) -> None:
    contact = verbs.add_parser("contact", help="a contact's data (erase on request)")
    cverbs = contact.add_subparsers(dest="action", required=True, metavar="ACTION")
    erase = cverbs.add_parser(
        "erase",
        help="erase a contact: conversations, messages, reactions, receipts and logged"
        " events naming them (permanent)",
    )
    erase.add_argument("--workspace", required=True, metavar="SLUG")
    erase.add_argument("--contact", required=True, type=int, metavar="ID")
    erase.set_defaults(run=contact_erase)

    deletions = verbs.add_parser("deletions", help="deletion jobs (workspaces, accounts)")
    dverbs = deletions.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = dverbs.add_parser("list", help="deletion jobs, newest first")
    listing.add_argument("--limit", type=int, default=50)
    listing.set_defaults(run=deletions_list)
    dverbs.add_parser("run-due", help="run the due jobs now, to the end").set_defaults(
        run=deletions_run_due
    )


def contact_erase(args: argparse.Namespace) -> None:
    async def work(runtime: Runtime) -> None:
        workspace_id = await workspace_id_for(runtime, args.workspace)
        result = await erase_contact(runtime, ERASE_ACTOR, workspace_id, args.contact)
        print(
            f"erased contact {result.contact_id} of {args.workspace}:"
            f" {len(result.conversation_ids)} conversation(s), {result.messages} message(s),"
            f" {result.events_redacted} logged event(s) redacted,"
            f" {result.receipts_redacted} raw receipt(s) redacted"
        )

    run_with_runtime(work)


def deletions_list(args: argparse.Namespace) -> None:
    async def work(runtime: Runtime) -> None:
        rows = (
            await DeletionJob.select(*JOB_COLUMNS)
            .order_by(DeletionJob.id, ascending=False)
            .limit(args.limit)
        )
        print("id\tkind\tstate\ttarget\trequested\tdue\tfinished\tattempts\tprogress\terror")
        for row in rows:
            target = f"workspace {row['workspace_slug'] or row['workspace_id']}"
            if row["kind"] == "account":
                target += f" account @{row['account_username'] or row['account_id']}"
            finished = f"{row['finished_at']:%Y-%m-%d %H:%M}" if row["finished_at"] else "-"
            print(
                f"{row['id']}\t{row['kind']}\t{row['state']}\t{target}"
                f"\t{row['requested_at']:%Y-%m-%d %H:%M}\t{row['due_at']:%Y-%m-%d %H:%M}"
                f"\t{finished}\t{row['attempts']}\t{row['progress']}\t{row['last_error'] or '-'}"
            )

    run_with_runtime(work)


def deletions_run_due(args: argparse.Namespace) -> None:
    async def work(runtime: Runtime) -> None:
        finished = await DeletionWorker(runtime).run_due()
        print(f"{finished} deletion job(s) finished")

    run_with_runtime(work)
