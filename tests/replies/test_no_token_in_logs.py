"""No access token ever reaches a log line, nor a URL (httpx logs URLs at INFO)."""

from __future__ import annotations

import logging

from tests.replies.conftest import TOKEN, fail_next


async def test_no_token_in_any_log_line_or_url(shop, fake, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("httpx").setLevel(logging.DEBUG)  # even if someone turns it up again
    try:
        await _send_flow(shop, fake)
    finally:
        logging.getLogger("httpx").setLevel(logging.WARNING)
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    lines = [formatter.format(record) for record in caplog.records]
    assert any("reply" in line for line in lines)  # the sender did log its outcomes
    assert not [line for line in lines if TOKEN in line]
    for request in fake.requests():
        assert TOKEN not in request.query_string and "access_token" not in request.query
        assert request.headers.get("authorization") in (None, f"Bearer {TOKEN}")


async def _send_flow(shop, fake) -> None:
    delivered = (await shop.reply("logged flow")).json()
    await shop.settled(delivered["id"], "delivered")
    fail_next(fake, preset="token_invalid")
    dead = (await shop.reply("token refused")).json()
    await shop.settled(dead["id"], "failed")
    await shop.runtime.engine.pool.execute(
        "UPDATE ig_accounts SET status = 'connected' WHERE id = $1", shop.account_id
    )
    fail_next(fake, delay=1.5)
    slow = (await shop.reply("timed out")).json()
    await shop.settled(slow["id"], "delivered")


async def test_httpx_request_lines_are_silenced(shop, fake, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    reply = (await shop.reply("quiet")).json()
    await shop.settled(reply["id"], "delivered")
    assert not [r for r in caplog.records if r.name.startswith(("httpx", "httpcore"))]
