"""A real `wazify serve` killed (SIGKILL) in the middle of an export, then another one
started: the export completes, and its link downloads it.

The export is held in the middle deterministically: the test locks a table the export
reads late (webhook_receipts), so the first server claims the job, opens its snapshot,
writes its first files and waits on the lock; then it is killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import signal
import sys
import zipfile
from pathlib import Path

import httpx

from tests.exports.conftest import Shop
from tests.support.services import free_port
from wazify.settings import Settings


async def until(check, timeout: float = 60.0):  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not (value := await check()):
            await asyncio.sleep(0.02)
        return value


async def serve(env: dict[str, str], folder: Path, port: int) -> asyncio.subprocess.Process:
    log = (folder / f"serve-{port}.log").open("ab")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wazify.cli", "serve", env=env, cwd=folder, stdout=log, stderr=log
    )

    async def up() -> bool:
        if process.returncode is not None:
            raise RuntimeError((folder / f"serve-{port}.log").read_text()[-3000:])
        async with httpx.AsyncClient() as client:
            with contextlib.suppress(httpx.HTTPError):
                return (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200
        return False

    await until(up)
    return process


async def test_an_export_interrupted_by_a_killed_server_completes_on_the_next(
    db, shop: Shop, settings: Settings, tmp_path: Path
) -> None:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("REDIS")}
    env.update(
        DATABASE_URL=settings.database_url or "",
        WAZIFY_TOKEN_KEYS=",".join(settings.token_keys),
        WAZIFY_EXPORT_DIR=str(tmp_path / "exports"),
        WAZIFY_HOST="127.0.0.1",
        WAZIFY_PORT=str(port),
        WAZIFY_SEND_WORKER="0",
        WAZIFY_LOG_LEVEL="WARNING",
    )
    base = f"http://127.0.0.1:{port}"
    first = await serve(env, tmp_path, port)
    try:
        async with db.transaction():
            await db.execute("LOCK TABLE webhook_receipts IN ACCESS EXCLUSIVE MODE")
            async with httpx.AsyncClient(base_url=base) as client:
                response = await client.post(
                    "/api/v1/exports", json={}, headers={**shop.admin.headers, "Origin": base}
                )
            assert response.status_code == 202, response.text
            export_id = response.json()["id"]

            async def waiting_on_the_lock() -> bool:
                # The server's other workers read webhook_receipts too: a waiter alone does
                # not say the export is the one held, so the job must also be claimed.
                claimed = await db.fetchval(
                    "SELECT status = 'running' FROM export_jobs WHERE id = $1", export_id
                )
                return claimed and await db.fetchval(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted"
                    " AND relation = 'webhook_receipts'::regclass"
                    " AND database = (SELECT oid FROM pg_database"
                    " WHERE datname = current_database())"
                )

            await until(waiting_on_the_lock)
            first.send_signal(signal.SIGKILL)
            await first.wait()
        row = await db.fetchrow("SELECT status, attempts FROM export_jobs WHERE id = $1", export_id)
        assert (row["status"], row["attempts"]) == ("running", 1)
        # The dead server's lease runs out (a minute; here, at once).
        await db.execute("UPDATE export_jobs SET lease_until = now() WHERE id = $1", export_id)
        second = await serve(env, tmp_path, port)
        try:

            async def done() -> bool:
                sql = "SELECT status FROM export_jobs WHERE id = $1"
                return await db.fetchval(sql, export_id) == "done"

            await until(done)
            async with httpx.AsyncClient(base_url=base) as client:
                job = (
                    await client.get(f"/api/v1/exports/{export_id}", headers=shop.admin.headers)
                ).json()
                download = await client.get(job["download_path"])
            assert download.status_code == 200
            with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
                manifest = json.loads(archive.read("manifest.json"))
            assert manifest["export_id"] == export_id
            assert job["status"] == "done" and job["rows_done"] == job["rows_total"] > 0
            attempts = await db.fetchval(
                "SELECT attempts FROM export_jobs WHERE id = $1", export_id
            )
            assert attempts == 2
        finally:
            second.send_signal(signal.SIGTERM)
            await second.wait()
    finally:
        if first.returncode is None:
            first.kill()
            await first.wait()
