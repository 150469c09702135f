"""Meta's webhook endpoint: the subscription handshake and signed deliveries."""

from __future__ import annotations

import hmac
import logging

from litestar import Request, Response, get, post
from litestar.params import Parameter

from wazify.lib.http_errors import error_body
from wazify.meta.signature import verify_signature
from wazify.runtime import Runtime
from wazify.webhooks.service import WebhookPipeline

log = logging.getLogger("wazify.webhooks")


@get("/webhooks/instagram", include_in_schema=False)
async def verify_subscription(
    runtime: Runtime,
    mode: str = Parameter(query="hub.mode", default=""),
    token: str = Parameter(query="hub.verify_token", default=""),
    challenge: str = Parameter(query="hub.challenge", default=""),
) -> Response:
    """Echo the challenge, exactly as sent, when the mode and verify token are right."""
    expected = runtime.settings.meta_verify_token
    if mode == "subscribe" and expected and hmac.compare_digest(token, expected):
        return Response(challenge, media_type="text/plain", status_code=200)
    return Response(error_body("forbidden", "webhook verification failed"), status_code=403)


@post("/webhooks/instagram", include_in_schema=False, status_code=200)
async def receive_delivery(
    request: Request, runtime: Runtime, webhooks: WebhookPipeline
) -> Response:
    """Verify the signature over the raw bytes, commit the body, then answer 200.

    Content problems never produce an error status here (Meta disables subscriptions that
    keep failing): they are found and recorded by the processor. Postgres down: 503 (Meta
    retries); the broker is not touched on this path.
    """
    body = await request.body()
    signature = request.headers.get("x-hub-signature-256")
    if not verify_signature(body, signature, runtime.settings.meta_app_secrets):
        reason = "missing" if not signature else "invalid"
        log.warning("webhook refused: %s X-Hub-Signature-256", reason)
        return Response(error_body("forbidden", f"{reason} X-Hub-Signature-256"), status_code=403)
    await webhooks.writer.store(body)
    return Response("EVENT_RECEIVED", media_type="text/plain")
