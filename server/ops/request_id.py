"""Every HTTP request gets an id: the caller's X-Request-ID when sane, else a new one.

It is bound to the log context for the request's handling (every log line the request
causes names it) and returned in the response's X-Request-ID header. The webhook endpoint
does the same by hand (it bypasses the framework's machinery, see webhooks/routes.py) and
also stores the id with the receipt, so the background processing's lines name it too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware

from wazify.lib.logs import REQUEST_ID_HEADER, bind_request_id, request_id_from, unbind

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

# A route handler with this opt set binds its request id itself.
OWN_REQUEST_ID = "own_request_id"


def incoming_request_id(scope: Scope) -> str:
    for key, value in scope["headers"]:
        if key == REQUEST_ID_HEADER:
            return request_id_from(value)
    return request_id_from(None)


class RequestIdMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)
    exclude_opt_key = OWN_REQUEST_ID

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request_id = incoming_request_id(scope)
        header = (REQUEST_ID_HEADER, request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        token = bind_request_id(request_id)
        try:
            await next_app(scope, receive, send_with_id)
        finally:
            unbind(token)
