"""Bodies of the auto-assignment routes. Requests reject unknown fields; values outside
the choices are 400s naming the field (checked again by the actions)."""

from __future__ import annotations

from typing import Annotated

import msgspec

Choice = Annotated[str, msgspec.Meta(max_length=40)]
Capacity = Annotated[int, msgspec.Meta(ge=0, le=1000)]


class Body(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class UpdateSettingsRequest(Body, kw_only=True):
    """Fields left out are kept. eligibility: online (per presence) or active (every
    active member); strategy: least_loaded or round_robin; default_capacity: 0 to 1000
    open conversations a member holds at most, unless they have their own."""

    enabled: bool | None = None
    eligibility: Choice | None = None
    strategy: Choice | None = None
    default_capacity: Capacity | None = None
    # Online eligibility: minutes offline after which a member's unanswered conversations
    # return to the queue (1 to 1440); 0 turns it off. Left out: kept.
    offline_return_minutes: Annotated[int, msgspec.Meta(ge=0, le=1440)] | None = None


class CapacityRequest(Body, kw_only=True):
    """null: the workspace's default."""

    capacity: Capacity | None


class AccountRequest(Body, kw_only=True):
    """A connected account's own on/off; null: it follows the workspace's setting."""

    enabled: bool | None


class AccountView(msgspec.Struct, kw_only=True):
    account_id: int
    enabled: bool | None


class CapacityView(msgspec.Struct, kw_only=True):
    user_id: int
    capacity: int | None
