"""The contact panel's body: who the contact is, what Meta's profile says of them, what
brought them, and their conversations with the workspace."""

from __future__ import annotations

from datetime import datetime

import msgspec

from wazify.views import ContactView, ConversationView


class ProfileFacts(msgspec.Struct, kw_only=True):
    """Meta's user profile beyond name, username and picture (PLATFORM.md 8.2); None where
    Meta said nothing."""

    follower_count: int | None = None
    is_user_follow_business: bool | None = None
    is_business_follow_user: bool | None = None
    is_verified_user: bool | None = None


class ContactPanel(msgspec.Struct, kw_only=True):
    contact: ContactView
    account_username: str  # the business account they wrote to
    first_seen_at: datetime
    profile_fetched_at: datetime | None = None
    facts: ProfileFacts | None = None
    # The ad or ig.me link that started the conversation: Meta's referral as received
    # (ref, source "ADS" or "SHORTLINK", ad_id, ads_context_data{ad_title, photo_url}).
    started_by: dict | None = None
    # Their conversations, newest activity first: with this account, and with the
    # workspace's other accounts under the same Instagram username (Meta gives each
    # account its own id for a person, so the username is what links them).
    conversations: list[ConversationView] = []
