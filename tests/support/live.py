"""A real server on a real port, in the test's event loop (websockets need one)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from litestar import Litestar

from tests.support.services import free_port


class Address(str):
    """A "host:port" string that also holds the uvicorn.Server behind it (for tests that
    look at its connections: `address.server.server_state.connections`)."""

    server: uvicorn.Server
    task: asyncio.Task[None]

    async def stop(self) -> None:
        """Stop serving now (the app's lifespan ends: its workers stop)."""
        self.server.should_exit = True
        await self.task


@asynccontextmanager
async def live_server(app: Litestar, **options: Any) -> AsyncIterator[Address]:
    """Serve `app` with uvicorn on 127.0.0.1; yields "host:port" (an `Address`).

    `options` override or add to uvicorn.Config's arguments, e.g.
    `live_server(app, **server_options(settings))` serves it as `wazify serve` does (a
    "loop" option is moot here: the server runs in the test's loop)."""
    port = free_port()
    config = uvicorn.Config(
        app,
        **{
            "host": "127.0.0.1",
            "port": port,
            "log_level": "warning",
            "lifespan": "on",
            "ws": "websockets-sansio",
            **options,
        },
    )
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    address = Address(f"{config.host}:{config.port}")
    address.server = server
    address.task = task
    try:
        yield address
    finally:
        server.should_exit = True
        await task
