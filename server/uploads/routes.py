"""Attachments from the composer, and the files Meta fetches.

POST /api/v1/conversations/{id}/attachments takes the file as the raw request body (any
Content-Type: the format is sniffed from the bytes), optionally `?client_id=` for a retried
request, and answers like a reply: 201 with the pending message (200 for a known client
id). 415 for a format Instagram cannot send, 413 for a file over Meta's limit for its kind,
404 for another workspace's conversation, 409 when the messaging window is closed.

GET /media/{token} is public: Meta fetches the file from there, without credentials. The
token is 43 random characters, so the URL is the secret; it serves only what was uploaded
(never a path of the client's choosing), as the sniffed type, never sniffed again by the
browser (nosniff), inline.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import File

from wazify.actions.uow import unit_of_work
from wazify.actions.uploads import do_send_upload
from wazify.auth.guards import public, require_member
from wazify.auth.principal import Principal, client_addr
from wazify.lib.errors import NotFound, TooLarge
from wazify.lib.inputs import DbId
from wazify.runtime import Runtime
from wazify.uploads.queries import upload_by_token
from wazify.uploads.sniff import MAX_UPLOAD, MB
from wazify.views import MessageView

ClientId = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Token = Annotated[str, msgspec.Meta(min_length=20, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def _check_length(request: Request) -> None:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_UPLOAD:
        raise TooLarge(
            f"the file is {int(declared) / MB:.1f} MB; Instagram takes images up to 8 MB"
            f" and videos and audio up to {MAX_UPLOAD // MB} MB",
            field="file",
        )


@post(
    "/api/v1/conversations/{conversation_id:int}/attachments",
    guards=[require_member],
    status_code=201,
    request_max_body_size=MAX_UPLOAD + 1,
    tags=["replies"],
)
async def attachments_send(
    request: Request,
    conversation_id: FromPath[DbId],
    runtime: NamedDependency[Runtime],
    principal: NamedDependency[Principal],
    client_id: FromQuery[ClientId | None] = None,
) -> Response[MessageView]:
    """Send an image, a video or an audio file (the request body) as a reply."""
    _check_length(request)
    data = await request.body()
    settings = runtime.settings
    async with unit_of_work(runtime, principal.actor(client_addr(request.scope))) as uow:
        view, created = await do_send_upload(
            uow,
            principal.workspace_id,
            conversation_id,
            data,
            folder=settings.uploads_folder,
            public_url=settings.public_url,
            author_id=principal.user_id,
            by_person=principal.via == "session",
            client_id=client_id,
        )
    return Response(view, status_code=201 if created else 200)


@get("/media/{token:str}", guards=[public], include_in_schema=False)
async def media_file(token: FromPath[Token], runtime: NamedDependency[Runtime]) -> File:
    upload = await upload_by_token(token)
    path = runtime.settings.uploads_folder / upload["file_name"] if upload else None
    if path is None or not path.is_file():
        raise NotFound("no such file")
    return File(
        path,
        media_type=upload["content_type"],
        content_disposition_type="inline",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"},
    )


uploads_handlers = [attachments_send, media_file]
