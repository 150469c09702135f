"""Bodies of the account routes. Requests reject unknown fields."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from wazify.views import AccountView


class Body(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class PasteTokenRequest(Body, kw_only=True):
    """A long-lived Instagram User access token (the App Dashboard's "Generate token")."""

    token: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]

    def __repr__(self) -> str:  # never show the token
        return "PasteTokenRequest(token=<hidden>)"


class DisconnectRequest(Body, kw_only=True):
    """Optional body of a disconnect: also delete the account's conversations (and its
    contacts and messages, permanently, right after)."""

    delete_conversations: bool = False


class ConnectResponse(msgspec.Struct, kw_only=True):
    authorize_url: str


class AccountHealth(msgspec.Struct, kw_only=True):
    """An account as every member sees it, with webhook health; token metadata for staff."""

    account: AccountView
    last_webhook_at: datetime | None = None
    subscribed_at: datetime | None = None
    token_expires_at: datetime | None = None
    token_refreshed_at: datetime | None = None
    scopes: list[str] | None = None


class SubscriptionCheck(msgspec.Struct, kw_only=True):
    subscribed: bool
    resubscribed: bool
    fields: list[str]
    account: AccountView
