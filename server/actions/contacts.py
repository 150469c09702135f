"""Contacts: profiles fetched from Meta after the person wrote (consent), corrections by agents."""

from __future__ import annotations

from wazify.actions.uow import UnitOfWork
from wazify.conversations.queries import contact_views
from wazify.realtime.events import ContactUpdated

UPDATE_PROFILE = """
UPDATE contacts SET
    name = coalesce($2, name), username = coalesce($3, username), picture_url = $4,
    profile_state = $5, profile_error = $6, profile_fetched_at = now(), updated_at = now()
WHERE id = $1
RETURNING workspace_id,
    (name, username, picture_url, profile_state) IS DISTINCT FROM ($7, $8, $9, $10) AS changed
"""


async def do_record_profile(
    uow: UnitOfWork,
    contact_id: int,
    *,
    name: str | None,
    username: str | None,
    picture_url: str | None,
    state: str,
    error: str = "",
) -> bool:
    """Store what Meta said of a contact; emits contact.updated when anything visible changed."""
    before = await uow.conn.fetchrow(
        "SELECT name, username, picture_url, profile_state FROM contacts WHERE id = $1 FOR UPDATE",
        contact_id,
    )
    if before is None:
        return False
    if state != "fetched":  # keep what we knew; only the state and the reason change
        picture_url = before["picture_url"]
    row = await uow.conn.fetchrow(
        UPDATE_PROFILE,
        contact_id,
        name,
        username,
        picture_url,
        state,
        error,
        before["name"],
        before["username"],
        before["picture_url"],
        before["profile_state"],
    )
    if not row["changed"]:
        return False
    view = (await contact_views(uow.conn, [contact_id]))[contact_id]
    uow.emit(ContactUpdated(workspace_id=row["workspace_id"], at=uow.now, contact=view))
    return True
