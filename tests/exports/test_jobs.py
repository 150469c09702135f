"""Export jobs: they survive restarts (requested before one, stopped in the middle of one,
or left behind by a process that died), report their progress to admins through events,
and their files go when their links expire."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import msgspec
import pytest

from tests.exports.conftest import Shop, read_export, request_export
from tests.support.world import SYSTEM
from wazify.actions.exports import MAX_ATTEMPTS, do_claim_export
from wazify.actions.uow import unit_of_work
from wazify.exports.archive import ArchiveWriter
from wazify.realtime.broker import InProcessBroker
from wazify.runtime import Runtime, open_runtime
from wazify.settings import Settings
from wazify.workers.export_sweeper import ExportSweeper
from wazify.workers.exports import ExportWorker


@asynccontextmanager
async def another_process(settings: Settings, database_url: str) -> AsyncIterator[Runtime]:
    """Another process's runtime: pools and broker of its own, the same database. Opened
    after this process's last write: a runtime binds Piccolo's tables to its engine."""
    other = await open_runtime(
        settings, database_url, settings.token_keys, broker=InProcessBroker()
    )
    try:
        yield other
    finally:
        await other.close()


class HeldWrites:
    """Holds the archive's writes (on its thread) until released: an export caught midway."""

    def __init__(self) -> None:
        self.writing, self.release = threading.Event(), threading.Event()


@pytest.fixture
def held_writes(monkeypatch: pytest.MonkeyPatch) -> HeldWrites:
    held = HeldWrites()
    write_rows = ArchiveWriter.write_rows

    def holding(self: ArchiveWriter, lines: list[str]) -> None:
        held.writing.set()
        held.release.wait(10)
        write_rows(self, lines)

    monkeypatch.setattr(ArchiveWriter, "write_rows", holding)
    return held


async def job(db, export_id: int) -> dict:
    row = await db.fetchrow("SELECT * FROM export_jobs WHERE id = $1", export_id)
    return dict(row)


async def check_complete(db, shop: Shop, export_id: int) -> dict:
    row = await job(db, export_id)
    assert row["status"] == "done", row["status_reason"]
    export = read_export(Path(row["file_path"]))
    assert export.manifest["export_id"] == export_id
    messages = await db.fetchval(
        "SELECT count(*) FROM messages WHERE workspace_id = $1", shop.workspace_id
    )
    assert len(export.files["messages.jsonl"]) == messages > 0
    assert row["rows_done"] == row["rows_total"] == sum(json.loads(row["counts"]).values())
    assert row["file_size"] == os.path.getsize(row["file_path"])  # noqa: ASYNC240
    return row


async def test_a_job_requested_before_a_restart_is_run_by_the_next_process(
    runtime: Runtime, db, shop: Shop, export_settings: Settings, database_url: str
) -> None:
    export_id = await request_export(runtime, shop)  # this process stops before claiming it
    async with another_process(export_settings, database_url) as second:
        worker = ExportWorker(second, export_settings)
        assert await worker.run_once()
        assert not await worker.run_once()  # nothing left
    row = await check_complete(db, shop, export_id)
    assert row["attempts"] == 1
    lifetime = row["expires_at"] - row["finished_at"]
    assert abs(lifetime - timedelta(hours=24)) < timedelta(seconds=1)


