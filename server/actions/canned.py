"""Canned responses: saved replies, shared with the workspace (admins and supervisors
manage them: the routes check) or personal (each member their own).

A shared response's events go to everyone, a personal one's to its owner only: the same
line the list API draws. Its scope is fixed when it is made. Usage is counted when a reply
that used it is queued (wazify.actions.replies), in the reply's transaction, and shown live
through canned_response.updated like any other change.
"""

from __future__ import annotations

import re

import asyncpg

from wazify.actions.uow import UnitOfWork
from wazify.canned.queries import CANNED_COLUMNS
from wazify.db.tables import CannedResponse
from wazify.lib.errors import Conflict, Invalid, NotFound
from wazify.lib.inputs import check_text
from wazify.meta.send import TEXT_LIMIT_BYTES, text_bytes
from wazify.realtime.events import (
    EVERYONE,
    Audience,
    CannedResponseCreated,
    CannedResponseDeleted,
    CannedResponseUpdated,
    only,
)
from wazify.views import CannedResponseView

SHORTCUT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")


def audience_of(view: CannedResponseView) -> Audience:
    return EVERYONE if view.owner_id is None else only(view.owner_id)


def check_shortcut(shortcut: str) -> str:
    if not SHORTCUT.fullmatch(shortcut):
        raise Invalid(
            "a shortcut is 1 to 40 letters, digits, - or _ (typed after / in the composer)",
            field="shortcut",
        )
    return shortcut


def check_canned_text(text: str) -> str:
    text = check_text(text, field="text", max_length=TEXT_LIMIT_BYTES)
    if text_bytes(text) > TEXT_LIMIT_BYTES:
        raise Invalid(
            f"the text is {text_bytes(text)} bytes in UTF-8; a reply holds {TEXT_LIMIT_BYTES}",
            field="text",
            code="text_too_long",
        )
    return text


async def _view(canned_id: int) -> CannedResponseView:
    rows = await CannedResponse.select(*CANNED_COLUMNS).where(CannedResponse.id == canned_id)
    return CannedResponseView(**rows[0])


async def _refuse_taken(
    workspace_id: int, owner_id: int | None, shortcut: str, canned_id: int = 0
) -> None:
    same_scope = (
        CannedResponse.owner.is_null() if owner_id is None else CannedResponse.owner == owner_id
    )
    rows = await CannedResponse.select(CannedResponse.id, CannedResponse.shortcut).where(
        (CannedResponse.workspace == workspace_id) & same_scope
    )
    if any(r["shortcut"].casefold() == shortcut.casefold() and r["id"] != canned_id for r in rows):
        raise _taken(shortcut, owner_id)


def _taken(shortcut: str, owner_id: int | None) -> Conflict:
    scope = "shared" if owner_id is None else "personal"
    return Conflict(
        f"a {scope} canned response /{shortcut} already exists",
        field="shortcut",
        code="shortcut_taken",
    )


async def do_create_canned(
    uow: UnitOfWork,
    workspace_id: int,
    *,
    shortcut: str,
    text: str,
    owner_id: int | None,
    created_by: int | None,
) -> CannedResponseView:
    """`owner_id` None: shared with the workspace."""
    shortcut, text = check_shortcut(shortcut), check_canned_text(text)
    await _refuse_taken(workspace_id, owner_id, shortcut)
    row = CannedResponse(
        workspace=workspace_id, owner=owner_id, shortcut=shortcut, text=text, created_by=created_by
    )
    try:
        async with uow.conn.transaction():  # a savepoint: a concurrent twin is a 409
            canned_id = (await CannedResponse.insert(row).returning(CannedResponse.id))[0]["id"]
    except asyncpg.UniqueViolationError:
        raise _taken(shortcut, owner_id) from None
    view = await _view(canned_id)
    uow.audit(
        "canned_response.created",
        workspace_id,
        "canned_response",
        canned_id,
        after={"shortcut": shortcut, "shared": owner_id is None},
    )
    uow.emit(
        CannedResponseCreated(workspace_id=workspace_id, at=uow.now, canned_response=view),
        audience_of(view),
    )
    return view


async def _lock(workspace_id: int, canned_id: int) -> CannedResponseView:
    rows = (
        await CannedResponse.select(*CANNED_COLUMNS)
        .where((CannedResponse.id == canned_id) & (CannedResponse.workspace == workspace_id))
        .lock_rows("NO KEY UPDATE")
    )
    if not rows:
        raise NotFound(f"no canned response {canned_id} in this workspace")
    return CannedResponseView(**rows[0])


async def do_update_canned(
    uow: UnitOfWork,
    workspace_id: int,
    canned_id: int,
    *,
    shortcut: str | None = None,
    text: str | None = None,
) -> CannedResponseView:
    """Change the shortcut and/or the text; what is left None is kept."""
    shortcut = check_shortcut(shortcut) if shortcut is not None else None
    text = check_canned_text(text) if text is not None else None
    before = await _lock(workspace_id, canned_id)
    changes = {
        key: value
        for key, value in (("shortcut", shortcut), ("text", text))
        if value is not None and value != getattr(before, key)
    }
    if not changes:
        return before
    if "shortcut" in changes:
        await _refuse_taken(workspace_id, before.owner_id, changes["shortcut"], canned_id)
    values = {getattr(CannedResponse, key): value for key, value in changes.items()}
    try:
        async with uow.conn.transaction():
            await CannedResponse.update({**values, CannedResponse.updated_at: uow.now}).where(
                CannedResponse.id == canned_id
            )
    except asyncpg.UniqueViolationError:
        raise _taken(changes["shortcut"], before.owner_id) from None
    view = await _view(canned_id)
    uow.audit(
        "canned_response.updated",
        workspace_id,
        "canned_response",
        canned_id,
        before={key: getattr(before, key) for key in changes},
        after=changes,
    )
    uow.emit(
        CannedResponseUpdated(workspace_id=workspace_id, at=uow.now, canned_response=view),
        audience_of(view),
    )
    return view


async def do_delete_canned(uow: UnitOfWork, workspace_id: int, canned_id: int) -> None:
    before = await _lock(workspace_id, canned_id)
    await CannedResponse.delete().where(CannedResponse.id == canned_id)
    uow.audit(
        "canned_response.deleted",
        workspace_id,
        "canned_response",
        canned_id,
        before={
            "shortcut": before.shortcut,
            "text": before.text,
            "shared": before.owner_id is None,
        },
    )
    uow.emit(
        CannedResponseDeleted(workspace_id=workspace_id, at=uow.now, canned_response_id=canned_id),
        audience_of(before),
    )


async def do_count_canned_use(
    uow: UnitOfWork, workspace_id: int, canned_id: int, user_id: int | None
) -> CannedResponseView:
    """One more use, by a reply `user_id` sent. A response this member cannot see (another
    workspace's, another member's personal one) is a 400 naming the field."""
    visible = CannedResponse.owner.is_null()
    if user_id is not None:
        visible = visible | (CannedResponse.owner == user_id)
    counted = (
        await CannedResponse.update({CannedResponse.usage_count: CannedResponse.usage_count + 1})
        .where(
            (CannedResponse.id == canned_id) & (CannedResponse.workspace == workspace_id) & visible
        )
        .returning(CannedResponse.id)
    )
    if not counted:
        raise Invalid(
            f"no canned response {canned_id} of yours or shared in this workspace",
            field="canned_response_id",
            code="unknown_canned_response",
        )
    view = await _view(canned_id)
    uow.emit(
        CannedResponseUpdated(workspace_id=workspace_id, at=uow.now, canned_response=view),
        audience_of(view),
    )
    return view
