"""`wazify instagram add`: register a connected account without calling Meta."""

from __future__ import annotations

import argparse
import sys

from wazify.actions.accounts import do_register_account
from wazify.actions.uow import unit_of_work
from wazify.cli.admin import workspace_id_for
from wazify.cli.common import CLI_ACTOR, CliError, run_with_runtime
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
