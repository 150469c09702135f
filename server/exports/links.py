"""An export's download link: its id and expiry, signed (lib/signing.py).

    /api/v1/exports/<id>/download?expires=<unix time>&signature=<HMAC>

Nothing about it is stored: any server process computes the same link for an admin who
asks, and checks one presented to it. The link works on its own, without a session, until
it expires (a copy of the file, once handed on, is out of reach anyway); whoever holds it
can download that one file, nothing else.
"""

from __future__ import annotations

from datetime import UTC, datetime

from wazify.lib.signing import LinkSigner
from wazify.settings import Settings

PURPOSE = "export-download"


def _message(export_id: int, expires: int) -> str:
    return f"{export_id}.{expires}"


def download_path(settings: Settings, export_id: int, expires_at: datetime) -> str:
    expires = int(expires_at.timestamp())
    signature = LinkSigner(settings.token_keys, PURPOSE).sign(_message(export_id, expires))
    return f"/api/v1/exports/{export_id}/download?expires={expires}&signature={signature}"


def signature_is_valid(settings: Settings, export_id: int, expires: int, signature: str) -> bool:
    return LinkSigner(settings.token_keys, PURPOSE).verify(_message(export_id, expires), signature)


def has_expired(expires: int, now: datetime | None = None) -> bool:
    return (now or datetime.now(UTC)).timestamp() >= expires
