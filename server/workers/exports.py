"""The export worker: claims export jobs and writes them, in every server process.

One export at a time per process (an export is mostly PostgreSQL's and zlib's work; several
processes share the queue through the claim's SKIP LOCKED). While an export runs, a
heartbeat renews the claim's lease and records the progress every `progress_seconds`
(export.updated reaches the admins); a claim found lost (the lease ran out and another
process took the job) cancels the export. stop() cancels a running export, deletes its
partial file and puts the job back in the queue, so a restart resumes it at once; a crash
leaves the lease to run out instead (`Settings.export_lease_seconds`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from wazify.actions.exports import (
    ExportClaim,
    do_claim_export,
    do_complete_export,
    do_fail_export,
    do_record_progress,
    do_release_export,
)
from wazify.actions.uow import Actor, unit_of_work
from wazify.exports.archive import sha256_of
from wazify.exports.exporter import write_export
from wazify.lib.errors import NotFound
from wazify.runtime import Runtime
from wazify.settings import Settings
from wazify.workers.background import BackgroundLoop

log = logging.getLogger("wazify.exports")
T = TypeVar("T")
ACTOR = Actor.system("export-worker")


class _Progress:
    def __init__(self) -> None:
        self.done = 0
        self.total = 0

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total


def export_path(folder: Path, claim: ExportClaim) -> Path:
    """One file per claim: a process that lost its claim never writes over the winner's."""
    return folder / f"{claim.id}-{claim.attempt}.zip"


class ExportWorker(BackgroundLoop):
    task_name = "export-worker"

    def __init__(
        self, runtime: Runtime, settings: Settings | None = None, *, progress_seconds: float = 1.0
    ) -> None:
        settings = settings or runtime.settings
        self.runtime = runtime
        self.folder = settings.exports_folder
        self.poll_seconds = settings.export_poll_seconds
        self.lease = timedelta(seconds=settings.export_lease_seconds)
        self.link_lifetime = timedelta(hours=settings.export_link_hours)
        self.progress_seconds = min(progress_seconds, settings.export_lease_seconds / 3)
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """A job was just requested here: look now rather than at the next poll."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                ran = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the export worker failed; trying again later")
                ran = False
            if not ran:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

    async def run_once(self) -> bool:
        """Claim one job and run it to its end; False when there was none."""
        claiming = asyncio.ensure_future(self._claim())
        try:
            claim = await asyncio.shield(claiming)
        except asyncio.CancelledError:  # stopped mid-claim: what was claimed goes back
            if (claim := await claiming) is not None:
                await self._in_unit(do_release_export, claim)
            raise
        if claim is None:
            return False
        await self._execute(claim)
        return True

    async def _claim(self) -> ExportClaim | None:
        async with unit_of_work(self.runtime, ACTOR) as uow:
            return await do_claim_export(uow, self.lease)

    async def _execute(self, claim: ExportClaim) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = export_path(self.folder, claim)
        progress = _Progress()
        export = asyncio.create_task(
            write_export(
                self.runtime.engine.pool,
                claim.scope,
                path,
                by=claim.requester,
                export_id=claim.id,
                progress=progress,
            )
        )
        try:
            lost = await self._lost(claim, export, progress)
            manifest = None if lost else await export
        except asyncio.CancelledError:  # stop(): back to the queue for the next process
            await _cancel(export, path)
            await asyncio.shield(self._in_unit(do_release_export, claim))
            raise
        except NotFound as error:  # the workspace or the contact was deleted meanwhile
            await _cancel(export, path)
            await asyncio.shield(self._in_unit(do_fail_export, claim, error.message, retry=False))
            return
        except Exception as error:
            await _cancel(export, path)
            log.exception("export %d failed", claim.id)
            reason = f"{type(error).__name__}: {error}"[:300]
            await asyncio.shield(self._in_unit(do_fail_export, claim, reason, retry=True))
            return
        if manifest is None:
            await _cancel(export, path)
            log.warning("export %d: its lease ran out and another process took it", claim.id)
            return
        await asyncio.shield(self._complete(claim, path, manifest))

    async def _lost(self, claim: ExportClaim, export: asyncio.Task, progress: _Progress) -> bool:
        """Until the export ends, renew the lease and record the progress; True as soon as
        the claim is found lost."""
        while not export.done():
            await asyncio.wait([export], timeout=self.progress_seconds)
            if export.done():
                return False
            kept = await asyncio.shield(
                self._in_unit(do_record_progress, claim, progress.done, progress.total, self.lease)
            )
            if not kept:
                return True
        return False

    async def _complete(self, claim: ExportClaim, path: Path, manifest: dict) -> None:
        size, digest = await asyncio.to_thread(_size_and_sha256, path)
        counts = {entry["name"]: entry["rows"] for entry in manifest["files"]}
        expires_at = datetime.now(UTC) + self.link_lifetime
        done = await self._in_unit(
            do_complete_export,
            claim,
            path=str(path),
            size=size,
            sha256=digest,
            counts=counts,
            expires_at=expires_at,
        )
        if not done:  # lost at the last moment: the winner writes its own file
            await asyncio.to_thread(path.unlink, missing_ok=True)

    async def _in_unit(
        self, action: Callable[..., Awaitable[T]], *args: object, **kwargs: object
    ) -> T:
        async with unit_of_work(self.runtime, ACTOR) as uow:
            return await action(uow, *args, **kwargs)


async def _cancel(export: asyncio.Task, path: Path) -> None:
    """Stop the export and delete its file: partial, or complete when it finished just as
    the claim was found lost (or the heartbeat failed)."""
    if not export.done():
        export.cancel()
    await asyncio.gather(export, return_exceptions=True)
    await asyncio.to_thread(path.unlink, missing_ok=True)


def _size_and_sha256(path: Path) -> tuple[int, str]:
    return path.stat().st_size, sha256_of(path)
