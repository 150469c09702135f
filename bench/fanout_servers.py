"""The two servers the fan-out benchmark compares, each started as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import asyncpg

from bench.ingest import SECRET, Server
from bench.support import HttpPoster, free_port
from wazify.fakemeta.webhooks import ACCOUNT, body, encode_body, entry, signed, text_message

SHARED = Path(__file__).resolve().parents[2] / "shared" / "bench"
EMAIL, PASSWORD = "bench@wazify.local", "bench password 123"
ANCHOR_MS = 4102444800000  # 2100-01-01: newer than every bench message, so it stays last
CONTACT = "7000000000000001"


class ProjectServer(Server):
    """`wazify serve` pinned to CPU 0, with an agent to sign in as and a pinned anchor."""

    workspace_id = 0
    installation = ""

    def __init__(self) -> None:
        super().__init__(
            os.environ.get(
                "WAZIFY_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
            ),
            os.environ.get("WAZIFY_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
        )

    def env(self) -> dict[str, str]:
        return {**super().env(), "WAZIFY_PUBLIC_URL": f"http://127.0.0.1:{self.port}"}

    @property
    def pid(self) -> int:
        return self.process.pid

    async def start(self) -> None:
        await super().start()
        cli = [sys.executable, "-m", "wazify.cli"]
        subprocess.run(
            [*cli, "user", "create", "--workspace", "main", "--email", EMAIL, "--role", "agent"],
            input=PASSWORD + "\n",
            text=True,
            env=self.env(),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        connection = await asyncpg.connect(self.dsn)
        self.workspace_id = await connection.fetchval(
            "SELECT id FROM workspaces WHERE slug = 'main'"
        )
        self.installation = await connection.fetchval("SELECT id FROM installation")
        await connection.close()
        poster = HttpPoster("127.0.0.1", self.port, "/webhooks/instagram", 1)
        anchor = text_message(ACCOUNT, CONTACT, "anchor", mid="bench-anchor", ts_ms=ANCHOR_MS)
        raw = encode_body(body([entry(ACCOUNT, [anchor])]))
        await poster.post(raw, signed(raw, SECRET))
        await poster.close()

    def launch(self, command: list[str], env: dict[str, str]) -> subprocess.Popen:
        return subprocess.Popen(
            ["taskset", "-c", "0", *command], env=env, stdout=subprocess.DEVNULL
        )

    def adapter_env(self, trigger: str) -> dict[str, str]:
        return {
            "WAZIFY_BENCH_URL": f"http://127.0.0.1:{self.port}",
            "WAZIFY_BENCH_EMAIL": EMAIL,
            "WAZIFY_BENCH_PASSWORD": PASSWORD,
            "WAZIFY_BENCH_SECRET": SECRET,
            "WAZIFY_BENCH_TRIGGER": trigger,
            "WAZIFY_BENCH_REDIS_URL": self.redis_url,
            "WAZIFY_BENCH_WORKSPACE_ID": str(self.workspace_id),
            "WAZIFY_BENCH_NAMESPACE": self.installation,
        }


class FloorServer:
    """../shared/bench/floor_app.py under uvicorn, as its README says, pinned to CPU 0."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "taskset",
                "-c",
                "0",
                sys.executable,
                "-m",
                "uvicorn",
                "floor_app:app",
                "--app-dir",
                str(SHARED),
                "--port",
                str(self.port),
                "--ws",
                "websockets-sansio",
                "--loop",
                "uvloop",
                "--http",
                "httptools",
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            env=dict(os.environ),
        )
        time.sleep(1.5)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
