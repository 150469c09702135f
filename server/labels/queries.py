"""Read-only label queries (Piccolo's query builder)."""

from __future__ import annotations

from collections.abc import Iterable

from wazify.db.tables import Label
from wazify.views import LabelView

LABEL_COLUMNS = (Label.id, Label.name, Label.color)


async def list_labels(workspace_id: int) -> list[LabelView]:
    """A workspace's labels by name (without regard to case), then id."""
    rows = await Label.select(*LABEL_COLUMNS).where(Label.workspace == workspace_id)
    views = [LabelView(**row) for row in rows]
    return sorted(views, key=lambda label: (label.name.casefold(), label.id))


async def get_label(workspace_id: int, label_id: int) -> LabelView | None:
    rows = await Label.select(*LABEL_COLUMNS).where(
        (Label.id == label_id) & (Label.workspace == workspace_id)
    )
    return LabelView(**rows[0]) if rows else None


async def labels_named(workspace_id: int, names: Iterable[str]) -> dict[str, int]:
    """The ids of the labels with these names (compared without regard to case), by the
    casefolded name; names no label has are left out."""
    wanted = {name.casefold() for name in names}
    return {
        label.name.casefold(): label.id
        for label in await list_labels(workspace_id)
        if label.name.casefold() in wanted
    }


async def unknown_labels(workspace_id: int, label_ids: Iterable[int]) -> list[int]:
    """Those of `label_ids` that are no label of the workspace."""
    wanted = sorted(set(label_ids))
    if not wanted:
        return []
    rows = await Label.select(Label.id).where(
        (Label.workspace == workspace_id) & Label.id.is_in(wanted)
    )
    found = {row["id"] for row in rows}
    return [label_id for label_id in wanted if label_id not in found]
