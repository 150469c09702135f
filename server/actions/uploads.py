"""An attachment sent from the composer: checked, stored, queued like any reply.

The file's format is sniffed from its bytes and held to Meta's limit for its kind
(wazify.uploads.sniff) before anything is written. It is stored as
<upload folder>/<workspace id>/<token>.<ext>, where the token (32 random bytes) is also the
path Meta fetches it from (/media/<token>): unguessable, so the URL needs no signature. The
reply itself goes through do_queue_reply, so the messaging window, the HUMAN_AGENT rules,
the client id's idempotency and the durable outbox are the ones every reply has; the
uploads row ties the file to its conversation (an erasure removes both) and its message.

A file written for a unit that then fails (another workspace's conversation, a closed
window, a client id seen before) is removed before the error goes on. One the unit cannot
remove (its commit fails, the process dies between the write and the commit) is left with
no row: the privacy sweeper's hourly round reaps such files once they are an hour old
(`reap_orphan_files`), far longer than any unit lasts.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from pathlib import Path

from wazify.actions.replies import do_queue_reply
from wazify.actions.uow import UnitOfWork
from wazify.db.tables import Upload
from wazify.uploads.sniff import check_upload
from wazify.views import MessageView


def media_url(public_url: str, token: str) -> str:
    return f"{public_url}/media/{token}"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_suffix(".part")
    temporary.write_bytes(data)
    temporary.replace(path)  # never a half-written file at the served name


async def do_send_upload(
    uow: UnitOfWork,
    workspace_id: int,
    conversation_id: int,
    data: bytes,
    *,
    folder: Path,
    public_url: str,
    author_id: int | None,
    by_person: bool,
    client_id: str | None = None,
) -> tuple[MessageView, bool]:
    """Store the file and queue it as an attachment reply. Returns (view, created) like
    do_queue_reply: a client id seen before returns its message and keeps no new file."""
    found = check_upload(data)
    token = secrets.token_urlsafe(32)
    file_name = f"{workspace_id}/{token}.{found.extension}"
    path = folder / file_name
    await asyncio.to_thread(_write, path, data)
    try:
        view, created = await do_queue_reply(
            uow,
            workspace_id,
            conversation_id,
            author_id=author_id,
            by_person=by_person,
            attachments=[{"type": found.kind, "url": media_url(public_url, token)}],
            client_id=client_id,
            own_media=True,
        )
    except BaseException:
        await asyncio.to_thread(path.unlink, True)
        raise
    if not created:
        await asyncio.to_thread(path.unlink, True)
        return view, False
    await Upload.insert(
        Upload(
            workspace=workspace_id,
            conversation=conversation_id,
            token=token,
            file_name=file_name,
            kind=found.kind,
            content_type=found.content_type,
            size=len(data),
            uploaded_by=author_id,
            message_id=view.id,
        )
    )
    uow.audit(
        "attachment.uploaded",
        workspace_id,
        "message",
        view.id,
        after={"kind": found.kind, "content_type": found.content_type, "bytes": len(data)},
    )
    return view, True


async def upload_files(conversation_ids: list[int]) -> list[str]:
    """The stored names (relative to the upload folder) of these conversations' uploads,
    read before their rows go (an erasure, a deletion)."""
    if not conversation_ids:
        return []
    rows = await Upload.select(Upload.file_name).where(Upload.conversation.is_in(conversation_ids))
    return [row["file_name"] for row in rows]


def remove_upload_files(folder: Path, names: list[str]) -> None:
    for name in names:
        (folder / name).unlink(missing_ok=True)


ORPHAN_AGE_SECONDS = 3600.0
# Files are looked at until this old: orphans appear only while a server runs, and every
# server sweeps hourly; older files are never all listed and looked up again each hour.
ORPHAN_WINDOW_SECONDS = 7 * 86400.0
REAP_CHUNK = 1000


def _recent_files(folder: Path, after: float, before: float) -> list[Path]:
    """Files of the upload folder (<workspace id>/<file>) last written between the two."""
    if not folder.is_dir():
        return []
    return [
        path
        for workspace in folder.iterdir()
        if workspace.is_dir()
        for path in workspace.iterdir()
        if path.is_file() and after <= path.stat().st_mtime < before
    ]


async def reap_orphan_files(folder: Path, age_seconds: float = ORPHAN_AGE_SECONDS) -> int:
    """Remove the files of the upload folder older than `age_seconds` (and younger than
    the window) whose token no uploads row holds: a unit wrote one and then failed to
    commit. Returns how many."""
    now = time.time()
    paths = await asyncio.to_thread(
        _recent_files, folder, now - ORPHAN_WINDOW_SECONDS, now - age_seconds
    )
    orphans: list[str] = []
    for start in range(0, len(paths), REAP_CHUNK):
        chunk = {path.name.split(".")[0]: path for path in paths[start : start + REAP_CHUNK]}
        rows = await Upload.select(Upload.token).where(Upload.token.is_in(list(chunk)))
        kept = {row["token"] for row in rows}
        orphans += [
            f"{path.parent.name}/{path.name}" for token, path in chunk.items() if token not in kept
        ]
    await asyncio.to_thread(remove_upload_files, folder, orphans)
    return len(orphans)
