"""Liveness and readiness, for load balancers and orchestrators."""

from __future__ import annotations

import asyncio

from litestar import Response, get
from litestar.di import NamedDependency

from wazify.lib.http_errors import error_body
from wazify.runtime import Runtime


@get("/healthz", include_in_schema=False, sync_to_thread=False)
def healthz() -> dict[str, str]:
    """Alive: the process answers. Says nothing about its dependencies."""
    return {"status": "ok"}


async def _database_ok(runtime: Runtime) -> bool:
    try:
        async with asyncio.timeout(2):
            await runtime.engine.pool.fetchval("SELECT 1")
        return True
    except Exception:
        return False


@get("/readyz", include_in_schema=False)
async def readyz(runtime: NamedDependency[Runtime]) -> Response:
    """Ready: Postgres and the broker both answer; 503 naming what does not."""
    database, broker = await asyncio.gather(_database_ok(runtime), runtime.broker.ping())
    checks = {"database": "ok" if database else "down", "broker": "ok" if broker else "down"}
    if database and broker:
        return Response({"status": "ok", "checks": checks})
    down = ", ".join(name for name, state in checks.items() if state != "ok")
    body = error_body("unavailable", f"not ready: {down} unreachable") | {"checks": checks}
    return Response(body, status_code=503)
