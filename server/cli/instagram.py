"""`wazify instagram add`: register a connected account without calling Meta.
`wazify instagram resync`: fetch what Meta has that the webhooks may have missed."""

from __future__ import annotations

import argparse
import sys

from wazify.actions.accounts import do_register_account
from wazify.actions.uow import unit_of_work
from wazify.cli.admin import workspace_id_for
from wazify.cli.common import CLI_ACTOR, CliError, run_with_runtime
from wazify.cli.resync import follow_jobs, queue_resyncs
from wazify.meta.graph_client import is_token_text
from wazify.runtime import Runtime


def register(verbs: argparse._SubParsersAction) -> None:
    instagram = verbs.add_parser("instagram", help="connected Instagram accounts")
    iverbs = instagram.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = iverbs.add_parser(
        "add",
        help="register a connected account without calling Meta (manual setups, tests, demos)",
    )
    add.add_argument("--workspace", required=True, metavar="SLUG")
    add.add_argument("--ig-id", required=True, help="the professional account's IGID (digits)")
    add.add_argument("--username", required=True, help="its Instagram username")
    add.add_argument(
        "--token-stdin",
        action="store_true",
        help="read its long-lived access token from standard input (stored encrypted)",
    )
    add.set_defaults(run=instagram_add)
    resync = iverbs.add_parser(
        "resync",
        help="fetch recent conversations from Meta's Conversations API and apply what is"
        " missing (after a webhook outage); see docs/history.md",
    )
    resync.add_argument("--workspace", metavar="SLUG", help="only this workspace's accounts")
    resync.add_argument("--account", type=int, metavar="ID", help="only this account (its id)")
    resync.add_argument(
        "--days",
        type=int,
        help="how many days back (default: from each account's last webhook or resync)",
    )
    resync.add_argument(
        "--no-wait", action="store_true", help="queue the resyncs and return (a server runs them)"
    )
    resync.set_defaults(run=instagram_resync)


def instagram_add(args: argparse.Namespace) -> None:
    token = None
    if args.token_stdin:
        token = sys.stdin.readline().strip()
        if not token:
            raise CliError("--token-stdin given but standard input held no token")
        if not is_token_text(token):
            raise CliError("the token must be one word of ASCII letters, digits and symbols")

    async def work(runtime: Runtime) -> None:
        workspace_id = await workspace_id_for(runtime, args.workspace)
        async with unit_of_work(runtime, CLI_ACTOR) as uow:
            account = await do_register_account(
                uow, workspace_id, ig_id=args.ig_id, username=args.username, token=token
            )
        stored = "with its token (encrypted)" if token else "without a token"
        print(f"registered @{account.username} ({account.ig_id}) in {args.workspace}, {stored}")

    run_with_runtime(work)


def instagram_resync(args: argparse.Namespace) -> int:
    if args.days is not None and args.days < 1:
        raise CliError("--days must be at least 1")

    async def work(runtime: Runtime) -> int:
        workspace_id = await workspace_id_for(runtime, args.workspace) if args.workspace else None
        jobs = await queue_resyncs(runtime, workspace_id, args.account, args.days)
        for job, username in jobs:
            print(f"@{username}: resync #{job.id} queued, from {job.since:%Y-%m-%d %H:%M} UTC")
        if args.no_wait:
            return 0
        finished = await follow_jobs(runtime, {job.id: name for job, name in jobs})
        return 0 if all(view.state == "done" for view in finished) else 1

    return run_with_runtime(work)
