"""Bodies of the export routes. Requests reject unknown fields (a 400 naming the field)."""

from __future__ import annotations

import msgspec

from wazify.lib.inputs import DbId
from wazify.views import ExportView


class ExportRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """No contact: the whole workspace. A contact: everything about that one person."""

    contact_id: DbId | None = None


class ExportJobView(ExportView, kw_only=True):
    """A job as the API shows it to admins: with its download link while that works (a
    path on this server, and the same as an absolute URL on WAZIFY_PUBLIC_URL)."""

    download_path: str | None = None
    download_url: str | None = None


class ExportList(msgspec.Struct, kw_only=True):
    items: list[ExportJobView]
