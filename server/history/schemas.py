"""Bodies of the history routes. Requests reject unknown fields."""

from __future__ import annotations

from typing import Annotated

import msgspec


class ResyncRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """How many days back to look (at most the history window); without it, from the
    account's last sign of health (its last webhook or finished resync)."""

    days: Annotated[int, msgspec.Meta(ge=1, le=365)] | None = None
