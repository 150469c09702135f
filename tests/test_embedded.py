"""`wazify serve` as a new user runs it: no DATABASE_URL, no keys, a fresh data folder.

The embedded PostgreSQL (pgserver) starts in WAZIFY_DATA_DIR/postgres, the first start
creates a workspace and an admin and prints the login once, and a restart keeps the data,
prints no password and keeps the token key file. Slow (initdb, two server starts), but it
is the path every first-time user takes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.support.services import free_port
from wazify.lib.crypto import TokenCipher, parse_keys
from wazify.lib.passwords import verify_password

START_SECONDS = 60
STOP_SECONDS = 30
CLEARED = ("DATABASE_URL", "REDIS_URL", "WAZIFY_TOKEN_KEYS", "WAZIFY_HOST", "WAZIFY_PUBLIC_URL")


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    stdout: Path
    stderr: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.stdout.read_text() + "\n--- stderr ---\n" + self.stderr.read_text()

    def wait_until_healthy(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"wazify serve exited with {self.process.returncode}:\n{self.output()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.25)
        pytest.fail(f"/healthz did not answer within {START_SECONDS} s:\n{self.output()}")

    def stop(self, sig: signal.Signals) -> int:
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"wazify serve ignored {sig.name} for {STOP_SECONDS} s:\n{self.output()}")


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # pgserver, run as root, makes every parent of the folder world-readable and runs
    # postgres as its own system user: a folder of our own directly under /tmp.
    folder = Path(tempfile.mkdtemp(prefix="wazify-embedded-", dir="/tmp"))
    try:
        yield folder / "data"
    finally:
        stop_leftover_postgres(folder / "data" / "postgres")
        shutil.rmtree(folder, ignore_errors=True)


def postmaster_pid(pgdata: Path) -> int | None:
    try:
        return int((pgdata / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None


def stop_leftover_postgres(pgdata: Path) -> None:
    """Stop the embedded postgres if a failed test left it running (fast shutdown)."""
    pid = postmaster_pid(pgdata)
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + 15
    while postmaster_pid(pgdata) is not None and time.monotonic() < deadline:
        time.sleep(0.1)


def wazify_command() -> list[str]:
    """The README's `wazify` (the installed script), or the same entry point through -m."""
    script = Path(sys.executable).parent / "wazify"
    return [str(script)] if script.exists() else [sys.executable, "-m", "wazify.cli"]


@contextlib.contextmanager
def serve(data_dir: Path, cwd: Path, label: str) -> Iterator[Server]:
    environment = {k: v for k, v in os.environ.items() if k not in CLEARED}
    port = free_port()
    environment |= {"WAZIFY_DATA_DIR": str(data_dir), "WAZIFY_PORT": str(port)}
    with serve_process(environment, port, cwd, label) as server:
        yield server


@contextlib.contextmanager
def serve_process(
    environment: dict[str, str], port: int, cwd: Path, label: str
) -> Iterator[Server]:
    """`wazify serve` in `environment` (listening on `port`), its output in cwd/label.out|err;
    killed on exit if still running."""
    stdout, stderr = cwd / f"{label}.out", cwd / f"{label}.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [*wazify_command(), "serve"],
            cwd=cwd,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )
    server = Server(process, port, stdout, stderr)
    try:
        yield server
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


async def admin_rows(data_dir: Path) -> list[asyncpg.Record]:
    url = f"postgresql://postgres:@/wazify?host={data_dir / 'postgres'}"
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetch(
            "SELECT u.id, u.email, u.password_hash, m.role, m.active, w.slug"
            " FROM users u JOIN memberships m ON m.user_id = u.id"
            " JOIN workspaces w ON w.id = m.workspace_id ORDER BY u.id"
        )
    finally:
        await connection.close()


def test_serve_embedded_first_start_and_restart(data_dir: Path, tmp_path: Path) -> None:
    cwd = tmp_path / "cwd"  # no .env here
    cwd.mkdir()
    pgdata = data_dir / "postgres"

    # First start.
    with serve(data_dir, cwd, "first") as server:
        server.wait_until_healthy()
        ready = httpx.get(f"{server.base_url}/readyz", timeout=5)
        assert ready.status_code == 200, ready.text
        assert ready.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}
        schema = httpx.get(f"{server.base_url}/schema/openapi.json", timeout=5)
        assert schema.status_code == 200
        assert schema.json()["openapi"].startswith("3.1")
        missing = httpx.get(f"{server.base_url}/no/such/thing", timeout=5)
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "not_found"

        printed = server.stdout.read_text()
        assert "First start: created workspace 'main' and its admin." in printed
        assert re.search(r"^  email:    admin@wazify\.local$", printed, re.MULTILINE), printed
        match = re.search(r"^  password: (\S+)$", printed, re.MULTILINE)
        assert match, printed
        password = match.group(1)
        assert printed.count(password) == 1
        assert password not in server.stderr.read_text()

        rows = asyncio.run(admin_rows(data_dir))
        assert [(r["email"], r["role"], r["active"], r["slug"]) for r in rows] == [
            ("admin@wazify.local", "admin", True, "main")
        ]
        (admin,) = rows
        assert admin["password_hash"].startswith("$argon2id$")
        assert verify_password(password, admin["password_hash"])
        assert password not in admin["password_hash"]

        keys_file = data_dir / "token_keys"
        key_text = keys_file.read_text()
        (key,) = parse_keys(key_text)
        TokenCipher([key])
        assert oct(keys_file.stat().st_mode & 0o777) == oct(0o600)

        # SIGTERM (docker stop, systemd): a clean exit that also stops the embedded postgres.
        code = server.stop(signal.SIGTERM)
    assert code == 128 + signal.SIGTERM, server.output()
    assert "Traceback" not in server.stderr.read_text(), server.output()
    assert postmaster_pid(pgdata) is None, "the embedded PostgreSQL was left running"

    # Second start: same data, nothing secret printed again, the same key.
    with serve(data_dir, cwd, "second") as again:
        again.wait_until_healthy()
        assert httpx.get(f"{again.base_url}/readyz", timeout=5).status_code == 200
        rows = asyncio.run(admin_rows(data_dir))
        assert [(r["id"], r["email"], r["password_hash"]) for r in rows] == [
            (admin["id"], admin["email"], admin["password_hash"])
        ]
        printed = again.stdout.read_text()
        assert "password" not in printed.lower(), printed
        assert "First start" not in printed
        assert password not in printed + again.stderr.read_text()
        assert keys_file.read_text() == key_text

        code = again.stop(signal.SIGINT)  # Ctrl+C
    assert code == 0, again.output()
    assert "Traceback" not in again.stderr.read_text(), again.output()
    assert postmaster_pid(pgdata) is None, "the embedded PostgreSQL was left running"
