"""Checks on what clients send that the schema types alone do not make: ids PostgreSQL can
store, and text it can store and people can read.

A path or body id beyond a bigint would reach asyncpg and fail there (a 500); a NUL
character cannot be stored in a text column at all. Both are refused here with a 400 that
names the field.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar.params import PathParameter

from wazify.lib.errors import Invalid

INT64_MAX = 2**63 - 1

# A row id in a path (`{note_id:int}`) or a body: 1 to the largest bigint.
PathId = Annotated[int, PathParameter(ge=1, le=INT64_MAX)]
BodyId = Annotated[int, msgspec.Meta(ge=1, le=INT64_MAX)]


def check_text(value: str, *, field: str, max_length: int, what: str = "the text") -> str:
    """`value` with its surrounding whitespace removed; refused when empty, longer than
    `max_length` characters or holding a NUL character."""
    if "\x00" in value:
        raise Invalid(f"{what} contains a NUL character", field=field)
    text = value.strip()
    if not text:
        raise Invalid(f"{what} is empty", field=field)
    if len(text) > max_length:
        raise Invalid(
            f"{what} is {len(text)} characters long; at most {max_length}",
            field=field,
            code="too_long",
        )
    return text
