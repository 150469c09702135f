"""Bodies of the canned responses routes. Requests reject unknown fields."""

from __future__ import annotations

from typing import Annotated

import msgspec

Shortcut = Annotated[str, msgspec.Meta(max_length=100)]
Text = Annotated[str, msgspec.Meta(max_length=5000)]


class Body(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class CreateCannedRequest(Body, kw_only=True):
    """`shared`: for the whole workspace (admins and supervisors); otherwise yours alone.
    The text may hold placeholders ({{contact.first_name}}, {{agent.name}}, ...) that the
    web app fills in when it inserts the response."""

    shortcut: Shortcut
    text: Text
    shared: bool = False


class UpdateCannedRequest(Body, kw_only=True):
    """Fields left out are kept; whether it is shared cannot change."""

    shortcut: Shortcut | None = None
    text: Text | None = None
