"""`wazify serve` and `wazify migrate`."""

from __future__ import annotations

import argparse
import asyncio
import errno
import os
import signal
import socket
from types import FrameType

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from wazify.actions.installation import do_first_start
from wazify.actions.uow import unit_of_work
from wazify.app import create_app
from wazify.cli.common import (
    CLI_ACTOR,
    CliError,
    check_database,
    cli_runtime,
    migrate,
    resolved_settings,
)
from wazify.db.migrate import MigrationRun, migration_modules
from wazify.lib.gc_tuning import tune_garbage_collector
from wazify.lib.logs import configure_logging
from wazify.ops.exposition import shared_metrics_for
from wazify.realtime.keepalive import ResumableWebSocketProtocol
from wazify.settings import Settings, load_settings


def server_options(settings: Settings) -> dict[str, object]:
    """uvicorn's options for every way the app is served (serve, workers, demo).

    Measured (bench/fanout.py, the issue 7 note): uvicorn's sans-I/O websockets on uvloop
    sends frames several times cheaper than its default websockets implementation, and
    without per-message deflate each socket skips a zlib compressor and decompressor (about
    250 kB of state when a browser negotiates it) for frames that are small JSON anyway.
    The keepalive ping finds agents that stopped reading (see realtime/keepalive.py).
    """
    return {
        "loop": "uvloop",
        "http": "httptools",
        "ws": ResumableWebSocketProtocol,
        "ws_per_message_deflate": False,
        "ws_ping_interval": settings.realtime_ping_seconds,
        "ws_ping_timeout": settings.realtime_pong_timeout_seconds,
    }


def register(verbs: argparse._SubParsersAction) -> None:
    serve = verbs.add_parser(
        "serve",
        help="run the server (an embedded PostgreSQL when DATABASE_URL is unset)",
        description="Run the HTTP and websocket server. Without DATABASE_URL an embedded"
        " PostgreSQL keeps its data in WAZIFY_DATA_DIR; without REDIS_URL events fan out"
        " in-process, which allows a single worker only.",
    )
    serve.add_argument("--host", help="address to listen on (default WAZIFY_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default WAZIFY_PORT or 8000)")
    serve.add_argument(
        "--workers", type=int, default=1, help="server processes (above 1 needs REDIS_URL)"
    )
    serve.set_defaults(run=serve_command)
    migrate = verbs.add_parser("migrate", help="apply database migrations and exit")
    migrate.set_defaults(run=migrate_command)


def check_workers(settings: Settings, workers: int) -> None:
    if workers < 1:
        raise CliError("--workers must be at least 1")
    if workers > 1 and not settings.redis_url:
        raise CliError(
            f"--workers {workers} needs REDIS_URL: without Redis, events fan out inside one"
            " process and the other workers' agents would miss them"
        )


async def prepare(settings: Settings) -> None:
    """Migrate and, on the very first start, create the first workspace and admin."""
    async with cli_runtime(settings) as runtime, unit_of_work(runtime, CLI_ACTOR) as uow:
        first = await do_first_start(uow)
    if first is not None:
        print(
            "\nFirst start: created workspace "
            f"'{first.workspace_slug}' and its admin.\n"
            f"  Log in at {settings.public_url}\n"
            f"  email:    {first.email}\n"
            f"  password: {first.password}\n"
            "This password is shown only once; change it after logging in (click your name\n"
            "at the top right).\n",
            flush=True,
        )


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def listen_socket(host: str, port: int) -> socket.socket:
    """The server's socket, bound before anything is printed: a port in use is one clear
    line and exit status 1, not a "listening" line followed by uvicorn's failure. Bound as
    uvicorn binds (SO_REUSEADDR), then handed to it, so nothing can take the port between
    this check and the start."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise CliError(
                f"port {port} on {host} is already in use: stop what listens there or choose"
                " another port (--port or WAZIFY_PORT)"
            ) from None
        raise CliError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    sock.set_inheritable(True)  # worker processes inherit it
    return sock


def serve_command(args: argparse.Namespace) -> None:
    # uvicorn shuts down on SIGTERM, then raises the signal again; with the default handler
    # that kills the process before atexit runs, and pgserver's atexit hook is what stops
    # the embedded PostgreSQL (which would otherwise keep running, orphaned). Exiting
    # normally instead lets it stop.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    plain = load_settings()
    check_workers(plain, args.workers)
    log_config = configure_logging(plain.log_level, plain.log_format)
    settings = resolved_settings()
    host = args.host or settings.host
    port = args.port or settings.port
    sock = listen_socket(host, port)
    asyncio.run(prepare(settings))
    print(f"Wazify listening on http://{host}:{port}", flush=True)
    options = {
        "host": host,
        "port": port,
        "proxy_headers": True,
        "log_level": settings.log_level.lower(),
        # uvicorn applies it in each worker process too: one format everywhere.
        "log_config": log_config,
        "access_log": False,
        **server_options(settings),
    }
    try:
        if args.workers == 1:
            _serve_one(uvicorn.Config(create_app(settings), **options), sock)
            return
        # Worker processes build their settings from the environment: hand them the resolved
        # database and keys (the embedded server stays owned by this process).
        os.environ["DATABASE_URL"] = settings.database_url or ""
        os.environ["WAZIFY_TOKEN_KEYS"] = ",".join(settings.token_keys)
        factory = "wazify.app:create_app_from_environment"
        config = uvicorn.Config(factory, factory=True, workers=args.workers, **options)
        with shared_metrics_for(args.workers):  # one /metrics over all workers
            Multiprocess(config, sockets=[sock]).run()
    except KeyboardInterrupt:
        pass  # Ctrl-C: uvicorn has shut down already


def _serve_one(config: uvicorn.Config, sock: socket.socket) -> None:
    tune_garbage_collector()
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    if not server.started:
        raise SystemExit(STARTUP_FAILURE)  # the app's start-up failed (uvicorn logged why)


def migrate_command(args: argparse.Namespace) -> None:
    settings = resolved_settings()

    async def work() -> MigrationRun:
        await check_database(settings.database_url or "")
        return await migrate(settings.database_url or "")

    run = asyncio.run(work())
    if run.adopted:
        print(
            f"recorded {len(run.adopted)} migrations as applied"
            " (an earlier release's SQL migrations had applied them)"
        )
    modules = migration_modules()
    for migration_id in run.applied:
        print(f"applied {migration_id}: {modules[migration_id].DESCRIPTION}")
    if not run.applied:
        print("the database is up to date")
