"""The security headers every HTTP response carries: the page, its files, the API, /schema,
errors and 404s alike (a `before_send` hook sees every response the app sends).

The Content Security Policy lets the app run only its own files: no inline script or style
(the app builds its DOM with createElement and sets sizes through the CSSOM, which CSP does
not restrict), no plugins, no <base> rewriting, no framing (clickjacking). Pictures and
media may come from any https origin: Instagram's CDN hosts vary (cdninstagram.com,
fbcdn.net, fbsbx.com...) and an agent's reply may attach any public https file; they load
with no referrer. Connections go to our own origin only, the websocket included: CSP Level 3
matches ws:/wss: for 'self', and the public URL's ws(s) origin is named as well for browsers
that predate that.

Referrer-Policy is same-origin rather than no-referrer: nothing leaks to other sites either
way, but under no-referrer browsers send `Origin: null` on same-origin POSTs, which would
defeat any Origin check. HSTS only when the public URL is https (it would lock a plain-http
installation out of itself).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from litestar.types import Message, Scope

from wazify.settings import Settings

HSTS = "max-age=31536000"  # one year; not includeSubDomains: other hosts are not ours


def content_security_policy(public_url: str) -> str:
    parts = urlsplit(public_url)
    socket_origin = f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}"
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' https:",
            "media-src 'self' https:",
            f"connect-src 'self' {socket_origin}",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
            "base-uri 'none'",
        ]
    )


def security_headers(settings: Settings) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-security-policy", content_security_policy(settings.public_url).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
    ]
    if settings.public_url.startswith("https://"):
        headers.append((b"strict-transport-security", HSTS.encode()))
    return headers


def add_security_headers(settings: Settings) -> Callable[[Message, Scope], Awaitable[None]]:
    """A `before_send` hook adding the headers to each response start (unless set already)."""
    extra = security_headers(settings)

    async def hook(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        present = {name.lower() for name, _ in message.get("headers", ())}
        missing = [(name, value) for name, value in extra if name not in present]
        message["headers"] = [*message.get("headers", ()), *missing]  # type: ignore[typeddict-unknown-key]

    return hook
