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

from wazify.lib.tasks import spawn

log = logging.getLogger("wazify.broker")

CHANNEL = "wazify:events"
SIGNALS = "wazify:signals"


def channel_names(namespace: str = "") -> tuple[str, str]:
    """(events channel, signals channel). An installation's namespace keeps two Wazify
    installations sharing one Redis from receiving each other's events."""
    if not namespace:
        return CHANNEL, SIGNALS
    return f"wazify:{namespace}:events", f"wazify:{namespace}:signals"


class LoggedEvent(msgspec.Struct, array_like=True, frozen=True):
    """A committed event as it travels between processes: routing data plus the event's
    JSON exactly as stored (bytes), encoded once and forwarded to sockets untouched."""

    workspace_id: int
    seq: int
    audience_user_id: int | None
    audience_roles: tuple[str, ...] | None
    payload: bytes


Handler = Callable[[LoggedEvent], None]

_wire_encoder = msgspec.msgpack.Encoder()
_wire_decoder = msgspec.msgpack.Decoder(list[LoggedEvent])
# Events of one commit travel together, a bounded number per Redis message: a webhook
# batch commits thousands, and redis-py's per-message cost (packing each PUBLISH, parsing
# each reply and each delivery) was 40% of the server's CPU when they went one by one.
WIRE_BATCH_EVENTS = 100


def encode_wire(events: Sequence[LoggedEvent]) -> bytes:
    """Events (in seq order) as one msgpack array; each payload travels as a bin field."""
    return _wire_encoder.encode(events)


def decode_wire(data: bytes) -> list[LoggedEvent]:
    return _wire_decoder.decode(data)


def wire_batches(events: Sequence[LoggedEvent]) -> list[bytes]:
    return [
        encode_wire(events[start : start + WIRE_BATCH_EVENTS])
        for start in range(0, len(events), WIRE_BATCH_EVENTS)
    ]


SignalHandler = Callable[[bytes], None]


class Broker:
    """Base: delivers published events and signals to local handlers; subclasses add
    transport. Signals (typing, presence, viewing) are opaque bytes, never logged."""

    def __init__(self) -> None:
        self._handlers: list[Handler] = []
        self._signal_handlers: list[SignalHandler] = []
        self._reconnect_handlers: list[Callable[[], None]] = []

    def add_handler(self, handler: Handler) -> None:
        self._handlers.append(handler)

    def remove_handler(self, handler: Handler) -> None:
        self._handlers.remove(handler)

    def add_signal_handler(self, handler: SignalHandler) -> None:
        self._signal_handlers.append(handler)

    def remove_signal_handler(self, handler: SignalHandler) -> None:
        self._signal_handlers.remove(handler)

    def add_reconnect_handler(self, handler: Callable[[], None]) -> None:
        """Called after the subscription came back: publishes may have been missed."""
        self._reconnect_handlers.append(handler)

    def remove_reconnect_handler(self, handler: Callable[[], None]) -> None:
        self._reconnect_handlers.remove(handler)

    def _dispatch(self, event: LoggedEvent) -> None:
        for handler in list(self._handlers):
            try:
                handler(event)
            except Exception:
                log.exception("event handler failed (seq %s)", event.seq)

    def _dispatch_signal(self, data: bytes) -> None:
        for handler in list(self._signal_handlers):
            try:
                handler(data)
            except Exception:
                log.exception("signal handler failed")

    async def start(self) -> None:
        """Begin receiving; a no-op for the in-process broker."""

    async def stop(self) -> None:
        """Stop receiving and release connections."""

    async def ping(self) -> bool:
        return True

    async def publish(self, events: Sequence[LoggedEvent]) -> None:
        raise NotImplementedError

    async def publish_signal(self, data: bytes) -> None:
        raise NotImplementedError

    async def publish_signals(self, datas: Sequence[bytes]) -> None:
        for data in datas:
            await self.publish_signal(data)


