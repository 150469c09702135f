"""Meta's webhook endpoint: the subscription handshake and signed deliveries.

A plain ASGI handler rather than Litestar's request/response machinery: this is the one
route Meta may hit thousands of times a second (a redelivery burst), and profiling such a
burst showed Litestar's per-request dependency resolution, signature parsing and response
building taking about 60% of the process's CPU against 10% for the work itself (read,
verify, commit). Everything an HTTP handler would check is checked here by hand: method,
size limit (413, also for chunked bodies), signature (403), database down (503).
"""

from __future__ import annotations

import hmac
import logging
import time
from urllib.parse import parse_qs

import msgspec
from litestar import asgi
from litestar.types import Receive, Scope, Send

from wazify.auth.guards import SKIP_AUTH
from wazify.lib.http_errors import DATABASE_DOWN_MESSAGE, WRITE_REFUSED, error_body
from wazify.lib.logs import REQUEST_ID_HEADER, bind_request_id, request_id_from, unbind
from wazify.meta.signature import verify_signature
from wazify.ops.metrics import WEBHOOK, webhook_ack_seconds
from wazify.ops.request_id import OWN_REQUEST_ID
from wazify.runtime import Runtime
from wazify.webhooks.service import WebhookPipeline

log = logging.getLogger("wazify.webhooks")

WEBHOOK_PATH = "/webhooks/instagram"
ACKNOWLEDGED = b"EVENT_RECEIVED"
_SIGNATURE_HEADER = b"x-hub-signature-256"


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    """The sender disconnected before the whole body arrived: nothing to answer."""


@asgi(
    WEBHOOK_PATH,
    include_in_schema=False,
    copy_scope=False,
    opt={SKIP_AUTH: True, OWN_REQUEST_ID: True},
)
async def instagram_webhook(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":  # a websocket handshake: refused (HTTP 403)
        await send({"type": "websocket.close", "code": 1008})
        return
    state = scope["litestar_app"].state
    method = scope["method"]
    if method == "GET":
        await _verify_subscription(scope, send, state.runtime)
    elif method == "POST":
        # The request id, its log binding and the two metric updates cost about 6 us per
        # POST (10 to 15 with --workers' shared metric files; bench/instrumentation.py),
        # against about 500 us of server CPU per delivery (bench/ingest.py).
        started = time.perf_counter()
        request_id = request_id_from(_header(scope, REQUEST_ID_HEADER))
        token = bind_request_id(request_id)
        try:
            outcome = await _receive_delivery(
                scope, receive, send, state.runtime, state.webhooks, request_id
            )
        finally:
            unbind(token)
        WEBHOOK[outcome].inc()
        webhook_ack_seconds.observe(time.perf_counter() - started)
    else:
        message = f"{method} is not allowed here: GET (handshake) or POST (deliveries)"
        body = error_body("method_not_allowed", message)
        await _answer(send, 405, body, extra_headers=[(b"allow", b"GET, POST")])


async def _verify_subscription(scope: Scope, send: Send, runtime: Runtime) -> None:
    """Echo the challenge, exactly as sent, when the mode and verify token are right."""
    query = parse_qs(scope["query_string"].decode("latin-1"), keep_blank_values=True)
    mode, token, challenge = (
        query.get(name, [""])[0] for name in ("hub.mode", "hub.verify_token", "hub.challenge")
    )
    expected = runtime.settings.meta_verify_token
    if mode == "subscribe" and expected and hmac.compare_digest(token, expected):
        await _answer(send, 200, challenge.encode())
        return
    await _answer(send, 403, error_body("forbidden", "webhook verification failed"))


async def _receive_delivery(
    scope: Scope,
    receive: Receive,
    send: Send,
    runtime: Runtime,
    webhooks: WebhookPipeline,
    request_id: str,
) -> str:
    """Verify the signature over the raw bytes, commit the body (with the request id, for
    the processing's log lines), then answer 200. Returns the outcome, for the metrics.

    Content problems never produce an error status here (Meta disables subscriptions that
    keep failing): they are found and recorded by the processor. Postgres down: 503 (Meta
    retries); the broker is not touched on this path.
    """
    echo = (REQUEST_ID_HEADER, request_id.encode())
    limit = runtime.settings.webhook_max_bytes
    try:
        body = await _read_body(scope, receive, limit)
    except BodyTooLarge:
        message = f"the body exceeds {limit} bytes"
        await _answer(send, 413, error_body("too_large", message), [echo])
        return "too_large"
    except ClientGone:
        return "client_gone"
    signature = _header(scope, _SIGNATURE_HEADER)
    if not verify_signature(body, signature, runtime.settings.meta_app_secrets):
        reason = "missing" if not signature else "invalid"
        log.warning("webhook refused: %s X-Hub-Signature-256", reason)
        body = error_body("forbidden", f"{reason} X-Hub-Signature-256")
        await _answer(send, 403, body, [echo])
        return "bad_signature"
    try:
        await webhooks.writer.store(body, request_id)
    except WRITE_REFUSED as error:
        log.error("webhook not stored, Meta will retry: %s", error)
        body = error_body("unavailable", DATABASE_DOWN_MESSAGE)
        await _answer(send, 503, body, [(b"retry-after", b"5"), echo])
        return "unavailable"
    await _answer(send, 200, ACKNOWLEDGED, [echo])
    return "stored"


async def _read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    declared = _header(scope, b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:  # chunked, or a Content-Length that lied
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


async def _answer(
    send: Send,
    status: int,
    body: bytes | dict,
    extra_headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    if isinstance(body, bytes):
        content, media_type = body, b"text/plain; charset=utf-8"
    else:
        content, media_type = msgspec.json.encode(body), b"application/json"
    headers = [(b"content-type", media_type), (b"content-length", b"%d" % len(content))]
    headers += extra_headers or []
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})
