"""The fake Conversations API (what the importer and the demo rely on) through the real
Graph client, and its answers turned into the webhook normalizer's items."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from wazify.fakemeta.graph import run_fake_graph_in_thread
from wazify.fakemeta.items import now_ms
from wazify.fakemeta.state import FakeGraphState
from wazify.meta.conversations import ApiMessage, Edge, Party, Thread, graph_time
from wazify.meta.events import InboundMessage, ReactionChanged
from wazify.meta.graph_client import GraphClient
from wazify.meta.graph_errors import GraphError
from wazify.meta.history import thread_items

BUSINESS, OTHER = "17841400000000111", "17841400000000222"
TOKEN, OTHER_TOKEN = "conversations-token", "other-business-token"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, FakeGraphState]]:
    url, state, stop = run_fake_graph_in_thread()
    yield url, state
    stop()


@pytest.fixture
def fake(served: tuple[str, FakeGraphState]) -> FakeGraphState:
    state = served[1]
    state.reset()
    state.add_token(TOKEN, BUSINESS)
    state.add_token(OTHER_TOKEN, OTHER)
    return state


@pytest.fixture
async def graph(served: tuple[str, FakeGraphState]):
    async with GraphClient(served[0], "v25.0") as client:
        yield client


async def test_threads_come_newest_first_in_pages(fake: FakeGraphState, graph) -> None:
    now = now_ms()
    for n in range(7):
        fake.history.add_message(BUSINESS, f"96000000000000{n}", f"hi {n}", ts_ms=now - n * 1000)
    fake.history.add_message(OTHER, "960000000000099", "not yours", ts_ms=now)
    seen, after, pages = [], None, 0
    while True:
        page = await graph.list_conversations(TOKEN, after=after, limit=3)
        seen += page.data
        pages += 1
        if page.after is None:
            break
        after = page.after
    assert pages == 3
    assert [t.updated for t in seen] == sorted((t.updated for t in seen), reverse=True)
    assert len(seen) == 7  # the other business's thread is not listed
    assert {p.id for p in seen[0].participants.data} == {BUSINESS, "960000000000000"}
    one = await graph.list_conversations(TOKEN, limit=3)
    assert one.data[0].id == seen[0].id


async def test_only_the_20_most_recent_messages_can_be_read(fake: FakeGraphState, graph) -> None:
    items = [
        fake.history.add_message(BUSINESS, "960000000000001", f"m{n}", ts_ms=now_ms() - 100 + n)
        for n in range(25)
    ]
    (thread,) = (await graph.list_conversations(TOKEN)).data
    detail = await graph.thread_messages(thread.id, TOKEN)
    assert [m.message for m in detail.messages.data] == [f"m{n}" for n in range(24, 4, -1)]
    assert (await graph.message_detail(items[-1].mid, TOKEN)).message == "m24"
    with pytest.raises(GraphError) as older:
        await graph.message_detail(items[0].mid, TOKEN)
    assert (older.value.code, older.value.subcode) == (100, 33)  # "does not exist"
    with pytest.raises(GraphError) as foreign:
        await graph.thread_messages(thread.id, OTHER_TOKEN)
    assert foreign.value.code == 100


async def test_the_send_api_shows_in_the_thread(fake: FakeGraphState, graph) -> None:
    body = {"recipient": {"id": "960000000000001"}, "message": {"text": "sent by us"}}
    sent = await graph.send_message(BUSINESS, TOKEN, body)
    (thread,) = (await graph.list_conversations(TOKEN)).data
    (message,) = (await graph.thread_messages(thread.id, TOKEN)).messages.data
    assert (message.id, message.message, message.sender.id) == (
        sent.message_id,
        "sent by us",
        BUSINESS,
    )


def api_message(mid: str, sender: str, minutes: int, **fields) -> ApiMessage:
    moment = datetime(2026, 5, 1, 12, tzinfo=UTC) + timedelta(minutes=minutes)
    return ApiMessage(
        id=mid,
        created_time=moment.strftime("%Y-%m-%dT%H:%M:%S+0000"),
        sender=Party(id=sender),
        **fields,
    )


def test_items_are_what_the_webhooks_would_have_been() -> None:
    customer = "960000000000005"
    thread = Thread(id="t1")
    messages = [
        api_message("m3", customer, 3, message="and now?"),
        api_message("m1", customer, 1, message="hello"),
        api_message(
            "m2",
            BUSINESS,
            2,
            message="",
            attachments=Edge([{"image_data": {"url": "https://cdn.example/1.jpg"}}]),
            reactions=Edge([{"reaction": "❤️", "users": [{"id": customer}]}]),
        ),
        api_message("m0", customer, -90, message="before the window"),
    ]
    observed = datetime(2026, 5, 2, tzinfo=UTC)
    found = thread_items(
        thread,
        messages,
        ig_id=BUSINESS,
        username="shop",
        since=datetime(2026, 5, 1, 11, tzinfo=UTC),
        observed_at=observed,
    )
    assert found.contact_igsid == customer
    assert [type(i) for i in found.items] == [InboundMessage] * 3 + [ReactionChanged]
    first, echo, last, reaction = found.items
    assert (first.mid, first.is_echo, first.text) == ("m1", False, "hello")
    assert (echo.mid, echo.is_echo, echo.text) == ("m2", True, None)
    assert [(a.type, a.url) for a in echo.attachments] == [("image", "https://cdn.example/1.jpg")]
    assert last.timestamp == graph_time("2026-05-01T12:03:00+0000")
    # Stamped when Meta showed it: an unreact later than that still wins.
    assert (reaction.mid, reaction.reaction, reaction.timestamp) == ("m2", "love", observed)
    assert found.answered == frozenset({"m0", "m1"})  # m3 awaits an answer


def test_the_business_is_recognised_by_its_username_too() -> None:
    """The API may name the business by an id other than the webhooks' IGID."""
    shop = api_message("m1", "app-scoped-id", 1, message="from the shop")
    shop = ApiMessage(
        id=shop.id,
        created_time=shop.created_time,
        sender=Party(id="app-scoped-id", username="shop"),
        message=shop.message,
    )
    found = thread_items(
        Thread(id="t2"),
        [shop, api_message("m2", "960000000000006", 2, message="from the customer")],
        ig_id=BUSINESS,
        username="shop",
        since=datetime(2026, 1, 1, tzinfo=UTC),
        observed_at=datetime(2026, 5, 2, tzinfo=UTC),
    )
    assert found.contact_igsid == "960000000000006"
    assert [item.is_echo for item in found.items] == [True, False]
