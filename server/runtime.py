"""What a running Wazify process holds: settings, the database engine, the broker, the cipher.

Built once when the app (or a CLI command, a worker, a test) starts, and passed explicitly
to the code that needs it, so nothing depends on import-time globals.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from piccolo.engine.postgres import PostgresEngine

from wazify.db.engine import close_engine, open_engine
from wazify.lib.crypto import TokenCipher
from wazify.realtime.broker import Broker, create_broker
from wazify.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    dsn: str
    engine: PostgresEngine
    broker: Broker
    cipher: TokenCipher
    extras: dict[str, object] = field(default_factory=dict)
    # Wall-clock seconds, for times that come from outside (Meta's signed_request
    # expiry); tests move it to check a request that has since expired.
    clock: Callable[[], float] = time.time

    async def close(self) -> None:
        await self.broker.stop()
        await close_engine(self.engine)


async def installation_id(engine: PostgresEngine) -> str:
    """The random id this database got when it was migrated (names its Redis channels)."""
    value = await engine.pool.fetchval("SELECT id FROM installation LIMIT 1")
    return value or ""


async def open_runtime(
    settings: Settings,
    dsn: str,
    token_keys: tuple[str, ...],
    *,
    broker: Broker | None = None,
    pool_max: int = 20,
) -> Runtime:
    """Connect to the database and the broker; the caller closes the runtime."""
    engine = await open_engine(dsn, max_size=pool_max)
    if broker is None:
        namespace = await installation_id(engine) if settings.redis_url else ""
        broker = create_broker(settings.redis_url, namespace)
    runtime = Runtime(
        settings=settings,
        dsn=dsn,
        engine=engine,
        broker=broker,
        cipher=TokenCipher(token_keys),
    )
    await runtime.broker.start()
    return runtime
