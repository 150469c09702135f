"""Pending invitations: admins list them and cancel one. A cancelled invitation is
deleted (its link then reads as "invalid, used or expired", like any unusable one); the
audit log keeps who cancelled which email. invitation.removed, to admins only, takes it
off every admin's list at once, as invitation.created put it there.

The row is locked before it is deleted, so a cancellation and an acceptance of the same
invitation serialise: whichever commits second finds it gone (a 404 or the acceptance's
400) and writes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from wazify.actions.uow import UnitOfWork
from wazify.db.tables import Invitation
from wazify.lib.errors import NotFound
from wazify.realtime.events import ADMINS, InvitationRemoved
from wazify.views import InvitationView


async def pending_invitations(workspace_id: int) -> list[InvitationView]:
    """The workspace's usable invitations (not accepted, not expired), newest first."""
    rows = (
        await Invitation.select(
            Invitation.id, Invitation.email, Invitation.role, Invitation.expires_at
        )
        .where(Invitation.workspace == workspace_id)
        .where(Invitation.accepted_at.is_null())
        .where(Invitation.expires_at > datetime.now(UTC))
        .order_by(Invitation.id, ascending=False)
    )
    return [InvitationView(**row) for row in rows]


async def do_cancel_invitation(uow: UnitOfWork, workspace_id: int, invitation_id: int) -> None:
    rows = (
        await Invitation.select(Invitation.id, Invitation.email, Invitation.role)
        .where(Invitation.id == invitation_id)
        .where(Invitation.workspace == workspace_id)
        .where(Invitation.accepted_at.is_null())
        .lock_rows("UPDATE")
    )  # type: ignore[arg-type]
    if not rows:
        raise NotFound(f"no pending invitation {invitation_id} in this workspace")
    await Invitation.delete().where(Invitation.id == invitation_id)
    uow.audit(
        "invitation.cancelled",
        workspace_id,
        "invitation",
        invitation_id,
        before={"email": rows[0]["email"], "role": rows[0]["role"]},
    )
    uow.emit(
        InvitationRemoved(workspace_id=workspace_id, at=uow.now, invitation_id=invitation_id),
        ADMINS,
    )