class InProcessBroker(Broker):
    async def publish(self, events: Sequence[LoggedEvent]) -> None:
        for event in events:
            self._dispatch(event)

    async def publish_signal(self, data: bytes) -> None:
        self._dispatch_signal(data)


class RedisBroker(Broker):
    """Redis pub/sub: one subscription per process to the events and signals channels,
    drained promptly by a task that only decodes and hands over (Redis cuts off a
    subscriber that falls behind)."""

    def __init__(self, url: str, namespace: str = "") -> None:
        super().__init__()
        self._url = url
        self.channel, self.signals = channel_names(namespace)
        self._client = aioredis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        # The subscriber waits indefinitely for messages: no read timeout, but a periodic
        # PING finds a dead connection.
        self._subscriber = aioredis.Redis.from_url(
            url, socket_connect_timeout=2, health_check_interval=5
        )
        self._reader: asyncio.Task[None] | None = None
        self._stopping = False
        self.disconnects = 0

    async def publish(self, events: Sequence[LoggedEvent]) -> None:
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for message in wire_batches(events):
                    pipe.publish(self.channel, message)
                await pipe.execute()
        except Exception as error:  # the commit stands; clients heal through replay
            log.warning("publish to Redis failed, clients will catch up by replay: %s", error)

    async def publish_signal(self, data: bytes) -> None:
        await self.publish_signals([data])

    async def publish_signals(self, datas: Sequence[bytes]) -> None:
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for data in datas:
                    pipe.publish(self.signals, data)
                await pipe.execute()
        except Exception as error:  # ephemeral: a lost signal is refreshed by the next one
            log.warning("signal publish to Redis failed: %s", error)

    async def ping(self) -> bool:
        try:
            return bool(await self._client.ping())
        except Exception:
            return False

    async def start(self) -> None:
        if self._reader is None:
            self._reader = spawn(self._read_forever(), "redis-subscriber")

    async def stop(self) -> None:
        self._stopping = True
        reader, self._reader = self._reader, None
        if reader is not None:
            # redis-py swallows a cancellation that lands while it connects (turning it
            # into a ConnectionError): ask until the reader has really ended, or stop()
            # would wait forever (it did: `wazify serve` hung now and then at start).
            while not reader.done():
                reader.cancel()
                await asyncio.wait([reader], timeout=0.2)
        await self._client.aclose()
        await self._subscriber.aclose()

    async def _read_forever(self) -> None:
        first = True
        while not self._stopping:
            try:
                await self._read_subscription(resubscribed=not first)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if self._stopping:
                    return
                self.disconnects += 1
                log.warning("Redis subscription lost (%s); resubscribing", error)
                await asyncio.sleep(0.5)
            first = False

    async def _read_subscription(self, resubscribed: bool) -> None:
        pubsub = self._subscriber.pubsub(
            ignore_subscribe_messages=True, push_handler_func=pass_push_through
        )
        try:
            await pubsub.subscribe(self.channel, self.signals)
            if resubscribed:
                for handler in self._reconnect_handlers:
                    handler()
            while not self._stopping:
                message = await pubsub.get_message(timeout=None)
                if message is None or message.get("type") != "message":
                    continue
                if message["channel"] == self.channel.encode():
                    try:
                        events = decode_wire(message["data"])
                    except msgspec.DecodeError:
                        log.error("undecodable message on %s skipped", self.channel)
                        continue
                    for event in events:
                        self._dispatch(event)
                else:
                    self._dispatch_signal(message["data"])
        finally:
            await pubsub.aclose()


async def pass_push_through(response: object) -> object:
    """redis-py's default handler for pub/sub deliveries builds a debug log line with
    str(response) before the logger decides to drop it: a repr of every message's bytes,
    measured at 10% of the server's CPU while ingesting (and paid per event in fan-out)."""
    return response


def create_broker(redis_url: str | None, namespace: str = "") -> Broker:
    return RedisBroker(redis_url, namespace) if redis_url else InProcessBroker()
