"""Read-only queries for canned responses (Piccolo's query builder). A member sees the
workspace's shared responses and their own personal ones, never another member's."""

from __future__ import annotations

from typing import Any

from wazify.db.tables import CannedResponse
from wazify.views import CannedResponseView

CANNED_COLUMNS = (
    CannedResponse.id,
    CannedResponse.shortcut,
    CannedResponse.text,
    CannedResponse.owner.as_alias("owner_id"),
    CannedResponse.usage_count,
)


def _visible_to(workspace_id: int, user_id: int) -> Any:
    return (CannedResponse.workspace == workspace_id) & (
        CannedResponse.owner.is_null() | (CannedResponse.owner == user_id)
    )


async def list_canned(workspace_id: int, user_id: int) -> list[CannedResponseView]:
    """Shared and the member's own, by shortcut (without regard to case), then id."""
    rows = await CannedResponse.select(*CANNED_COLUMNS).where(_visible_to(workspace_id, user_id))
    views = [CannedResponseView(**row) for row in rows]
    return sorted(views, key=lambda item: (item.shortcut.casefold(), item.id))


async def get_canned(workspace_id: int, user_id: int, canned_id: int) -> CannedResponseView | None:
    rows = await CannedResponse.select(*CANNED_COLUMNS).where(
        (CannedResponse.id == canned_id) & _visible_to(workspace_id, user_id)
    )
    return CannedResponseView(**rows[0]) if rows else None
