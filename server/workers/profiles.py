"""Fetch contacts' names, usernames and pictures from Meta's user profile API.

Only after the person wrote to the business (Meta's consent rule): contacts are created by
their first message, so every contact qualifies. Pictures' URLs expire within days, so
fetched profiles are refreshed periodically. Failures that will not heal (no consent, a
blocked business) mark the profile unavailable; passing ones are retried later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from wazify.actions.contacts import do_record_profile
from wazify.actions.secrets import ACCESS_TOKEN, secret_context
from wazify.actions.uow import Actor, unit_of_work
from wazify.db.expressions import db_now_plus, nulls_first
from wazify.db.tables import Contact
from wazify.meta.graph_client import GraphClient
from wazify.meta.graph_errors import GraphError
from wazify.runtime import Runtime
from wazify.workers.background import BackgroundLoop

log = logging.getLogger("wazify.profiles")
ACTOR = Actor.system("profile-fetcher")

# Answers meaning "this person's profile is not ours to read": no consent (230), blocked
# or no such user (100 with subcode 33: the object cannot be loaded), unavailable (551).
# A bare 100 is a bad request of ours (a field this API lacks): retried, not final.
UNAVAILABLE_CODES = {230, 551}
OBJECT_UNAVAILABLE = (100, 33)
# What else the profile says, kept as the contact's facts (the contact panel shows them).
FACTS = (
    "follower_count",
    "is_user_follow_business",
    "is_business_follow_user",
    "is_verified_user",
)


async def due_contacts(
    limit: int, retry_after: timedelta, refresh_after: timedelta
) -> list[dict[str, Any]]:
    """Contacts of connected accounts whose profile is due: never fetched, a passing failure
    older than `retry_after`, or a fetched one older than `refresh_after`; the longest
    waiting first (never fetched before all), with their account's token."""
    fetched_at = Contact.profile_fetched_at
    pending = (Contact.profile_state == "pending") & (
        fetched_at.is_null() | (fetched_at < db_now_plus(-retry_after))
    )
    stale = (Contact.profile_state == "fetched") & (fetched_at < db_now_plus(-refresh_after))
    account = Contact.account
    return (
        await Contact.select(
            Contact.id,
            Contact.igsid,
            account.id.as_alias("account_id"),
            account.access_token_enc.as_alias("access_token_enc"),
        )
        .where(
            account.access_token_enc.is_not_null()
            & (account.status == "connected")
            & (pending | stale)
        )
        .order_by(nulls_first(fetched_at), fetched_at, Contact.id)
        .limit(limit)
    )


@dataclass
class ProfileFetcher(BackgroundLoop):
    task_name = "profile-fetcher"

    runtime: Runtime
    graph: GraphClient
    retry_after: timedelta = timedelta(minutes=5)
    refresh_after: timedelta = timedelta(days=3)
    batch_size: int = 20
    _wake: asyncio.Event = field(default_factory=asyncio.Event)

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 60)
            self._wake.clear()
            try:
                while await self.fetch_due() == self.batch_size:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("profile fetching failed; retrying later")

    async def fetch_due(self) -> int:
        rows = await due_contacts(self.batch_size, self.retry_after, self.refresh_after)
        for row in rows:
            token = self.runtime.cipher.decrypt(
                row["access_token_enc"], secret_context(ACCESS_TOKEN, row["account_id"])
            )
            await self._fetch_one(row["id"], row["igsid"], token)
        return len(rows)

    async def _fetch_one(self, contact_id: int, igsid: str, token: str) -> None:
        fields: dict[str, Any] = {"name": None, "username": None, "picture_url": None}
        try:
            profile = await self.graph.get_user_profile(igsid, token)
            fields = {
                "name": profile.name,
                "username": profile.username,
                "picture_url": profile.profile_pic,
                "facts": {key: getattr(profile, key) for key in FACTS},
            }
            state, error = "fetched", ""
        except GraphError as graph_error:
            unavailable = graph_error.code in UNAVAILABLE_CODES or (
                (graph_error.code, graph_error.subcode) == OBJECT_UNAVAILABLE
            )
            state = "unavailable" if unavailable else "pending"
            error = str(graph_error)[:300]
        except Exception as failure:  # network trouble: try again after retry_after
            state, error = "pending", f"{type(failure).__name__}: {failure}"[:300]
        # Shielded: stop() cancels this task, and a transaction cancelled while it begins or
        # commits never returns its connection to the pool (closing the pool then hangs).
        await asyncio.shield(self._record(contact_id, state, error, fields))

    async def _record(
        self, contact_id: int, state: str, error: str, fields: dict[str, Any]
    ) -> None:
        async with unit_of_work(self.runtime, ACTOR) as uow:
            await do_record_profile(uow, contact_id, state=state, error=error, **fields)
