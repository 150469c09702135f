"""Fan-out of committed events to the processes that hold websockets.

Two brokers with one interface: in-process (no REDIS_URL, a single server process) and
Redis pub/sub (one channel, one subscription per process). Publishing happens after
commit and never raises: a lost publish is healed by replay from the event log, so a
broker failure must not turn a committed change into an error.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

import msgspec
import redis.asyncio as aioredis

log = logging.getLogger("wazify.broker")

CHANNEL = "wazify:events"


class LoggedEvent(msgspec.Struct, array_like=True, frozen=True):
    """A committed event as it travels between processes: routing data plus the event's
    JSON exactly as stored, encoded once and forwarded to sockets untouched."""

    workspace_id: int
    seq: int
    audience_user_id: int | None
    audience_roles: tuple[str, ...] | None
    payload: msgspec.Raw


Handler = Callable[[LoggedEvent], None]

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(LoggedEvent)


class Broker:
    """Base: delivers published events to local handlers. Subclasses add transport."""

    def __init__(self) -> None:
        self._handlers: list[Handler] = []

    def add_handler(self, handler: Handler) -> None:
        self._handlers.append(handler)

    def remove_handler(self, handler: Handler) -> None:
        self._handlers.remove(handler)

    def _dispatch(self, event: LoggedEvent) -> None:
        for handler in list(self._handlers):
            try:
                handler(event)
            except Exception:
                log.exception("event handler failed (seq %s)", event.seq)

    async def start(self) -> None:
        """Begin receiving; a no-op for the in-process broker."""

    async def stop(self) -> None:
        """Stop receiving and release connections."""

    async def ping(self) -> bool:
        return True

    async def publish(self, events: Sequence[LoggedEvent]) -> None:
        raise NotImplementedError


class InProcessBroker(Broker):
    async def publish(self, events: Sequence[LoggedEvent]) -> None:
        for event in events:
            self._dispatch(event)


class RedisBroker(Broker):
    """Redis pub/sub on one channel; every process subscribes once and filters locally."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self._url = url
        self._client = aioredis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self._reader: asyncio.Task[None] | None = None
        self.disconnects = 0

    async def publish(self, events: Sequence[LoggedEvent]) -> None:
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for event in events:
                    pipe.publish(CHANNEL, _encoder.encode(event))
                await pipe.execute()
        except Exception as error:  # the commit stands; clients heal through replay
            log.warning("publish to Redis failed, clients will catch up by replay: %s", error)

    async def ping(self) -> bool:
        try:
            return bool(await self._client.ping())
        except Exception:
            return False

    async def start(self) -> None:
        if self._reader is None:
            self._reader = asyncio.create_task(self._read_forever(), name="redis-subscriber")

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
            self._reader = None
        await self._client.aclose()

    async def _read_forever(self) -> None:
        while True:
            try:
                await self._read_subscription()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.disconnects += 1
                log.warning("Redis subscription lost (%s); resubscribing", error)
                await asyncio.sleep(0.5)

    async def _read_subscription(self) -> None:
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(CHANNEL)
            while True:
                message = await pubsub.get_message(timeout=None)
                if message is None or message.get("type") != "message":
                    continue
                self._dispatch(_decoder.decode(message["data"]))
        finally:
            await pubsub.aclose()


def create_broker(redis_url: str | None) -> Broker:
    return RedisBroker(redis_url) if redis_url else InProcessBroker()
