"""Checks every HTTP request's input gets before any handler sees it.

- A JSON body must say so: `Content-Type: application/json` (a charset, if given, is
  UTF-8), else 415. A cross-site form can post `text/plain` without a CORS preflight; a
  browser sends `application/json` cross-site only after a preflight that we never answer.
  That closes login CSRF (a page signing a victim's browser into the attacker's account),
  and the same rule holds for every route that reads a JSON body.
- The decoded body then passes `check_json_body` (no NUL, bounded depth; a body nested
  thousands deep is refused rather than raising RecursionError in the decoder).
- A path or query string with a NUL character is refused (400 naming the parameter).

The first two live in the Request class, whose `json()` every JSON body goes through, so
routes without a body (and the webhook endpoint, a plain ASGI handler) are not affected.
They cost about 5 µs of CPU on a typical request (bench/request_checks.py: a reply POST,
72 µs in Litestar without them, before any database work).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from litestar import Request
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware

from wazify.lib.errors import Invalid, UnsupportedMediaType
from wazify.lib.inputs import MAX_JSON_DEPTH, check_json_body

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Receive, Scope, Send

JSON_MEDIA_TYPE = "application/json"


class JSONRequest(Request):
    async def json(self) -> Any:
        if _raw_content_type(self.scope) != b"application/json":  # else the exact common case
            _check_media_type(*self.content_type)
        try:
            value = await super().json()
        except RecursionError:
            raise Invalid(f"the body is nested more than {MAX_JSON_DEPTH} levels deep") from None
        check_json_body(await self.body(), value)
        return value


def _raw_content_type(scope: Scope) -> bytes | None:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return value
    return None


def _check_media_type(media_type: str, options: dict[str, str]) -> None:
    if media_type != JSON_MEDIA_TYPE:
        sent = f"Content-Type {media_type}" if media_type else "no Content-Type"
        raise UnsupportedMediaType(
            f"send the body as JSON with Content-Type: application/json ({sent} given)"
        )
    if options.get("charset", "utf-8").lower() not in ("utf-8", "utf8"):
        raise UnsupportedMediaType("JSON bodies are UTF-8: drop the charset or say utf-8")


class RefuseNulMiddleware(ASGIMiddleware):
    """400 for a NUL character in the path or a query parameter (Postgres cannot store
    one, and file paths cannot hold one)."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if "\x00" in scope["path"]:
            raise Invalid("the path contains a NUL character", field="path")
        query = scope["query_string"]
        if b"%00" in query or b"\x00" in query:
            name = _parameter_with_nul(query)
            raise Invalid(f"query parameter {name!r} contains a NUL character", field=name)
        await next_app(scope, receive, send)


def _parameter_with_nul(query: bytes) -> str:
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return name.replace("\x00", "")
    return "query"
