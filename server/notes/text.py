"""How a note's text writes mentions: `<@user_id>` where the author picked a member, so the
note names the member by id and every reader sees that member's name as it is today."""

from __future__ import annotations

import re

MENTION = re.compile(r"<@(\d{1,19})>")
NOTE_MAX_LENGTH = 5000  # characters: a note is for the team, not a document
MENTIONS_MAX = 20


def mentioned_ids(text: str) -> list[int]:
    """The members a text mentions, each once, in the order they first appear."""
    return list(dict.fromkeys(int(found) for found in MENTION.findall(text)))
