"""Contacts: profiles fetched from Meta after the person wrote (consent), corrections by agents."""

from __future__ import annotations

from wazify.actions.uow import UnitOfWork
from wazify.conversations.queries import contact_views
from wazify.db.expressions import db_now
from wazify.db.tables import Contact
from wazify.lib.errors import NotFound
from wazify.realtime.events import ContactUpdated
from wazify.views import ContactView

# What a contact.updated shows of Meta's profile: a fetch changing none of it emits nothing.
_PROFILE = (Contact.name, Contact.username, Contact.picture_url, Contact.profile_state)


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
    before = (
        await Contact.select(*_PROFILE, Contact.workspace.as_alias("workspace_id"))
        .where(Contact.id == contact_id)
        .lock_rows("UPDATE")
        .first()
    )
    if before is None:
        return False
    if state != "fetched":  # keep what we knew; only the state and the reason change
        picture_url = before["picture_url"]
    # A name or username Meta did not give stays as it was.
    after = {
        "name": before["name"] if name is None else name,
        "username": before["username"] if username is None else username,
        "picture_url": picture_url,
        "profile_state": state,
    }
    await Contact.update(
        {
            **{getattr(Contact, key): value for key, value in after.items()},
            Contact.profile_error: error,
            Contact.profile_fetched_at: db_now(),
            Contact.updated_at: db_now(),
            # A failed refetch keeps the facts we knew.
            **({Contact.profile_facts: facts} if facts is not None and state == "fetched" else {}),
        }
    ).where(Contact.id == contact_id)
    if all(before[key] == value for key, value in after.items()):
        return False
    view = (await contact_views(uow.conn, [contact_id]))[contact_id]
    uow.emit(ContactUpdated(workspace_id=before["workspace_id"], at=uow.now, contact=view))
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
    before = (
        await Contact.select(Contact.display_name, Contact.notes)
        .where((Contact.id == contact_id) & (Contact.workspace == workspace_id))
        .lock_rows("UPDATE")
        .first()
    )
    if before is None:
        raise NotFound(f"no contact {contact_id} in this workspace")
    wanted = {"display_name": display_name, "notes": notes}
    if display_name is not None:
        wanted["display_name"] = " ".join(display_name.split())
    changed = {k: v for k, v in wanted.items() if v is not None and v != before[k]}
    if changed:
        await Contact.update(
            {
                **{getattr(Contact, key): value for key, value in changed.items()},
                Contact.updated_at: db_now(),
            }
        ).where(Contact.id == contact_id)
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
