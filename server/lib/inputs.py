"""What input from outside must satisfy before it can reach the database, in one place.

Postgres refuses three things a JSON body, a query string or a websocket frame can carry
without breaking any schema: integers beyond bigint, text with a NUL character and times
that leave the calendar once converted to UTC (`0001-01-01T00:00:00+14:00` is year 0).
Each would surface as a 500 from deep inside a query, after work was done (a reaction
even reached Meta first). So ids are bounded by their type (`DbId`: the JSON body, the
path, the query, a cursor and a websocket frame all use it), times go through `to_utc`,
and every decoded JSON body goes through `check_json_body` (NUL and nesting depth),
each refusal naming the field. What Meta sends is not refused but repaired: a NUL
becomes U+FFFD (`replace_nul_escapes`), since a customer's message must be kept.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar.params import Parameter

from wazify.lib.errors import Invalid

MAX_DB_ID = 2**63 - 1  # Postgres bigint
ID_BOUNDS: dict[str, Any] = {"ge": 1, "le": MAX_DB_ID}

# A row id from a client. msgspec reads the first annotation (bodies, frames, cursors);
# Litestar reads the second (path parameters). An optional query parameter needs the
# bounds on its outer type, which Litestar alone reads: `id_query(...)`.
DbId = Annotated[int, msgspec.Meta(**ID_BOUNDS), Parameter(**ID_BOUNDS)]


def id_query(description: str) -> Any:
    """`Annotated[DbId | None, id_query("an account's id")]` for an optional query id."""
    return Parameter(description=description, **ID_BOUNDS)


def parse_bounded_int(text: str, low: int = 1, high: int = MAX_DB_ID) -> int | None:
    """The integer `text` spells in ASCII digits, when from low to high; else None.
    (`str.isdigit` also takes "²" and "٣", and int() refuses a 5,000-digit string.)"""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(high)):
        return None
    value = int(text)
    return value if low <= value <= high else None


# Request bodies of this API are three levels deep at most; 32 leaves room and keeps
# every later recursion (msgspec's conversion, our walk) far from Python's limit.
MAX_JSON_DEPTH = 32


def to_utc(moment: datetime) -> datetime:
    """The same instant in UTC (a time without a zone is taken as UTC). Raises
    OverflowError when that instant is outside years 1 to 9999."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def check_moment(moment: datetime, field: str) -> datetime:
    """`to_utc`, with a 400 naming the field for a time that cannot be stored."""
    try:
        return to_utc(moment)
    except OverflowError:
        raise Invalid(
            f"{field}: {moment.isoformat()} is outside years 1 to 9999 in UTC", field=field
        ) from None


# `\u0000` preceded by an even number of backslashes (an odd number escapes the first one:
# `\\u0000` is the six characters `\u0000`, not a NUL).
_NUL_ESCAPE = re.compile(rb"(?<!\\)((?:\\\\)*)\\u0000")


def replace_nul_escapes(raw: bytes) -> bytes:
    """JSON text from Meta (a webhook body, a Graph answer) with every NUL (`\\u0000`,
    which JSON strings may hold and Postgres text and jsonb may not) turned into U+FFFD,
    the replacement character: a customer's message or name with one is stored (and shows
    that something was there) rather than refused. The scan for the escape is all a body
    without one costs."""
    if b"\\u0000" not in raw:
        return raw
    return _NUL_ESCAPE.sub(rb"\1\\ufffd", raw)


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.path: list[str | int] = []


def check_json_body(raw: bytes, value: Any) -> None:
    """`check_json_value` for a body decoded from `raw`, walked only when its bytes could
    hold a problem: a NUL is always the escape `\\u0000` (a raw one is not JSON), and a
    body with fewer brackets than the limit cannot nest deeper. A typical body costs two
    byte scans."""
    if b"\\u0000" in raw or raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH:
        check_json_value(value)


def check_json_value(value: Any) -> None:
    """Refuse (400, naming the field path) a decoded JSON value with a NUL character in
    a string or a key, or nested deeper than MAX_JSON_DEPTH."""
    try:
        _walk({"": value}, -1)
    except _Refused as refused:
        field = _path(refused.path[:-1])  # the last part is the wrapper's ""
        where = f"`{field}`" if field else "the body"
        raise Invalid(f"{where} {refused.reason}", field=field or None) from None


def _walk(container: dict | list, depth: int) -> None:
    # Recursive, into containers only: the depth limit keeps it shallow. Decoded JSON
    # has exact types (dict, list, str), hence `type(...) is`. Paths are built on refusal.
    if depth >= MAX_JSON_DEPTH:
        raise _Refused(f"is nested more than {MAX_JSON_DEPTH} levels deep")
    items = container.items() if type(container) is dict else enumerate(container)
    for key, item in items:
        if type(key) is str and "\x00" in key:
            raise _Refused("has a key with a NUL character (\\u0000)")
        try:
            kind = type(item)
            if kind is str:
                if "\x00" in item:
                    raise _Refused("contains a NUL character (\\u0000), which cannot be stored")
            elif kind is dict or kind is list:
                _walk(item, depth + 1)
        except _Refused as refused:
            refused.path.append(key)
            raise


def _path(parts: list[str | int]) -> str:
    """`["url", 0, "attachments"]` (innermost first) -> `attachments[0].url`."""
    text = ""
    for part in reversed(parts):
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text


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
