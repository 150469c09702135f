"""The exporter: one workspace, or one contact of it, into a zip (docs/export.md).

Guarantees, and how:
- A consistent snapshot: every file is read in one REPEATABLE READ, READ ONLY transaction,
  so a message written meanwhile is in all the files or in none, and the manifest's counts
  (taken first, in the same snapshot) are exactly the rows written.
- Constant memory, whatever the size: rows come through a server-side cursor, `BATCH` at a
  time, each already a line of JSON built by PostgreSQL (exports/entities.py), and go
  straight into the zip entry's stream (exports/archive.py). At most two batches are held:
  the one being compressed and the one being fetched.
- Nothing half-written: a failure or a cancellation deletes the partial file.

Raw SQL through asyncpg, not Piccolo's query builder, on purpose: Piccolo's `transaction()`
takes no isolation level and its queries load every row of a result; a long export needs
asyncpg's cursors inside a REPEATABLE READ transaction (bench/export.py: a million messages
in 41 s, the process's peak RSS 93 MB against 86 MB for a thousand; docs/export.md).

Compression runs on a worker thread (zlib releases the GIL), so a server exporting keeps
serving: the event loop only fetches rows and hands them over.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg

from wazify import __version__
from wazify.db.transactions import snapshot
from wazify.exports.archive import ArchiveWriter
from wazify.exports.entities import CONTACT_ENTITIES, FORMAT_VERSION, WORKSPACE_ENTITIES, Entity
from wazify.lib.errors import NotFound

BATCH = 2000
T = TypeVar("T")
Progress = Callable[[int, int], None]  # (rows written, rows in the export)

HEADER_SQL = "SELECT id, slug, name, now() AS at FROM workspaces WHERE id = $1"
CONTACT_SQL = "SELECT id FROM contacts WHERE workspace_id = $1 AND id = $2"


@dataclass(frozen=True)
class Scope:
    """What to export: a workspace, or one contact of it."""

    workspace_id: int
    contact_id: int | None = None

    @property
    def kind(self) -> str:
        return "workspace" if self.contact_id is None else "contact"

    @property
    def entities(self) -> tuple[Entity, ...]:
        return WORKSPACE_ENTITIES if self.contact_id is None else CONTACT_ENTITIES

    @property
    def args(self) -> tuple[int, ...]:
        if self.contact_id is None:
            return (self.workspace_id,)
        return (self.workspace_id, self.contact_id)


@dataclass(frozen=True)
class Requester:
    user_id: int | None
    label: str


class _Thread:
    """One worker thread for the archive's blocking calls, run in order."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-zip")
        self._loop = asyncio.get_running_loop()

    def run(self, call: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        return self._loop.run_in_executor(self._executor, call, *args)

    def close(self) -> None:
        self._executor.shutdown(wait=False)


async def write_export(
    pool: asyncpg.Pool,
    scope: Scope,
    path: Path,
    *,
    by: Requester,
    export_id: int | None = None,
    progress: Progress | None = None,
    batch: int = BATCH,
) -> dict[str, Any]:
    """Write the export to `path`; returns its manifest. NotFound for a workspace or a
    contact that does not exist (a contact of another workspace does not, from here)."""
    thread = _Thread()
    writer = await thread.run(ArchiveWriter, path)
    try:
        async with snapshot(pool) as connection:
            # Timestamps as ISO 8601 with an offset, the same whatever the server's zone.
            await connection.execute("SET LOCAL TimeZone = 'UTC'")
            header = await _header(connection, scope)
            await _write_files(connection, thread, writer, scope, progress, batch)
        manifest = _manifest(header, scope, by, writer, export_id)
        await thread.run(writer.finish, manifest)
        return manifest
    except BaseException:
        # Queued behind any write still running on the thread, then awaited.
        await asyncio.shield(thread.run(writer.abandon))
        raise
    finally:
        thread.close()


async def _header(connection: asyncpg.Connection, scope: Scope) -> asyncpg.Record:
    header = await connection.fetchrow(HEADER_SQL, scope.workspace_id)
    if header is None:
        raise NotFound(f"no workspace {scope.workspace_id}")
    if scope.contact_id is not None and await connection.fetchval(CONTACT_SQL, *scope.args) is None:
        raise NotFound(f"no contact {scope.contact_id} in this workspace", field="contact_id")
    return header


async def _write_files(
    connection: asyncpg.Connection,
    thread: _Thread,
    writer: ArchiveWriter,
    scope: Scope,
    progress: Progress | None,
    batch: int,
) -> None:
    counts = [await connection.fetchval(e.count_sql, *scope.args) for e in scope.entities]
    total, done = sum(counts), 0
    if progress is not None:
        progress(0, total)
    for entity in scope.entities:
        await thread.run(writer.begin, entity.file)
        cursor = await connection.cursor(entity.rows_sql, *scope.args)
        writing: asyncio.Future[None] | None = None
        while rows := await cursor.fetch(batch):
            lines = [row[0] for row in rows]
            if writing is not None:
                await writing
            # The next batch is fetched while this one is compressed.
            writing = thread.run(writer.write_rows, lines)
            done += len(lines)
            if progress is not None:
                progress(done, total)
        if writing is not None:
            await writing
        await thread.run(writer.end)


def _manifest(
    header: asyncpg.Record,
    scope: Scope,
    by: Requester,
    writer: ArchiveWriter,
    export_id: int | None,
) -> dict[str, Any]:
    return {
        "format": "wazify-export",
        "format_version": FORMAT_VERSION,
        "kind": scope.kind,
        "workspace": {"id": header["id"], "slug": header["slug"], "name": header["name"]},
        "contact_id": scope.contact_id,
        "export_id": export_id,
        "exported_at": header["at"].isoformat(),
        "exported_by": {"user_id": by.user_id, "label": by.label},
        "generator": f"wazify {__version__}",
        "files": [
            {"name": f.name, "rows": f.rows, "bytes": f.bytes, "sha256": f.sha256}
            for f in writer.files
        ],
    }
