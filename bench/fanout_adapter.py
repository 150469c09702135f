"""A loadgen adapter (../shared/bench/loadgen.py --adapter) for the Wazify server.

Each client signs in as the bench agent and opens /api/v1/ws?since=<bootstrap seq> with its
session cookie and Origin. Events are triggered one of two ways (WAZIFY_BENCH_TRIGGER):

- `webhook`: a signed Meta webhook per event (a customer's text message naming the event
  id), so ingest, the write path and the fan-out are all measured;
- `publish`: a committed-looking event published straight onto the hub's Redis channel with
  the next sequence number, to measure the fan-out alone (as the floor's POST /publish does).

The conversation's last message is pinned by a far-future "anchor" message, so each
message.created frame names its event id once (the loadgen counts a repeated id as a
duplicate delivery).
"""

from __future__ import annotations

import json
import os
import urllib.request

import loadgen  # the shared load generator, which imports this file
import redis.asyncio as aioredis

from wazify.fakemeta.webhooks import ACCOUNT, body, encode_body, entry, signed, text_message
from wazify.realtime.broker import LoggedEvent, channel_names, encode_wire

CONTACT = "7000000000000001"
# Bytes of padding per published event (WAZIFY_BENCH_PAD): a real message.created frame,
# with the conversation and message views, is about 1.5 kB.
PAD = int(os.environ.get("WAZIFY_BENCH_PAD", "0"))


def _env(name: str) -> str:
    return os.environ[f"WAZIFY_BENCH_{name}"]


def _login(base: str) -> tuple[str, int]:
    """(cookie header value, bootstrap seq) for the bench agent."""
    credentials = {"email": _env("EMAIL"), "password": _env("PASSWORD")}
    request = urllib.request.Request(
        f"{base}/api/v1/auth/login",
        data=json.dumps(credentials).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        cookie = response.headers["Set-Cookie"].split(";", 1)[0]
    with urllib.request.urlopen(
        urllib.request.Request(f"{base}/api/v1/bootstrap", headers={"Cookie": cookie})
    ) as response:
        seq = json.loads(response.read())["seq"]
    return cookie, seq


class WebhookTrigger(loadgen.HttpPost):
    def body(self, eid: str, intended_ns: int) -> bytes:
        item = text_message(ACCOUNT, CONTACT, f"event {eid}", mid=f"m-{intended_ns}")
        return encode_body(body([entry(ACCOUNT, [item])]))

    def request_headers(self, body_bytes: bytes) -> bytes:
        signature = signed(body_bytes, _env("SECRET"))["X-Hub-Signature-256"]
        return b"X-Hub-Signature-256: %s\r\n" % signature.encode()


class PublishTrigger:
    """Publishes LoggedEvents with consecutive seqs after the workspace's head."""

    def __init__(self, redis_url: str, workspace_id: int, head: int, namespace: str) -> None:
        # One connection: publishes leave in trigger order, as a single writer's commits do.
        self.client = aioredis.Redis.from_url(redis_url, single_connection_client=True)
        self.channel = channel_names(namespace)[0]
        self.workspace_id, self.seq = workspace_id, head

    async def fire(self, eid: str, intended_ns: int) -> None:
        self.seq += 1  # taken before any await: seqs follow the trigger order
        payload = json.dumps(
            {
                "type": "bench",
                "seq": self.seq,
                "workspace_id": self.workspace_id,
                "id": eid,
                "pad": "x" * PAD,
            }
        ).encode()
        event = LoggedEvent(self.workspace_id, self.seq, None, None, payload)
        await self.client.publish(self.channel, encode_wire([event]))

    async def close(self) -> None:
        await self.client.aclose()


async def setup(args):
    base = _env("URL")
    cookie, seq = _login(base)
    args.ws_url = base.replace("http://", "ws://") + f"/api/v1/ws?since={seq}"
    args.cookie = cookie
    args.header.append(f"Origin: {base}")
    if _env("TRIGGER") == "publish":
        return PublishTrigger(_env("REDIS_URL"), int(_env("WORKSPACE_ID")), seq, _env("NAMESPACE"))
    host_port = base.removeprefix("http://")
    return WebhookTrigger(f"http://{host_port}/webhooks/instagram", [], 0, args.post_conns)
