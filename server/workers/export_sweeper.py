"""The export sweeper: a finished export's file lives as long as its link, then goes.

Every `Settings.export_sweep_seconds`, jobs whose link expired become `expired` (an
export.updated tells the admins) and their files are deleted after the commit. Then any file
of the exports folder that no job holds is deleted too: a partial file of a process that
crashed, the file of a job erased with its contact or its workspace, a file whose deletion
failed last time. Files younger than `ORPHAN_GRACE` are left alone: a claim just made may
not have written its first bytes yet.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from pathlib import Path

from wazify.actions.exports import do_expire_exports
from wazify.actions.uow import Actor, unit_of_work
from wazify.db.tables import ExportJob
from wazify.runtime import Runtime
from wazify.settings import Settings
from wazify.workers.background import BackgroundLoop

log = logging.getLogger("wazify.exports")
ACTOR = Actor.system("export-sweeper")
ORPHAN_GRACE = 600.0  # seconds
EXPORT_FILE = re.compile(r"(\d+)-(\d+)\.zip")


class ExportSweeper(BackgroundLoop):
    task_name = "export-sweeper"

    def __init__(
        self,
        runtime: Runtime,
        settings: Settings | None = None,
        *,
        orphan_grace: float = ORPHAN_GRACE,
    ) -> None:
        settings = settings or runtime.settings
        self.runtime = runtime
        self.folder = settings.exports_folder
        self.interval = settings.export_sweep_seconds
        self.orphan_grace = orphan_grace

    async def _run(self) -> None:
        while True:
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database is away: next round
                log.warning("export sweep failed: %s", error)
            await asyncio.sleep(self.interval)

    async def sweep(self) -> int:
        """Expire what is due and delete the files no job holds; returns files deleted."""
        deleted = 0
        while True:
            # Shielded: stop() cancels the task, and a transaction cancelled while it
            # commits never returns its connection to the pool.
            paths = await asyncio.shield(self._expire_batch())
            for path in paths:
                deleted += await asyncio.to_thread(_delete, Path(path))
            if not paths:
                break
        return deleted + await self._delete_orphans()

    async def _expire_batch(self) -> list[str]:
        async with unit_of_work(self.runtime, ACTOR) as uow:
            return await do_expire_exports(uow)

    async def _delete_orphans(self) -> int:
        candidates = await asyncio.to_thread(self._old_files)
        if not candidates:
            return 0
        ids = sorted({job_id for job_id, _ in candidates.values()})
        rows = await ExportJob.select(
            ExportJob.id, ExportJob.status, ExportJob.attempts, ExportJob.file_path
        ).where(ExportJob.id.is_in(ids))
        writing = {(row["id"], row["attempts"]) for row in rows if row["status"] == "running"}
        finished = {row["file_path"] for row in rows if row["status"] == "done"}
        orphans = [
            path
            for path, claim in candidates.items()
            if claim not in writing and str(path) not in finished
        ]
        return sum([await asyncio.to_thread(_delete, path) for path in orphans])

    def _old_files(self) -> dict[Path, tuple[int, int]]:
        """Export files older than the grace, with the (job id, attempt) their name gives."""
        if not self.folder.is_dir():
            return {}
        cutoff = time.time() - self.orphan_grace
        found = {}
        for path in self.folder.iterdir():
            match = EXPORT_FILE.fullmatch(path.name)
            if match and path.stat().st_mtime < cutoff:
                found[path] = (int(match[1]), int(match[2]))
        return found


def _delete(path: Path) -> int:
    try:
        path.unlink()
    except FileNotFoundError:
        return 0
    except OSError as error:
        log.warning("could not delete the export file %s: %s", path, error)
        return 0
    return 1
