"""Privacy routes: an admin erases a contact; Meta's data-deletion and deauthorize callbacks;
the public status page of a data-deletion request.

Meta's callbacks are server-to-server POSTs with one form field, `signed_request`: like the
webhook route they skip the session middleware (SKIP_AUTH: there is no cookie to ride, so
no CSRF either) and authenticate by the signature alone. It is checked against every
configured app secret (META_APP_SECRETS), as webhook signatures are: under Instagram Login
Meta signs with the Instagram app secret, under Facebook Login with the Meta app secret,
and an installation may list both, or an old and a new one while rotating. A signature
none of them made is refused (403), as is an expired request; a malformed one is a 400.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import parse_qs

import msgspec
from litestar import MediaType, Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from wazify.auth.guards import SKIP_AUTH, public, require_admin
from wazify.auth.principal import Principal, client_addr
from wazify.lib.errors import Forbidden, Invalid, Unavailable, UnsupportedMediaType
from wazify.meta.signed_request import (
    BadSignature,
    InvalidSignedRequest,
    SignedRequest,
    parse_signed_request,
)
from wazify.privacy import service
from wazify.privacy.status_page import STATUS_HEADERS, status_page, unknown_code_page
from wazify.runtime import Runtime

FORM = "application/x-www-form-urlencoded"
STATUS_PATH = "/meta/data-deletion/status"
_CODE = re.compile(r"[A-Z0-9]{1,40}")


class ErasureResponse(msgspec.Struct, kw_only=True):
    contact_id: int
    conversation_ids: list[int]
    messages: int
    events_redacted: int
    receipts_redacted: int


class DeletionAnswer(msgspec.Struct, kw_only=True):
    url: str
    confirmation_code: str


@post("/api/v1/contacts/{contact_id:int}/erase", guards=[require_admin], status_code=200)
async def contacts_erase(
    request: Request,
    contact_id: FromPath[int],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
) -> ErasureResponse:
    """Erase a contact on request: their conversations, messages, reactions, the raw
    receipts and logged events naming them. Permanent; audited without the content."""
    actor = principal.actor(client_addr(request.scope))
    result = await service.erase_contact(runtime, actor, principal.workspace_id, contact_id)
    return ErasureResponse(**dataclasses.asdict(result))


async def _signed_request(request: Request, runtime: Runtime) -> SignedRequest:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM:
        raise UnsupportedMediaType(f"send the signed_request as {FORM}", code="form_required")
    secrets = runtime.settings.meta_app_secrets
    if not any(secrets):
        raise Unavailable("META_APP_SECRETS is not configured", code="not_configured")
    form = parse_qs((await request.body()).decode("latin-1"))
    value = (form.get("signed_request") or [""])[0]
    if not value:
        raise Invalid("the form field signed_request is required", field="signed_request")
    try:
        payload = parse_signed_request(value, secrets)
    except BadSignature as error:
        raise Forbidden(f"signed_request refused: {error}", code="bad_signature") from None
    except InvalidSignedRequest as error:
        raise Invalid(f"signed_request: {error}", field="signed_request") from None
    now = runtime.clock()
    if payload.expires is not None and payload.expires < now:
        expired = datetime.fromtimestamp(payload.expires, UTC).isoformat(timespec="seconds")
        raise Forbidden(f"signed_request expired at {expired}", code="expired")
    return payload


@post("/meta/data-deletion", guards=[public], opt={SKIP_AUTH: True}, status_code=200)
async def meta_data_deletion(
    request: Request,
    runtime: NamedDependency[Runtime],
    wake_deletions: NamedDependency[Callable[[], None]],
) -> DeletionAnswer:
    """Meta's Data Deletion Request callback (PLATFORM.md section 9)."""
    payload = await _signed_request(request, runtime)
    code = await service.request_data_deletion(runtime, payload.user_id)
    wake_deletions()
    url = f"{runtime.settings.public_url}{STATUS_PATH}?code={code}"
    return DeletionAnswer(url=url, confirmation_code=code)


@post("/meta/deauthorize", guards=[public], opt={SKIP_AUTH: True}, status_code=200)
async def meta_deauthorize(request: Request, runtime: NamedDependency[Runtime]) -> dict:
    """Meta's Deauthorize callback: disconnect, keep the data (Meta reads no body)."""
    payload = await _signed_request(request, runtime)
    return {"disconnected": await service.deauthorize(runtime, payload.user_id)}


@get(STATUS_PATH, guards=[public], opt={SKIP_AUTH: True}, include_in_schema=False)
async def meta_data_deletion_status(
    runtime: NamedDependency[Runtime], code: FromQuery[str] = ""
) -> Response[str]:
    """A public, human-readable page: that request's progress, by its code, nothing else."""
    code = code.strip().upper()
    status = await service.deletion_status(runtime, code) if _CODE.fullmatch(code) else None
    if status is None:
        return Response(
            unknown_code_page(), status_code=404, media_type=MediaType.HTML, headers=STATUS_HEADERS
        )
    return Response(status_page(status), media_type=MediaType.HTML, headers=STATUS_HEADERS)


privacy_router = Router(
    path="/",
    route_handlers=[
        contacts_erase,
        meta_data_deletion,
        meta_deauthorize,
        meta_data_deletion_status,
    ],
    tags=["privacy"],
)
