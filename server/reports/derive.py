"""A conversation's report facts, from its messages and status changes alone.

Pure: the same history always gives the same facts, whether the reports worker derives
them as the conversation changes or `wazify metrics rebuild` derives them all again;
that sameness is what makes the incremental figures checkable (tests/reports). The
definitions are docs/reports.md's:

- a reply: the first business message (an agent's, or one sent from the Instagram app)
  after one or more customer messages; it starts at the first of those customer messages.
  The conversation's first reply is its first response.
- an opening: the conversation's first message; a reopening: a status change out of
  resolved; a resolution: a change into resolved, which started at the last reopening
  before it (else at the opening).
- messages in and out, counted per 15-minute bucket (every time zone's offset is a
  multiple of 15 minutes, so buckets fall into local hours exactly).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

BUCKET = timedelta(minutes=15)
# Customer messages that wait for an answer, and business messages that answer.
ASKING_KINDS = frozenset({"message", "postback"})
ANSWERING_SOURCES = frozenset({"agent", "instagram_app"})


@dataclass(frozen=True)
class HistoryMessage:
    id: int
    direction: str
    kind: str
    source: str
    author_id: int | None
    sent_at: datetime


@dataclass(frozen=True)
class StatusChange:
    id: int
    from_status: str
    to_status: str
    assignee_id: int | None
    changed_at: datetime


@dataclass(frozen=True, order=True)
class Fact:
    kind: str
    at: datetime
    started_at: datetime | None = None
    member_id: int | None = None
    first: int = 0
    count: int = 1


def bucket_start(moment: datetime) -> datetime:
    seconds = int(moment.timestamp()) // int(BUCKET.total_seconds()) * int(BUCKET.total_seconds())
    return datetime.fromtimestamp(seconds, UTC)


def reply_facts(messages: list[HistoryMessage]) -> list[Fact]:
    facts: list[Fact] = []
    waiting_since: datetime | None = None
    for message in sorted(messages, key=lambda m: (m.sent_at, m.id)):
        if message.direction == "in" and message.kind in ASKING_KINDS:
            waiting_since = waiting_since or message.sent_at
        elif (
            message.direction == "out"
            and message.source in ANSWERING_SOURCES
            and waiting_since is not None
        ):
            first = 0 if facts else 1
            facts.append(Fact("reply", message.sent_at, waiting_since, message.author_id, first))
            waiting_since = None
    return facts


def volume_facts(messages: list[HistoryMessage]) -> list[Fact]:
    counts: Counter[tuple[str, datetime, int | None]] = Counter()
    for message in messages:
        if message.direction == "in":
            counts[("message_in", bucket_start(message.sent_at), None)] += 1
        else:
            counts[("message_out", bucket_start(message.sent_at), message.author_id)] += 1
    return [
        Fact(kind, at, member_id=member, count=count)
        for (kind, at, member), count in counts.items()
    ]


def status_facts(opened_at: datetime | None, changes: list[StatusChange]) -> list[Fact]:
    facts: list[Fact] = []
    episode_start = opened_at
    # In the order they were made (ids: each change locked the conversation, so each one's
    # from_status is the previous one's to_status), not by time: a customer's message
    # reopening a conversation is dated by Meta, possibly before a change made meanwhile.
    for change in sorted(changes, key=lambda c: c.id):
        was_resolved = change.from_status == "resolved"
        if was_resolved and change.to_status != "resolved":
            facts.append(Fact("reopened", change.changed_at, member_id=change.assignee_id))
            episode_start = change.changed_at
        elif change.to_status == "resolved" and not was_resolved:
            started = (
                episode_start if episode_start and episode_start <= change.changed_at else None
            )
            facts.append(Fact("resolved", change.changed_at, started, change.assignee_id))
    return facts


def derive_facts(messages: list[HistoryMessage], changes: list[StatusChange]) -> list[Fact]:
    """Every fact of one conversation, in a stable order."""
    opened_at = min((m.sent_at for m in messages), default=None)
    facts = [Fact("opened", opened_at)] if opened_at is not None else []
    facts += reply_facts(messages) + volume_facts(messages) + status_facts(opened_at, changes)
    return sorted(facts, key=lambda f: (f.kind, f.at, f.member_id or 0, f.first))
