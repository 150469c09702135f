"""The real app over HTTP on the test's own event loop.

httpx's ASGI transport with the app's lifespan run in a task of its own (Litestar's
AsyncTestClient runs the app on another thread and loop, where the shared runtime's
asyncpg pool, bound to this loop, cannot go).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from litestar import Litestar

CLIENT_ADDR = "198.51.100.7"


def make_client(
    app: Litestar, addr: str = CLIENT_ADDR, base_url: str = "http://testserver.local"
) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(addr, 50000))
    return httpx.AsyncClient(transport=transport, base_url=base_url)


@asynccontextmanager
async def running(app: Litestar) -> AsyncIterator[Litestar]:
    """Run the app's lifespan in one task: it holds an anyio task group, which must be
    entered and left by the same task (a fixture's setup and teardown are not)."""
    started, stop = asyncio.Event(), asyncio.Event()

    async def lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(lifespan())
    await asyncio.wait([task, asyncio.create_task(started.wait())], return_when="FIRST_COMPLETED")
    if task.done():
        task.result()  # startup failed: raise its error
    try:
        yield app
    finally:
        stop.set()
        await task
