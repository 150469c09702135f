"""/metrics: behind its token, and every metric family moving with real traffic (webhooks in,
replies out through the fake Send API, an agent's websocket)."""

from __future__ import annotations

import msgspec

from tests.ops.conftest import METRICS_TOKEN, Samples, parse_samples, value
from tests.ops.test_dashboard import dashboard_metric_names
from tests.realtime.conftest import connect
from tests.replies.conftest import fail_next, wait_for
from tests.support.http import make_client, running
from wazify.app import create_app

AUTH = {"Authorization": f"Bearer {METRICS_TOKEN}"}


async def scrape(http) -> Samples:
    response = await http.get("/metrics", headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse_samples(response.text)


async def test_metrics_are_behind_the_token(live) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer not-the-metrics-token"},
        {"Authorization": f"Basic {METRICS_TOKEN}"},
        {"Authorization": METRICS_TOKEN},
    ):
        response = await live.http.get("/metrics", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"] == 'Bearer realm="metrics"'
        assert "wazify_" not in response.text
    assert (await live.http.get("/metrics", headers=AUTH)).status_code == 200


async def test_without_a_token_setting_metrics_are_off(settings, runtime) -> None:
    app = create_app(msgspec.structs.replace(settings, metrics_token=""), runtime=runtime)
    async with running(app), make_client(app) as client:
        response = await client.get("/metrics", headers=AUTH)
    assert response.status_code == 404
    assert "WAZIFY_METRICS_TOKEN" in response.json()["error"]["message"]


async def test_every_family_moves_with_real_traffic(shop, fake) -> None:
    http = shop.live.http
    before = await scrape(http)
    agent = await connect(shop.live.address, shop.agent)
    await agent.wait_ready()
    connected = await scrape(http)
    assert value(connected, "wazify_websockets_connected") == (
        value(before, "wazify_websockets_connected") + 1
    )

    await shop.customer_writes(text="are you there?")
    await agent.wait_for(lambda a: any(f.get("type") == "message.created" for f in a.frames))
    refused = await http.post(
        "/webhooks/instagram", content=b"{}", headers={"X-Hub-Signature-256": "sha256=00"}
    )
    assert refused.status_code == 403
    delivered = (await shop.reply("yes, how can I help?")).json()
    await shop.settled(delivered["id"], "delivered")
    fail_next(fake, preset="token_invalid")
    dead = (await shop.reply("refused by Meta")).json()
    await shop.settled(dead["id"], "failed")
    after = await scrape(http)

    def grew(name: str, at_least: float = 1, **labels: str) -> None:
        change = value(after, name, **labels) - value(before, name, **labels)
        assert change >= at_least, f"{name}{labels}: {change} < {at_least}"

    # The customer's message and the echo of the delivered reply.
    grew("wazify_webhook_deliveries_total", 2, outcome="stored")
    grew("wazify_webhook_deliveries_total", 1, outcome="bad_signature")
    grew("wazify_webhook_ack_seconds_count", 3)
    grew("wazify_webhook_ack_seconds_bucket", 3, le="+Inf")
    grew("wazify_receipts_processed_total", 2, outcome="processed")
    grew("wazify_receipt_lag_seconds_count", 2)
    grew("wazify_send_api_seconds_count", 2, call="message")
    grew("wazify_send_api_errors_total", 1, code="190")
    grew("wazify_websocket_frames_sent_total", len(agent.frames))
    slow = "wazify_websocket_slow_consumer_closes_total"
    assert (slow, frozenset({("reason", "stalled")})) in after  # exported from the start, at 0
    assert value(after, "wazify_postgres_up") == 1
    assert ("wazify_redis_up", frozenset()) not in after  # in-process fan-out: no Redis
    assert value(after, "wazify_receipts_pending") == 0
    assert value(after, "wazify_receipts_quarantined") == 0
    assert value(after, "wazify_receipts_oldest_pending_seconds") == 0
    assert value(after, "wazify_outbox_oldest_pending_seconds") == 0
    for state in ("pending", "sending", "unknown"):
        assert value(after, "wazify_outbox_messages", state=state) == 0
    # Every series the dashboard plots is there (wazify_redis_up: test_processes.py, with Redis).
    assert dashboard_metric_names() - {"wazify_redis_up"} <= {name for name, _ in after}

    await agent.close()
    gauge = "wazify_websockets_connected"

    async def unregistered() -> bool:  # the socket's handler ends just after the close
        return value(await scrape(http), gauge) == value(before, gauge)

    await wait_for(unregistered, timeout=5)


async def test_database_facts_are_read_at_scrape_time(shop) -> None:
    """Pending receipts and the outbox depth, as Postgres has them when the scrape comes
    (with the processor and the sender stopped, so that they stay put)."""
    app = shop.live.app
    await app.state.webhooks.processor.stop()
    await shop.live.worker.stop()
    pool = shop.runtime.engine.pool
    await pool.execute(
        "INSERT INTO webhook_receipts (body, body_sha256, received_at)"
        " VALUES ('{}', '\\x01', now() - interval '90 seconds'), ('{}', '\\x02', now())"
    )
    assert (await shop.reply("waits in the outbox")).status_code == 201
    await pool.execute(
        "UPDATE messages SET status = 'unknown' WHERE id = (SELECT min(id) FROM messages)"
    )
    samples = await scrape(shop.live.http)
    assert value(samples, "wazify_receipts_pending") == 2
    assert 90 <= value(samples, "wazify_receipts_oldest_pending_seconds") < 120
    assert value(samples, "wazify_outbox_messages", state="pending") == 1
    assert value(samples, "wazify_outbox_messages", state="unknown") == 1
    assert value(samples, "wazify_outbox_messages", state="sending") == 0
    assert 0 <= value(samples, "wazify_outbox_oldest_pending_seconds") < 30
