"""`wazify metrics rebuild`: derive every report fact again from history.

Marks every conversation (of one workspace, with --workspace) stale and derives them all,
a batch per transaction, as the reports worker would: the figures that follow are the
ones the incremental upkeep gives (tests/reports compares them). Safe while servers run:
each conversation's facts are replaced in one transaction.
"""

from __future__ import annotations

import argparse

from wazify.actions.report_facts import do_mark_all_stale
from wazify.actions.uow import Actor, unit_of_work
from wazify.cli.admin import workspace_id_for
from wazify.cli.common import run_with_runtime
from wazify.runtime import Runtime
from wazify.workers.reports import refresh_stale

ACTOR = Actor.system("cli: metrics rebuild")


def register(verbs: argparse._SubParsersAction) -> None:
    metrics = verbs.add_parser("metrics", help="report figures (response times, volumes)")
    mverbs = metrics.add_subparsers(dest="action", required=True, metavar="ACTION")
    rebuild = mverbs.add_parser("rebuild", help="derive every report fact again from history")
    rebuild.add_argument("--workspace", metavar="SLUG", help="only this workspace")
    rebuild.set_defaults(run=metrics_rebuild)


def metrics_rebuild(args: argparse.Namespace) -> None:
    async def work(runtime: Runtime) -> None:
        workspace_id = await workspace_id_for(runtime, args.workspace) if args.workspace else None
        async with unit_of_work(runtime, ACTOR) as uow:
            await do_mark_all_stale(uow, workspace_id)
        done = await refresh_stale(runtime, workspace_id)
        print(f"report facts derived again for {done} conversation(s)")

    run_with_runtime(work)
