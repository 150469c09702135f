"""Bodies of the member routes. Requests reject unknown fields (a 400 naming the field)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from wazify.actions.auth import InvitationView
from wazify.auth.schemas import WorkspaceView
from wazify.lib.passwords import MAX_PASSWORD_LENGTH
from wazify.views import MemberView, Role

Password = Annotated[str, msgspec.Meta(max_length=MAX_PASSWORD_LENGTH)]
Name = Annotated[str, msgspec.Meta(max_length=200)]


class Body(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class CreateMemberRequest(Body, kw_only=True):
    """With `password`: the account is ready at once, for an email that has no account yet.
    Without, or for an email that already has an account: a one-time invitation link, which
    the holder of an existing account accepts with their own password or session."""

    email: Annotated[str, msgspec.Meta(max_length=320)]
    role: Role
    name: Name = ""
    password: Password | None = None


class SetRoleRequest(Body, kw_only=True):
    """A member's role and/or display name (admins correct both); at least one."""

    role: Role | None = None
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None


class AcceptInvitationRequest(Body, kw_only=True):
    token: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    name: Name = ""
    # A new password for a new account; the account's own password for an existing one,
    # or nothing when a signed-in session of that account accepts.
    password: Password | None = None


class AcceptedInvitation(MemberView, kw_only=True):
    """The new member (as the team sees it) and the workspace joined, to sign in to it."""

    workspace: WorkspaceView


class CreateMemberResponse(msgspec.Struct, kw_only=True):
    """Exactly one of `member` (created with a password) or `invitation` plus `invite_url`
    (shown once: only the link's hash is stored)."""

    member: MemberView | None = None
    invitation: InvitationView | None = None
    invite_url: str | None = None


class MemberPage(msgspec.Struct, kw_only=True):
    items: list[MemberView]
    next_cursor: str | None = None
