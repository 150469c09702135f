"""Real services for tests: databases on a Postgres server, private Redis servers."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import redis


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at another database (query string kept)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def create_database(admin_url: str, name: str) -> str:
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return with_database(admin_url, name)


async def drop_database(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def embedded_admin_url(folder: str) -> Iterator[str]:
    """Start an embedded PostgreSQL (pgserver) for the test run; stop it afterwards."""
    import pgserver

    server = pgserver.get_server(folder, cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        with contextlib.suppress(Exception):
            server.cleanup()


@dataclass
class RestartablePostgres:
    """A PostgreSQL of a test's own (pgserver's binaries) on a TCP port of its own, which the
    test stops and starts again on the same data directory and port: a database restart as
    the app sees it (refused connections, then its pooled connections gone stale)."""

    folder: Path
    port: int
    system_user: str | None  # pgserver runs postgres as its own user when we are root

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        from pgserver._commands import pg_ctl

        options = f'-h 127.0.0.1 -p {self.port} -k ""'  # TCP only, no Unix socket
        log = str(self.folder / "log")
        pg_ctl(["-w", "-o", options, "-l", log, "start"], pgdata=self.folder, user=self.system_user)

    def stop(self) -> None:
        """A fast shutdown, as a restart does: sessions are ended, new ones refused."""
        from pgserver._commands import pg_ctl

        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.folder, user=self.system_user)


def restartable_postgres(folder: str) -> RestartablePostgres:
    """Initialise a data directory (pgserver does, and starts it on a Unix socket), then
    serve it on a spare TCP port instead; the caller stops it."""
    import pgserver

    server = pgserver.get_server(folder, cleanup_mode=None)
    postgres = RestartablePostgres(Path(folder), free_port(), server.system_user)
    postgres.stop()
    postgres.start()
    return postgres


@dataclass
class RedisServer:
    """A Redis the tests may use; a private one (process set) may be stopped and restarted."""

    url: str
    process: subprocess.Popen | None
    port: int = 0
    folder: str = ""
    args: list[str] = field(default_factory=list)

    def ping(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def start(self) -> None:
        self.process = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, cwd=self.folder)
        deadline = time.monotonic() + 10
        while not self.ping():
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)


def start_private_redis() -> RedisServer | None:
    """A redis-server of our own on a spare port, or None when the binary is missing."""
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    port = free_port()
    folder = tempfile.mkdtemp(prefix="wazify-redis-")
    args = [
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        folder,
    ]
    server = RedisServer(
        url=f"redis://127.0.0.1:{port}/0", process=None, port=port, folder=folder, args=args
    )
    server.start()
    return server
