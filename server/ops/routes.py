"""GET /metrics: Prometheus's text format, behind a bearer token.

Off unless WAZIFY_METRICS_TOKEN is set: then 404 (saying which setting turns it on), so a
default installation exposes nothing. With the token set, a request without it (or with another)
gets 401 and a WWW-Authenticate challenge. The session middleware is skipped: the metrics
token is not an API token, and a scraper has no session.
"""

from __future__ import annotations

import asyncio
import hmac

from litestar import Request, Response, get
from litestar.di import NamedDependency

from wazify.auth.guards import SKIP_AUTH
from wazify.lib.errors import NotFound
from wazify.lib.http_errors import error_body
from wazify.ops.exposition import process_metrics, scrape_time_metrics
from wazify.ops.queries import database_facts, redis_up
from wazify.realtime.service import Realtime
from wazify.runtime import Runtime

METRICS_PATH = "/metrics"
# Prometheus's classic text format, which generate_latest writes (the framework adds the
# charset); every Prometheus version reads it.
MEDIA_TYPE = "text/plain; version=0.0.4"


def _authorized(request: Request, token: str) -> bool:
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        presented.strip().encode(), token.encode()
    )


@get(METRICS_PATH, include_in_schema=False, opt={SKIP_AUTH: True})
async def metrics(
    request: Request, runtime: NamedDependency[Runtime], realtime: NamedDependency[Realtime]
) -> Response:
    token = runtime.settings.metrics_token
    if not token:
        raise NotFound(f"no such path: {METRICS_PATH} (set WAZIFY_METRICS_TOKEN to serve it)")
    if not _authorized(request, token):
        return Response(
            error_body("unauthorized", "send Authorization: Bearer <WAZIFY_METRICS_TOKEN>"),
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    realtime.fold_metrics()  # this process's frame count, up to this moment
    facts, redis = await asyncio.gather(database_facts(runtime), redis_up(runtime))
    body = process_metrics() + scrape_time_metrics(facts, redis)
    return Response(body, media_type=MEDIA_TYPE)
