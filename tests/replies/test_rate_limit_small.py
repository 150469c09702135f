"""The same limiter at 10 sends a second: 30 replies that would all leave at once without it
(one claim, concurrent sends) are spread over three windows."""

from __future__ import annotations

import msgspec
import pytest

from tests.replies.conftest import MESSAGES_PATH, wait_for
from tests.replies.test_rate_limit import _busiest
from wazify.fakemeta.webhooks import ACCOUNT, body, encode_body, entry, signed, text_message

RATE, REPLIES = 10, 30


@pytest.fixture
def send_settings(settings, fake_graph):
    return msgspec.structs.replace(
        settings, meta_graph_url=fake_graph[0], send_timeout_seconds=1.0, send_rate_per_second=RATE
    )


async def test_no_window_holds_more_than_the_rate(shop, fake) -> None:
    contacts = [f"94000000{n:08d}" for n in range(REPLIES)]
    raw = encode_body(body([entry(ACCOUNT, [text_message(ACCOUNT, c, "hi") for c in contacts])]))
    secret = shop.runtime.settings.meta_app_secrets[0]
    await shop.live.http.post("/webhooks/instagram", content=raw, headers=signed(raw, secret))
    await wait_for(shop.receipts_processed)
    conversations = [await shop.conversation_of(c) for c in contacts]
    await shop.live.worker.stop()  # queue them all first: one claim takes them together
    for n, conversation_id in enumerate(conversations):
        assert (await shop.reply(f"r{n}", conversation_id=conversation_id)).status_code == 201
    shop.live.worker.start()

    async def all_sent() -> bool:
        return len(fake.requests(MESSAGES_PATH)) >= REPLIES

    await wait_for(all_sent, timeout=20)
    stamps = sorted(request.at for request in fake.requests(MESSAGES_PATH))
    # The limiter grants at most RATE per window; arrival at the fake lags each grant by a
    # variable amount (same process and GIL, and a loaded CI machine delayed one batch by
    # most of a second), so two batches may land close together, never three: without the
    # limiter all 30 arrive at once.
    assert max(_busiest(stamps, 0.9)) <= 2 * RATE
    assert stamps[-1] - stamps[0] >= 2.0
