"""Bodies of the label routes. Requests reject unknown fields."""

from __future__ import annotations

from typing import Annotated

import msgspec

from wazify.lib.inputs import DbId

Name = Annotated[str, msgspec.Meta(max_length=200)]
Color = Annotated[str, msgspec.Meta(max_length=20)]


class Body(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class CreateLabelRequest(Body, kw_only=True):
    """`color` is one of the palette's names: gray, red, orange, yellow, green, teal, blue,
    indigo, violet, pink."""

    name: Name
    color: Color = "gray"


class UpdateLabelRequest(Body, kw_only=True):
    """Fields left out are kept."""

    name: Name | None = None
    color: Color | None = None


class ApplyLabelRequest(Body, kw_only=True):
    label_id: DbId
