"""Read-only queries of the contact panel, through Piccolo's query builder (outside a unit
of work they use the pool). Another workspace's contact is absent (NotFound)."""

from __future__ import annotations

import msgspec

from wazify.contacts.schemas import ContactPanel, ProfileFacts
from wazify.conversations.queries import Queryable, contact_views, conversation_views
from wazify.db.tables import Contact, Conversation
from wazify.lib.errors import NotFound

CONVERSATIONS_MAX = 50  # a person writes to a handful of accounts, not hundreds


async def _same_person(workspace_id: int, contact_id: int, username: str) -> list[int]:
    """This contact, and the workspace's other contacts with its (non-empty) username."""
    if not username:
        return [contact_id]
    rows = await Contact.select(Contact.id).where(
        (Contact.workspace == workspace_id) & (Contact.username == username)
    )
    return sorted({contact_id, *(row["id"] for row in rows)})


async def contact_panel(db: Queryable, workspace_id: int, contact_id: int) -> ContactPanel:
    row = (
        await Contact.select(
            Contact.username,
            Contact.created_at,
            Contact.profile_fetched_at,
            Contact.profile_facts,
            Contact.account.username.as_alias("account_username"),
        )
        .where((Contact.id == contact_id) & (Contact.workspace == workspace_id))
        .first()
    )
    if row is None:
        raise NotFound(f"no contact {contact_id} in this workspace")
    contacts = await _same_person(workspace_id, contact_id, row["username"])
    found = (
        await Conversation.select(
            Conversation.id, Conversation.contact.as_alias("contact_id"), Conversation.referral
        )
        .where(Conversation.contact.is_in(contacts) & (Conversation.workspace == workspace_id))
        .order_by(Conversation.last_activity_at, ascending=False)
        .limit(CONVERSATIONS_MAX)
    )
    views = await conversation_views(db, [item["id"] for item in found])
    own = [item for item in found if item["contact_id"] == contact_id]
    facts = row["profile_facts"]
    return ContactPanel(
        contact=(await contact_views(db, [contact_id]))[contact_id],
        account_username=row["account_username"] or "",
        first_seen_at=row["created_at"],
        profile_fetched_at=row["profile_fetched_at"],
        facts=msgspec.convert(_decoded(facts), ProfileFacts) if facts else None,
        started_by=_decoded(own[0]["referral"]) if own else None,
        conversations=[views[item["id"]] for item in found if item["id"] in views],
    )


def _decoded(value: object) -> dict | None:
    # Piccolo returns JSONB as text.
    if value is None or isinstance(value, dict):
        return value
    return msgspec.json.decode(value if isinstance(value, str | bytes) else str(value))
