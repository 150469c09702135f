"""A contact's reactions end in the state of the latest by Meta's timestamp, whatever order
Meta delivers them in (before or after their message), and a redelivery of any of them
changes nothing and emits nothing."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from tests.webhooks.conftest import event_log, ingest, last_seq
from wazify.fakemeta.webhooks import (
    ACCOUNT,
    CONTACT,
    TS_MS,
    body,
    entry,
    make_mid,
    reaction,
    text_message,
    unreaction,
)

LOVE = ("love", "\u2764\ufe0f")
HAHA = ("haha", "\U0001f606")


def react(mid: str, at: int, kind: tuple[str, str] = LOVE) -> dict[str, Any]:
    return reaction(ACCOUNT, CONTACT, mid, kind[0], kind[1], TS_MS + at)


def unreact(mid: str, at: int) -> dict[str, Any]:
    return unreaction(ACCOUNT, CONTACT, mid, TS_MS + at)


# name -> (the reaction events as (builder, time), what the contact shows in the end)
SCENARIOS: dict[str, tuple[list[tuple[Any, ...]], tuple[str, str] | None]] = {
    "react_unreact_react": ([(react, 1, LOVE), (unreact, 2), (react, 3, HAHA)], HAHA),
    "react_react_unreact": ([(react, 1, LOVE), (react, 2, HAHA), (unreact, 3)], None),
    # Same millisecond: the unreact wins; between two reacts, the greater (reaction, emoji).
    "react_unreact_same_time": ([(react, 5, LOVE), (unreact, 5)], None),
    "two_reacts_same_time": ([(react, 5, LOVE), (react, 5, HAHA)], LOVE),
}


def shown(expected: tuple[str, str] | None) -> list[dict[str, str]]:
    if expected is None:
        return []
    return [
        {"reactor_kind": "contact", "reactor_id": CONTACT, "reaction": expected[0]}
        | {"emoji": expected[1]}
    ]


async def state(db, workspace_id: int) -> tuple[list[dict], list[tuple[str, dict]]]:
    rows = await db.fetch("SELECT * FROM reactions ORDER BY id")
    return [dict(row) for row in rows], await event_log(db, workspace_id)


def one(item: dict[str, Any], redelivery: int = 0) -> dict[str, Any]:
    # A retry carries the same events in a new envelope: different bytes, a new receipt.
    return body([entry(ACCOUNT, [item], time_ms=TS_MS + 100_000 + redelivery)])


@pytest.mark.parametrize("name", SCENARIOS)
async def test_every_delivery_order_converges_on_the_latest_and_redelivery_is_silent(
    db, runtime, inbox, name: str
) -> None:
    events, expected = SCENARIOS[name]
    message_first = {"message": True}
    # Every order of the reactions, with their message delivered first, in between or last.
    orders = [
        order
        for permutation in itertools.permutations(range(len(events)))
        for order in itertools.chain(
            [[message_first, *permutation]],
            [[*permutation[:1], message_first, *permutation[1:]]],
            [[*permutation, message_first]],
        )
    ]
    for number, order in enumerate(orders):
        mid = make_mid(ACCOUNT, 5000 + number)
        items = [builder(mid, *args) for builder, *args in events]
        message = text_message(ACCOUNT, CONTACT, f"order {order}", mid, TS_MS)
        seq = await last_seq(db, inbox.workspace_id)
        for step in order:
            await ingest(
                runtime,
                body([entry(ACCOUNT, [message])]) if step is message_first else one(items[step]),
            )
        message_id = await db.fetchval("SELECT id FROM messages WHERE mid = $1", mid)
        rows = await db.fetch(
            "SELECT reaction, emoji FROM reactions WHERE message_id = $1 AND NOT removed",
            message_id,
        )
        assert [tuple(row) for row in rows] == ([expected] if expected else []), order
        # What agents were shown ends in the same state (or was never anything else).
        changes = [
            payload["reactions"]
            for kind, payload in await event_log(db, inbox.workspace_id, after=seq)
            if kind == "reaction.changed" and payload["message_id"] == message_id
        ]
        assert (changes[-1] if changes else []) == shown(expected), order

        before = await state(db, inbox.workspace_id)
        for redelivery, item in enumerate(reversed(items), start=1):
            await ingest(runtime, one(item, redelivery))
        await ingest(runtime, body([entry(ACCOUNT, items, time_ms=TS_MS + 200_000)]))
        assert await state(db, inbox.workspace_id) == before, order
