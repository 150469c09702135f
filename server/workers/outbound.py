"""Everything of one process that talks to Meta's Send API: one Graph client, one rate
limiter per account, the sender worker (when this process runs it) and the sender actions.

Started by the app's lifespan (`wazify serve`, with WAZIFY_SEND_WORKER=1, the default) or by
`wazify worker`; reachable from the websocket layer through the runtime (`outbound_of`).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass
from datetime import timedelta

import httpx

from wazify.meta.graph_client import GraphClient, silence_http_client_logs
from wazify.runtime import Runtime
from wazify.settings import Settings
from wazify.workers.sender import SenderWorker
from wazify.workers.sender_actions import SenderActions

RUNTIME_KEY = "wazify.outbound"
# Meta counts on its side: arrivals bunch up by the network's jitter, so the log keeps a
# little more than a second. At most `rate` calls in any such window, never a burst more.
WINDOW_SECONDS = 1.1


class RateLimiter:
    """At most `rate` calls per key in any window: a sliding log rather than a token bucket,
    whose full bucket would let a burst ride on top of its refill (up to twice the rate)."""

    def __init__(self, rate: int = 100, window: float = WINDOW_SECONDS) -> None:
        self.rate = rate
        self.window = window
        self._log: dict[int, deque[float]] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    async def acquire(self, key: int) -> None:
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            log = self._log.setdefault(key, deque())
            now = time.monotonic()
            while log and now - log[0] >= self.window:
                log.popleft()
            if len(log) >= self.rate:
                await asyncio.sleep(log[0] + self.window - now)
                log.popleft()
            log.append(time.monotonic())


@dataclass
class Outbound:
    graph: GraphClient
    http: httpx.AsyncClient
    limiter: RateLimiter
    actions: SenderActions
    worker: SenderWorker | None
    runtime: Runtime

    @classmethod
    def create(cls, runtime: Runtime, settings: Settings, run_worker: bool) -> Outbound:
        silence_http_client_logs()  # httpx logs full URLs at INFO
        concurrency = 32
        http = httpx.AsyncClient(
            timeout=settings.send_timeout_seconds,
            limits=httpx.Limits(max_connections=concurrency + 16, max_keepalive_connections=48),
        )
        graph = GraphClient(settings.meta_graph_url, settings.meta_graph_version, http=http)
        limiter = RateLimiter(settings.send_rate_per_second)
        actions = SenderActions(runtime, graph, limiter, send_timeout=settings.send_timeout_seconds)
        worker = None
        if run_worker:
            worker = SenderWorker(
                runtime,
                graph,
                limiter,
                send_timeout=settings.send_timeout_seconds,
                unknown_deadline=timedelta(seconds=settings.send_unknown_deadline_seconds),
                concurrency=concurrency,
            )
        return cls(graph, http, limiter, actions, worker, runtime)

    def start(self) -> None:
        self.runtime.extras[RUNTIME_KEY] = self
        self.actions.start()
        if self.worker is not None:
            self.worker.start()

    async def stop(self) -> None:
        if self.runtime.extras.get(RUNTIME_KEY) is self:
            del self.runtime.extras[RUNTIME_KEY]
        if self.worker is not None:
            await self.worker.stop()
        await self.actions.stop()
        await self.http.aclose()


def outbound_of(runtime: Runtime) -> Outbound | None:
    found = runtime.extras.get(RUNTIME_KEY)
    return found if isinstance(found, Outbound) else None
