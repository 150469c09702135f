"""Contacts: profiles fetched from Meta after the person wrote (consent), corrections by agents."""

from __future__ import annotations

import msgspec

from wazify.actions.uow import UnitOfWork
from wazify.conversations.queries import contact_views
from wazify.lib.errors import NotFound
from wazify.realtime.events import ContactUpdated
from wazify.views import ContactView

UPDATE_PROFILE = """
UPDATE contacts SET
    name = coalesce($2, name), username = coalesce($3, username), picture_url = $4,
    profile_state = $5, profile_error = $6, profile_fetched_at = now(), updated_at = now(),
    profile_facts = coalesce($11::jsonb, profile_facts)
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
    facts: dict | None = None,
) -> bool:
    """Store what Meta said of a contact; emits contact.updated when anything visible changed
    (its facts, such as the follower count, are read by the contact panel, not pushed)."""
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
        None if facts is None or state != "fetched" else msgspec.json.encode(facts).decode(),
    )
    if not row["changed"]:
        return False
    view = (await contact_views(uow.conn, [contact_id]))[contact_id]
    uow.emit(ContactUpdated(workspace_id=row["workspace_id"], at=uow.now, contact=view))
    return True


async def do_correct_contact(
    uow: UnitOfWork,
    workspace_id: int,
    contact_id: int,
    *,
    display_name: str | None = None,
    notes: str | None = None,
) -> ContactView:
    """An agent's correction of what the team calls a contact and knows of them (Meta's
    name and username stay as fetched). Fields left None are kept; no change, no event."""
    before = await uow.conn.fetchrow(
        "SELECT display_name, notes FROM contacts WHERE id = $1 AND workspace_id = $2 FOR UPDATE",
        contact_id,
        workspace_id,
    )
    if before is None:
        raise NotFound(f"no contact {contact_id} in this workspace")
    wanted = {"display_name": display_name, "notes": notes}
    if display_name is not None:
        wanted["display_name"] = " ".join(display_name.split())
    changed = {k: v for k, v in wanted.items() if v is not None and v != before[k]}
    if changed:
        await uow.conn.execute(
            "UPDATE contacts SET display_name = coalesce($2, display_name),"
            " notes = coalesce($3, notes), updated_at = now() WHERE id = $1",
            contact_id,
            changed.get("display_name"),
            changed.get("notes"),
        )
    view = (await contact_views(uow.conn, [contact_id]))[contact_id]
    if changed:
        uow.audit(
            "contact.corrected",
            workspace_id,
            "contact",
            contact_id,
            before={key: before[key] for key in changed},
            after=changed,
        )
        uow.emit(ContactUpdated(workspace_id=workspace_id, at=uow.now, contact=view))
    return view
