"""`wazify worker`: the sender worker (replies out) as a process of its own.

Run it beside servers started with WAZIFY_SEND_WORKER=0 (or as more senders: claims never
collide). It needs the servers' database (DATABASE_URL) and, for its events to reach the
agents at once rather than at the next heartbeat, their REDIS_URL. Each sender process
keeps Meta's per-account rate on its own: run one per deployment to keep the limit exact.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from wazify.cli.common import cli_runtime, resolved_settings
from wazify.lib.logs import configure_logging
from wazify.settings import Settings
from wazify.workers.outbound import Outbound


def register(verbs: argparse._SubParsersAction) -> None:
    worker = verbs.add_parser(
        "worker",
        help="run the sender worker (replies out) without the HTTP server",
        description="Claim pending replies and send them through Meta's Send API until"
        " stopped (SIGTERM or Ctrl-C); replies in flight finish first.",
    )
    worker.set_defaults(run=worker_command)


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    async with cli_runtime(settings) as runtime:
        outbound = Outbound.create(runtime, settings, run_worker=True)
        outbound.start()
        print("Wazify sender worker running", flush=True)
        try:
            await stop.wait()
        finally:
            await outbound.stop()


def worker_command(args: argparse.Namespace) -> None:
    settings = resolved_settings()
    configure_logging(settings.log_level, settings.log_format)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await run_worker(settings, stop)

    asyncio.run(main())
