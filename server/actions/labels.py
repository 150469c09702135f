"""Labels: created, renamed, recoloured and deleted by admins (the routes check the role);
applied to and removed from conversations by any member.

A conversation carries its label ids in its view, so applying or removing one emits
conversation.updated; a label's name and colour travel once, in label.* events, and a
deleted label leaves every conversation with its rows (the foreign key cascades) and with
the clients through label.deleted alone. Applying locks the conversation row, then the
label row FOR SHARE, so a deletion waits for it (its event follows, in seq order) or has
already happened (the label is unknown).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg

from wazify.actions.conversations import lock_conversation
from wazify.actions.uow import UnitOfWork
from wazify.conversations.queries import conversation_views
from wazify.db.tables import Conversation, ConversationLabel, Label
from wazify.db.tables.team import LABEL_COLORS
from wazify.labels.queries import LABEL_COLUMNS
from wazify.lib.errors import Conflict, Invalid, NotFound
from wazify.lib.inputs import check_text
from wazify.realtime.events import ConversationUpdated, LabelCreated, LabelDeleted, LabelUpdated
from wazify.views import ConversationView, LabelView

LABEL_NAME_MAX = 40
T = TypeVar("T")


def check_label_name(name: str) -> str:
    name = " ".join(
        check_text(name, field="name", max_length=LABEL_NAME_MAX, what="the name").split()
    )
    if '"' in name:
        # Search writes a name with spaces as label:"big order"; a quote could not be typed.
        raise Invalid('a label name cannot contain a double quote (")', field="name")
    return name


def check_color(color: str) -> str:
    if color not in LABEL_COLORS:
        raise Invalid(f"colour {color!r}: use one of {', '.join(LABEL_COLORS)}", field="color")
    return color


async def _lock_label(workspace_id: int, label_id: int, strength: str = "UPDATE") -> LabelView:
    rows = (
        await Label.select(*LABEL_COLUMNS)
        .where((Label.id == label_id) & (Label.workspace == workspace_id))
        .lock_rows(strength)
    )  # type: ignore[arg-type]
    if not rows:
        raise NotFound(f"no label {label_id} in this workspace")
    return LabelView(**rows[0])


def _taken(name: str) -> Conflict:
    return Conflict(f"a label named {name!r} already exists", field="name", code="name_taken")


async def _refuse_taken(workspace_id: int, name: str, label_id: int = 0) -> None:
    rows = await Label.select(Label.id, Label.name).where(Label.workspace == workspace_id)
    if any(row["name"].casefold() == name.casefold() and row["id"] != label_id for row in rows):
        raise _taken(name)


async def _in_savepoint(uow: UnitOfWork, name: str, write: Callable[[], Awaitable[T]]) -> T:
    """Run `write` in a savepoint: a label of the same name committed meanwhile (the
    unique index, without regard to case) is a 409, not an aborted unit."""
    try:
        async with uow.conn.transaction():
            return await write()
    except asyncpg.UniqueViolationError:
        raise _taken(name) from None


async def do_create_label(uow: UnitOfWork, workspace_id: int, name: str, color: str) -> LabelView:
    name, color = check_label_name(name), check_color(color)

    async def insert() -> int:
        label = Label(workspace=workspace_id, name=name, color=color)
        return (await Label.insert(label).returning(Label.id))[0]["id"]

    await _refuse_taken(workspace_id, name)
    label_id = await _in_savepoint(uow, name, insert)
    view = LabelView(id=label_id, name=name, color=color)
    uow.audit(
        "label.created", workspace_id, "label", label_id, after={"name": name, "color": color}
    )
    uow.emit(LabelCreated(workspace_id=workspace_id, at=uow.now, label=view))
    return view


async def do_update_label(
    uow: UnitOfWork,
    workspace_id: int,
    label_id: int,
    *,
    name: str | None = None,
    color: str | None = None,
) -> LabelView:
    """Rename and/or recolour; what is left None is kept. No change, no event."""
    name = check_label_name(name) if name is not None else None
    color = check_color(color) if color is not None else None
    before = await _lock_label(workspace_id, label_id)
    after = LabelView(id=label_id, name=name or before.name, color=color or before.color)
    if after == before:
        return before
    if after.name.casefold() != before.name.casefold():
        await _refuse_taken(workspace_id, after.name, label_id)

    async def update() -> None:
        await Label.update(
            {Label.name: after.name, Label.color: after.color, Label.updated_at: uow.now}
        ).where(Label.id == label_id)

    await _in_savepoint(uow, after.name, update)
    uow.audit(
        "label.updated",
        workspace_id,
        "label",
        label_id,
        before={"name": before.name, "color": before.color},
        after={"name": after.name, "color": after.color},
    )
    uow.emit(LabelUpdated(workspace_id=workspace_id, at=uow.now, label=after))
    return after


async def do_delete_label(uow: UnitOfWork, workspace_id: int, label_id: int) -> None:
    """Delete the label; it leaves every conversation that had it (one label.deleted)."""
    before = await _lock_label(workspace_id, label_id)
    applied = await ConversationLabel.count().where(ConversationLabel.label == label_id)
    await Label.delete().where(Label.id == label_id)
    uow.audit(
        "label.deleted",
        workspace_id,
        "label",
        label_id,
        before={"name": before.name, "color": before.color, "conversations": applied},
    )
    uow.emit(LabelDeleted(workspace_id=workspace_id, at=uow.now, label_id=label_id))


async def _labelled(
    uow: UnitOfWork, workspace_id: int, conversation_id: int, label_id: int, action: str
) -> ConversationView:
    await Conversation.update({Conversation.updated_at: uow.now}).where(
        Conversation.id == conversation_id
    )
    uow.audit(action, workspace_id, "conversation", conversation_id, after={"label_id": label_id})
    view = (await conversation_views(uow.conn, [conversation_id]))[conversation_id]
    uow.emit(ConversationUpdated(workspace_id=workspace_id, at=uow.now, conversation=view))
    return view


async def do_add_label(
    uow: UnitOfWork, workspace_id: int, conversation_id: int, label_id: int, by: int | None
) -> ConversationView:
    """Apply a label (already applied: nothing changes). An unknown label is a 400."""
    await lock_conversation(uow, workspace_id, conversation_id)
    try:
        await _lock_label(workspace_id, label_id, "SHARE")
    except NotFound:
        raise Invalid(
            f"no label {label_id} in this workspace", field="label_id", code="unknown_label"
        ) from None
    inserted = (
        await ConversationLabel.insert(
            ConversationLabel(
                workspace=workspace_id, conversation=conversation_id, label=label_id, added_by=by
            )
        )
        .on_conflict(action="DO NOTHING")
        .returning(ConversationLabel.id)
    )
    if not inserted:
        return (await conversation_views(uow.conn, [conversation_id]))[conversation_id]
    return await _labelled(uow, workspace_id, conversation_id, label_id, "conversation.labelled")


async def do_remove_label(
    uow: UnitOfWork, workspace_id: int, conversation_id: int, label_id: int
) -> ConversationView:
    """Take a label off (not on it: nothing changes)."""
    await lock_conversation(uow, workspace_id, conversation_id)
    await _lock_label(workspace_id, label_id, "SHARE")
    removed = (
        await ConversationLabel.delete()
        .where(
            (ConversationLabel.conversation == conversation_id)
            & (ConversationLabel.label == label_id)
        )
        .returning(ConversationLabel.id)
    )
    if not removed:
        return (await conversation_views(uow.conn, [conversation_id]))[conversation_id]
    return await _labelled(uow, workspace_id, conversation_id, label_id, "conversation.unlabelled")