async def test_a_job_stopped_midway_is_released_and_the_next_process_finishes_it(
    runtime: Runtime,
    db,
    shop: Shop,
    export_settings: Settings,
    database_url: str,
    held_writes: HeldWrites,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    export_id = await request_export(runtime, shop)
    worker = ExportWorker(runtime, export_settings)
    worker.start()
    assert await asyncio.to_thread(held_writes.writing.wait, 10)  # rows going in: midway
    folder = export_settings.exports_folder
    assert [p.name for p in folder.iterdir()] == [f"{export_id}-1.zip"]
    assert (await job(db, export_id))["status"] == "running"
    stopping = asyncio.create_task(worker.stop())  # the process shuts down
    held_writes.release.set()
    await stopping
    row = await job(db, export_id)
    assert (row["status"], row["lease_until"]) == ("queued", None)
    assert "stopped" in row["status_reason"]
    assert list(folder.iterdir()) == []  # the partial file went with it
    monkeypatch.undo()
    async with another_process(export_settings, database_url) as second:
        assert await ExportWorker(second, export_settings).run_once()
    assert (await check_complete(db, shop, export_id))["attempts"] == 2


async def test_a_job_left_running_by_a_dead_process_is_taken_over_when_its_lease_ends(
    runtime: Runtime, db, shop: Shop, export_settings: Settings, database_url: str
) -> None:
    export_id = await request_export(runtime, shop)
    async with unit_of_work(runtime, SYSTEM) as uow:  # claimed, then the process died
        assert await do_claim_export(uow, timedelta(minutes=1)) is not None
    async with another_process(export_settings, database_url) as second:
        worker = ExportWorker(second, export_settings)
        assert not await worker.run_once()  # its lease still runs
        await db.execute(  # the minute passes
            "UPDATE export_jobs SET lease_until = now() - interval '1 second' WHERE id = $1",
            export_id,
        )
        assert await worker.run_once()
    assert (await check_complete(db, shop, export_id))["attempts"] == 2


async def test_a_process_that_lost_its_claim_stops_and_leaves_the_job_to_the_winner(
    runtime: Runtime, db, shop: Shop, export_settings: Settings, held_writes: HeldWrites
) -> None:
    export_id = await request_export(runtime, shop)
    worker = ExportWorker(runtime, export_settings, progress_seconds=0.05)
    running = asyncio.create_task(worker.run_once())
    assert await asyncio.to_thread(held_writes.writing.wait, 10)
    # This process stalled past its lease and another one claimed the job (attempt 2).
    await db.execute("UPDATE export_jobs SET attempts = 2 WHERE id = $1", export_id)
    await asyncio.sleep(0.3)  # its heartbeats (every 0.05 s) find the claim lost
    held_writes.release.set()  # (the write in flight ends before the file can go)
    assert await running
    row = await job(db, export_id)
    assert (row["status"], row["attempts"], row["file_path"]) == ("running", 2, None)
    assert list(export_settings.exports_folder.iterdir()) == []


async def test_a_claim_found_lost_as_the_export_ends_leaves_no_file(
    runtime: Runtime, db, shop: Shop, export_settings: Settings
) -> None:
    """The race: the heartbeat finds the claim lost while the export writes its last bytes."""

    class Late(ExportWorker):
        async def _lost(self, claim, export, progress) -> bool:  # type: ignore[no-untyped-def]
            await asyncio.wait([export])
            return True

    await request_export(runtime, shop)
    assert await Late(runtime, export_settings).run_once()
    assert list(export_settings.exports_folder.iterdir()) == []


async def test_a_job_that_keeps_dying_fails_with_the_reason(
    runtime: Runtime, db, shop: Shop, export_settings: Settings
) -> None:
    export_id = await request_export(runtime, shop)
    await db.execute(
        "UPDATE export_jobs SET status = 'running', attempts = $2,"
        " lease_until = now() - interval '1 second' WHERE id = $1",
        export_id,
        MAX_ATTEMPTS,
    )
    assert not await ExportWorker(runtime, export_settings).run_once()
    row = await job(db, export_id)
    assert row["status"] == "failed"
    assert f"stopped {MAX_ATTEMPTS} times" in row["status_reason"]


async def test_a_contact_erased_during_its_export_leaves_no_job_and_no_file(
    runtime: Runtime, db, shop: Shop, export_settings: Settings, held_writes: HeldWrites
) -> None:
    export_id = await request_export(runtime, shop, shop.alice)
    worker = ExportWorker(runtime, export_settings, progress_seconds=0.05)
    running = asyncio.create_task(worker.run_once())
    assert await asyncio.to_thread(held_writes.writing.wait, 10)
    await db.execute("DELETE FROM contacts WHERE id = $1", shop.alice)  # erased: cascades
    held_writes.release.set()
    assert await running
    assert await db.fetchval("SELECT count(*) FROM export_jobs WHERE id = $1", export_id) == 0
    assert list(export_settings.exports_folder.iterdir()) == []


async def test_progress_reaches_the_admins_only(
    runtime: Runtime, db, shop: Shop, export_settings: Settings
) -> None:
    export_id = await request_export(runtime, shop)
    worker = ExportWorker(runtime, export_settings, progress_seconds=0.001)
    assert await worker.run_once()
    rows = await db.fetch(
        "SELECT payload::text AS payload, audience_user_id, audience_roles FROM events"
        " WHERE type = 'export.updated' ORDER BY seq"
    )
    assert {(r["audience_user_id"], tuple(r["audience_roles"])) for r in rows} == {
        (None, ("admin",))
    }
    states = [json.loads(r["payload"])["export"]["status"] for r in rows]
    assert states[0] == "queued" and states[1] == "running" and states[-1] == "done"
    final = json.loads(rows[-1]["payload"])["export"]
    assert final["id"] == export_id and final["rows_done"] == final["rows_total"] > 0
    assert "download" not in rows[-1]["payload"] and "file_path" not in rows[-1]["payload"]


async def test_the_sweeper_deletes_expired_files_and_orphans(
    runtime: Runtime, db, shop: Shop, export_settings: Settings
) -> None:
    export_id = await request_export(runtime, shop)
    assert await ExportWorker(runtime, export_settings).run_once()
    finished = Path((await job(db, export_id))["file_path"])
    folder = export_settings.exports_folder
    stray = folder / "999-1.zip"  # a crashed process's leftover: no job holds it
    stray.write_bytes(b"partial")
    fresh = folder / "998-1.zip"  # as old as a claim just made: left alone
    fresh.write_bytes(b"partial")
    an_hour_ago = time.time() - 3600
    os.utime(stray, (an_hour_ago, an_hour_ago))
    os.utime(finished, (an_hour_ago, an_hour_ago))
    sweeper = ExportSweeper(runtime, export_settings)
    assert await sweeper.sweep() == 1
    assert sorted(p.name for p in folder.iterdir()) == sorted([finished.name, fresh.name])
    await db.execute(
        "UPDATE export_jobs SET expires_at = now() - interval '1 second' WHERE id = $1", export_id
    )
    assert await sweeper.sweep() == 1
    row = await job(db, export_id)
    assert (row["status"], row["file_path"]) == ("expired", None)
    assert not os.path.exists(finished)  # noqa: ASYNC240
    last = await db.fetchval(
        "SELECT payload::text FROM events WHERE type = 'export.updated' ORDER BY seq DESC LIMIT 1"
    )
    assert msgspec.json.decode(last)["export"]["status"] == "expired"
