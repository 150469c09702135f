"""Cursor pagination shared by every list: newest first by (created_at, id).

Responses are `{"items": [...], "next_cursor": str | null}`; the client passes
`?cursor=<next_cursor>` for the next page. The cursor is opaque to clients (base64url of
the last row's created_at and id); an offset would skip or repeat rows as new ones arrive.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

import msgspec

from wazify.lib.errors import Invalid
from wazify.lib.inputs import DbId, to_utc

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

_T = TypeVar("_T")


def encode_cursor(created_at: datetime, row_id: int) -> str:
    raw = msgspec.json.encode([created_at.isoformat(), row_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, row_id = msgspec.json.decode(raw, type=tuple[str, DbId])
        return to_utc(datetime.fromisoformat(stamp)), row_id
    except (binascii.Error, ValueError, OverflowError, msgspec.DecodeError):
        raise Invalid("the cursor is not one this server gave out", field="cursor") from None


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"limit must be from 1 to {MAX_LIMIT}", field="limit")
    return limit


def page(
    rows: Sequence[_T], limit: int, key: Callable[[_T], tuple[datetime, int]]
) -> tuple[list[_T], str | None]:
    """Split rows fetched with LIMIT limit + 1 into (items, next_cursor)."""
    items = list(rows[:limit])
    if len(rows) <= limit:
        return items, None
    return items, encode_cursor(*key(items[-1]))
