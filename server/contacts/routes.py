"""Contact routes: the contact panel beside a thread, and the team's correction of a contact
(the name the team calls them, a free-text note about them). Any member reads and corrects;
a correction is audited (contact.corrected) and live for everyone (contact.updated).
Another workspace's contact is a 404 like an absent one. (Erasure is privacy/'s.)"""

from __future__ import annotations

from litestar import Request, Router, get, patch
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from wazify.actions.contacts import do_correct_contact
from wazify.actions.uow import unit_of_work
from wazify.auth.guards import require_member
from wazify.auth.principal import Principal, client_addr
from wazify.contacts.queries import contact_panel
from wazify.contacts.schemas import ContactPanel
from wazify.conversations.schemas import ContactCorrection
from wazify.lib.inputs import DbId
from wazify.runtime import Runtime
from wazify.views import ContactView


@get("/contacts/{contact_id:int}", guards=[require_member])
async def contacts_get(
    contact_id: FromPath[DbId],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> ContactPanel:
    """The contact panel: the contact, Meta's profile facts, the ad or link that started
    the conversation, and their conversations with the workspace."""
    return await contact_panel(runtime.engine.pool, principal.workspace_id, contact_id)


@patch("/contacts/{contact_id:int}", guards=[require_member])
async def contacts_correct(
    request: Request,
    contact_id: FromPath[DbId],
    data: JSONBody[ContactCorrection],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> ContactView:
    """Correct the name the team calls the contact (empty: back to Meta's name) or the
    note about them; fields left out are kept."""
    async with unit_of_work(runtime, principal.actor(client_addr(request.scope))) as uow:
        return await do_correct_contact(
            uow,
            principal.workspace_id,
            contact_id,
            display_name=data.display_name,
            notes=data.notes,
        )


contacts_router = Router(
    path="/api/v1", route_handlers=[contacts_get, contacts_correct], tags=["contacts"]
)
