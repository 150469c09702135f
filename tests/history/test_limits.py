"""Meta's Conversations API rate: 2 calls per second per account, whatever the pages."""

from __future__ import annotations

from tests.history.conftest import CONVERSATIONS_PATH, HOUR_MS, THREAD_READS, Shop
from wazify.workers.outbound import RateLimiter

CUSTOMERS = [f"97000000000000{n:02d}" for n in range(5)]


async def test_an_import_keeps_to_two_calls_a_second(shop: Shop) -> None:
    await shop.register()
    for n, customer in enumerate(CUSTOMERS):
        shop.writes(customer, f"hello {n}", ago_ms=HOUR_MS + n)
    importer = shop.live.importer
    importer.limiter = RateLimiter(2)  # Meta's limit (the fixture's settings raise it)
    importer.page_size = 2
    job = await shop.finished((await shop.resync(days=1))["id"], timeout=30)
    assert (job["state"], job["conversations_done"]) == ("done", 5)
    calls = sorted(
        request.at
        for request in shop.fake.requests("/v25.0/")
        if request.path == CONVERSATIONS_PATH or request.path.startswith(THREAD_READS)
    )
    # Three pages and five threads of the window, one catch-up page.
    assert len(calls) == 9
    busiest = max(sum(1 for t in calls if start <= t < start + 1.0) for start in calls)
    assert busiest <= 2
    assert calls[-1] - calls[0] >= 3.0  # nine calls at two a second take four seconds
