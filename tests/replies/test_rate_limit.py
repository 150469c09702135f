"""At most 100 sends per second per account, as Meta's timestamps see them."""

from __future__ import annotations

import asyncio
import time

from tests.replies.conftest import MESSAGES_PATH, wait_for
from wazify.fakemeta.webhooks import ACCOUNT, body, encode_body, entry, signed, text_message
from wazify.workers.outbound import RateLimiter

REPLIES = 150


async def test_the_limiter_never_admits_more_than_its_rate_in_a_window() -> None:
    limiter = RateLimiter(rate=20, window=0.2)
    stamps: list[float] = []

    async def call(key: int) -> None:
        await limiter.acquire(key)
        stamps.append(time.monotonic())

    started = time.monotonic()
    await asyncio.gather(*(call(1) for _ in range(50)), *(call(2) for _ in range(20)))
    assert time.monotonic() - started >= 0.4  # 50 on one key: three windows' worth
    ordered = sorted(stamps)
    assert max(_busiest(ordered, 0.2)) <= 40  # two keys, 20 each at most


def _busiest(stamps: list[float], window: float) -> list[int]:
    counts, start = [], 0
    for end, stamp in enumerate(stamps):
        while stamp - stamps[start] >= window:
            start += 1
        counts.append(end - start + 1)
    return counts


async def test_150_replies_to_one_account_never_exceed_100_in_any_second(shop, fake) -> None:
    contacts = [f"93000000{n:08d}" for n in range(REPLIES)]
    items = [text_message(ACCOUNT, igsid, "hello") for igsid in contacts]
    raw_body = body([entry(ACCOUNT, items)])
    raw = encode_body(raw_body)
    secret = shop.runtime.settings.meta_app_secrets[0]
    assert (
        await shop.live.http.post("/webhooks/instagram", content=raw, headers=signed(raw, secret))
    ).status_code == 200
    await wait_for(shop.receipts_processed)
    conversations = [await shop.conversation_of(igsid) for igsid in contacts]
    started = time.monotonic()
    # Queued 25 at a time: the test is about the sends' rate, not about 150 requests at once
    # (which, on a busy machine, outlast the client's timeout).
    gate = asyncio.Semaphore(25)

    async def reply(n: int, cid: int):  # type: ignore[no-untyped-def]
        async with gate:
            return await shop.reply(f"reply {n}", conversation_id=cid)

    responses = await asyncio.gather(*(reply(n, cid) for n, cid in enumerate(conversations)))
    assert {response.status_code for response in responses} == {201}

    async def all_sent() -> bool:
        return len(fake.requests(MESSAGES_PATH)) >= REPLIES

    await wait_for(all_sent, timeout=30)
    elapsed = time.monotonic() - started
    stamps = sorted(request.at for request in fake.requests(MESSAGES_PATH))
    assert len(stamps) == REPLIES
    assert max(_busiest(stamps, 1.0)) <= 100
    assert elapsed >= 0.5 and stamps[-1] - stamps[0] >= 1.0
