"""Request and response bodies of the auth routes. Request bodies reject unknown fields,
so a typo is a 400 naming the field rather than a silently ignored setting."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from wazify.auth.tokens import TokenView
from wazify.lib.passwords import MAX_PASSWORD_LENGTH
from wazify.views import Role

Password = Annotated[str, msgspec.Meta(max_length=MAX_PASSWORD_LENGTH)]
Email = Annotated[str, msgspec.Meta(max_length=320)]


class Body(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class LoginRequest(Body, kw_only=True):
    email: Email
    password: Password
    # The workspace slug; required only when the person belongs to several.
    workspace: Annotated[str, msgspec.Meta(max_length=63)] | None = None


class ChangePasswordRequest(Body, kw_only=True):
    current_password: Password
    new_password: Password


class CreateTokenRequest(Body, kw_only=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class UserView(msgspec.Struct, kw_only=True):
    id: int
    email: str
    name: str


class WorkspaceView(msgspec.Struct, kw_only=True):
    id: int
    slug: str
    name: str


class MeView(msgspec.Struct, kw_only=True):
    """What sign-in and GET /api/v1/me return. `csrf_token` goes in the `X-CSRF-Token`
    header of every unsafe cookie-authenticated request (null for API tokens)."""

    user: UserView
    workspace: WorkspaceView
    role: Role
    via: Literal["session", "token"]
    csrf_token: str | None = None


class CreatedToken(msgspec.Struct, kw_only=True):
    """The only time the secret is shown."""

    token: TokenView
    secret: str


class TokenPage(msgspec.Struct, kw_only=True):
    items: list[TokenView]
    next_cursor: str | None = None
