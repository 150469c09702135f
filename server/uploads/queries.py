"""Read-only lookups of uploaded files."""

from __future__ import annotations

from wazify.db.tables import Upload


async def upload_by_token(token: str) -> dict | None:
    """The stored file behind a /media/<token> URL: its name and content type."""
    rows = await Upload.select(Upload.file_name, Upload.content_type).where(Upload.token == token)
    return rows[0] if rows else None
