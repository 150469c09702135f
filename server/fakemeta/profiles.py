"""Fake User Profile API: `GET /{version}/{igsid}?fields=...` (PLATFORM.md section 8.2).

The same path reads the Conversations API's threads and messages (fakemeta.conversations).
"""

import re
from typing import Any

from litestar import Controller, Request, get
from litestar.params import FromPath, FromQuery

from wazify.fakemeta.auth import authenticate
from wazify.fakemeta.errors import (
    consent_required,
    nonexisting_field,
    object_unavailable,
    unknown_path,
)
from wazify.fakemeta.state import Fake, FakeGraphState, FakeProfile, FakeToken

PROFILE_FIELDS = frozenset(
    {
        "id",
        "name",
        "username",
        "profile_pic",
        "follower_count",
        "is_user_follow_business",
        "is_business_follow_user",
        "is_verified_user",
    }
)
VERSION = re.compile(r"v\d+\.\d+")


class ProfileController(Controller):
    path = "/{version:str}"

    @get("/{node_id:str}")
    async def get_profile(
        self,
        request: Request,
        fake: Fake,
        version: FromPath[str],
        node_id: FromPath[str],
        fields: FromQuery[str | None] = None,
    ) -> dict[str, Any]:
        if not VERSION.fullmatch(version):
            raise unknown_path(request.url.path)
        # Threads and messages are nodes on the same path (imported here: that module
        # imports this one for VERSION).
        from wazify.fakemeta.conversations import node_answer

        node = node_answer(request, fake, node_id, fields)
        if node is not None:
            return node
        token = authenticate(request, fake)
        requested = _requested_fields(fields)
        profile = _visible_profile(fake, node_id, token)
        return _select(profile, requested)


def _requested_fields(fields: str | None) -> list[str]:
    # Without `fields`, Graph returns only the id.
    names = [name.strip() for name in (fields or "id").split(",") if name.strip()]
    for name in names:
        if name not in PROFILE_FIELDS:
            raise nonexisting_field(name)
    return names


def _visible_profile(state: FakeGraphState, igsid: str, token: FakeToken) -> FakeProfile:
    profile = state.profiles.get(igsid)
    foreign = profile is not None and profile.account_ig_id not in (None, token.ig_id)
    # Meta does not tell "unknown", "someone else's" and "blocked you" apart.
    if profile is None or foreign or profile.blocked:
        raise object_unavailable(igsid)
    if not profile.consent:
        raise consent_required()
    return profile


def _select(profile: FakeProfile, names: list[str]) -> dict[str, Any]:
    """Only the requested fields, in request order; null values are omitted as Meta does."""
    values = {name: getattr(profile, name, None) for name in names}
    if "id" in values:
        values["id"] = profile.igsid
    return {name: values[name] for name in names if values[name] is not None}
